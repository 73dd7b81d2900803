"""Public access prevention and public exposure of buckets, with the organization policy.

A bucket's ``publicAccessPrevention`` is ``enforced`` or ``inherited``; inherited follows the
project's effective organization policy ``storage.publicAccessPrevention``. Public access
prevention blocks allUsers / allAuthenticatedUsers in IAM and in ACLs alike, whatever they
grant ("Public access prevention": with it enforced, no public access is possible).

Both derived facts go through the runtime's one rule (``derive``): computed from observed
inputs only, else denied / error naming what was missing. Early answers are taken only
where the observed inputs settle it whatever the missing ones say: an enforced bucket
setting or an enforcing organization policy (nothing can be public), every grant read and
none public (nothing is), a public grant where prevention is known not to apply (it is).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.model import Fact
from auditor.providers._runtime import Outcome, OutcomeState, derive
from auditor.providers.gcp._orgpolicy import OP_EFFECTIVE
from auditor.providers.gcp._storage import OP_ACL, OP_DEFAULT_ACL, OP_IAM, OP_LIST, BucketInfo

ENFORCED = "enforced"
# "unspecified" is the former name of "inherited".
INHERITING = frozenset({"inherited", "unspecified"})
NO_GRANT = "no public grant can take effect"
PAP, ORG = "publicAccessPrevention", "organization policy"
GRANTS = {"iam": OP_IAM, "acl": OP_ACL, "default_object_acl": OP_DEFAULT_ACL}
REASON = {"iam": "iam", "acl": "acl", "default_object_acl": "acl"}


def org_fact(org: Outcome) -> Fact:
    """The project's organization policy as a fact: enforced or not, or why not known."""
    if org.state is OutcomeState.NOT_READ:
        return Fact.error("the organization policy was not read", OP_EFFECTIVE)
    return org.fact(lambda policy: Fact.observed(policy.enforced, OP_EFFECTIVE,
                                                 detail=policy.detail))


def prevention_fact(info: BucketInfo) -> Fact:
    """The bucket's own setting, when it is one whose meaning is documented."""
    pap = info.public_access_prevention
    if pap == ENFORCED or pap in INHERITING:
        return Fact.observed(pap, OP_LIST, detail=f"publicAccessPrevention {pap}")
    return Fact.error(f"unrecognised publicAccessPrevention {pap!r}: whether the "
                      "organization policy applies cannot be told", OP_LIST)


def prevented(info: BucketInfo, org: Outcome) -> bool:
    """True when public access prevention is known to apply to the bucket."""
    pap = info.public_access_prevention
    return pap == ENFORCED or (pap in INHERITING and org.ok and org.value.enforced)


def _prevents(values: Mapping[str, Any]) -> bool | None:
    """Whether prevention applies, from what was observed; None when that does not tell."""
    pap, org = values.get(PAP), values.get(ORG)
    if pap == ENFORCED:
        return True
    if pap in INHERITING and org is not None:
        return org
    return None


def access_block_facts(info: BucketInfo, org: Outcome) -> dict[str, Fact]:
    """public_access_block.bucket / .account / .effective of one bucket."""
    own, policy = prevention_fact(info), org_fact(org)

    def effective(values: Mapping[str, Any]) -> Fact:
        if values[PAP] == ENFORCED:
            return Fact.observed(True, OP_LIST,
                                 detail="publicAccessPrevention enforced on the bucket")
        return Fact.observed(values[ORG], OP_LIST, OP_EFFECTIVE,
                             detail=f"publicAccessPrevention {values[PAP]} on the bucket; "
                             f"{policy.detail}")

    def settled(values: Mapping[str, Any]) -> Fact | None:
        return effective(values) if values.get(PAP) == ENFORCED else None

    inputs = {PAP: own, ORG: policy}
    return {"public_access_block.bucket": (Fact.observed(own.value == ENFORCED, OP_LIST,
                                                         detail=own.detail)
                                           if own.decided else own),
            "public_access_block.account": policy,
            "public_access_block.effective": derive(inputs, effective, settled=settled)}


def _grant_fact(outcome: Outcome, operation: str) -> Fact:
    return outcome.fact(lambda found: Fact.observed(list(found or ()), operation))


def exposure_facts(info: BucketInfo, org: Outcome, iam: Outcome,
                   acls: tuple[Outcome, Outcome] | None) -> dict[str, Fact]:
    """public_exposure.is_public / .reasons from IAM and legacy ACL public grantees
    (``acls``: the bucket ACL and default object ACL outcomes, None when not read)."""
    grants = {"iam": _grant_fact(iam, OP_IAM)}
    if not info.uniform_access:  # legacy ACLs apply only with fine-grained access
        unread = Outcome.not_read(OP_ACL, "the legacy ACLs were not read")
        acl, default_acl = acls or (unread, unread)
        grants["acl"] = _grant_fact(acl, OP_ACL)
        grants["default_object_acl"] = _grant_fact(default_acl, OP_DEFAULT_ACL)
    own, policy = prevention_fact(info), org_fact(org)
    inputs = {PAP: own, ORG: policy, **grants}
    grant_source = tuple(GRANTS[name] for name in grants)

    def nothing_applies(values: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
        if values.get(PAP) == ENFORCED:
            return f"publicAccessPrevention is enforced: {NO_GRANT}", (OP_LIST,)
        return (f"publicAccessPrevention is {values[PAP]!r} and the {policy.detail}: "
                f"{NO_GRANT}", (OP_LIST, OP_EFFECTIVE))

    def public(values: Mapping[str, Any]) -> tuple[bool, list[str], str | None, tuple[str, ...]]:
        """(public, reasons, detail, source) once prevention is known not to apply."""
        members = sorted({m for name in grants for m in values.get(name) or ()})
        reasons = sorted({REASON[name] for name in grants if values.get(name)})
        if not members:
            return False, [], None, grant_source
        detail = (f"granted to {', '.join(members)} ({', '.join(reasons)}); "
                  f"publicAccessPrevention is {values[PAP]!r} and the {policy.detail}")
        return True, reasons, detail, (*grant_source, OP_EFFECTIVE)

    def compute(values: Mapping[str, Any], reasons: bool) -> Fact:
        if _prevents(values):
            detail, source = nothing_applies(values)
            value: Any = [] if reasons else False
        else:
            is_public, why, detail, source = public(values)
            value = why if reasons else is_public
        return Fact.observed(value, *source, basis="derived", detail=detail)

    def settled(values: Mapping[str, Any], reasons: bool) -> Fact | None:
        if _prevents(values):
            return compute(values, reasons)
        read = [name for name in grants if name in values]
        if len(read) == len(grants) and not any(values[name] for name in read):
            # Every grant was read and none is public: nothing is, whatever prevention says.
            return Fact.observed([] if reasons else False, *grant_source, basis="derived")
        if (not reasons and _prevents(values) is False
                and any(values[name] for name in read)):
            # A public grant where prevention is known not to apply: the unread grants
            # could only add to it (the reasons, though, would be incomplete).
            members = sorted({m for name in read for m in values[name]})
            return Fact.observed(True, *grant_source, OP_EFFECTIVE, basis="derived",
                                 detail=f"granted to {', '.join(members)}; "
                                 f"publicAccessPrevention is {values[PAP]!r} and the "
                                 f"{policy.detail}")
        return None

    return {"public_exposure.is_public": derive(
                inputs, lambda v: compute(v, False), settled=lambda v: settled(v, False)),
            "public_exposure.reasons": derive(
                inputs, lambda v: compute(v, True), settled=lambda v: settled(v, True))}
