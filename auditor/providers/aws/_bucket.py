"""Normalize one bucket's answers into storage.bucket facts (joins with its key resolved here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditor.model import Fact
from auditor.providers._runtime import Outcome
from auditor.providers.aws import _bucket_state, _exposure
from auditor.providers.aws._kms import AWS_MANAGED_S3, KeyInfo, key_region
from auditor.providers.aws._normalize import (
    enforced_ownership,
    failed,
    key_custody,
    key_rotation,
    key_rotation_supported,
    pab_fact,
)
from auditor.providers.aws._s3 import BucketRaw

ALGORITHMS = {"AES256": "AES256", "aws:kms": "KMS", "aws:kms:dsse": "DSSE"}
_SSE_S3_HSM = "SSE-S3: S3 holds the key; no API reveals how it is stored"
_SSE_S3_ROTATION = "SSE-S3: S3 holds and rotates the key; no API reveals its rotation"
_SOFT_DELETE = ("S3 has no soft-delete feature; versioning with lifecycle rules is the "
                "nearest equivalent")


@dataclass(slots=True)
class BucketContext:
    account_pab: Outcome | None
    keys: dict[tuple[str, str], KeyInfo]  # (region, reference) -> key
    destinations: dict[str, Outcome | str]  # destination bucket -> region or failed lookup


def encryption_rule(answer: Outcome) -> dict[str, Any]:
    rules = ((answer.value or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules", [])
    return next((r for r in rules if r.get("ApplyServerSideEncryptionByDefault")),
                rules[0] if rules else {})


def _key_ref(raw: BucketRaw) -> str | None:
    """The KMS key reference in the bucket's default encryption, if it uses KMS."""
    answer = raw.answers.get("encryption")
    if answer is None or not answer.ok or answer.absent:
        return None
    default = encryption_rule(answer).get("ApplyServerSideEncryptionByDefault") or {}
    if ALGORITHMS.get(default.get("SSEAlgorithm")) not in ("KMS", "DSSE"):
        return None
    return default.get("KMSMasterKeyID") or AWS_MANAGED_S3


def key_reference(raw: BucketRaw) -> tuple[str, str] | None:
    """(region, key reference) of the KMS key protecting the bucket, if it names one.

    None also when the key is named by a bare key id or alias and the bucket's region is
    unknown: such a reference resolves in the bucket's region, and describing it anywhere
    else could describe a different key.
    """
    ref = _key_ref(raw)
    region = key_region(ref, raw.region) if ref else None
    return (region, ref) if ref and region else None


def _unknown_region(raw: BucketRaw, op: str) -> Fact:
    """Why the key cannot be resolved: the bucket's location call failed."""
    location = raw.location
    if location is not None and location.error is not None:
        fact = failed(location, op)
        return Fact(fact.state, None, fact.source,
                    f"the bucket's region is unknown, so its key {_key_ref(raw)} cannot be "
                    f"resolved: {fact.detail}")
    return Fact.error(f"the bucket's region is unknown, so its key {_key_ref(raw)} cannot be "
                      "resolved", op)


def _encryption(raw: BucketRaw, ctx: BucketContext, out: dict[str, Fact]) -> None:
    answer = raw.answers["encryption"]
    if not answer.ok:
        for path in ("encryption.enabled", "encryption.algorithm", "encryption.key_id",
                     "key_custody.level", "key_custody.hsm", "key_rotation.enabled",
                     "key_rotation.period_days", "key_rotation.supported"):
            out[path] = failed(answer)
        return
    op = answer.source
    if answer.absent:
        why = f"no default encryption ({answer.code})"
        out["encryption.enabled"] = Fact.observed(False, op, detail=why)
        out["encryption.algorithm"] = Fact.observed(None, op, detail=why)
        out["encryption.key_id"] = Fact.observed(None, op, detail=why)
        out["key_custody.level"] = Fact.observed("none", op, detail=why)
        out["key_custody.hsm"] = Fact.observed(False, op, detail=why)
        return  # key_rotation.* does not apply
    rule = encryption_rule(answer)
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    algorithm = ALGORITHMS.get(default.get("SSEAlgorithm"))
    if algorithm is None:
        bad = Fact.error(f"unknown SSEAlgorithm {default.get('SSEAlgorithm')!r}", op)
        for path in ("encryption.enabled", "encryption.algorithm", "encryption.key_id",
                     "key_custody.level", "key_custody.hsm", "key_rotation.enabled",
                     "key_rotation.period_days", "key_rotation.supported"):
            out[path] = bad
        return
    notes = [f"BucketKeyEnabled={str(bool(rule.get('BucketKeyEnabled'))).lower()}"]
    blocked = (rule.get("BlockedEncryptionTypes") or {}).get("EncryptionType")
    if blocked:
        notes.append("BlockedEncryptionTypes=" + ",".join(blocked))
    out["encryption.enabled"] = Fact.observed(True, op)
    out["encryption.algorithm"] = Fact.observed(algorithm, op, detail="; ".join(notes))
    key_id = default.get("KMSMasterKeyID")
    out["encryption.key_id"] = Fact.observed(
        key_id, op, detail=None if key_id or algorithm == "AES256"
        else f"no KMSMasterKeyID: the AWS managed key {AWS_MANAGED_S3}")
    if algorithm == "AES256":
        out["key_custody.level"] = Fact.observed("provider", op, detail="SSE-S3")
        out["key_custody.hsm"] = Fact.opaque(_SSE_S3_HSM, op)
        out["key_rotation.enabled"] = Fact.opaque(_SSE_S3_ROTATION, op)
        out["key_rotation.period_days"] = Fact.opaque(_SSE_S3_ROTATION, op)
        out["key_rotation.supported"] = Fact.opaque(_SSE_S3_ROTATION, op)
        return
    ref = key_reference(raw)
    info = ctx.keys.get(ref) if ref else None
    if ref is None:
        level = hsm = enabled = period = supported = _unknown_region(raw, op)
    elif info is None:
        missing = Fact.error("the protecting key was not read", op, "kms:DescribeKey")
        level = hsm = enabled = period = supported = missing
    else:
        level, hsm = key_custody(info)
        enabled, period = key_rotation(info)
        supported = key_rotation_supported(info)
    out["key_custody.level"], out["key_custody.hsm"] = _with_source(level, op), _with_source(
        hsm, op)
    out["key_rotation.enabled"], out["key_rotation.period_days"] = enabled, period
    out["key_rotation.supported"] = supported


def _with_source(fact: Fact, *extra: str) -> Fact:
    source = tuple(dict.fromkeys((*extra, *fact.source)))
    return Fact(fact.state, fact.value, source, fact.detail, fact.basis)


def _public_access_block(raw: BucketRaw, ctx: BucketContext, out: dict[str, Fact]) -> None:
    bucket, account = raw.answers.get("pab"), ctx.account_pab
    if bucket is not None:
        out["public_access_block.bucket"] = pab_fact(bucket, "bucket-level")
    if account is not None:
        out["public_access_block.account"] = pab_fact(account, "account-level")
    if bucket is not None and account is not None:
        out["public_access_block.effective"] = _exposure.effective_block(
            _exposure.levels(bucket, account))


def bucket_facts(raw: BucketRaw, arn: str, ctx: BucketContext,
                 wants: Callable[[str], bool]) -> dict[str, Fact]:
    """Every wanted fact of one bucket."""
    out: dict[str, Fact] = {}
    if "encryption" in raw.answers:
        _encryption(raw, ctx, out)
    _public_access_block(raw, ctx, out)
    if "policy" in raw.answers:
        out["tls_enforced.required"] = _exposure.tls_required(raw, arn)
    if "acl" in raw.answers or "acl" in raw.skipped:
        levels = _exposure.levels(raw.answers.get("pab"), ctx.account_pab)
        out["public_exposure.is_public"], out["public_exposure.reasons"] = _exposure.exposure(
            raw, levels)
    if "ownership" in raw.answers:
        owned = raw.answers["ownership"]
        enforced = enforced_ownership(owned)
        out["access_control.acls_disabled"] = (
            failed(owned) if enforced is None else Fact.observed(enforced, owned.source))
    _bucket_state.state_facts(raw, ctx.destinations, out)
    out["soft_delete.enabled"] = Fact.opaque(_SOFT_DELETE)
    out["soft_delete.retention_days"] = Fact.opaque(_SOFT_DELETE)
    return {path: fact for path, fact in out.items() if wants(path)}
