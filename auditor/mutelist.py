"""Mutelist: findings matching a rule are reported as MUTED, with the rule's reason.

Every rule carries a reason and an expiry date: an accepted risk is accepted until a date,
after which the rule mutes nothing and the report lists it (expired_rules). Rules match on
check, provider, account, region, resource (shell globs) and resource tags (key -> glob).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError
from auditor.model import ExpiredMute, Finding, Status
from auditor.safe_text import one_line
from auditor.schema import validate

MUTABLE = frozenset({Status.FAIL, Status.UNVERIFIED, Status.OPAQUE})
REQUIRED = ("reason", "expires")
TagLookup = Mapping[tuple[str, str], Mapping[str, str]]  # (provider, resource id) -> tags


@dataclass(frozen=True, slots=True)
class MuteRule:
    reason: str
    expires: dt.date | None = None  # a loaded rule always has one; None only in code
    check: str = "*"
    provider: str = "*"
    account: str = "*"
    region: str = "*"
    resource: str = "*"
    tags: tuple[tuple[str, str], ...] = ()  # (tag key, glob of its value), all must match
    source: str = field(default="", compare=False)  # the mutelist file it was read from

    def expired(self, today: dt.date) -> bool:
        """The rule mutes through its expiry date and stops the day after."""
        return self.expires is not None and today > self.expires

    def matches(self, finding: Finding, today: dt.date,
                tags: Mapping[str, str] | None = None) -> bool:
        """``tags``: the resource's tags, None when they were not observed (then no rule that
        names tags can match: an unseen tag is never taken as present)."""
        if self.expired(today):
            return False
        return (fnmatchcase(finding.check_id, self.check)
                and fnmatchcase(finding.provider, self.provider)
                and fnmatchcase(finding.account, self.account)
                and fnmatchcase(finding.region, self.region)
                and (fnmatchcase(finding.resource_name, self.resource)
                     or fnmatchcase(finding.resource_id, self.resource))
                and self._tags_match(tags))

    def _tags_match(self, tags: Mapping[str, str] | None) -> bool:
        if not self.tags:
            return True
        if tags is None:
            return False
        return all(key in tags and fnmatchcase(tags[key], pattern) for key, pattern in self.tags)


def _missing_fields(doc: Any, source: str) -> None:
    """A rule without reason or expiry (the shape before expiries were required) gets an error
    that says what to add, rather than the schema's generic 'required property'."""
    if not isinstance(doc, dict) or not isinstance(doc.get("mute"), list):
        return
    for i, rule in enumerate(doc["mute"]):
        if not isinstance(rule, dict):
            continue
        missing = [name for name in REQUIRED if name not in rule]
        if missing:
            raise ConfigError(source, f"$.mute[{i}]",
                              f"a rule needs a reason and an expiry: add "
                              f"{' and '.join(_hint(name) for name in missing)}")


def _hint(name: str) -> str:
    return {"reason": "reason: <why this finding is accepted>",
            "expires": "expires: YYYY-MM-DD (the last day it mutes)"}[name]


def load_mutelist(path: str | Path) -> list[MuteRule]:
    from auditor.documents import parse_yaml, read_text

    source = str(path)
    doc = parse_yaml(read_text(path, ConfigError), source, ConfigError)
    listed = doc.get("mute") if isinstance(doc, dict) else None
    for rule in listed if isinstance(listed, list) else []:  # mute: null is the schema's error
        if isinstance(rule, dict) and isinstance(rule.get("expires"), dt.date):
            rule["expires"] = rule["expires"].isoformat()  # YAML reads an unquoted date as a date
    _missing_fields(doc, source)
    validate("mutelist", doc, source, ConfigError)
    rules = []
    for i, raw in enumerate(doc["mute"]):
        try:
            expires = dt.date.fromisoformat(raw["expires"])
        except ValueError as exc:
            raise ConfigError(source, f"$.mute[{i}].expires", "not a valid date") from exc
        fields = {k: v for k, v in raw.items() if k not in ("expires", "tags")}
        tags = tuple(sorted(raw.get("tags", {}).items()))
        rules.append(MuteRule(expires=expires, tags=tags, source=source, **fields))
    return rules


def check_rules(rules: list[MuteRule], check_ids: set[str], source: str) -> None:
    """A rule whose check pattern matches no selected check is a typo, not a silent no-op."""
    from auditor.providers._option_values import suggestion_text

    for i, rule in enumerate(rules):
        if not any(fnmatchcase(cid, rule.check) for cid in check_ids):
            raise ConfigError(source, f"$.mute[{i}].check",
                              f"{rule.check!r} matches no selected check"
                              f"{suggestion_text(rule.check, sorted(check_ids))}")


def rules_need_tags(rules: Sequence[MuteRule]) -> bool:
    """Whether any rule matches on tags: only then are resource tags read from the cloud."""
    return any(rule.tags for rule in rules)


def expired_rules(rules: Sequence[MuteRule], today: dt.date | None = None,
                  source: str = "") -> list[ExpiredMute]:
    """The rules past their expiry (they mute nothing), by their index in the mutelist;
    ``source`` names the file (default: the one each rule was read from)."""
    today = today or dt.date.today()
    return [ExpiredMute(i, rule.reason, rule.expires.isoformat(), source or rule.source)
            for i, rule in enumerate(rules)
            if rule.expires is not None and rule.expired(today)]


def apply_mutes(findings: list[Finding], rules: list[MuteRule],
                today: dt.date | None = None, *, tags: TagLookup | None = None) -> list[Finding]:
    """Mark matching FAIL/UNVERIFIED/OPAQUE findings MUTED; the original status stays in the
    message. ``tags``: (provider, resource id) -> the resource's observed tags; a resource
    missing from it has no observed tags."""
    today = today or dt.date.today()
    lookup = tags or {}
    for finding in findings:
        if finding.status not in MUTABLE:
            continue
        resource_tags = lookup.get((finding.provider, finding.resource_id))
        for rule in rules:
            if rule.matches(finding, today, resource_tags):
                finding.message = f"[was {finding.status.value}] {finding.message}"
                finding.muted_status = finding.status
                finding.status = Status.MUTED
                finding.muted_reason = rule.reason
                break
    return findings


def expired_notes(rules: Sequence[MuteRule], source: str,
                  today: dt.date | None = None) -> list[str]:
    """One stderr line per expired rule, so a lapsed exception is seen, not silently lost."""
    return [f"auditor: {source}: $.mute[{m.rule}]: expired on {m.expires}, mutes nothing "
            f"any more: {one_line(m.reason)}" for m in expired_rules(rules, today, source)]
