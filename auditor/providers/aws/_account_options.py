"""The options of a multi-account scan, checked as typed (no SDK is imported here)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# The RoleSessionName of every AssumeRole: CloudTrail in the member account shows the auditor.
DEFAULT_SESSION_NAME = "safeguard-auditor"
_ACCOUNT_ID = re.compile(r"\d{12}", re.ASCII)
# AWS STS API Reference, AssumeRole: RoleSessionName matches [\w+=,.@-]*, 2 to 64 characters.
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
# IAM API Reference, CreateRole: RoleName matches [\w+=,.@-]+, 1 to 64 characters.
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)


def account_id_check(value: str) -> str:
    """An AWS account id: exactly 12 digits."""
    typed = value.strip()
    if not _ACCOUNT_ID.fullmatch(typed):
        raise ValueError(f"{typed[:40]!r} is not an AWS account id (12 digits)")
    return typed


def session_name_check(value: str) -> str:
    """An STS RoleSessionName: 2 to 64 of letters, digits and +=,.@_-."""
    typed = value.strip()
    if not _SESSION_NAME.fullmatch(typed):
        raise ValueError(f"{typed[:70]!r} is not a role session name (2 to 64 characters: "
                         "letters, digits and +=,.@_-)")
    return typed


def role_name_check(value: str) -> str:
    """An IAM role name (without a path): 1 to 64 of letters, digits and +=,.@_-."""
    typed = value.strip()
    if not _ROLE_NAME.fullmatch(typed):
        raise ValueError(f"{typed[:70]!r} is not an IAM role name (1 to 64 characters: "
                         "letters, digits and +=,.@_-)")
    return typed


def listed(value: Any) -> list[str]:
    """A repeatable option's values as a list (one string, a list, or nothing)."""
    if not value:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def is_multi_account(options: Mapping[str, Any]) -> bool:
    """Whether the options ask for accounts collected apart (an organization or a list)."""
    return bool(options.get("organization")) or bool(listed(options.get("account")))
