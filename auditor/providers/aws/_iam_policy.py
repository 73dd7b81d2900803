"""The AWS IAM policy language: parsing, principals, and action/resource patterns.

Only what the public and TLS verdicts need; conditions live in ``_iam_conditions``.
Sources: IAM User Guide, "IAM JSON policy elements reference" (Statement, Effect, Principal,
NotPrincipal, Action, NotAction, Resource, NotResource).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_PRINCIPAL_TYPES = ("AWS", "Service", "CanonicalUser", "Federated")


class PolicyParseError(ValueError):
    """The policy document is not a well-formed JSON IAM policy (no verdict can be drawn)."""


@dataclass(frozen=True, slots=True)
class Statement:
    label: str
    effect: str                                   # "Allow" or "Deny"
    principals: dict[str, tuple[str, ...]] | None  # None: NotPrincipal; {"*": ("*",)}: everyone
    not_principal: dict[str, tuple[str, ...]] | None
    actions: tuple[str, ...]
    negated_actions: bool                         # NotAction
    resources: tuple[str, ...]
    negated_resources: bool                       # NotResource
    condition: dict[str, dict[str, tuple[str, ...]]]

    @property
    def everyone(self) -> bool:
        """``"*"`` or ``{"AWS": "*"}``: every principal, anonymous ones included."""
        return self.principals is not None and "*" in self.principals.get("AWS", ())


def _strings(value: Any, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, str) for i in items):
        raise PolicyParseError(f"{where} must be a string or a non-empty list of strings")
    return tuple(items)


def _principal_block(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    if value == "*":
        return {"AWS": ("*",)}
    if not isinstance(value, dict) or not value:
        raise PolicyParseError(f"{where} must be \"*\" or an object of principal types")
    block: dict[str, tuple[str, ...]] = {}
    for kind, names in value.items():
        if kind not in _PRINCIPAL_TYPES:
            raise PolicyParseError(f"{where} has an unknown principal type {kind!r}")
        block[kind] = _strings(names, f"{where}.{kind}")
        # IAM accepts "*" alone, never a wildcard inside a principal name or ARN.
        if any("*" in n and n != "*" for n in block[kind]) and kind == "AWS":
            raise PolicyParseError(f"{where}.{kind} has a partial wildcard")
    return block


def _condition(value: Any, where: str) -> dict[str, dict[str, tuple[str, ...]]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PolicyParseError(f"{where} must be an object")
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for operator, block in value.items():
        if not isinstance(block, dict) or not block:
            raise PolicyParseError(f"{where}.{operator} must be an object of condition keys")
        out[operator] = {}
        for key, raw in block.items():
            items = raw if isinstance(raw, list) else [raw]
            if not all(isinstance(v, str | bool | int | float) for v in items):
                raise PolicyParseError(f"{where}.{operator}.{key} has a non-scalar value")
            # JSON booleans and numbers compare as their policy-text spelling.
            out[operator][key] = tuple(str(v).lower() if isinstance(v, bool) else str(v)
                                       for v in items)
    return out


def _either(raw: dict[str, Any], name: str, where: str) -> tuple[tuple[str, ...], bool]:
    if (name in raw) == (f"Not{name}" in raw):
        raise PolicyParseError(f"{where} needs exactly one of {name} and Not{name}")
    negated = f"Not{name}" in raw
    return _strings(raw[f"Not{name}" if negated else name], f"{where}.{name}"), negated


def _statement(raw: Any, index: int) -> Statement:
    if not isinstance(raw, dict):
        raise PolicyParseError("Statement is not an object or a list of objects")
    sid = raw.get("Sid")
    label = f"statement {sid!r}" if sid else f"statement #{index + 1}"
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyParseError(f"{label}: Effect must be Allow or Deny, not {effect!r}")
    if ("Principal" in raw) == ("NotPrincipal" in raw):
        raise PolicyParseError(f"{label} needs exactly one of Principal and NotPrincipal")
    principals = (_principal_block(raw["Principal"], f"{label}.Principal")
                  if "Principal" in raw else None)
    not_principal = (_principal_block(raw["NotPrincipal"], f"{label}.NotPrincipal")
                     if "NotPrincipal" in raw else None)
    actions, negated_actions = _either(raw, "Action", label)
    resources, negated_resources = _either(raw, "Resource", label)
    return Statement(label, effect, principals, not_principal, actions, negated_actions,
                     resources, negated_resources,
                     _condition(raw.get("Condition"), f"{label}.Condition"))


def parse(document: str | dict[str, Any]) -> list[Statement]:
    """The statements of a resource policy (a JSON string or a parsed dict)."""
    try:
        policy = json.loads(document) if isinstance(document, str) else document
    except ValueError as exc:
        raise PolicyParseError(f"policy is not JSON: {exc}") from exc
    if not isinstance(policy, dict) or "Statement" not in policy:
        raise PolicyParseError("policy has no Statement")
    raw = policy["Statement"]
    raw = [raw] if isinstance(raw, dict) else raw
    if not isinstance(raw, list) or not raw:
        raise PolicyParseError("Statement is not an object or a list of objects")
    return [_statement(s, i) for i, s in enumerate(raw)]


@lru_cache(maxsize=512)
def _regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    # Policy wildcards are only '*' (any run) and '?' (one character).
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """``value`` matches the policy wildcard ``pattern`` (actions: case-insensitive)."""
    if not ignore_case and "?" not in pattern:  # most resource ARNs: no regex compiled
        star = pattern.find("*")
        if star < 0:
            return pattern == value
        if star == len(pattern) - 1:  # "arn:aws:s3:::bucket/*"
            return value.startswith(pattern[:-1])
    return _regex(pattern, ignore_case).fullmatch(value) is not None


def may_match_prefix(pattern: str, prefix: str, ignore_case: bool = False) -> bool:
    """``pattern`` may match some string that starts with ``prefix`` (over-approximation)."""
    literal = re.split(r"[*?]", pattern, maxsplit=1)[0]
    if ignore_case:
        literal, prefix = literal.lower(), prefix.lower()
    if literal == pattern:  # no wildcard
        return literal.startswith(prefix)
    return literal.startswith(prefix) or prefix.startswith(literal)


def action_covers(patterns: tuple[str, ...], action: str) -> bool:
    """A pattern in ``patterns`` covers the (possibly wildcarded) ``action`` pattern."""
    return any(matches(p, action, ignore_case=True) for p in patterns)
