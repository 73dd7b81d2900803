"""Policy document analysis: TLS enforcement on OSS bucket policies, public KMS key policies.

A bucket enforces TLS only when one statement denies, for every principal and every OSS
action, on the bucket and on all of its objects, each request whose
``acs:SecureTransport`` is false, with no other condition narrowing it. An Allow on
``acs:SecureTransport=true`` does not count: a public ACL or another Allow still admits
plain HTTP. Anything narrower is reported as not enforced, with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

SECURE_TRANSPORT = "acs:securetransport"
EVERYONE = frozenset({"*", "acs:ram::*:*", "acs:ram::*:root"})


class PolicyParseError(ValueError):
    """The policy document is not a JSON object with statements."""


@dataclass(frozen=True, slots=True)
class TlsVerdict:
    required: bool
    detail: str


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def statements(document: str) -> list[dict[str, Any]]:
    try:
        policy = json.loads(document)
    except (TypeError, ValueError) as exc:
        raise PolicyParseError(f"policy is not JSON: {exc}") from exc
    if not isinstance(policy, dict):
        raise PolicyParseError("policy is not a JSON object")
    found = _as_list(policy.get("Statement"))
    if not all(isinstance(s, dict) for s in found):
        raise PolicyParseError("a Statement is not an object")
    return found


def _principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if isinstance(principal, dict):  # {"RAM": [...]} in key policies
        return [str(p) for values in principal.values() for p in _as_list(values)]
    return [str(p) for p in _as_list(principal)]


def _covers_everyone(statement: dict[str, Any]) -> bool:
    return "NotPrincipal" not in statement and any(p in EVERYONE for p in _principals(statement))


def _covers_all_actions(statement: dict[str, Any]) -> bool:
    actions = [str(a).lower() for a in _as_list(statement.get("Action"))]
    return "NotAction" not in statement and any(a in ("*", "oss:*") for a in actions)


def _split_resource(resource: str) -> tuple[str, str, str] | None:
    """acs:oss:REGION:ACCOUNT:PATH -> (region, account, path); ``*`` alone covers all."""
    if resource == "*":
        return "*", "*", "*"
    parts = resource.split(":", 4)
    if len(parts) != 5 or parts[0] != "acs" or parts[1] not in ("oss", "*"):
        return None
    return parts[2], parts[3], parts[4]


def _covers_bucket(path: str, bucket: str) -> bool:
    return fnmatchcase(bucket, path)


def _covers_all_objects(path: str, bucket: str) -> bool:
    """``NAME/*``, ``NAME*`` or ``*``: a wildcard-free prefix of ``NAME/`` then ``*``."""
    if not path.endswith("*"):
        return False
    prefix = path[:-1]
    return not any(c in prefix for c in "*?[") and f"{bucket}/".startswith(prefix)


@dataclass(frozen=True, slots=True)
class _Scope:
    """What a statement's resources cover: surely, and if the unread owner/region matched."""

    bucket: bool
    objects: bool
    bucket_if_unknown: bool
    objects_if_unknown: bool
    unknown: tuple[str, ...]  # why some resources could not be placed


def _resource_scope(statement: dict[str, Any], bucket: str, region: str | None,
                    account: str | None) -> _Scope:
    """The bucket's coverage by ``statement``; ``region``/``account`` None when not read.

    A resource naming a specific region or account cannot be placed when ours is unknown:
    it counts only in the ``*_if_unknown`` flags, never as a match or a miss.
    """
    if "NotResource" in statement:
        return _Scope(False, False, False, False, ())
    sure = [False, False]
    maybe = [False, False]
    unknown: list[str] = []
    for raw in _as_list(statement.get("Resource")):
        split = _split_resource(str(raw))
        if split is None:
            continue
        res_region, res_account, path = split
        undecided: list[str] = []
        if res_region and res_region != "*":
            if region is None:
                undecided.append(f"region {res_region!r}")
            elif not any(fnmatchcase(r, res_region) for r in (region, f"oss-{region}")):
                continue
        if res_account and res_account != "*":
            if account is None:
                undecided.append(f"account {res_account!r}")
            elif not fnmatchcase(account, res_account):
                continue
        covers = (_covers_bucket(path, bucket), _covers_all_objects(path, bucket))
        target = maybe if undecided else sure
        target[0] = target[0] or covers[0]
        target[1] = target[1] or covers[1]
        if undecided and any(covers):
            unknown.append(f"{raw} names {' and '.join(undecided)}")
    return _Scope(sure[0], sure[1], sure[0] or maybe[0], sure[1] or maybe[1], tuple(unknown))


def _condition_shape(statement: dict[str, Any]) -> tuple[bool, list[str]]:
    """(denies when acs:SecureTransport is false, the other condition keys)."""
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return False, []
    secure_false = False
    others: list[str] = []
    for operator, block in condition.items():
        if not isinstance(block, dict):
            others.append(str(operator))
            continue
        for key, value in block.items():
            if str(key).lower() == SECURE_TRANSPORT and str(operator).lower() == "bool":
                values = {str(v).lower() for v in _as_list(value)}
                secure_false = secure_false or "false" in values
            else:
                others.append(f"{operator}:{key}")
    return secure_false, others


class TlsUndecided(ValueError):
    """A statement would decide the verdict, but names a region or account we could not read."""


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
    for index, statement in enumerate(statements(document)):
        effect = str(statement.get("Effect", "")).lower()
        secure_false, other_keys = _condition_shape(statement)
        if effect == "allow" and _allows_only_tls(statement):
            reasons.append(f"statement {index} only allows acs:SecureTransport=true, "
                           "which does not deny plain HTTP")
            continue
        if effect != "deny" or not secure_false:
            continue
        why: list[str] = []
        if not _covers_everyone(statement):
            why.append(f"principal {_principals(statement) or 'NotPrincipal'} is not everyone")
        if not _covers_all_actions(statement):
            why.append(f"actions {_as_list(statement.get('Action'))} are not oss:*")
        if other_keys:
            why.append(f"extra conditions {other_keys} narrow it")
        scope = _resource_scope(statement, bucket, region, account)
        if not why and scope.bucket and scope.objects:
            return TlsVerdict(True, f"statement {index} denies acs:SecureTransport=false "
                                    "for every principal, action and resource")
        if not why and scope.bucket_if_unknown and scope.objects_if_unknown:
            undecided.append(f"statement {index} would enforce TLS, but its resources ("
                             + "; ".join(scope.unknown) + ") cannot be matched against the "
                             "bucket's unread owner/region")
            continue
        if not scope.bucket_if_unknown:
            why.append("resources do not cover the bucket itself")
        if not scope.objects_if_unknown:
            why.append("resources do not cover every object (NAME/*)")
        reasons.append(f"statement {index} denies acs:SecureTransport=false but is narrowed: "
                       + "; ".join(why))
    if undecided:
        raise TlsUndecided(" | ".join(undecided))
    if not reasons:
        return TlsVerdict(False, "no statement denies acs:SecureTransport=false")
    return TlsVerdict(False, " | ".join(reasons))


def _allows_only_tls(statement: dict[str, Any]) -> bool:
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return False
    for operator, block in condition.items():
        if str(operator).lower() == "bool" and isinstance(block, dict):
            for key, value in block.items():
                if str(key).lower() == SECURE_TRANSPORT and \
                        "true" in {str(v).lower() for v in _as_list(value)}:
                    return True
    return False


@dataclass(frozen=True, slots=True)
class KeyPolicyVerdict:
    public: bool
    detail: str


def key_policy_public(document: str) -> KeyPolicyVerdict:
    """A key policy is public when an unconditioned Allow names every principal."""
    conditioned: list[int] = []
    for index, statement in enumerate(statements(document)):
        if str(statement.get("Effect", "")).lower() != "allow":
            continue
        if not _covers_everyone(statement):
            continue
        if statement.get("Condition"):
            conditioned.append(index)
            continue
        return KeyPolicyVerdict(True, f"statement {index} allows every principal")
    if conditioned:
        return KeyPolicyVerdict(False, f"statements {conditioned} allow every principal "
                                       "only under conditions")
    return KeyPolicyVerdict(False, "no statement allows every principal")
