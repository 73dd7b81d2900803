"""Normalize Cloud Storage / Cloud KMS answers into facts (no SDK here, no calls).

Joins happen here: a bucket's key custody and rotation come from the CryptoKey it names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from auditor.errors import CallError, NotFound
from auditor.model import Fact
from auditor.providers._runtime import Outcome, OutcomeState, exposure_of, placeholder_facts
from auditor.providers.gcp._kms import OP_VERSIONS, KeyInfo, VersionInfo
from auditor.providers.gcp._public import access_block_facts, exposure_facts, org_fact
from auditor.providers.gcp._storage import OP_LIST, BucketInfo
from auditor.regions import canonical, combine, locate, parts, places, places_of

Wants = Callable[[str], bool]
BUCKET_KIND = "storage.bucket"

DAY = 86400
EXTERNAL_LEVELS = frozenset({"EXTERNAL", "EXTERNAL_VPC"})
HSM_LEVELS = frozenset({"HSM", "HSM_SINGLE_TENANT"})
# Only these protection levels say who holds the key; anything else (absent, UNSPECIFIED,
# a value newer than this code) must not be read as an ordinary Cloud KMS key.
KNOWN_LEVELS = frozenset({"SOFTWARE"}) | HSM_LEVELS | EXTERNAL_LEVELS
CUSTODY_PATHS = ("key_custody.level", "key_custody.hsm")
ROTATION_PATHS = ("key_rotation.enabled", "key_rotation.period_days", "key_rotation.supported")
KEY_JOIN_PATHS = CUSTODY_PATHS + ROTATION_PATHS  # what a bucket takes from its key
STATES = {
    "ENABLED": "enabled", "DISABLED": "disabled", "DESTROYED": "destroyed",
    "DESTROY_SCHEDULED": "pending_deletion", "PENDING_EXTERNAL_DESTRUCTION": "pending_deletion",
    "EXTERNAL_DESTRUCTION_FAILED": "destroyed", "PENDING_IMPORT": "pending_import",
    "PENDING_GENERATION": "unavailable", "IMPORT_FAILED": "unavailable",
    "GENERATION_FAILED": "unavailable",
}

GOOGLE_KEY_ROTATION = ("Google-managed default encryption key: Google rotates it on its own "
                       "schedule and no API shows the key or its rotation")
NO_TLS_CONTROL = ("Cloud Storage has no setting that refuses plain-HTTP requests to a bucket, "
                  "so there is nothing to read")
NO_MFA_DELETE = "Cloud Storage has no MFA-delete control"
GOOGLE_KEY_HSM = ("Google-managed default encryption key: how Google holds it (HSM or not) is "
                  "not exposed to customers")
DISK_ENCRYPTION = ("Compute Engine encrypts every persistent disk and has no project-level "
                   "default disk key to read: each disk names its own (storage.volume)")


def _days(seconds: float | None) -> float | int | None:
    if seconds is None:
        return None
    days = seconds / DAY
    return int(days) if float(days).is_integer() else round(days, 4)


def _failed(outcome: CallError, *extra: str) -> Fact:
    return Fact.from_call_error(outcome, *extra)


# --- keys ---------------------------------------------------------------------------


def _imported(key: KeyInfo, versions: Outcome, source: tuple[str, ...]) -> bool | Fact:
    """Whether the key material was imported, or the fact that says why it is not known."""
    if key.import_only:
        return True
    if key.primary is not None:
        return bool(key.primary.import_job)
    # No primary version: only the versions can tell, so their failure is the answer.
    if versions.error is not None:
        failed = _failed(versions.error, *source)
        return replace(failed, detail="the key has no primary version and its versions could "
                       f"not be read: {failed.detail}")
    if versions.state is OutcomeState.NOT_READ:
        return Fact.error("the key has no primary version and its versions were not read",
                          *source)
    return any(v.import_job for v in versions.value)


def custody(key: KeyInfo, versions: Outcome, *source: str) -> dict[str, Fact]:
    """key_custody.level and key_custody.hsm of a Cloud KMS key (observed, or why not)."""
    protection = key.protection_level
    if protection not in KNOWN_LEVELS:
        shown = repr(protection) if protection else "(the answer gives none)"
        unknown = Fact.error(f"unrecognised protection level {shown}: custody of the key "
                             "cannot be told from it", *source)
        return dict.fromkeys(CUSTODY_PATHS, unknown)
    if protection in EXTERNAL_LEVELS:
        level = "external"
    else:
        imported = _imported(key, versions, source)
        if isinstance(imported, Fact):
            return dict.fromkeys(CUSTODY_PATHS, imported)
        if key.primary is None and not key.import_only:
            source = (*source, OP_VERSIONS)  # the versions told whether it was imported
        level = "customer_imported" if imported else "customer_kms"
    return {"key_custody.level": Fact.observed(level, *source,
                                               detail=f"protectionLevel {protection}"),
            "key_custody.hsm": Fact.observed(protection in HSM_LEVELS, *source)}


def _state(versions: tuple[VersionInfo, ...]) -> str:
    states = [STATES.get(v.state, "unavailable") for v in versions]
    for wanted in ("enabled", "pending_import", "disabled", "pending_deletion"):
        if wanted in states:
            return wanted
    return "destroyed" if states else "unavailable"


def key_state(key: KeyInfo, versions: Outcome) -> Fact:
    if key.primary is not None:
        return Fact.observed(STATES.get(key.primary.state, "unavailable"), key.source)
    if versions.error is not None:
        return _failed(versions.error, key.source)
    if versions.state is OutcomeState.NOT_READ:
        return Fact.error("the key has no primary version and its versions were not read",
                          key.source)
    return Fact.observed(_state(versions.value), key.source, "cloudkms:cryptoKeyVersions.list")


def rotation_supported(key: KeyInfo, *source: str) -> Fact:
    """Whether Cloud KMS can rotate the key automatically (CryptoKey.rotationPeriod).

    The CryptoKey reference allows a rotation schedule on ENCRYPT_DECRYPT keys only (the
    key rotation guide: never asymmetric keys). Cloud EKM: automatic rotation exists only
    for keys whose EkmConnection has keyManagementMode CLOUD_KMS, a VPC-only mode, so never
    for EXTERNAL keys; an EXTERNAL_VPC key's mode is on its EkmConnection, which is not read.
    The guides name no restriction for imported key material, so it is not one here.
    """
    purpose, level = key.purpose, key.protection_level
    if purpose in ("", "CRYPTO_KEY_PURPOSE_UNSPECIFIED"):
        return Fact.error("the key's purpose is not given: whether it can rotate "
                          "automatically cannot be told", *source)
    if purpose != "ENCRYPT_DECRYPT":
        return Fact.observed(False, *source, detail=f"purpose {purpose}: Cloud KMS rotates "
                             "only ENCRYPT_DECRYPT keys automatically")
    if level not in KNOWN_LEVELS:
        shown = repr(level) if level else "(the answer gives none)"
        return Fact.error(f"unrecognised protection level {shown}: whether the key can "
                          "rotate automatically cannot be told from it", *source)
    if level == "EXTERNAL":
        return Fact.observed(False, *source, detail="protectionLevel EXTERNAL: Cloud EKM over "
                             "the internet has manually managed keys only, which Cloud KMS "
                             "does not rotate")
    if level == "EXTERNAL_VPC":
        if key.rotation_seconds:  # a schedule is accepted only under CLOUD_KMS management
            return Fact.observed(True, *source, detail="protectionLevel EXTERNAL_VPC with a "
                                 "rotation schedule: its EKM connection manages keys from "
                                 "Cloud KMS")
        return Fact.opaque(f"protectionLevel EXTERNAL_VPC: automatic rotation depends on the "
                           f"key management mode (MANUAL or CLOUD_KMS) of EKM connection "
                           f"{key.backend or '(not named)'}, which this scan does not read",
                           *source)
    return Fact.observed(True, *source, detail=f"ENCRYPT_DECRYPT, protectionLevel {level}")


def _rotation(key: KeyInfo, *source: str) -> dict[str, Fact]:
    enabled = key.rotation_seconds is not None and key.rotation_seconds > 0
    return {"key_rotation.enabled": Fact.observed(enabled, *source),
            "key_rotation.period_days": Fact.observed(
                _days(key.rotation_seconds) if enabled else None, *source),
            "key_rotation.supported": rotation_supported(key, *source)}


def _public(members: Outcome, source: str, basis: str = "derived") -> Fact:
    def observe(found: list[str]) -> Fact:
        detail = f"public members: {', '.join(found)}" if found else None
        return Fact.observed(bool(found), source, basis=basis, detail=detail)

    return members.fact(observe)


def key_facts(name: str, key: Outcome, versions: Outcome, members: Outcome,
              named_by: list[str], wants: Wants) -> dict[str, Fact]:
    facts: dict[str, Fact] = {}
    if not key.ok:
        failed = key.failure()
        for path in ("key.manager", *KEY_JOIN_PATHS, "key_exposure.is_public"):
            facts[path] = failed
        if isinstance(key.error, NotFound):
            users = f"; named by bucket(s) {', '.join(named_by)}" if named_by else ""
            facts["key.state"] = Fact.observed("missing", key.error.operation,
                                               detail=f"{failed.detail}{users}")
        else:
            facts["key.state"] = failed
    else:
        key_info: KeyInfo = key.value
        source = key_info.source
        facts = {
            # Cloud KMS holds only customer-managed keys; Google's default keys are not in it.
            "key.manager": Fact.observed("customer", source),
            "key.state": key_state(key_info, versions),
            **custody(key_info, versions, source),
            **_rotation(key_info, source),
            "key_exposure.is_public": (_public(members, "cloudkms:cryptoKeys.getIamPolicy")
                                       if members.state is not OutcomeState.NOT_READ
                                       else Fact.error("the key IAM policy was not read",
                                                       source)),
        }
    return {path: fact for path, fact in facts.items() if wants(path)}


# --- buckets ------------------------------------------------------------------------


def _key_custody(info: BucketInfo, key: Outcome, versions: Outcome) -> dict[str, Fact]:
    if info.kms_key is None:
        return {"key_custody.level": Fact.observed("provider", OP_LIST,
                                                   detail="Google-managed default encryption"),
                "key_custody.hsm": Fact.opaque(GOOGLE_KEY_HSM, OP_LIST),
                **dict.fromkeys(ROTATION_PATHS, Fact.opaque(GOOGLE_KEY_ROTATION, OP_LIST))}
    if not key.ok:
        error = key.error
        if isinstance(error, NotFound):
            failed = Fact.error(f"the bucket names key {info.kms_key}, which no longer exists "
                                f"({error.code}: {error.message})", OP_LIST, error.operation)
        else:
            failed = key.failure(OP_LIST)
        return dict.fromkeys(KEY_JOIN_PATHS, failed)
    found: KeyInfo = key.value
    return {**custody(found, versions, OP_LIST, found.source),
            **_rotation(found, OP_LIST, found.source)}


def _immutability(info: BucketInfo) -> dict[str, Fact]:
    # As for S3 Object Lock without a default retention: per-object retention being possible
    # does not make the bucket immutable; only a bucket default retention does.
    if info.retention_seconds is not None:
        enabled, mode = True, "retention_policy"
        days, locked = _days(info.retention_seconds), info.retention_locked
        detail = "bucket retention policy" + (", locked" if locked else ", not locked")
    elif info.object_retention:
        enabled, mode, days, locked = False, "object_retention", None, False
        detail = ("object retention is on, so each object may carry its own retention, but "
                  "there is no bucket retention policy: no default retention applies")
    else:
        enabled, mode, days, locked, detail = False, None, None, False, None
    if info.event_based_hold:
        detail = (detail + "; " if detail else "") + "default event-based hold is on"
    return {"immutability.enabled": Fact.observed(enabled, OP_LIST, detail=detail),
            "immutability.mode": Fact.observed(mode, OP_LIST, detail=detail),
            "immutability.retention_days": Fact.observed(days, OP_LIST),
            "immutability.locked": Fact.observed(locked, OP_LIST)}


def _destinations(codes: list[str]) -> list[dict[str, Any]]:
    """One entry per member region and place it may hold the data in."""
    out = []
    for code in codes:
        for place in sorted(places("gcp", code).places):
            out.append({"target": code, "region": canonical("gcp", code) or code,
                        "country": place.country, "jurisdiction": place.jurisdiction})
    return out


def _residency(info: BucketInfo) -> dict[str, Fact]:
    region = canonical("gcp", info.location) or info.location
    custom = list(info.data_locations)
    loc = combine(locate("gcp", p) for p in custom) if custom else locate("gcp", info.location)
    multi = (info.location_type in ("dual-region", "multi-region") if info.location_type
             else loc.multi_region)
    # Where the data may be: a configurable dual-region's two dataLocations, a predefined
    # dual-region's or a multi-region's member regions, or the one location itself.
    members = custom or list(parts("gcp", info.location)) or [info.location]
    spread = places_of("gcp", members) if custom else places("gcp", info.location)
    detail = (f"locationType {info.location_type}"
              + (f", dataLocations {', '.join(custom)}" if custom else "")
              + (f", rpo {info.rpo}" if info.rpo else ""))
    facts = {"data_residency.region": Fact.observed(region, OP_LIST),
             "data_residency.multi_region": Fact.observed(multi, OP_LIST, detail=detail)}
    if spread.unknown:
        # Never dropped: an unplaced location could be anywhere.
        unknown = Fact.error(f"location {', '.join(spread.unknown)} is not in the region table"
                             + (f" (bucket location {info.location}, dataLocations "
                                f"{', '.join(custom)})" if custom else ""), OP_LIST)
        for path in ("country", "jurisdiction", "jurisdictions", "replication_destinations",
                     "replication_jurisdictions"):
            facts[f"data_residency.{path}"] = unknown
        return facts
    facts["data_residency.country"] = Fact.observed(loc.country, OP_LIST)
    facts["data_residency.jurisdiction"] = Fact.observed(loc.jurisdiction, OP_LIST)
    # Every place the bucket's own data may be in: a dual- or multi-region spanning several
    # jurisdictions has no single jurisdiction, yet each of its places can still be judged.
    facts["data_residency.jurisdictions"] = Fact.observed(spread.jurisdictions, OP_LIST)
    # A single region keeps its zone copies in its own place: no replica elsewhere.
    facts["data_residency.replication_destinations"] = Fact.observed(
        _destinations(members) if multi else [], OP_LIST)
    facts["data_residency.replication_jurisdictions"] = Fact.observed(
        spread.jurisdictions if multi else [], OP_LIST, detail=detail if multi else None)
    return facts


def bucket_facts(info: BucketInfo, key: Outcome, versions: Outcome, iam: Outcome,
                 acls: tuple[Outcome, Outcome] | None, org: Outcome,
                 wants: Wants) -> dict[str, Fact]:
    """Every fact of one bucket; ``org`` is its project's organization policy outcome."""
    if info.malformed is not None:
        return {path: fact for path, fact in malformed_bucket_facts(info.malformed).items()
                if wants(path)}
    soft = info.soft_delete_seconds
    facts: dict[str, Fact] = {
        # Cloud Storage encrypts every object at rest (AES-256); the bucket only picks the key.
        "encryption.enabled": Fact.observed(True, OP_LIST),
        "encryption.algorithm": Fact.observed("KMS" if info.kms_key else "AES256", OP_LIST),
        "encryption.key_id": Fact.observed(info.kms_key, OP_LIST),
        **access_block_facts(info, org),
        "access_control.acls_disabled": Fact.observed(info.uniform_access, OP_LIST),
        "tls_enforced.required": Fact.opaque(NO_TLS_CONTROL),
        "versioning.enabled": Fact.observed(info.versioning, OP_LIST),
        "versioning.mfa_delete": Fact.opaque(NO_MFA_DELETE),
        "access_logging.enabled": Fact.observed(info.log_bucket is not None, OP_LIST),
        "access_logging.target": Fact.observed(
            f"gs://{info.log_bucket}/{info.log_prefix or ''}" if info.log_bucket else None,
            OP_LIST),
        "soft_delete.enabled": (Fact.observed(bool(soft), OP_LIST) if soft is not None else
                                Fact.error("softDeletePolicy is absent from the bucket", OP_LIST)),
        "soft_delete.retention_days": (Fact.observed(_days(soft) if soft else None, OP_LIST)
                                       if soft is not None else Fact.error(
                                           "softDeletePolicy is absent from the bucket", OP_LIST)),
        **_immutability(info),
        **_residency(info),
    }
    if any(wants(p) for p in KEY_JOIN_PATHS):
        facts.update(_key_custody(info, key, versions))
    if wants("public_exposure.is_public") or wants("public_exposure.reasons"):
        facts.update(exposure_facts(info, org, iam, acls))
    return {path: fact for path, fact in facts.items() if wants(path)}


def malformed_bucket_facts(error: CallError) -> dict[str, Fact]:
    """A listed bucket whose resource is not the documented one: every fact read from it is
    error (never a default read into a missing field); what no API shows stays opaque; the
    core's derived facts are left to the core."""
    return placeholder_facts(BUCKET_KIND, error, exposure_of(Path(__file__).resolve().parent),
                             lambda _: True)


def account_facts(org: Outcome, wants: Wants) -> dict[str, Fact]:
    facts = {"public_access_block.enabled": org_fact(org),
             "block_storage_encryption.enabled": Fact.opaque(DISK_ENCRYPTION),
             "block_storage_encryption.key_id": Fact.opaque(DISK_ENCRYPTION)}
    return {path: fact for path, fact in facts.items() if wants(path)}

