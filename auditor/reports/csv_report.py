"""CSV: one row per finding under a stable header, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from typing import IO

from auditor.model import Finding, Report
from auditor.reports._common import clean, evidence_line, frameworks_text, sorted_findings
from auditor.reports._stream import to_text

HEADER: tuple[str, ...] = (
    "status", "severity", "check_id", "title", "safeguard", "provider", "account", "region",
    "kind", "resource_id", "resource_name", "message", "evidence", "remediation", "frameworks",
    "muted_reason",
)

# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    text = clean(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _row(finding: Finding) -> list[str]:
    cells = {
        "status": finding.status.value, "severity": finding.severity,
        "check_id": finding.check_id, "title": finding.title, "safeguard": finding.safeguard,
        "provider": finding.provider, "account": finding.account, "region": finding.region,
        "kind": finding.kind, "resource_id": finding.resource_id,
        "resource_name": finding.resource_name, "message": finding.message,
        "evidence": evidence_line(finding.evidence), "remediation": finding.remediation,
        "frameworks": frameworks_text(finding.frameworks),
        "muted_reason": finding.muted_reason or "",
    }
    return [safe_cell(cells[column]) for column in HEADER]


def write(report: Report, out: IO[str], *, color: bool = False) -> None:
    """The header, then one row per finding, most urgent first, each written as it comes."""
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180 line ends
    writer.writerow(HEADER)
    for finding in sorted_findings(report):
        writer.writerow(_row(finding))


def render(report: Report, *, color: bool = False) -> str:
    return to_text(write, report, color=color)
