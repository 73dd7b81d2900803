"""Raw OSS/KMS answers -> normalized facts (no SDK imports; joins resolved here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from auditor.model import Fact
from auditor.providers._runtime import Outcome
from auditor.providers.alibaba import _keys

Locate = Callable[[str, str], tuple[str | None, str | None, bool]]
Wanted = Callable[[str], bool]
UNKNOWN_ACCOUNT = "unknown"  # the listing named no owner
PUBLIC_ACLS = frozenset({"public-read", "public-read-write"})
OSS_MANAGED = ("OSS-managed key (SSE-OSS): OSS does not disclose how it is held or rotated")


def region_id(value: str) -> str:
    """OSS location ``oss-cn-hangzhou`` or region id ``cn-hangzhou`` -> ``cn-hangzhou``."""
    value = value.strip()
    return value[4:] if value.startswith("oss-") else value


def oss_location(value: str) -> str:
    """Either form -> the OSS location ``oss-cn-hangzhou`` (the region table's code)."""
    return f"oss-{region_id(value)}"


# The shared outcome type under the name the Alibaba modules use.


@dataclass(slots=True)
class BucketRaw:
    name: str
    account: str
    region: Outcome  # value: OSS location (oss-cn-hangzhou)
    answers: dict[str, Outcome] = field(default_factory=dict)
    redundancy: str | None = None


def observed(value: Any, *source: str, detail: str | None = None,
         derived: bool = False) -> Fact:
    return Fact.observed(value, *source, basis="derived" if derived else None, detail=detail)


def sources_of(*answers: Outcome | None) -> tuple[str, ...]:
    out: list[str] = []
    for answer in answers:
        if answer is not None and answer.source not in out:
            out.append(answer.source)
    return tuple(out)


def _first_failure(*answers: Outcome | None) -> Outcome | None:
    return next((a for a in answers if a is not None and not a.ok), None)


# --- encryption, custody, rotation ---------------------------------------------------

def _key_facts_from(key: Outcome, enc: Outcome) -> dict[str, Fact]:
    """custody level, hsm and rotation of the bucket from its described KMS key."""
    names = ("key_custody.level", "key_custody.hsm", "key_rotation.enabled",
             "key_rotation.period_days", "key_rotation.supported")
    sources = sources_of(enc, key)
    if not key.ok:
        return dict.fromkeys(names, key.failure(enc.source))
    try:
        prof = _keys.profile(key.value)
    except _keys.KeyMetadataError as exc:
        return dict.fromkeys(names, Fact.error(str(exc), *sources))
    facts = _keys.key_facts(prof, *sources)
    return {name: facts[name] for name in names}


def encryption_facts(raw: BucketRaw) -> dict[str, Fact]:
    enc = raw.answers["encryption"]
    names = ("encryption.enabled", "encryption.algorithm", "encryption.key_id",
             "key_custody.level", "key_custody.hsm", "key_rotation.enabled",
             "key_rotation.period_days", "key_rotation.supported")
    if not enc.ok:
        return dict.fromkeys(names, enc.failure())
    rule = enc.value
    if rule is None:  # SSEAlgorithm None / NoSuchServerSideEncryptionRule
        return {"encryption.enabled": observed(False, enc.source),
                "encryption.algorithm": observed(None, enc.source),
                "encryption.key_id": observed(None, enc.source),
                "key_custody.level": observed("none", enc.source),
                "key_custody.hsm": observed(False, enc.source)}
    algorithm = rule["algorithm"]
    facts = {"encryption.enabled": observed(True, enc.source),
             "encryption.key_id": observed(rule.get("key_id"), enc.source)}
    if algorithm in ("AES256", "SM4"):
        facts["encryption.algorithm"] = observed(algorithm, enc.source)
        facts["key_custody.level"] = observed("provider", enc.source)
        for name in ("key_custody.hsm", "key_rotation.enabled", "key_rotation.period_days",
                     "key_rotation.supported"):
            facts[name] = Fact.opaque(OSS_MANAGED, enc.source)
        return facts
    if algorithm != "KMS":
        return dict.fromkeys(names, Fact.error(f"unrecognised SSEAlgorithm {algorithm!r}",
                                               enc.source))
    data = rule.get("data_encryption")
    facts["encryption.algorithm"] = observed("SM4" if data == "SM4" else "KMS", enc.source,
                                         detail="KMS with KMSDataEncryption SM4"
                                         if data == "SM4" else None)
    key = raw.answers["key"]
    facts.update(_key_facts_from(key, enc))
    if rule.get("key_id") is None:
        # No KMSMasterKeyID: OSS uses its service key (alias/acs/oss); the level needs no
        # key read, its HSM use and rotation do.
        facts["key_custody.level"] = observed(
            "provider_kms", *(sources_of(enc, key) if key.ok else (enc.source,)),
            detail="KMS without KMSMasterKeyID: the OSS service key alias/acs/oss")
    return facts


# --- versioning, WORM, logging (public access and TLS: _derived) ------------------

def versioning_facts(raw: BucketRaw) -> dict[str, Fact]:
    ans = raw.answers.get("versioning")
    facts = {"versioning.mfa_delete": Fact.opaque(
        "OSS has no MFA delete for versioned buckets")}
    if ans is None:
        return facts
    if not ans.ok:
        facts["versioning.enabled"] = ans.failure()
        return facts
    detail = {None: "versioning was never enabled",
              "Suspended": "versioning is Suspended"}.get(ans.value)
    facts["versioning.enabled"] = observed(ans.value == "Enabled", ans.source, detail=detail)
    return facts


IMMUTABILITY = ("immutability.enabled", "immutability.mode", "immutability.retention_days",
                "immutability.locked")
OBJECT_WORM_MODES = ("COMPLIANCE", "GOVERNANCE")


def _immutable(enabled: bool, mode: str | None, days: Any, locked: bool,
               *sources: str, detail: str | None = None) -> dict[str, Fact]:
    return {"immutability.enabled": observed(enabled, *sources, detail=detail),
            "immutability.mode": observed(mode, *sources, detail=detail),
            "immutability.retention_days": observed(days, *sources, detail=detail),
            "immutability.locked": observed(locked, *sources, detail=detail)}


def _bucket_worm(ans: Outcome) -> dict[str, Fact] | None:
    """Facts of an active bucket-level retention policy (GetBucketWorm); None when none."""
    worm = ans.value
    if worm is None:
        return None
    if worm["state"] not in ("Locked", "InProgress"):
        return dict.fromkeys(IMMUTABILITY, Fact.error(
            f"unrecognised WORM State {worm['state']!r}", ans.source))
    return _immutable(True, "worm", worm["days"], worm["state"] == "Locked", ans.source,
                      detail=f"WORM State {worm['state']}")


def _object_worm(ans: Outcome) -> dict[str, Fact] | None:
    """Facts of object-level retention (GetBucketObjectWormConfiguration) with a default
    retention; None when ObjectWorm is off or sets no default."""
    config = ans.value
    if config is None or config["mode"] is None:
        return None
    mode = config["mode"]
    if config["enabled"] != "Enabled" or mode not in OBJECT_WORM_MODES:
        return dict.fromkeys(IMMUTABILITY, Fact.error(
            f"unrecognised ObjectWorm configuration (ObjectWormEnabled "
            f"{config['enabled']!r}, Mode {mode!r})", ans.source))
    days = config["years"] * 365 if config["years"] else config["days"]
    if not days:
        return dict.fromkeys(IMMUTABILITY, Fact.error(
            "ObjectWorm DefaultRetention has neither Days nor Years", ans.source))
    # COMPLIANCE: no user can shorten or remove the retention of an object; GOVERNANCE
    # retention can be changed by users granted the permission to bypass it.
    return _immutable(True, mode.lower(), days, mode == "COMPLIANCE", ans.source,
                      detail=f"object-level retention, default {mode} for {days} days")


def worm_facts(raw: BucketRaw) -> dict[str, Fact]:
    """Immutability from the bucket WORM policy or object-level retention (ObjectWorm); OSS
    allows only one of the two on a bucket."""
    bucket, objects = raw.answers["worm"], raw.answers.get("object_worm")
    answers = [a for a in (bucket, objects) if a is not None]
    found = [facts for facts in ((_bucket_worm(bucket) if bucket.ok else None),
                                 (_object_worm(objects) if objects is not None and objects.ok
                                  else None)) if facts is not None]
    if found:
        return found[0]  # a retention that is on does not depend on the other read
    failed = _first_failure(*answers)
    if failed is not None:
        others = [src for src in sources_of(*answers) if src != failed.source]
        return dict.fromkeys(IMMUTABILITY, failed.failure(*others))
    notes = ["no retention policy (NoSuchWORMConfiguration)"]
    if objects is not None and objects.value is not None:
        notes.append("ObjectWorm is on, so each object may carry its own retention, but it "
                     "sets no default retention")
        mode: str | None = "object_worm"
    else:
        notes.append("no object-level retention (ObjectWorm not enabled)")
        mode = None
    return _immutable(False, mode, None, False, *sources_of(*answers), detail="; ".join(notes))


def logging_facts(raw: BucketRaw) -> dict[str, Fact]:
    ans = raw.answers["logging"]
    if not ans.ok:
        return dict.fromkeys(("access_logging.enabled", "access_logging.target"), ans.failure())
    target = None
    if ans.value is not None:
        target = ans.value["bucket"] + (f"/{ans.value['prefix']}" if ans.value["prefix"] else "")
    return {"access_logging.enabled": observed(ans.value is not None, ans.source),
            "access_logging.target": observed(target, ans.source)}
