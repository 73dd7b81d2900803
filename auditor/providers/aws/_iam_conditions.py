"""Condition operators of the AWS IAM policy language, and which conditions make a grant
non-public.

Sources: IAM User Guide, "IAM JSON policy elements: Condition operators" (operator names,
...IfExists, Null) and "Set operators for multivalued context keys" (ForAnyValue /
ForAllValues); S3 User Guide, "Blocking public access to your Amazon S3 storage" -> "The
meaning of 'public'" (the keys whose fixed values make a bucket policy non-public).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from auditor.providers.aws._iam_policy import PolicyParseError

_BASES = {
    *(f"String{s}" for s in ("Equals", "NotEquals", "EqualsIgnoreCase", "NotEqualsIgnoreCase",
                             "Like", "NotLike")),
    *(f"{t}{s}" for t in ("Numeric", "Date") for s in (
        "Equals", "NotEquals", "LessThan", "LessThanEquals", "GreaterThan",
        "GreaterThanEquals")),
    "Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
    "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
}
_BASE_BY_LOWER = {b.lower(): b for b in _BASES}
_POSITIVE = {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"}
_NEGATIVE = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals",
             "ArnNotLike"}

# Keys whose fixed values make a grant to everyone non-public ("The meaning of 'public'"):
# the principal keys (the page names aws:PrincipalOrgID as its example; aws:PrincipalAccount,
# aws:PrincipalArn and aws:PrincipalOrgPaths identify principals the same way) and the
# listed request keys. kms:CallerAccount is the account restriction of the AWS managed key
# policies (AWS KMS Developer Guide, "AWS KMS condition keys" -> kms:CallerAccount).
FIXING_KEYS = frozenset(k.lower() for k in (
    "aws:PrincipalOrgID", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgPaths",
    "aws:SourceArn", "aws:SourceVpc", "aws:SourceVpce", "aws:SourceOwner", "aws:SourceAccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id", "aws:userid",
    "s3:DataAccessPointArn", "s3:DataAccessPointAccount", "kms:CallerAccount"))
_SOURCE_IP = "aws:sourceip"
# "values broader than /8 for IPv4 and /32 for IPv6 ... are evaluated as public".
_MIN_PREFIX = {4: 8, 6: 32}


@dataclass(frozen=True, slots=True)
class Operator:
    base: str             # e.g. "StringEquals"
    qualifier: str        # "", "ForAnyValue" or "ForAllValues"
    if_exists: bool


def operator(name: str) -> Operator:
    """The parts of a condition operator; an unknown operator makes the policy malformed."""
    qualifier, _, rest = name.rpartition(":")
    qualifier = {"": "", "foranyvalue": "ForAnyValue", "forallvalues": "ForAllValues"}.get(
        qualifier.lower(), "?")
    if_exists = rest.lower().endswith("ifexists") and rest.lower() != "null"
    base = _BASE_BY_LOWER.get(rest[:-len("IfExists")].lower() if if_exists else rest.lower())
    if qualifier == "?" or base is None or (base == "Null" and if_exists):
        raise PolicyParseError(f"unknown condition operator {name!r}")
    return Operator(base, qualifier, if_exists)


def _fixed(value: str) -> bool:
    """No wildcard and no policy variable (``${...}``)."""
    return not any(c in value for c in "*?") and "${" not in value


def _fixed_value(key: str, value: str) -> bool:
    if key == "aws:userid":
        # "aws:userid, outside the pattern AROLEID:*": a role id with any session is fixed.
        head, sep, tail = value.partition(":")
        return _fixed(value) or (bool(sep) and tail == "*" and _fixed(head) and bool(head))
    if key == "s3:dataaccesspointarn":
        # A wildcard in the access point name is fine "as long as the account id is fixed".
        parts = value.split(":", 5)
        return (len(parts) == 6 and parts[4].isdigit() and len(parts[4]) == 12
                and parts[5].startswith("accesspoint/") and "${" not in value)
    return _fixed(value)


def _narrow_cidr(value: str) -> bool:
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        raise PolicyParseError(f"aws:SourceIp value {value!r} is not an IP or CIDR") from exc
    return network.prefixlen >= _MIN_PREFIX[network.version]


def _restricting_values(op: Operator, key: str, values: tuple[str, ...],
                        ip_base: str, string_bases: set[str]) -> bool:
    if key == _SOURCE_IP:
        return op.base == ip_base and all(_narrow_cidr(v) for v in values)
    return (key in FIXING_KEYS and op.base in string_bases
            and all(_fixed_value(key, v) for v in values))


def restricts(name: str, key: str, values: tuple[str, ...]) -> bool:
    """The condition only holds for requests from a fixed set (of principals, networks,
    sources): a grant to everyone under it is not public.

    ...IfExists holds when the key is absent and ForAllValues holds for an empty set, so
    neither restricts; negated operators hold for everything but the named values.
    """
    op, key = operator(name), key.lower()
    if op.if_exists or op.qualifier == "ForAllValues" or not values:
        return False
    return _restricting_values(op, key, values, "IpAddress", _POSITIVE)


def excludes_all_but(name: str, key: str, values: tuple[str, ...]) -> bool:
    """The condition holds for every request outside a fixed set: a Deny under it leaves
    only that fixed set allowed (a negated operator, with or without IfExists)."""
    op, key = operator(name), key.lower()
    if op.qualifier or not values:
        return False
    return _restricting_values(op, key, values, "NotIpAddress", _NEGATIVE)


def is_insecure_transport(name: str, key: str, values: tuple[str, ...]) -> bool:
    """``aws:SecureTransport`` is false: Bool / BoolIfExists "false", or the same written as
    StringEquals (IAM compares Bool values as the strings "true" / "false")."""
    op = operator(name)
    return (key.lower() == "aws:securetransport" and not op.qualifier
            and op.base in ("Bool", "StringEquals", "StringEqualsIgnoreCase")
            and len(values) > 0
            and all((v if op.base == "StringEquals" else v.lower()) == "false" for v in values))
