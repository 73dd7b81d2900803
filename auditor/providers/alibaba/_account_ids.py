"""The check of a typed Alibaba Cloud account id (a UID: digits, 16 of them today)."""

from __future__ import annotations

import re

from auditor.providers._option_values import pattern_check

_UID = re.compile(r"[0-9]{1,32}")

# The id as typed, stripped; ValueError unless it is all digits.
account_id_check = pattern_check(
    _UID, "an Alibaba Cloud account id (digits, e.g. 1234567890123456)")
