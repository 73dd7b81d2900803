"""Public access prevention and public exposure of buckets, with the organization policy.

A bucket's ``publicAccessPrevention`` is ``enforced`` or ``inherited``; inherited follows the
project's effective organization policy ``storage.publicAccessPrevention``. Public access
prevention blocks allUsers / allAuthenticatedUsers in IAM and in ACLs alike.
"""

from __future__ import annotations

from dataclasses import replace

from auditor.model import Fact
from auditor.providers._runtime import Outcome, OutcomeState
from auditor.providers.gcp._orgpolicy import OP_EFFECTIVE
from auditor.providers.gcp._storage import OP_ACL, OP_DEFAULT_ACL, OP_IAM, OP_LIST, BucketInfo

# "unspecified" is the former name of "inherited"; an absent field is the default, inherited.
INHERITING = frozenset({"inherited", "unspecified", None})
NO_GRANT = "no public grant can take effect"


def org_fact(org: Outcome) -> Fact:
    """The project's organization policy as a fact: enforced or not, or why not known."""
    if org.state is OutcomeState.NOT_READ:
        return Fact.error("the organization policy was not read", OP_EFFECTIVE)
    return org.fact(lambda policy: Fact.observed(policy.enforced, OP_EFFECTIVE,
                                                 detail=policy.detail))


def prevented(info: BucketInfo, org: Outcome) -> bool:
    """True when public access prevention is known to apply to the bucket."""
    pap = info.public_access_prevention
    if pap == "enforced":
        return True
    return pap in INHERITING and org.ok and org.value.enforced


def _unread_org(pap: str | None, org: Outcome) -> str:
    return (f"publicAccessPrevention is {pap!r}: the effective value follows the organization "
            f"policy, which could not be read ({org_fact(org).detail})")


def access_block_facts(info: BucketInfo, org: Outcome) -> dict[str, Fact]:
    """public_access_block.bucket / .account / .effective of one bucket."""
    pap = info.public_access_prevention
    enforced = pap == "enforced"
    facts = {"public_access_block.bucket": Fact.observed(enforced, OP_LIST,
                                                         detail=f"publicAccessPrevention {pap}"),
             "public_access_block.account": org_fact(org)}
    if enforced:
        effective = Fact.observed(True, OP_LIST,
                                  detail="publicAccessPrevention enforced on the bucket")
    elif pap not in INHERITING:
        effective = Fact.error(f"unrecognised publicAccessPrevention {pap!r}: whether the "
                               "organization policy applies cannot be told", OP_LIST)
    elif org.ok:
        effective = Fact.observed(org.value.enforced, OP_LIST, OP_EFFECTIVE,
                                  detail=f"publicAccessPrevention {pap} on the bucket; "
                                  f"{org.value.detail}")
    else:
        failed = org_fact(org)
        effective = replace(failed, source=(*failed.source, OP_LIST),
                            detail=_unread_org(pap, org))
    facts["public_access_block.effective"] = effective
    return facts


def _caveat(info: BucketInfo, org: Outcome) -> tuple[str, tuple[str, ...]]:
    """Why a public grant takes effect (or may), and the extra source that says so."""
    pap = info.public_access_prevention
    if pap not in INHERITING:
        return f"publicAccessPrevention is {pap!r}, a value this tool does not recognise", ()
    if org.ok:
        return f"publicAccessPrevention is {pap!r} and the {org.value.detail}", (OP_EFFECTIVE,)
    # The grant is real; only a policy we could not read might neutralize it, so it stays
    # public (with this caveat) rather than becoming unknown.
    return (f"publicAccessPrevention is {pap!r}: an organization policy that enforces public "
            "access prevention would block this grant, and the organization policy could not "
            f"be read ({org_fact(org).detail})"), ()


def exposure_facts(info: BucketInfo, org: Outcome, iam: Outcome,
                   acls: tuple[Outcome, Outcome] | None) -> dict[str, Fact]:
    """public_exposure.is_public / .reasons from IAM and legacy ACL public grantees
    (``acls``: the bucket ACL and default object ACL outcomes, None when not read)."""
    if prevented(info, org):
        if info.public_access_prevention == "enforced":
            detail, source = f"publicAccessPrevention is enforced: {NO_GRANT}", (OP_LIST,)
        else:
            detail = (f"publicAccessPrevention is {info.public_access_prevention!r} and the "
                      f"{org.value.detail}: {NO_GRANT}")
            source = (OP_LIST, OP_EFFECTIVE)
        return {"public_exposure.is_public": Fact.observed(False, *source, basis="derived",
                                                           detail=detail),
                "public_exposure.reasons": Fact.observed([], *source, basis="derived",
                                                         detail=detail)}
    source = [OP_IAM] + ([] if info.uniform_access else [OP_ACL, OP_DEFAULT_ACL])
    outcomes = [("iam", iam)] + ([] if info.uniform_access or acls is None else
                                 [("acl", a) for a in acls])
    # A call that was not read grants nothing we know of and is no failure either.
    errors = [o.error for _, o in outcomes if o.error is not None]
    reasons = sorted({why for why, o in outcomes if o.ok and o.value})
    members = sorted({m for _, o in outcomes if o.ok for m in o.value or ()})
    detail = None
    if members:
        caveat, extra = _caveat(info, org)
        detail = f"granted to {', '.join(members)} ({', '.join(reasons)}); {caveat}"
        source += extra
    if reasons:
        is_public = Fact.observed(True, *source, basis="derived", detail=detail)
    elif errors:
        is_public = Fact.from_call_error(errors[0])
    else:
        is_public = Fact.observed(False, *source, basis="derived")
    why = (Fact.from_call_error(errors[0]) if errors
           else Fact.observed(reasons, *source, basis="derived", detail=detail))
    return {"public_exposure.is_public": is_public, "public_exposure.reasons": why}
