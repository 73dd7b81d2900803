"""Does an Alibaba Cloud bucket policy enforce TLS?

TLS: enforced only by a Deny whose condition is exactly acs:SecureTransport false (Bool, or a
StringEquals on "false"), for every principal, every OSS action, on the bucket and all of its
objects. Extra conditions are ANDed with it (RAM), so each one exempts the requests that fail it.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.providers.alibaba._ram_policy import (
    Condition,
    Statement,
    could_match_prefix,
    parse,
    wildcard_match,
)

SECURE_TRANSPORT = "acs:securetransport"


@dataclass(frozen=True, slots=True)
class TlsVerdict:
    required: bool
    detail: str


class TlsUndecided(ValueError):
    """A statement would decide the verdict, but names a region or account we could not read."""


def _denies_plain_http(condition: Condition) -> bool:
    if condition.name != SECURE_TRANSPORT:
        return False
    if condition.operator == "Bool":
        return "false" in {v.lower() for v in condition.values}
    if condition.operator == "StringEquals":
        return "false" in condition.values
    if condition.operator == "StringEqualsIgnoreCase":
        return "false" in {v.lower() for v in condition.values}
    return False


def _allows_only_tls(statement: Statement) -> bool:
    return statement.allows and any(
        c.name == SECURE_TRANSPORT and c.operator == "Bool"
        and "true" in {v.lower() for v in c.values} for c in statement.conditions)


def _covers_every_action(statement: Statement) -> bool:
    if statement.actions_negated:  # NotAction: every action but these; none may be OSS's
        return not any(could_match_prefix(a, "oss:", ignore_case=True)
                       for a in statement.actions)
    return any(a in ("*", "oss:*") for a in statement.actions)


def _split_resource(resource: str) -> tuple[str, str, str] | None:
    """acs:oss:REGION:ACCOUNT:PATH -> (region, account, path); ``*`` alone covers all."""
    if resource == "*":
        return "*", "*", "*"
    parts = resource.split(":", 4)
    if len(parts) != 5 or parts[0] != "acs" or not wildcard_match(parts[1], "oss"):
        return None
    return parts[2], parts[3], parts[4]


def _place(resource: str, region: str | None, account: str | None) -> tuple[str | None, list[str]]:
    """(the path if the resource can name this bucket's region/account, what was unread)."""
    split = _split_resource(resource)
    if split is None:
        return None, []
    res_region, res_account, path = split
    unread: list[str] = []
    if res_region not in ("", "*"):
        if region is None:
            unread.append(f"region {res_region!r}")
        elif not any(wildcard_match(res_region, r) for r in (region, f"oss-{region}")):
            return None, []
    if res_account not in ("", "*"):
        if account is None:
            unread.append(f"account {res_account!r}")
        elif not wildcard_match(res_account, account):
            return None, []
    return path, unread


def _all_objects(path: str, bucket: str) -> bool:
    """``NAME/*``, ``NAME*`` or ``*``: a wildcard-free prefix of ``NAME/`` then ``*``."""
    prefix = path[:-1]
    return path.endswith("*") and not any(c in prefix for c in "*?") and \
        f"{bucket}/".startswith(prefix)


@dataclass(frozen=True, slots=True)
class _Scope:
    """Coverage of the bucket itself and of all its objects: surely, and if the unread
    owner/region matched (``unread`` says which resources rest on that)."""

    bucket: bool
    objects: bool
    bucket_if_unread: bool
    objects_if_unread: bool
    unread: tuple[str, ...]

    @property
    def covered(self) -> bool:
        return self.bucket and self.objects

    @property
    def covered_if_unread_match(self) -> bool:
        return self.bucket_if_unread and self.objects_if_unread


def _not_resource_scope(statement: Statement, bucket: str, region: str | None,
                        account: str | None) -> _Scope:
    """NotResource: covers us unless a listed pattern could name the bucket or an object."""
    unsure: list[str] = []
    for raw in statement.resources:
        path, missing = _place(raw, region, account)
        if path is None:
            continue
        if wildcard_match(path, bucket) or could_match_prefix(path, f"{bucket}/"):
            if not missing:
                return _Scope(False, False, False, False, ())
            unsure.append(f"NotResource {raw} names {' and '.join(missing)}")
    sure = not unsure
    return _Scope(sure, sure, True, True, tuple(unsure))


def _resource_scope(statement: Statement, bucket: str, region: str | None,
                    account: str | None) -> _Scope:
    if statement.resources_negated:
        return _not_resource_scope(statement, bucket, region, account)
    sure, maybe, unread = [False, False], [False, False], []
    for raw in statement.resources:
        path, missing = _place(raw, region, account)
        if path is None:
            continue
        hits = (wildcard_match(path, bucket), _all_objects(path, bucket))
        target = maybe if missing else sure
        target[0], target[1] = target[0] or hits[0], target[1] or hits[1]
        if missing and any(hits):
            unread.append(f"{raw} names {' and '.join(missing)}")
    return _Scope(sure[0], sure[1], sure[0] or maybe[0], sure[1] or maybe[1], tuple(unread))


def _narrowing(statement: Statement) -> list[str]:
    """Why a Deny on acs:SecureTransport=false still admits some plain-HTTP request."""
    why: list[str] = []
    principals = statement.principals
    if principals is None or "*" not in principals:
        why.append(f"principal {list(principals or [])} is not everyone (*)")
    if not _covers_every_action(statement):
        kind = "NotAction" if statement.actions_negated else "actions"
        why.append(f"{kind} {list(statement.actions)} are not oss:* (some OSS actions "
                   "are left out)")
    exempting = sorted({f"{c.operator}:{c.key}" for c in statement.conditions
                        if not _denies_plain_http(c)})
    if exempting:
        why.append(f"extra conditions {exempting} exempt every request that fails them")
    return why


def tls_enforcement(document: str | None, bucket: str, region: str | None,
                    account: str | None) -> TlsVerdict:
    """Does the bucket policy deny every plain-HTTP request?

    ``region``/``account``: the bucket's, or None when they could not be read. Raises
    PolicyParseError, or TlsUndecided when the answer rests on the unread one.
    """
    if document is None:
        return TlsVerdict(False, "no bucket policy (NoSuchBucketPolicy)")
    reasons: list[str] = []
    undecided: list[str] = []
    for statement in parse(document, principal_required=True):
        index = statement.index
        if _allows_only_tls(statement):
            reasons.append(f"statement {index} only allows acs:SecureTransport=true, "
                           "which does not deny plain HTTP")
            continue
        if statement.allows or not any(_denies_plain_http(c) for c in statement.conditions):
            continue
        why = _narrowing(statement)
        scope = _resource_scope(statement, bucket, region, account)
        if not why and scope.covered:
            return TlsVerdict(True, f"statement {index} denies acs:SecureTransport=false "
                                    "for every principal, action and resource")
        if not why and scope.covered_if_unread_match:
            undecided.append(f"statement {index} would enforce TLS, but its resources ("
                             + "; ".join(scope.unread) + ") cannot be matched against the "
                             "bucket's unread owner/region")
            continue
        if not scope.bucket_if_unread:
            why.append("resources do not cover the bucket itself")
        if not scope.objects_if_unread:
            why.append("resources do not cover every object (NAME/*)")
        reasons.append(f"statement {index} denies acs:SecureTransport=false but is narrowed: "
                       + "; ".join(why))
    if undecided:
        raise TlsUndecided(" | ".join(undecided))
    if not reasons:
        return TlsVerdict(False, "no statement denies acs:SecureTransport=false")
    return TlsVerdict(False, " | ".join(reasons))
