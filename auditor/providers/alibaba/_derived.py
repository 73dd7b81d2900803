"""Facts made from other answers, each through the one rule of ``_runtime.derive``: the
effective public access block, public exposure and TLS enforcement (no SDK imports).

A derived fact is observed only when its inputs are, or when the observed ones settle it
whatever the others say: a block that is on (bucket or account) makes every ACL and policy
irrelevant; a public ACL or policy is public whatever the unread other source says, as long
as the block is known to be off; a policy that decides TLS without the bucket's region or
owner needs neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.model import Fact
from auditor.providers._runtime import derive
from auditor.providers.alibaba._normalize import (
    PUBLIC_ACLS,
    UNKNOWN_ACCOUNT,
    BucketRaw,
    Outcome,
    observed,
    region_id,
    sources_of,
)
from auditor.providers.alibaba._policy import (
    PolicyParseError,
    TlsUndecided,
    bucket_policy_public,
    tls_enforcement,
)

LEVELS = ("bucket", "account")


def _fact(answer: Outcome, what: str | None = None) -> Fact:
    """An answer as an input fact; ``what`` names it in the detail when it was not read."""
    fact = answer.fact(lambda value: observed(value, answer.source))
    if what is None or fact.decided:
        return fact
    return Fact(fact.state, None, fact.source, f"could not read {what} ({fact.detail})")


def effective_block(bucket: Outcome, account: Outcome) -> Fact:
    """Block Public Access at bucket OR account level: on as soon as either is seen on."""
    sources = sources_of(bucket, account)

    def on(values: Mapping[str, Any]) -> Fact | None:
        level = next((lvl for lvl in LEVELS if values.get(lvl)), None)
        return None if level is None else observed(True, *sources,
                                                   detail=f"blocked at {level} level")

    return _naming(derive({"bucket": _fact(bucket), "account": _fact(account)},
                          lambda values: on(values) or observed(False, *sources), settled=on),
                   sources)


def _naming(fact: Fact, sources: tuple[str, ...]) -> Fact:
    """An unobserved derived fact names the unread inputs first, then every read it uses."""
    if fact.decided:
        return fact
    return Fact(fact.state, None, tuple(dict.fromkeys(fact.source + sources)), fact.detail,
                fact.basis)


def _status_from_policy(status: Outcome, policy: Outcome | None) -> tuple[Outcome, str | None]:
    """GetBucketPolicyStatus unread: the policy document judged by the Block Public Access
    criteria instead; still unread (the status failure) when the document is too."""
    if status.ok or policy is None or not policy.ok:
        return status, None
    try:
        verdict = bucket_policy_public(policy.value)
    except PolicyParseError:
        return status, None
    unread = status.failure()
    return Outcome(policy.source, verdict.public), (
        f"{status.source} could not be read ({unread.state.value}: {unread.detail}); "
        f"bucket policy judged by the Block Public Access criteria: {verdict.detail}")


def _acl_fact(acl: Outcome) -> Fact:
    if acl.ok and acl.value not in PUBLIC_ACLS | {"private"}:
        return Fact.error(f"unrecognised ACL {acl.value!r}", acl.source)
    return _fact(acl)


def public_facts(raw: BucketRaw) -> dict[str, Fact]:
    bucket, account = raw.answers["bucket_block"], raw.answers["account_block"]
    effective = effective_block(bucket, account)
    facts = {"public_access_block.bucket": _fact(bucket),
             "public_access_block.account": _fact(account),
             "public_access_block.effective": effective}
    acl, status = raw.answers.get("acl"), raw.answers.get("policy_status")
    if acl is None or status is None:
        return facts
    status, judged = _status_from_policy(status, raw.answers.get("policy"))
    sources = sources_of(acl, status, bucket, account)
    inputs = {"acl": _acl_fact(acl), "policy": _fact(status), "block": effective}

    def reasons(values: Mapping[str, Any]) -> list[str]:
        return [name for name, public in (("acl", values.get("acl") in PUBLIC_ACLS),
                                          ("policy", bool(values.get("policy")))) if public]

    def compute(values: Mapping[str, Any]) -> Fact:
        return settled(values) or observed(reasons(values), *sources, detail=judged,
                                           derived=bool(judged))

    def settled(values: Mapping[str, Any]) -> Fact | None:
        found = reasons(values)
        if values.get("block") is True:
            note = ("public ACL/policy neutralized by Block Public Access"
                    if found else "Block Public Access is on")
            return observed([], *sources, detail=note)
        if values.get("block") is False and found and len(values) < len(inputs):
            # Public for a known reason; the list is partial: say which source is missing.
            unread = "; ".join(f"{ans.source} could not be read ({fact.state.value}: "
                               f"{fact.detail})" for ans, fact in ((acl, inputs["acl"]),
                                                                   (status, inputs["policy"]))
                               if not fact.decided)
            return observed(found, *sources, detail=f"partial list: {unread}",
                            derived=bool(judged))
        return None

    listed = _naming(derive(inputs, compute, settled=settled), sources)
    if not listed.decided:
        facts["public_exposure.is_public"] = facts["public_exposure.reasons"] = listed
        return facts
    facts["public_exposure.reasons"] = listed
    detail = listed.detail
    if listed.value and detail and detail.startswith("partial list: "):
        detail = f"public through {listed.value}; {detail.removeprefix('partial list: ')}"
    facts["public_exposure.is_public"] = Fact(listed.state, bool(listed.value), listed.source,
                                              detail, listed.basis)
    return facts


def _owner(raw: BucketRaw) -> Fact:
    if raw.account == UNKNOWN_ACCOUNT:
        # No source of its own: the profile names the reads the TLS verdict rests on.
        return Fact.error("could not read the bucket owner (ListBuckets named no Owner)")
    return observed(raw.account)


def tls_facts(raw: BucketRaw) -> dict[str, Fact]:
    policy, https = raw.answers["policy"], raw.answers.get("https")
    sources = sources_of(policy, https)
    region = raw.region.fact(lambda value: observed(region_id(value)))
    if not region.decided:
        region = Fact(region.state, None, (),
                      f"could not read the bucket region ({region.detail})")
    undecided: list[str] = []

    def verdict(values: Mapping[str, Any]) -> Fact | None:
        """The verdict from what was read; None when the policy needs an unread input."""
        if "policy" not in values:
            return None
        try:
            found = tls_enforcement(values["policy"], raw.name, values.get("region"),
                                    values.get("owner"))
        except PolicyParseError as exc:
            return Fact.error(str(exc), *sources)
        except TlsUndecided as exc:
            undecided.append(str(exc))
            return None
        return observed(found.required, *sources, detail=found.detail + _https_note(https),
                        derived=True)

    fact = derive({"policy": _fact(policy), "region": region, "owner": _owner(raw)},
                  lambda values: verdict(values) or Fact.error("undecided", *sources),
                  settled=verdict)
    if not fact.decided and undecided:  # the policy names what could not be read
        fact = Fact(fact.state, None, sources, f"{undecided[-1]}; {fact.detail}", fact.basis)
    return {"tls_enforced.required": fact}


def _https_note(https: Outcome | None) -> str:
    """GetBucketHttpsConfig's TLS versions, reported beside the verdict."""
    if https is None:
        return ""
    if not https.ok:
        return f"; GetBucketHttpsConfig {https.failure().state}: {https.error.code}"
    tls = https.value
    return ("; HTTPS config limits TLS to " + ", ".join(tls["versions"])
            if tls["enabled"] else "; no TLS version restriction (GetBucketHttpsConfig)")
