"""Bucket facts from versioning, Object Lock, logging, location and replication answers."""

from __future__ import annotations

from typing import Any

from auditor.model import Fact
from auditor.providers._runtime import Outcome
from auditor.providers.aws._normalize import failed
from auditor.providers.aws._s3 import BucketRaw
from auditor.regions import locate, places

_LOCK_PATHS = ("immutability.enabled", "immutability.mode", "immutability.retention_days",
               "immutability.locked")
_REPLICATION_PATHS = ("data_residency.replication_destinations",
                      "data_residency.replication_jurisdictions")


def _versioning(answer: Outcome, out: dict[str, Fact]) -> None:
    if not answer.ok:
        out["versioning.enabled"] = out["versioning.mfa_delete"] = failed(answer)
        return
    data = answer.value or {}
    status = data.get("Status")
    out["versioning.enabled"] = Fact.observed(
        status == "Enabled", answer.source,
        detail=None if status else "versioning was never enabled")
    # MFADelete is only in the answer once it has been configured.
    out["versioning.mfa_delete"] = Fact.observed(data.get("MFADelete") == "Enabled",
                                                 answer.source)


def _object_lock(raw: BucketRaw, out: dict[str, Fact]) -> None:
    if "object_lock" in raw.skipped:
        source, why = ("s3:GetBucketVersioning",), raw.skipped["object_lock"]
        config: dict[str, Any] = {}
    else:
        answer = raw.answers["object_lock"]
        if not answer.ok:
            for path in _LOCK_PATHS:
                out[path] = failed(answer)
            return
        source = (answer.source,)
        why = f"no Object Lock configuration ({answer.code})" if answer.absent else None
        config = (answer.value or {}).get("ObjectLockConfiguration") or {}
    retention = (config.get("Rule") or {}).get("DefaultRetention") or {}
    mode = retention.get("Mode")
    if config.get("ObjectLockEnabled") == "Enabled" and mode:
        # Days and Years are exclusive on AWS; a stand-in may send Days=0 beside Years.
        years = retention.get("Years")
        days = int(years) * 365 if years else retention.get("Days")
        out["immutability.enabled"] = Fact.observed(True, *source)
        out["immutability.mode"] = Fact.observed(str(mode).lower(), *source)
        out["immutability.retention_days"] = Fact.observed(days, *source)
        # COMPLIANCE retention cannot be shortened or removed by anyone; GOVERNANCE can be
        # bypassed with s3:BypassGovernanceRetention.
        out["immutability.locked"] = Fact.observed(mode == "COMPLIANCE", *source,
                                                   detail=f"{mode} mode")
        return
    if why is None:
        why = "Object Lock is on but sets no default retention" \
            if config.get("ObjectLockEnabled") == "Enabled" else "Object Lock is off"
    out["immutability.enabled"] = Fact.observed(False, *source, detail=why)
    out["immutability.mode"] = Fact.observed(None, *source, detail=why)
    out["immutability.retention_days"] = Fact.observed(None, *source, detail=why)
    out["immutability.locked"] = Fact.observed(False, *source, detail=why)


def _logging(answer: Outcome, out: dict[str, Fact]) -> None:
    if not answer.ok:
        out["access_logging.enabled"] = out["access_logging.target"] = failed(answer)
        return
    enabled = (answer.value or {}).get("LoggingEnabled") or {}
    target = enabled.get("TargetBucket")
    out["access_logging.enabled"] = Fact.observed(bool(target), answer.source)
    out["access_logging.target"] = Fact.observed(
        f"s3://{target}/{enabled.get('TargetPrefix') or ''}" if target else None,
        answer.source)


def _residency(raw: BucketRaw, out: dict[str, Fact]) -> None:
    answer = raw.location
    if answer is None:
        return
    paths = ("data_residency.region", "data_residency.country", "data_residency.jurisdiction",
             "data_residency.jurisdictions", "data_residency.multi_region")
    if not answer.ok or raw.region is None:
        for path in paths:
            out[path] = failed(answer) if not answer.ok else Fact.error("no region in answer")
        return
    op = answer.source
    out["data_residency.region"] = Fact.observed(raw.region, op)
    where, spread = locate("aws", raw.region), places("aws", raw.region)
    if not where.known or spread.unknown:
        bad = Fact.error(f"region {raw.region!r} is not in the region table", op)
        for path in paths[1:]:
            out[path] = bad
        return
    out["data_residency.country"] = Fact.observed(where.country, op)
    out["data_residency.jurisdiction"] = Fact.observed(where.jurisdiction, op)
    out["data_residency.jurisdictions"] = Fact.observed(spread.jurisdictions, op)
    out["data_residency.multi_region"] = Fact.observed(where.multi_region, op)


def destinations(raw: BucketRaw) -> dict[str, str]:
    """Destination bucket name -> ARN, for the enabled replication rules."""
    answer = raw.answers.get("replication")
    if answer is None or not answer.ok or answer.absent:
        return {}
    rules = ((answer.value or {}).get("ReplicationConfiguration") or {}).get("Rules", [])
    names: dict[str, str] = {}
    for rule in rules:
        if rule.get("Status", "Enabled") != "Enabled":
            continue
        target = str((rule.get("Destination") or {}).get("Bucket") or "")
        if target:
            names.setdefault(target.split(":::", 1)[-1], target)
    return names


def _replication(raw: BucketRaw, regions: dict[str, Outcome | str], out: dict[str, Fact]) -> None:
    if "replication" in raw.skipped:
        why = raw.skipped["replication"]
        for path in _REPLICATION_PATHS:
            out[path] = Fact.observed([], "s3:GetBucketVersioning", detail=why)
        return
    answer = raw.answers["replication"]
    if not answer.ok:
        for path in _REPLICATION_PATHS:
            out[path] = failed(answer)
        return
    op = answer.source
    why = f"no replication ({answer.code})" if answer.absent else None
    targets: list[dict[str, Any]] = []
    jurisdictions: set[str] = set()
    for name, arn in destinations(raw).items():
        region = regions.get(name)
        if not isinstance(region, str):
            lookup = region if isinstance(region, Outcome) and not region.ok else None
            bad = Fact.from_call_error(lookup.error, op) if lookup and lookup.error else \
                Fact.error(f"region of destination {name} unknown", op)
            for path in _REPLICATION_PATHS:
                out[path] = Fact(bad.state, None, bad.source,
                                 f"destination {name}: {bad.detail}")
            return
        spread = places("aws", region)
        if spread.unknown:  # never dropped: an unplaced replica could be anywhere
            bad = Fact.error(f"destination {name}: region {region!r} is not in the region "
                             "table", op)
            out.update(dict.fromkeys(_REPLICATION_PATHS, bad))
            return
        for place in sorted(spread.places):
            targets.append({"target": arn, "region": region,
                            "country": place.country, "jurisdiction": place.jurisdiction})
            jurisdictions.add(place.jurisdiction)
    out["data_residency.replication_destinations"] = Fact.observed(targets, op, detail=why)
    out["data_residency.replication_jurisdictions"] = Fact.observed(
        sorted(jurisdictions), op, detail=why)


def state_facts(raw: BucketRaw, regions: dict[str, Outcome | str], out: dict[str, Fact]) -> None:
    if "versioning" in raw.answers:
        _versioning(raw.answers["versioning"], out)
    if "object_lock" in raw.answers or "object_lock" in raw.skipped:
        _object_lock(raw, out)
    if "logging" in raw.answers:
        _logging(raw.answers["logging"], out)
    _residency(raw, out)
    if "replication" in raw.answers or "replication" in raw.skipped:
        _replication(raw, regions, out)
