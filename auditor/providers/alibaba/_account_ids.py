"""The check of a typed Alibaba Cloud account id (a UID: digits, 16 of them today)."""

from __future__ import annotations

import re

_UID = re.compile(r"[0-9]{1,32}")


def account_id_check(value: str) -> str:
    """The id as typed, stripped; ValueError unless it is all digits."""
    text = value.strip()
    if not _UID.fullmatch(text):
        raise ValueError(f"{value!r} is not an Alibaba Cloud account id (digits, e.g. "
                         "1234567890123456)")
    return text
