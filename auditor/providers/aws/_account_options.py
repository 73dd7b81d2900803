"""The options of a multi-account scan, checked as typed (no SDK is imported here)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from auditor.providers._option_values import pattern_check

# The RoleSessionName of every AssumeRole: CloudTrail in the member account shows the auditor.
DEFAULT_SESSION_NAME = "safeguard-auditor"
_ACCOUNT_ID = re.compile(r"\d{12}", re.ASCII)
# AWS STS API Reference, AssumeRole: RoleSessionName matches [\w+=,.@-]*, 2 to 64 characters.
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
# IAM API Reference, CreateRole: RoleName matches [\w+=,.@-]+, 1 to 64 characters.
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)


# Each takes the typed value, stripped; ValueError with the reason otherwise.
account_id_check = pattern_check(_ACCOUNT_ID, "an AWS account id (12 digits)", shown=40)
session_name_check = pattern_check(
    _SESSION_NAME, "a role session name (2 to 64 characters: letters, digits and +=,.@_-)")
role_name_check = pattern_check(
    _ROLE_NAME, "an IAM role name (1 to 64 characters: letters, digits and +=,.@_-)")


def listed(value: Any) -> list[str]:
    """A repeatable option's values as a list (one string, a list, or nothing)."""
    if not value:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def is_multi_account(options: Mapping[str, Any]) -> bool:
    """Whether the options ask for accounts collected apart (an organization or a list)."""
    return bool(options.get("organization")) or bool(listed(options.get("account")))
