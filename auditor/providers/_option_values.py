"""Checks of the values a user types for provider options, run before any provider is called.

Each check takes the typed value and returns the value to use, or raises ValueError whose
message is the reason (with a "did you mean" suggestion where one can be made).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable

from auditor.regions import canonical, regions

ValueCheck = Callable[[str], str]


def pattern_check(pattern: re.Pattern[str], expected: str, shown: int = 70) -> ValueCheck:
    """A check that takes the typed value, stripped, when all of it matches ``pattern``; the
    reason otherwise names what was expected (the typed value cut to ``shown`` characters)."""

    def check(value: str) -> str:
        typed = value.strip()
        if not pattern.fullmatch(typed):
            raise ValueError(f"{typed[:shown]!r} is not {expected}")
        return typed

    return check


def did_you_mean(typed: str, candidates: Iterable[str], n: int = 3,
                 nearest_anyway: bool = False) -> list[str]:
    """The candidates close to ``typed`` (case-insensitive), nearest first.

    With ``nearest_anyway``, when none is close the nearest ones are given all the same: among
    dozens of region codes an error should still point somewhere.
    """
    by_key = {c.casefold(): c for c in candidates}
    key = typed.strip().casefold()
    found = difflib.get_close_matches(key, list(by_key), n=n, cutoff=0.6)
    if not found and nearest_anyway:
        found = difflib.get_close_matches(key, list(by_key), n=n, cutoff=0.0)
    return [by_key[k] for k in found]


def suggestion_text(typed: str, candidates: Iterable[str]) -> str:
    """"; did you mean 'x'?" for the close candidates, or nothing when none is close."""
    close = did_you_mean(typed, candidates)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _typable_forms(provider: str) -> dict[str, str]:
    """casefolded form -> form, for every region code and its short form the table accepts.

    A short form is the code without its first dash-separated part when the table resolves it
    to the same code (Alibaba: cn-hangzhou for oss-cn-hangzhou); found through canonical(), so
    no prefix is hard-coded here.
    """
    forms: dict[str, str] = {}
    for code in regions(provider):
        forms[code.casefold()] = code
        _, dash, rest = code.partition("-")
        if dash and canonical(provider, rest) == code:
            forms[rest.casefold()] = rest
    return forms


def region_check(provider: str) -> ValueCheck:
    """A check that ``value`` is a region of ``provider`` in auditor/providers/<provider>/regions.yaml."""

    def check(value: str) -> str:
        forms = _typable_forms(provider)
        typed = value.strip()
        if typed.casefold() in forms:
            return forms[typed.casefold()]
        if canonical(provider, typed) is not None:  # an alias the table knows
            return typed
        # Suggest one form per region: the nearest of its spellings.
        nearest: list[str] = []
        seen: set[str | None] = set()
        for form in did_you_mean(typed, forms.values(), n=10, nearest_anyway=True):
            code = canonical(provider, form)
            if code not in seen:
                seen.add(code)
                nearest.append(form)
        hint = f"; did you mean {' or '.join(repr(f) for f in nearest[:3])}?" if nearest else ""
        raise ValueError(f"unknown {provider} region {typed!r}{hint}")

    return check


# Resource Manager, "Creating and managing projects": 6 to 30 characters, lowercase letters,
# digits and hyphens, starting with a letter, not ending with a hyphen. Older projects may be
# domain-scoped, "example.com:my-project".
_PROJECT_ID = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
PROJECT_ID_RULE = ("6 to 30 lowercase letters, digits or hyphens, starting with a letter and "
                   "not ending with a hyphen, optionally after a domain and a colon "
                   "(example.com:my-project)")


def _fixed_project_id(value: str) -> str | None:
    """The id the user most likely meant (case and separators fixed), if that one is valid."""
    domain, colon, local = value.strip().rpartition(":")
    fixed = re.sub(r"[^a-z0-9-]+", "-", local.casefold()).strip("-")
    candidate = f"{domain.casefold()}{colon}{fixed}"
    return candidate if candidate != value and _valid_project_id(candidate) else None


def _valid_project_id(value: str) -> bool:
    domain, colon, local = value.rpartition(":")
    if colon and not _DOMAIN.fullmatch(domain):
        return False
    return bool(_PROJECT_ID.fullmatch(local))


def gcp_project_id(value: str) -> str:
    """The project id unchanged when it has the documented format; else ValueError."""
    if _valid_project_id(value):
        return value
    fixed = _fixed_project_id(value)
    hint = f"; did you mean {fixed!r}?" if fixed else ""
    raise ValueError(f"not a Google Cloud project id {value!r}: {PROJECT_ID_RULE}{hint}")
