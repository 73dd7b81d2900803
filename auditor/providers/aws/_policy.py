"""Verdicts on AWS resource policies: is a bucket or key policy public, does a bucket policy
enforce TLS. The language itself is in ``_iam_policy`` and ``_iam_conditions``.

Sources: S3 User Guide, "Blocking public access to your Amazon S3 storage" -> "The meaning of
'public'"; IAM User Guide, "Policy evaluation logic" (an explicit Deny overrides any Allow);
S3 User Guide, "Security best practices for Amazon S3" (Deny aws:SecureTransport false on the
bucket and its objects); S3 "Amazon S3 condition key examples" (s3:TlsVersion).
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.providers.aws import _iam_conditions as conditions
from auditor.providers.aws._iam_policy import (
    PolicyParseError,
    Statement,
    action_covers,
    matches,
    may_match_prefix,
    parse,
)

__all__ = ["PolicyParseError", "PublicVerdict", "TlsVerdict", "parse", "public_verdict",
           "tls_enforced"]


def _conditions(statement: Statement) -> list[tuple[str, str, tuple[str, ...]]]:
    """(operator, key, values) of every condition; unknown operators raise."""
    out = []
    for name, block in statement.condition.items():
        conditions.operator(name)
        out += [(name, key, values) for key, values in block.items()]
    return out


# --- public ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PublicVerdict:
    public: bool
    grants: tuple[str, ...]  # why each public statement is public
    detail: str


def _open_audience(statement: Statement) -> str | None:
    """Who an Allow reaches when that is not a fixed set of principals, else None."""
    if statement.principals is None:
        return "NotPrincipal: every principal but the named ones"
    if statement.everyone:
        return "every principal"
    # A web identity provider (not an account's SAML/OIDC provider ARN) admits anyone who
    # signs in with it; "The meaning of 'public'" lists {"Federated": "graph.facebook.com"}.
    web = [f for f in statement.principals.get("Federated", ()) if not f.startswith("arn:")]
    return f"Federated {', '.join(web)}" if web else None


def _deny_covers(deny: Statement, allow: Statement) -> bool:
    """Every action and resource the Allow names is also in the Deny."""
    if deny.negated_actions or deny.negated_resources:
        return False  # the complement of a list is not compared; the Allow stays counted
    if allow.negated_actions:
        actions = "*" in deny.actions
    else:
        actions = all(action_covers(deny.actions, a) for a in allow.actions)
    if allow.negated_resources:
        return actions and "*" in deny.resources
    return actions and all(any(matches(d, r) for d in deny.resources) for r in allow.resources)


def _overriding_deny(allow: Statement, denies: list[Statement]) -> str | None:
    """A Deny that leaves at most a fixed set of principals or sources of the Allow."""
    for deny in denies:
        exempts_fixed = deny.principals is None and "*" not in deny.not_principal.get("AWS", ())
        if not (deny.everyone or exempts_fixed) or not _deny_covers(deny, allow):
            continue
        found = _conditions(deny)
        if all(conditions.excludes_all_but(*c) for c in found):
            return deny.label
    return None


def public_verdict(statements: list[Statement]) -> PublicVerdict:
    """Public unless every Allow is limited to fixed principals or fixed condition values,
    or is taken back by a Deny (the rules of "The meaning of 'public'")."""
    denies = [s for s in statements if s.effect == "Deny"]
    grants: list[str] = []
    notes: list[str] = []
    for statement in statements:
        found = _conditions(statement)
        audience = _open_audience(statement) if statement.effect == "Allow" else None
        if audience is None:
            continue
        fixing = [f"{op} {key}" for op, key, values in found
                  if conditions.restricts(op, key, values)]
        if fixing:
            notes.append(f"{statement.label} limited by {', '.join(fixing)}")
            continue
        deny = _overriding_deny(statement, denies)
        if deny:
            notes.append(f"{statement.label} taken back by {deny}")
            continue
        why = f"{statement.label} allows {audience}"
        if found:
            why += " (no condition limits it to fixed values: " + ", ".join(
                f"{op} {key}" for op, key, _ in found) + ")"
        grants.append(why)
    if grants:
        return PublicVerdict(True, tuple(grants), "; ".join(grants))
    return PublicVerdict(False, (), "; ".join(notes) or "no Allow to an open audience")


# --- TLS ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TlsVerdict:
    required: bool
    detail: str


def _resource_cover(statement: Statement, bucket_arn: str) -> tuple[bool, bool]:
    """(the bucket ARN is covered, every object ARN is covered)."""
    prefix = f"{bucket_arn}/"
    if statement.negated_resources:
        return (not any(matches(r, bucket_arn) for r in statement.resources),
                not any(may_match_prefix(r, prefix) for r in statement.resources))
    # A pattern ending in '*' that matches the object prefix matches every object.
    return (any(matches(r, bucket_arn) for r in statement.resources),
            any(r.endswith("*") and matches(r, prefix) for r in statement.resources))


def _narrowing(statement: Statement, extra: list[str]) -> list[str]:
    """What exempts some principals, actions or requests from an insecure-transport Deny."""
    narrowed = []
    if extra:
        narrowed.append("extra condition(s) " + ", ".join(extra)
                        + " exempt requests they do not match")
    if statement.principals is None:
        narrowed.append("not every principal (NotPrincipal exempts "
                        + ", ".join(n for v in statement.not_principal.values() for n in v) + ")")
    elif not statement.everyone:
        narrowed.append("not every principal")
    if statement.negated_actions:
        if any(may_match_prefix(a, "s3:", ignore_case=True) for a in statement.actions):
            narrowed.append("not all actions (NotAction exempts "
                            + ", ".join(statement.actions) + ")")
    elif not action_covers(statement.actions, "s3:*"):
        narrowed.append("not all actions")
    return narrowed


def tls_enforced(statements: list[Statement], bucket_arn: str) -> TlsVerdict:
    """Whether Deny statements on aws:SecureTransport=false cover every principal, every S3
    action, the bucket and all its objects (together: one may name the bucket, one objects).

    A Deny on s3:TlsVersion alone does not count: a plain HTTP request carries no TLS
    version, so a numeric comparison on it does not match and the Deny does not apply.
    """
    reasons: list[str] = []
    full: list[str] = []
    bucket_done = objects_done = False
    for statement in statements:
        if statement.effect != "Deny":
            continue
        found = _conditions(statement)
        insecure = [c for c in found if conditions.is_insecure_transport(*c)]
        if not insecure:
            keys = {key.lower() for _, key, _ in found}
            floors = [f"s3:TlsVersion<{v[0]}" if op == "NumericLessThan" and len(v) == 1
                      else f"{op} {key} {list(v)}"
                      for op, key, v in found if key.lower() == "s3:tlsversion"]
            if floors:
                reasons.append(f"{statement.label} denies on {', '.join(floors)} only, which "
                               "does not apply to plain HTTP requests (they carry no TLS "
                               "version)")
            elif "aws:securetransport" in keys:
                reasons.append(f"{statement.label}: its aws:SecureTransport condition does not "
                               "match insecure requests")
            continue
        extra = [f"{op}:{key}" for op, key, values in found
                 if (op, key, values) not in insecure]
        narrowed = _narrowing(statement, extra)
        bucket, objects = _resource_cover(statement, bucket_arn)
        if not narrowed:
            bucket_done, objects_done = bucket_done or bucket, objects_done or objects
            if bucket or objects:
                full.append(statement.label)
        if not bucket:
            narrowed.append("bucket ARN not covered")
        if not objects:
            narrowed.append("not every object ARN covered")
        if narrowed:
            reasons.append(f"{statement.label} denies aws:SecureTransport=false but does not "
                           "count alone: " + "; ".join(narrowed))
    if bucket_done and objects_done:
        return TlsVerdict(True, f"{' and '.join(full)} deny requests with "
                                "aws:SecureTransport=false for every principal, action, the "
                                "bucket and its objects")
    if reasons:
        return TlsVerdict(False, "not enforced for everyone: " + " | ".join(reasons))
    return TlsVerdict(False, "the bucket policy has no Deny on aws:SecureTransport=false")
