"""The Alibaba Cloud policy language, as RAM, OSS bucket policies and KMS key policies write it.

Parsing only: a document becomes a list of ``Statement``; a document we cannot read exactly
as documented raises ``PolicyParseError`` (the caller reports an error, never a verdict).

Sources: RAM "Policy structure and syntax" (Version "1"; Effect "Allow" | "Deny"; Action |
NotAction; Resource | NotResource; element names, operators and predefined values are
case-sensitive; a single string or a list; ``*`` and ``?`` wildcards), RAM "Conditional
operators" (the operator list below), OSS "Bucket Policy" and KMS "SetKeyPolicy" (Principal is
required; key policies write it as ``{"RAM": [...]}``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

EFFECTS = ("Allow", "Deny")
# RAM "Conditional operators": string, number, date and time, Boolean, IP address.
OPERATORS = frozenset({
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike",
    "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
    "NumericGreaterThan", "NumericGreaterThanEquals",
    "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool", "IpAddress", "NotIpAddress",
})
PRINCIPAL_KEYS = frozenset({"RAM"})  # the only Principal map key KMS documents


class PolicyParseError(ValueError):
    """The document is not a policy as the RAM policy language defines it."""


@dataclass(frozen=True, slots=True)
class Condition:
    operator: str
    key: str  # as written; compare through ``name``
    values: tuple[str, ...]

    @property
    def name(self) -> str:
        """Condition keys compare case-insensitively (acs:SecureTransport == ACS:securetransport)."""
        return self.key.lower()


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    effect: str
    principals: tuple[str, ...] | None  # None: the statement names no Principal
    actions: tuple[str, ...]
    actions_negated: bool  # NotAction
    resources: tuple[str, ...]
    resources_negated: bool  # NotResource
    conditions: tuple[Condition, ...]

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"

    def keys(self) -> set[str]:
        return {c.name for c in self.conditions}


def _strings(value: Any, where: str) -> tuple[str, ...]:
    """A string or a non-empty list of strings (the documented forms)."""
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) and v for v in items):
        raise PolicyParseError(f"{where} must be a string or a list of strings, got {value!r}")
    return tuple(items)


def _scalar(value: Any, where: str) -> str:
    if isinstance(value, bool):  # JSON true/false: Bool conditions may write them bare
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise PolicyParseError(f"{where}: unreadable condition value {value!r}")


def _principals(statement: dict[str, Any], where: str) -> tuple[str, ...] | None:
    if "NotPrincipal" in statement:
        raise PolicyParseError(f"{where}: NotPrincipal is not part of the documented "
                               "Alibaba Cloud policy language")
    if "Principal" not in statement:
        return None
    principal = statement["Principal"]
    if isinstance(principal, dict):
        unknown = set(principal) - PRINCIPAL_KEYS
        if unknown or not principal:
            raise PolicyParseError(f"{where}: Principal map keys {sorted(unknown)} are not RAM")
        return tuple(p for values in principal.values()
                     for p in _strings(values, f"{where} Principal.RAM"))
    return _strings(principal, f"{where} Principal")


def _pair(statement: dict[str, Any], name: str, where: str) -> tuple[tuple[str, ...], bool]:
    """Exactly one of NAME / NotNAME, as the grammar has it."""
    has, has_not = name in statement, f"Not{name}" in statement
    if has == has_not:
        raise PolicyParseError(f"{where} needs exactly one of {name} and Not{name}")
    key = name if has else f"Not{name}"
    return _strings(statement[key], f"{where} {key}"), has_not


def _conditions(statement: dict[str, Any], where: str) -> tuple[Condition, ...]:
    block = statement.get("Condition")
    if block is None:
        return ()
    if not isinstance(block, dict):
        raise PolicyParseError(f"{where} Condition is not an object")
    out: list[Condition] = []
    for operator, keys in block.items():
        if operator not in OPERATORS:
            raise PolicyParseError(f"{where}: unknown condition operator {operator!r}")
        if not isinstance(keys, dict) or not keys:
            raise PolicyParseError(f"{where} Condition.{operator} is not a key/value object")
        for key, raw in keys.items():
            items = raw if isinstance(raw, list) else [raw]
            if not items:
                raise PolicyParseError(f"{where} {operator}.{key} has no values")
            out.append(Condition(operator, str(key),
                                 tuple(_scalar(v, f"{where} {operator}.{key}") for v in items)))
    return tuple(out)


def parse(document: str, *, principal_required: bool) -> list[Statement]:
    """Every statement of ``document``; ``Statement`` may be one object or a list."""
    try:
        policy = json.loads(document)
    except (TypeError, ValueError) as exc:
        raise PolicyParseError(f"policy is not JSON: {exc}") from exc
    if not isinstance(policy, dict):
        raise PolicyParseError("policy is not a JSON object")
    if "Version" in policy and policy["Version"] != "1":
        raise PolicyParseError(f"policy Version {policy['Version']!r} is not \"1\"")
    raw = policy.get("Statement")
    found = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else None
    if found is None:
        raise PolicyParseError("policy has no Statement object or list")
    statements: list[Statement] = []
    for index, item in enumerate(found):
        where = f"statement {index}"
        if not isinstance(item, dict):
            raise PolicyParseError(f"{where} is not an object")
        effect = item.get("Effect")
        if effect not in EFFECTS:  # case-sensitive: "deny" is not a RAM effect
            raise PolicyParseError(f"{where}: Effect {effect!r} is not \"Allow\" or \"Deny\"")
        principals = _principals(item, where)
        if principals is None and principal_required:
            raise PolicyParseError(f"{where} has no Principal")
        actions, not_action = _pair(item, "Action", where)
        resources, not_resource = _pair(item, "Resource", where)
        statements.append(Statement(index, effect, principals, actions, not_action, resources,
                                    not_resource, _conditions(item, where)))
    return statements


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """RAM wildcards: ``*`` any run of characters, ``?`` one character; nothing else special."""
    escaped = pattern.replace("[", "[[]")
    if ignore_case:
        return fnmatchcase(value.lower(), escaped.lower())
    return fnmatchcase(value, escaped)


def literal_prefix(pattern: str) -> tuple[str, bool]:
    """(the characters before the first wildcard, whether there is a wildcard)."""
    cut = min((i for i in (pattern.find("*"), pattern.find("?")) if i >= 0), default=-1)
    return (pattern, False) if cut < 0 else (pattern[:cut], True)


def could_match_prefix(pattern: str, prefix: str, *, ignore_case: bool = False) -> bool:
    """Could ``pattern`` match some string that starts with ``prefix``?"""
    if ignore_case:
        pattern, prefix = pattern.lower(), prefix.lower()
    literal, wild = literal_prefix(pattern)
    if not wild:
        return pattern.startswith(prefix)
    return literal.startswith(prefix) or prefix.startswith(literal)
