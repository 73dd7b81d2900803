"""Helpers shared by the renderers: ordering, value formatting, text hygiene."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

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


def sort_key(finding: Finding) -> tuple[int, int, str, str, str]:
    return (_STATUS_RANK[finding.status], _SEVERITY_RANK.get(finding.severity, len(SEVERITIES)),
            finding.check_id, finding.provider, finding.resource_name)


def sorted_findings(report: Report) -> list[Finding]:
    return sorted(report.findings, key=sort_key)


def clean(text: Any) -> str:
    """``text`` as a string without control characters (newlines and tabs are kept)."""
    return _CONTROL.sub("\ufffd", str(text))


def one_line(text: Any) -> str:
    """``text`` on one line: control characters replaced, whitespace runs collapsed."""
    return _WHITESPACE_RUN.sub(" ", clean(text)).strip()


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def value_text(value: Any) -> str:
    """A fact value as text: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def evidence_text(evidence: Evidence) -> str:
    return f"{evidence.fact}={value_text(evidence.value)} ({evidence.state})"


def evidence_line(items: Iterable[Evidence]) -> str:
    return "; ".join(evidence_text(e) for e in items)


def frameworks_text(frameworks: dict[str, list[str]]) -> str:
    return "; ".join(f"{name}: {', '.join(ids)}" for name, ids in sorted(frameworks.items()))


def finding_uid(finding: Finding) -> str:
    """A stable id for the same check on the same resource across runs."""
    key = "\x1f".join((finding.check_id, finding.provider, finding.account, finding.resource_id))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def summary_line(report: Report) -> str:
    counts = report.counts()
    return " · ".join(f"{status.value} {counts[status.value]}" for status in Status)


def run_problems(report: Report) -> list[str]:
    """One line per provider run that failed or was partial, and per provider failure."""
    lines = []
    failures = dict(report.provider_failures)
    for run in report.runs:
        reason = failures.pop(run.provider, None)
        if run.status == "complete" and reason is None:
            continue
        line = f"{run.provider}: {run.status}" + (f": {reason}" if reason else "")
        if run.errors:
            first = run.errors[0]
            line += (f" ({len(run.errors)} error(s); first: {first.scope} {first.operation} "
                     f"{first.code}{': ' + first.message if first.message else ''})")
        lines.append(one_line(line))
    lines += [one_line(f"{provider}: failed: {reason}")
              for provider, reason in sorted(failures.items())]
    left_out: dict[str, list[str]] = {}
    for gap in report.not_collected:
        left_out.setdefault(gap.provider, []).append(gap.check_id)
    lines += [one_line(f"{provider}: not collected, left out: {', '.join(ids)} "
                       "(re-run collect with these checks)")
              for provider, ids in sorted(left_out.items())]
    return lines
