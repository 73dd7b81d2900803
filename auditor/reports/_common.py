"""Helpers shared by the renderers: ordering, value formatting, text hygiene."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from auditor.finding_source import ordered
from auditor.model import SEVERITIES, Evidence, Finding, Report, Status

TOOL_NAME = "Safeguard Auditor"

# Most urgent first: what needs action, then what could not be decided, then the rest.
STATUS_ORDER: tuple[Status, ...] = (
    Status.FAIL, Status.UNVERIFIED, Status.OPAQUE, Status.PASS, Status.NOT_APPLICABLE,
    Status.MUTED,
)
_STATUS_RANK = {status: rank for rank, status in enumerate(STATUS_ORDER)}
_SEVERITY_RANK = {sev: rank for rank, sev in enumerate(reversed(SEVERITIES))}

# C0/C1 control characters and DEL: terminal escapes, NUL and friends never reach an output.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_WHITESPACE_RUN = re.compile(r"\s+")
# json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False), its encoder
# made once rather than on every call (a report encodes a value per piece of evidence).
_VALUE_JSON = json.JSONEncoder(separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode


def sort_key(finding: Finding) -> tuple[int, int, str, str, str]:
    return (_STATUS_RANK[finding.status], _SEVERITY_RANK.get(finding.severity, len(SEVERITIES)),
            finding.check_id, finding.provider, finding.resource_name)


def sorted_findings(report: Report) -> Iterator[Finding]:
    """The report's findings, most urgent first (auditor.finding_source.ordered: a spool
    sorts itself in bounded memory); one pass each call."""
    return ordered(report.findings, sort_key)


def clean(text: Any) -> str:
    """``text`` as a string without control characters (newlines and tabs are kept)."""
    text = str(text)
    if text.isascii() and text.isprintable():  # the common case: nothing to replace
        return text
    return _CONTROL.sub("\ufffd", text)


def one_line(text: Any) -> str:
    """``text`` on one line: control characters replaced, whitespace runs collapsed."""
    return _WHITESPACE_RUN.sub(" ", clean(text)).strip()


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def value_text(value: Any) -> str:
    """A fact value as text: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return _VALUE_JSON(value)


def evidence_text(evidence: Evidence) -> str:
    return f"{evidence.fact}={value_text(evidence.value)} ({evidence.state})"


def evidence_line(items: Iterable[Evidence]) -> str:
    return "; ".join(evidence_text(e) for e in items)


CCM_PREFIX = "CSA CCM"  # auditor.checks.CCM_FRAMEWORK: the provider-neutral control ids


def ccm_ids(frameworks: dict[str, list[str]]) -> list[str]:
    """The CSA CCM control ids among a finding's framework mappings."""
    return sorted({i for name, ids in frameworks.items() if name.startswith(CCM_PREFIX)
                   for i in ids})


def frameworks_text(frameworks: dict[str, list[str]]) -> str:
    return "; ".join(f"{name}: {', '.join(ids)}" for name, ids in sorted(frameworks.items()))


def finding_uid(finding: Finding) -> str:
    """A stable id for the same check on the same resource across runs."""
    key = "\x1f".join((finding.check_id, finding.provider, finding.account, finding.resource_id))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def summary_line(report: Report) -> str:
    counts = report.counts()
    return " · ".join(f"{status.value} {counts[status.value]}" for status in Status)


def multi_account_providers(report: Report) -> set[str]:
    """Providers with more than one run: a multi-account scan, one run per account."""
    seen: dict[str, int] = {}
    for run in report.runs:
        seen[run.provider] = seen.get(run.provider, 0) + 1
    return {provider for provider, runs in seen.items() if runs > 1}


@dataclass(frozen=True, slots=True)
class AccountRun:
    provider: str
    account: str
    status: str
    resources: int  # distinct resources among the account's findings
    calls: int


ACCOUNT_HEADERS = ("Provider", "Account", "Status", "Resources", "API calls")


def account_runs(report: Report) -> list[AccountRun]:
    """One row per run of a provider scanned account by account; none for the others, so
    a single-account report looks as it always did."""
    several = multi_account_providers(report)
    if not several:
        return []
    resources: dict[tuple[str, str], set[str]] = {}
    for f in report.findings:
        if f.provider in several:
            resources.setdefault((f.provider, f.account), set()).add(f.resource_id)
    rows = []
    for run in report.runs:
        if run.provider in several:
            found = set().union(*(resources.get((run.provider, a), set()) for a in run.accounts))
            rows.append(AccountRun(run.provider, ", ".join(run.accounts) or "?", run.status,
                                   len(found), sum(run.api_calls.values())))
    return rows


def account_row(row: AccountRun) -> list[str]:
    return [one_line(row.provider), one_line(row.account), row.status, str(row.resources),
            str(row.calls)]


def run_problems(report: Report) -> list[str]:
    """One line per provider run that failed or was partial, per provider failure and per
    account that could not be collected (a run of a multi-account scan names its account)."""
    lines = []
    failures = dict(report.provider_failures)
    lost = {(a.provider, a.account) for a in report.account_failures}
    several = multi_account_providers(report)
    for run in report.runs:
        if run.accounts and all((run.provider, a) in lost for a in run.accounts):
            continue  # listed below with its reason, as an account failure
        reason = failures.pop(run.provider, None)
        if run.status == "complete" and reason is None:
            continue
        name = run.provider
        if run.provider in several and run.accounts:
            name += f": account {', '.join(run.accounts)}"
        line = f"{name}: {run.status}" + (f": {reason}" if reason else "")
        if run.errors:
            first = run.errors[0]
            line += (f" ({len(run.errors)} error(s); first: {first.scope} {first.operation} "
                     f"{first.code}{': ' + first.message if first.message else ''})")
        lines.append(one_line(line))
    lines += [one_line(f"{provider}: failed: {reason}")
              for provider, reason in sorted(failures.items())]
    lines += [one_line(f"{a.provider}: account {a.account}: not collected: {a.reason}")
              for a in report.account_failures]
    left_out: dict[str, list[str]] = {}
    for gap in report.not_collected:
        left_out.setdefault(gap.provider, []).append(gap.check_id)
    lines += [one_line(f"{provider}: not collected, left out: {', '.join(ids)} "
                       "(re-run collect with these checks)")
              for provider, ids in sorted(left_out.items())]
    return lines
