"""Markdown: a summary, the promise ledger, the legal reach and a findings table
(GitHub-flavoured), every cell escaped."""

from __future__ import annotations

import re
from typing import IO

from auditor.model import Finding, Report, Status
from auditor.reports._common import (
    ACCOUNT_HEADERS,
    TOOL_NAME,
    account_row,
    account_runs,
    evidence_line,
    one_line,
    run_problems,
    sorted_findings,
    truncate,
)
from auditor.reports._stream import to_text
from auditor.reports.ledger import markdown_lines
from auditor.reports.legal import markdown_lines as legal_reach_lines

MESSAGE_WIDTH = 200
EVIDENCE_WIDTH = 300
# Characters with a meaning in Markdown tables and inline syntax; "<" and ">" and "&" become
# entities so that no renderer takes a value for HTML.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#~!])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: object) -> str:
    flat = one_line(text)
    flat = "".join(_ENTITIES.get(ch, ch) for ch in flat)
    return _MD_SPECIAL.sub(r"\\\1", flat)


def _row(finding: Finding) -> str:
    cells = (
        finding.status.value, finding.severity, finding.check_id, finding.provider,
        finding.resource_name or finding.resource_id, finding.region,
        truncate(one_line(finding.message), MESSAGE_WIDTH),
        truncate(evidence_line(finding.evidence), EVIDENCE_WIDTH),
    )
    return "| " + " | ".join(escape(c) for c in cells) + " |"


def write(report: Report, out: IO[str], *, color: bool = False) -> None:
    """The summary parts, then the findings table a row at a time, most urgent first."""
    counts = report.counts()
    lines = [
        f"# {TOOL_NAME} report",
        "",
        f"Generated {escape(report.generated_at)} by {TOOL_NAME} "
        f"{escape(report.tool_version)}: {len(report.findings)} finding(s) from "
        f"{len(report.checks)} check(s).",
        "",
        "## Summary",
        "",
        "| " + " | ".join(s.value.replace("_", "\\_") for s in Status) + " |",
        "|" + "---:|" * len(Status),
        "| " + " | ".join(str(counts[s.value]) for s in Status) + " |",
    ]
    problems = run_problems(report)
    if problems:
        lines += ["", "Provider runs that failed or were partial:", ""]
        lines += [f"- {escape(line)}" for line in problems]
    accounts = account_runs(report)
    if accounts:  # a multi-account scan: each account's run
        lines += ["", "## Accounts", "", "| " + " | ".join(ACCOUNT_HEADERS) + " |",
                  "|---|---|---|---:|---:|"]
        lines += ["| " + " | ".join(escape(c) for c in account_row(row)) + " |"
                  for row in accounts]
    ledger = markdown_lines(report.ledger, escape)
    lines += ["", *ledger] if ledger else []
    reach = legal_reach_lines(report, escape)
    lines += ["", *reach] if reach else []
    lines += ["", "## Findings", ""]
    if len(report.findings):
        lines.append("| Status | Severity | Check | Provider | Resource | Region | Message "
                     "| Evidence |")
        lines.append("|---|---|---|---|---|---|---|---|")
    else:
        lines.append("No findings.")
    out.write("\n".join(lines) + "\n")
    for finding in sorted_findings(report):
        out.write(_row(finding) + "\n")


def render(report: Report, *, color: bool = False) -> str:
    return to_text(write, report, color=color)
