"""The terminal table: one row per finding, most urgent first, then a summary."""

from __future__ import annotations

from tabulate import tabulate

from auditor.model import Finding, Report, Status
from auditor.reports._common import (
    ACCOUNT_HEADERS,
    account_row,
    account_runs,
    one_line,
    run_problems,
    sorted_findings,
    summary_line,
    truncate,
)

HEADERS = ("Status", "Severity", "Check", "Provider", "Resource", "Region", "Message")
MESSAGE_WIDTH = 80
RESOURCE_WIDTH = 40

_RESET = "\x1b[0m"
# ANSI SGR colour per status (bold red for FAIL, yellow UNVERIFIED, magenta OPAQUE...).
STATUS_COLORS: dict[Status, str] = {
    Status.FAIL: "\x1b[1;31m",
    Status.UNVERIFIED: "\x1b[33m",
    Status.OPAQUE: "\x1b[35m",
    Status.PASS: "\x1b[32m",
    Status.NOT_APPLICABLE: "\x1b[2m",
    Status.MUTED: "\x1b[2m",
}


def _status_cell(status: Status, color: bool) -> str:
    return f"{STATUS_COLORS[status]}{status.value}{_RESET}" if color else status.value


def _row(finding: Finding, color: bool) -> list[str]:
    # Cells go through one_line: a hostile name must not carry escapes into the terminal.
    return [
        _status_cell(finding.status, color),
        one_line(finding.severity),
        one_line(finding.check_id),
        one_line(finding.provider),
        truncate(one_line(finding.resource_name or finding.resource_id), RESOURCE_WIDTH),
        one_line(finding.region),
        truncate(one_line(finding.message), MESSAGE_WIDTH),
    ]


def render(report: Report, *, color: bool = False) -> str:
    findings = sorted_findings(report)
    parts = []
    if findings:
        parts.append(tabulate([_row(f, color) for f in findings], headers=HEADERS,
                              tablefmt="simple", disable_numparse=True))
    else:
        parts.append("No findings.")
    parts.append("")
    parts.append(summary_line(report))
    accounts = account_runs(report)
    if accounts:  # a multi-account scan: each account's run
        parts.append(tabulate([account_row(row) for row in accounts], headers=ACCOUNT_HEADERS,
                              tablefmt="simple", disable_numparse=True))
    parts.extend(run_problems(report))
    return "\n".join(parts) + "\n"
