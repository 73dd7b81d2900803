"""Policy document analysis: TLS enforcement on buckets, public grants on buckets and keys."""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

_TLS_KEYS = {"aws:securetransport", "s3:tlsversion"}


class PolicyParseError(ValueError):
    """The policy document is not a JSON IAM policy."""


def parse(document: str | dict[str, Any]) -> list[dict[str, Any]]:
    """The statements of a policy document (a JSON string or a parsed dict)."""
    try:
        policy = json.loads(document) if isinstance(document, str) else document
    except ValueError as exc:
        raise PolicyParseError(f"policy is not JSON: {exc}") from exc
    if not isinstance(policy, dict) or "Statement" not in policy:
        raise PolicyParseError("policy has no Statement")
    statements = policy["Statement"]
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise PolicyParseError("Statement is not an object or a list of objects")
    return statements


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _everyone(statement: dict[str, Any]) -> bool:
    """The statement names every principal (``*`` or ``{"AWS": "*"}``)."""
    if "NotPrincipal" in statement:
        return False
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return "*" in _as_list(principal.get("AWS"))
    return False


def _label(statement: dict[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return f"statement {sid!r}" if sid else f"statement #{index + 1}"


def _tls_condition(condition: Any) -> tuple[str | None, list[str]]:
    """(what the condition enforces, the extra condition keys that narrow it)."""
    if not isinstance(condition, dict):
        return None, []
    enforces: str | None = None
    extra: list[str] = []
    for operator, block in condition.items():
        if not isinstance(block, dict):
            extra.append(str(operator))
            continue
        for key, value in block.items():
            lowered = key.lower()
            values = [str(v).lower() for v in _as_list(value)]
            if (lowered == "aws:securetransport" and operator in ("Bool", "BoolIfExists")
                    and values == ["false"] and enforces is None):
                enforces = "aws:SecureTransport=false"
            elif (lowered == "s3:tlsversion" and operator in ("NumericLessThan",)
                  and len(values) == 1 and enforces is None):
                enforces = f"s3:TlsVersion<{values[0]}"
            else:
                extra.append(f"{operator}:{key}")
    return enforces, extra


@dataclass(frozen=True, slots=True)
class TlsVerdict:
    required: bool
    detail: str


def tls_enforced(statements: list[dict[str, Any]], bucket_arn: str) -> TlsVerdict:
    """Whether a Deny on insecure transport covers every principal, action, bucket and object.

    A Deny narrowed by extra conditions, principals, actions or resources does not count; the
    detail names what narrows it.
    """
    object_prefix = f"{bucket_arn}/"
    reasons: list[str] = []
    for index, statement in enumerate(statements):
        if statement.get("Effect") != "Deny":
            continue
        enforces, extra = _tls_condition(statement.get("Condition"))
        if enforces is None:
            if any(k.split(":", 1)[-1].lower() in _TLS_KEYS for k in extra):
                reasons.append(f"{_label(statement, index)}: TLS condition in an unsupported form")
            continue
        narrowed: list[str] = []
        if extra:
            narrowed.append("extra condition(s) " + ", ".join(extra))
        if not _everyone(statement):
            narrowed.append("not every principal")
        actions = _as_list(statement.get("Action"))
        if "NotAction" in statement or not any(str(a).lower() in ("*", "s3:*") for a in actions):
            narrowed.append("not all actions")
        resources = [str(r) for r in _as_list(statement.get("Resource"))]
        if "NotResource" in statement:
            narrowed.append("NotResource")
        else:
            if not any(fnmatchcase(bucket_arn, r) for r in resources):
                narrowed.append("bucket ARN not covered")
            # A pattern ending in '*' that matches the object prefix matches every object.
            if not any(r.endswith("*") and fnmatchcase(object_prefix, r) for r in resources):
                narrowed.append("not every object ARN covered")
        label = _label(statement, index)
        if not narrowed:
            return TlsVerdict(True, f"{label} denies requests with {enforces} for every "
                                    "principal, action, the bucket and its objects")
        reasons.append(f"{label} denies {enforces} but does not count: " + "; ".join(narrowed))
    if reasons:
        return TlsVerdict(False, " | ".join(reasons))
    return TlsVerdict(False, "the bucket policy has no Deny on aws:SecureTransport=false "
                             "or an s3:TlsVersion floor")


def public_grants(statements: list[dict[str, Any]]) -> list[str]:
    """Statements that Allow every principal with no condition (labels, for the detail)."""
    return [_label(s, i) for i, s in enumerate(statements)
            if s.get("Effect") == "Allow" and _everyone(s) and not s.get("Condition")]
