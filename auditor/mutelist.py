"""Mutelist: findings matching a rule are reported as MUTED, with the rule's reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from auditor.errors import ConfigError
from auditor.model import Finding, Status
from auditor.schema import validate

MUTABLE = frozenset({Status.FAIL, Status.UNVERIFIED, Status.OPAQUE})


@dataclass(frozen=True, slots=True)
class MuteRule:
    reason: str
    check: str = "*"
    provider: str = "*"
    account: str = "*"
    region: str = "*"
    resource: str = "*"
    expires: dt.date | None = None

    def matches(self, finding: Finding, today: dt.date) -> bool:
        if self.expires is not None and today > self.expires:
            return False
        return (fnmatchcase(finding.check_id, self.check)
                and fnmatchcase(finding.provider, self.provider)
                and fnmatchcase(finding.account, self.account)
                and fnmatchcase(finding.region, self.region)
                and (fnmatchcase(finding.resource_name, self.resource)
                     or fnmatchcase(finding.resource_id, self.resource)))


def load_mutelist(path: str | Path) -> list[MuteRule]:
    from auditor.documents import parse_yaml, read_text

    source = str(path)
    doc = parse_yaml(read_text(path, ConfigError), source, ConfigError)
    for rule in (doc or {}).get("mute", []) if isinstance(doc, dict) else []:
        if isinstance(rule, dict) and isinstance(rule.get("expires"), dt.date):
            rule["expires"] = rule["expires"].isoformat()  # YAML reads an unquoted date as a date
    validate("mutelist", doc, source, ConfigError)
    rules = []
    for i, raw in enumerate(doc["mute"]):
        expires = None
        if "expires" in raw:
            try:
                expires = dt.date.fromisoformat(raw["expires"])
            except ValueError as exc:
                raise ConfigError(source, f"$.mute[{i}].expires", "not a valid date") from exc
        fields = {k: v for k, v in raw.items() if k != "expires"}
        rules.append(MuteRule(expires=expires, **fields))
    return rules


def check_rules(rules: list[MuteRule], check_ids: set[str], source: str) -> None:
    """A rule whose check pattern matches no selected check is a typo, not a silent no-op."""
    for i, rule in enumerate(rules):
        if not any(fnmatchcase(cid, rule.check) for cid in check_ids):
            raise ConfigError(source, f"$.mute[{i}].check",
                              f"{rule.check!r} matches no selected check")


def apply_mutes(findings: list[Finding], rules: list[MuteRule],
                today: dt.date | None = None) -> list[Finding]:
    """Mark matching FAIL/UNVERIFIED/OPAQUE findings MUTED; the original status stays in the message."""
    today = today or dt.date.today()
    for finding in findings:
        if finding.status not in MUTABLE:
            continue
        for rule in rules:
            if rule.matches(finding, today):
                finding.message = f"[was {finding.status.value}] {finding.message}"
                finding.muted_status = finding.status
                finding.status = Status.MUTED
                finding.muted_reason = rule.reason
                break
    return findings
