"""Derived bucket facts: the effective Block Public Access, public exposure, TLS enforcement.

Each is made by the runtime's one rule (``derive``): observed only when every input it needs
was observed, else denied/error naming the inputs that were not. ``settled`` decides early
only where observed inputs settle it whatever the others say: a level that blocks all four
flags, a policy that is not public, RestrictPublicBuckets or IgnorePublicAcls in effect,
ownership controls that disable ACLs, or one known public grant. A call the collector
skipped because its answer was implied (_s3.read_bucket) is an unread input that the same
observed inputs settle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.model import Fact
from auditor.providers._runtime import Outcome
from auditor.providers._runtime import derive as _derive
from auditor.providers.aws import _policy
from auditor.providers.aws._normalize import ACCOUNT_PAB, PAB_FLAGS, enforced_ownership, pab_flags
from auditor.providers.aws._s3 import BucketRaw

BUCKET_PAB = "s3:GetPublicAccessBlock"
PUBLIC_GROUPS = ("http://acs.amazonaws.com/groups/global/AllUsers",
                 "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
Levels = Mapping[str, Fact]


_NESTED = "(derived from inputs not observed: "


def derive(inputs: Mapping[str, Fact], compute: Any, *, settled: Any = None) -> Fact:
    """The runtime's derive, with the detail of an unobserved input that was itself derived
    said once ("policy denied (bucket policy denied (...))"), not nested in full."""
    fact = _derive(inputs, compute, settled=settled)
    if fact.decided or not fact.detail or _NESTED not in fact.detail:
        return fact
    return Fact(fact.state, fact.value, fact.source, fact.detail.replace(_NESTED, "("),
                fact.basis)


def _sources(*facts: Fact) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s for f in facts for s in f.source))


def _read(answer: Outcome | None, operation: str, value: Any) -> Fact:
    """An input fact: ``value(answer)`` when the call answered, else why it is unknown."""
    if answer is None:
        return Fact.error(f"{operation} was not read", operation)
    return answer.fact(lambda _: Fact.observed(value(answer), answer.source))


def levels(bucket: Outcome | None, account: Outcome | None) -> dict[str, Fact]:
    """The four flags of each level as observed dicts (all off when not configured)."""
    return {"bucket Block Public Access": _read(bucket, BUCKET_PAB, pab_flags),
            "account Block Public Access": _read(account, ACCOUNT_PAB, pab_flags)}


def effective_block(levels: Levels) -> Fact:
    """Each flag is in effect when either level sets it; the block is on when all four are."""
    source = (BUCKET_PAB, ACCOUNT_PAB)

    def compute(values: Mapping[str, Any]) -> Fact:
        off = [f for f in PAB_FLAGS if not any(level[f] for level in values.values())]
        return Fact.observed(not off, *source,
                             detail="off at both levels: " + ", ".join(off) if off else None)

    def settled(values: Mapping[str, Any]) -> Fact | None:
        full = [name for name, level in values.items() if all(level.values())]
        return Fact.observed(True, *source, detail=f"{full[0]} sets all four flags") \
            if full else None

    return derive(levels, compute, settled=settled)


def _flag(name: str, levels: Levels) -> Fact:
    """Whether one flag is in effect (set at either level)."""
    def on(values: Mapping[str, Any]) -> bool:
        return any(level[name] for level in values.values())

    return derive(levels, lambda v: Fact.observed(on(v), *_sources(*levels.values())),
                  settled=lambda v: Fact.observed(True, *_sources(*levels.values()))
                  if on(v) else None)


def _policy_verdict(raw: BucketRaw) -> Fact:
    """Whether the bucket policy alone grants public access: S3's IsPublic, else (that call
    failed) the policy document's own verdict."""
    policy, status = raw.answers.get("policy"), raw.answers.get("policy_status")
    skipped = raw.skipped.get("policy_status")
    if skipped is not None:
        if policy is not None and policy.absent:
            return Fact.observed(False, policy.source, detail=skipped)
        return Fact.error(f"s3:GetBucketPolicyStatus not read: {skipped}",
                          "s3:GetBucketPolicyStatus")
    if status is None:
        return Fact.error("s3:GetBucketPolicyStatus was not read", "s3:GetBucketPolicyStatus")
    if status.ok and status.absent:  # NoSuchBucketPolicy: no policy, so no public policy
        return Fact.observed(False, status.source, detail=f"no bucket policy ({status.code})")
    public = ((status.value or {}).get("PolicyStatus") or {}).get("IsPublic") if status.ok \
        else None
    if isinstance(public, bool):
        return Fact.observed(public, status.source)
    # IsPublic unread (answers.yaml requires it, so the call failed): the policy document.
    why = "IsPublic absent" if status.ok else f"{status.source} not read"
    if policy is None or not policy.ok:
        return status.failure() if not status.ok else (
            policy.failure() if policy is not None else Fact.error("no IsPublic in the answer",
                                                                   status.source))
    if policy.absent:
        return Fact.observed(False, policy.source, detail=f"no bucket policy ({policy.code})")
    try:
        verdict = _policy.public_verdict(_policy.parse(policy.value["Policy"]))
    except _policy.PolicyParseError as exc:
        return Fact.error(f"unparsable bucket policy: {exc}", policy.source)
    return Fact.observed(verdict.public, status.source, policy.source,
                         detail=f"{why}; derived from the policy document: {verdict.detail}")


def _policy_part(raw: BucketRaw, levels: Levels) -> Fact:
    verdict, restrict = _policy_verdict(raw), _flag("RestrictPublicBuckets", levels)
    inputs = {"bucket policy": verdict, "RestrictPublicBuckets": restrict}

    def settled(values: Mapping[str, Any]) -> Fact | None:
        if values.get("bucket policy") is False:
            return Fact.observed(False, *verdict.source, detail=verdict.detail)
        if values.get("RestrictPublicBuckets") is True:
            return Fact.observed(False, *restrict.source,
                                 detail="RestrictPublicBuckets is in effect: a public policy "
                                        "grants no public access")
        return None

    return derive(inputs, lambda v: settled(v) or Fact.observed(
        True, *_sources(verdict, restrict), detail=verdict.detail), settled=settled)


def _acl_part(raw: BucketRaw, levels: Levels) -> Fact:
    ownership = raw.answers.get("ownership")
    skipped = raw.skipped.get("acl")
    acl = Fact.error(f"s3:GetBucketAcl not read: {skipped}", "s3:GetBucketAcl") if skipped \
        else _read(raw.answers.get("acl"), "s3:GetBucketAcl", lambda a: any(
            (g.get("Grantee") or {}).get("URI") in PUBLIC_GROUPS for g in a.value["Grants"]))
    enforced = _read(ownership, "s3:GetBucketOwnershipControls", enforced_ownership)
    ignore = _flag("IgnorePublicAcls", levels)
    inputs = {"bucket ACL": acl, "ownership controls": enforced, "IgnorePublicAcls": ignore}

    def settled(values: Mapping[str, Any]) -> Fact | None:
        if values.get("bucket ACL") is False:
            return Fact.observed(False, *acl.source)
        if values.get("ownership controls") is True:
            return Fact.observed(False, *enforced.source,
                                 detail="ownership controls BucketOwnerEnforced disable ACLs")
        if values.get("IgnorePublicAcls") is True:
            return Fact.observed(False, *ignore.source,
                                 detail="IgnorePublicAcls is in effect: public ACLs are ignored")
        return None

    return derive(inputs, lambda v: settled(v) or Fact.observed(
        True, *_sources(acl, enforced, ignore)), settled=settled)


def exposure(raw: BucketRaw, levels: Levels) -> tuple[Fact, Fact]:
    """(public_exposure.is_public, public_exposure.reasons) of one bucket."""
    parts = {"policy": _policy_part(raw, levels), "acl": _acl_part(raw, levels)}
    source = _sources(*levels.values(), *parts.values())
    details = "; ".join(f"{k}: {f.detail}" for k, f in parts.items() if f.detail) or None

    def reasons(values: Mapping[str, Any]) -> list[str]:
        return sorted(k for k, public in values.items() if public)

    def settled(values: Mapping[str, Any]) -> Fact | None:
        if not any(values.values()):
            return None
        missing = "; ".join(f"{k} not read ({'/'.join(f.source) or 'unknown'}: {f.detail})"
                            for k, f in parts.items() if not f.decided)
        return Fact.observed(True, *source,
                             detail=f"public through {', '.join(reasons(values))}; {missing}")

    is_public = derive(parts, lambda v: Fact.observed(bool(reasons(v)), *source, detail=details),
                       settled=settled)
    # The reasons are a list of every way in: never a partial list as if it were complete.
    listed = derive(parts, lambda v: Fact.observed(reasons(v), *source, detail=details))
    return is_public, listed


def tls_required(raw: BucketRaw, arn: str) -> Fact:
    """tls_enforced.required from the bucket policy document (none: not enforced)."""
    answer = raw.answers["policy"]
    document = _read(answer, "s3:GetBucketPolicy",
                     lambda a: None if a.absent else a.value["Policy"])

    def compute(values: Mapping[str, Any]) -> Fact:
        text = values["bucket policy"]
        if text is None:
            return Fact.observed(False, answer.source, basis="derived",
                                 detail=f"no bucket policy ({answer.code})")
        try:
            verdict = _policy.tls_enforced(_policy.parse(text), arn)
        except _policy.PolicyParseError as exc:
            return Fact.error(f"unparsable bucket policy: {exc}", answer.source)
        return Fact.observed(verdict.required, answer.source, basis="derived",
                             detail=verdict.detail)

    return derive({"bucket policy": document}, compute)
