"""Verdicts on Alibaba Cloud policies: is a bucket or key policy public, does a bucket policy
enforce TLS. The language itself (parsing, wildcards) lives in ``_ram_policy``.

Public, as OSS "Block Public Access" defines it: an Allow statement is non-public when its
Principal is one or more fixed values without ``*``, or a Condition pins it to fixed
acs:SourceVpcId / acs:SourceVpc / acs:AccessId values without ``*``, or to acs:SourceIp /
acs:SourceVpcIp ranges with a mask of at least 8 (IPv4) / 32 (IPv6). Deny statements are
non-public; Action and Resource do not matter. Any other Allow statement makes the policy public
(a condition such as acs:SecureTransport does not restrict who), unless an unconditional Deny for
everyone covers all of its actions and resources (RAM: an explicit Deny wins over any Allow).

TLS verdicts live in ``_tls_policy`` and are re-exported here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from auditor.providers.alibaba._ram_policy import Condition, PolicyParseError, Statement, parse
from auditor.providers.alibaba._tls_policy import TlsUndecided, TlsVerdict, tls_enforcement

__all__ = ["KeyPolicyVerdict", "PolicyParseError", "PublicVerdict", "TlsUndecided",
           "TlsVerdict", "bucket_policy_public", "key_policy_public", "tls_enforcement"]

FIXED_VALUE_KEYS = frozenset({"acs:sourcevpcid", "acs:sourcevpc", "acs:accessid"})
IP_KEYS = frozenset({"acs:sourceip", "acs:sourcevpcip"})
# Operators whose match set is the listed values only (a "Not" operator admits everyone else).
PINNING_STRING_OPERATORS = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike"})


# --- publicness ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PublicVerdict:
    public: bool
    detail: str


KeyPolicyVerdict = PublicVerdict  # the name the key call site imports


def _narrow_ip(value: str) -> bool:
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError as exc:  # a malformed policy gets no verdict (AWS's analyser does the same)
        raise PolicyParseError(f"IpAddress value {value!r} is not an IP range") from exc
    return network.prefixlen >= (8 if network.version == 4 else 32)


def _pins_requester(condition: Condition) -> bool:
    """Does this condition alone limit the statement to fixed VPCs, AccessKeys or IP ranges?"""
    if condition.name in FIXED_VALUE_KEYS and condition.operator in PINNING_STRING_OPERATORS:
        return all(v and "*" not in v for v in condition.values)
    if condition.name in IP_KEYS and condition.operator == "IpAddress":
        return all(_narrow_ip(v) for v in condition.values)
    return False


def _public_reason(statement: Statement, principal_is_fixed: Callable[[str], bool]
                   ) -> str | None:
    """Why an Allow statement is public, or None when the docs call it non-public."""
    if not statement.allows:
        return None
    principals = statement.principals or ()
    if principals and all(principal_is_fixed(p) for p in principals):
        return None
    if any(_pins_requester(c) for c in statement.conditions):
        return None
    wide = [p for p in principals if not principal_is_fixed(p)]
    others = sorted({f"{c.operator}:{c.key}" for c in statement.conditions})
    return (f"statement {statement.index} allows principal {wide} "
            + (f"under conditions {others} that do not pin the requester" if others
               else "without conditions"))


def _pattern_covers(pattern: str, other: str) -> bool:
    """Every value ``other`` (itself maybe a wildcard) matches is matched by ``pattern``."""
    if pattern == "*" or pattern == other:
        return True
    head = pattern[:-1]
    return (pattern.endswith("*") and "*" not in head and "?" not in head
            and other.startswith(head))


def _revoked_by(allow: Statement, deny: Statement) -> bool:
    """A Deny for everyone, unconditional, over all of the Allow's actions and resources:
    RAM evaluates an explicit Deny before any Allow, so the Allow grants nothing."""
    if (deny.allows or deny.conditions or "*" not in (deny.principals or ())
            or deny.actions_negated or deny.resources_negated
            or allow.actions_negated or allow.resources_negated):
        return False
    return (all(any(_pattern_covers(d, a) for d in deny.actions) for a in allow.actions)
            and all(any(_pattern_covers(d, r) for d in deny.resources)
                    for r in allow.resources))


def _verdict(statements: list[Statement],
             principal_is_fixed: Callable[[str], bool]) -> PublicVerdict:
    denies = [s for s in statements if not s.allows]
    reasons = [r for s in statements if (r := _public_reason(s, principal_is_fixed))
               and not any(_revoked_by(s, d) for d in denies)]
    if reasons:
        return PublicVerdict(True, " | ".join(reasons))
    return PublicVerdict(False, "no Allow statement is open to everyone: each names fixed "
                                "principals, pins the source, or is a Deny")


def _oss_principal_fixed(principal: str) -> bool:
    return "*" not in principal  # Block Public Access: fixed values without the * wildcard


def bucket_policy_public(document: str | None) -> PublicVerdict:
    """Public by the OSS Block Public Access criteria. Raises PolicyParseError."""
    if document is None:
        return PublicVerdict(False, "no bucket policy (NoSuchBucketPolicy)")
    return _verdict(parse(document, principal_required=True), _oss_principal_fixed)


def _kms_principal_fixed(principal: str) -> bool:
    """KMS key policies name accounts and their RAM identities (acs:ram::UID:*, :user/x,
    :role/x); ``*`` in the account part, or ``*`` alone, opens the key to every account."""
    if principal == "*":
        return False
    parts = principal.split(":", 4)
    if len(parts) == 5 and parts[0] == "acs" and parts[1] == "ram":
        return bool(parts[3]) and "*" not in parts[3] and "?" not in parts[3]
    return "*" not in principal and "?" not in principal


def key_policy_public(document: str) -> PublicVerdict:
    """Public when an Allow opens the key to every account. Raises PolicyParseError."""
    return _verdict(parse(document, principal_required=True), _kms_principal_fixed)
