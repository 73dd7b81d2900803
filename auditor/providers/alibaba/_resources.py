"""Assemble normalized resources: buckets (with residency), KMS keys and the account
(globally, and per region for ECS default disk encryption)."""

from __future__ import annotations

from auditor.model import Fact, Resource, ResourceKind
from auditor.providers.alibaba import _keys
from auditor.providers.alibaba._derived import public_facts, tls_facts
from auditor.providers.alibaba._name import PROVIDER
from auditor.providers.alibaba._normalize import (
    BucketRaw,
    Locate,
    Outcome,
    Wanted,
    encryption_facts,
    logging_facts,
    observed,
    oss_location,
    sources_of,
    versioning_facts,
    worm_facts,
)
from auditor.providers.alibaba._policy import PolicyParseError, key_policy_public
from auditor.regions import places, redundancy_stays

BUCKET, KEY, ACCOUNT = ResourceKind.BUCKET, ResourceKind.KEY, ResourceKind.ACCOUNT

# Fact groups: one builder per group, run only when one of its facts is wanted.
ENCRYPTION = ("encryption.enabled", "encryption.algorithm", "encryption.key_id",
              "key_custody.level", "key_custody.hsm", "key_rotation.enabled",
              "key_rotation.period_days", "key_rotation.supported")
PUBLIC = ("public_access_block.bucket", "public_access_block.account",
          "public_access_block.effective", "public_exposure.is_public",
          "public_exposure.reasons")
RESIDENCY = ("data_residency.region", "data_residency.country", "data_residency.jurisdiction",
             "data_residency.jurisdictions", "data_residency.multi_region")
REPLICATION = ("data_residency.replication_destinations",
               "data_residency.replication_jurisdictions")
BLOCK_STORAGE = ("block_storage_encryption.enabled", "block_storage_encryption.key_id")
GROUPS = (
    (ENCRYPTION, encryption_facts),
    (PUBLIC, public_facts),
    (("tls_enforced.required",), tls_facts),
    (("versioning.enabled", "versioning.mfa_delete"), versioning_facts),
    (("immutability.enabled", "immutability.mode", "immutability.retention_days",
      "immutability.locked"), worm_facts),
    (("access_logging.enabled", "access_logging.target"), logging_facts),
)
OPAQUE_BUCKET = {
    "access_control.acls_disabled": "OSS has no switch that disables ACLs; see "
                                    "public_access_block for the public-ACL guard",
    "soft_delete.enabled": "OSS has no soft-delete feature (versioning is the recovery path)",
    "soft_delete.retention_days": "OSS has no soft-delete feature",
}


def residency_facts(raw: BucketRaw, locate: Locate) -> dict[str, Fact]:
    region = raw.region
    if not region.ok:
        return dict.fromkeys(RESIDENCY, region.failure())
    place = locate(PROVIDER, region.value)
    country, jurisdiction, multi = place
    spread = places(PROVIDER, region.value)
    if not getattr(place, "known", True) or spread.unknown:
        unknown = Fact.error(f"region {region.value!r} is not in the region table",
                             region.source)
        return {"data_residency.region": observed(region.value, region.source),
                "data_residency.country": unknown, "data_residency.jurisdiction": unknown,
                "data_residency.jurisdictions": unknown, "data_residency.multi_region": unknown}
    facts = {"data_residency.region": observed(region.value, region.source),
             "data_residency.country": observed(country, region.source),
             "data_residency.jurisdiction": observed(jurisdiction, region.source),
             "data_residency.jurisdictions": observed(spread.jurisdictions, region.source)}
    if raw.redundancy is None:
        facts["data_residency.multi_region"] = observed(bool(multi), region.source)
        return facts
    # LRS and ZRS both keep the data in the one region (ZRS: in several of its zones), so the
    # region's places stand; a type the table does not know could mean anything.
    stays = redundancy_stays(PROVIDER, raw.redundancy)
    facts["data_residency.multi_region"] = (
        observed(bool(multi), region.source, "oss:GetBucketInfo",
                 detail=f"DataRedundancyType {raw.redundancy}: {stays}") if stays else
        Fact.error(f"DataRedundancyType {raw.redundancy!r} is not in the region table",
                   region.source, "oss:GetBucketInfo"))
    return facts


def replication_facts(raw: BucketRaw, locate: Locate) -> dict[str, Fact]:
    ans = raw.answers["replication"]
    if not ans.ok:
        return dict.fromkeys(REPLICATION, ans.failure())
    destinations: list[dict[str, str | None]] = []
    jurisdictions: set[str] = set()
    for rule in ans.value:
        target = rule.get("bucket") or "?"
        if not rule.get("location"):
            return dict.fromkeys(REPLICATION, Fact.error(
                f"replication target {target} names no Destination.Location", ans.source))
        dest_region = oss_location(rule["location"])
        spread = places(PROVIDER, dest_region)
        if spread.unknown:  # never dropped: an unplaced replica could be anywhere
            return dict.fromkeys(REPLICATION, Fact.error(
                f"replication target {target}: location {dest_region!r} is not in the "
                "region table", ans.source))
        for place in sorted(spread.places):
            entry = {"target": target, "region": dest_region, "country": place.country,
                     "jurisdiction": place.jurisdiction}
            if entry not in destinations:
                destinations.append(entry)
            jurisdictions.add(place.jurisdiction)
    return {"data_residency.replication_destinations": observed(destinations, ans.source),
            "data_residency.replication_jurisdictions": observed(sorted(jurisdictions),
                                                                 ans.source)}


def bucket_resource(raw: BucketRaw, wanted: Wanted, locate: Locate) -> Resource:
    facts: dict[str, Fact] = {}
    for names, build in GROUPS:
        if any(wanted(n) for n in names):
            facts.update(build(raw))
    if any(wanted(n) for n in RESIDENCY):
        facts.update(residency_facts(raw, locate))
    if any(wanted(n) for n in REPLICATION):
        facts.update(replication_facts(raw, locate))
    for name, why in OPAQUE_BUCKET.items():
        facts[name] = Fact.opaque(why)
    region = raw.region.value if raw.region.ok else "unknown"
    return Resource(BUCKET, PROVIDER, raw.account, region, f"acs:oss:*:{raw.account}:{raw.name}",
                    raw.name, {k: v for k, v in facts.items() if wanted(k)})


def key_resource(meta: Outcome, policy: Outcome | None, region: str, account: str,
                 wanted: Wanted) -> Resource:
    """A kms.key resource from DescribeKey (``meta`` must have answered)."""
    key_id = str(meta.value.get("KeyId"))
    arn = meta.value.get("Arn") or f"acs:kms:{region}:{account}:key/{key_id}"
    owner = arn.split(":")[3] if arn.count(":") >= 4 and arn.split(":")[3] else account
    src = meta.source
    names = ("key.manager", "key.state", "key_custody.level", "key_custody.hsm",
             "key_rotation.enabled", "key_rotation.period_days", "key_rotation.supported")
    try:
        prof = _keys.profile(meta.value)
    except _keys.KeyMetadataError as exc:
        facts = dict.fromkeys(names, Fact.error(str(exc), src))
    else:
        facts = _keys.key_facts(prof, src)
        facts["key.state"] = (observed(prof.state, src) if prof.state is not None else
                              Fact.error(f"unrecognised KeyState {prof.raw_state!r}", src))
    if policy is None:
        facts["key_exposure.is_public"] = observed(
            False, src, derived=True,
            detail="no key policy: keys outside a KMS instance are governed only by RAM "
                   "policies of the owning account")
    elif not policy.ok:
        facts["key_exposure.is_public"] = policy.failure()
    else:
        try:
            verdict = key_policy_public(policy.value)
        except PolicyParseError as exc:
            facts["key_exposure.is_public"] = Fact.error(str(exc), *sources_of(meta, policy))
        else:
            facts["key_exposure.is_public"] = observed(verdict.public, *sources_of(meta, policy),
                                                   detail=verdict.detail, derived=True)
    key_region = arn.split(":")[2] if arn.count(":") >= 4 and arn.split(":")[2] else region
    return Resource(KEY, PROVIDER, owner, key_region, arn, key_id,
                    {k: v for k, v in facts.items() if wanted(k)})


def account_resource(account: str, block: Outcome, wanted: Wanted) -> Resource:
    """The account as a whole (region "global"): account-level Block Public Access."""
    facts = {"public_access_block.enabled": (observed(bool(block.value), block.source)
                                             if block.ok else block.failure())}
    return Resource(ACCOUNT, PROVIDER, account, "global", account, account,
                    {k: v for k, v in facts.items() if wanted(k)})


def block_storage_facts(status: Outcome, key: Outcome | None) -> dict[str, Fact]:
    """ECS default disk encryption of one region. ``key`` is None when it was not asked:
    not wanted, or implied by the status (off, or unread)."""
    if not status.ok:  # the key id is only meaningful once the status is known
        return dict.fromkeys(BLOCK_STORAGE, status.failure())
    facts = {"block_storage_encryption.enabled": observed(status.value, status.source)}
    if not status.value:
        facts["block_storage_encryption.key_id"] = observed(
            None, status.source, detail="default disk encryption is off in this region: "
                                        "no default key applies")
    elif key is not None and not key.ok:
        facts["block_storage_encryption.key_id"] = key.failure(status.source)
    elif key is not None:
        facts["block_storage_encryption.key_id"] = observed(
            key.value, status.source, key.source,
            detail=None if key.value else "KMSKeyId is empty: no customer key is set, so "
                                          "ECS encrypts new disks with its service key")
    return facts


def regional_account_resource(account: str, region: str, status: Outcome, key: Outcome | None,
                              wanted: Wanted) -> Resource:
    """The account in one region (id "<account>/<region>"), as AWS models EBS defaults."""
    rid = f"{account}/{region}"
    return Resource(ACCOUNT, PROVIDER, account, region, rid, f"{account} {region}",
                    {k: v for k, v in block_storage_facts(status, key).items() if wanted(k)})
