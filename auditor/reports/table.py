"""The terminal table.

By default a summary that fits a screen: one row per check with its counts per status, the
totals, and the transparency scores per provider. ``render`` (the table file, and
``--details``) puts every finding, most urgent first, above that summary.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from tabulate import tabulate

from auditor.model import SEVERITIES, Finding, Report, Status
from auditor.reports._common import (
    ACCOUNT_HEADERS,
    account_row,
    account_runs,
    one_line,
    run_problems,
    sorted_findings,
    truncate,
)
from auditor.reports._simple_table import column_widths, write_table
from auditor.reports._stream import to_text
from auditor.reports.ledger import text_lines

HEADERS = ("Status", "Severity", "Check", "Provider", "Resource", "Region", "Message")
MESSAGE_WIDTH = 80
RESOURCE_WIDTH = 40

# The per-check columns, in the order the statuses are explained (README, Statuses).
COUNT_COLUMNS: tuple[tuple[Status, str], ...] = (
    (Status.PASS, "PASS"), (Status.FAIL, "FAIL"), (Status.OPAQUE, "OPAQUE"),
    (Status.UNVERIFIED, "UNVERIFIED"), (Status.NOT_APPLICABLE, "N/A"), (Status.MUTED, "MUTED"))


def _percent(value: Any) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


# The transparency scores per provider: label, key in transparency.providers, how shown.
SCORES: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("verifiability", "verifiability", _percent),
    ("provider opacity", "provider_opacity", _percent),
    ("access gap", "access_gap", _percent),
    ("pass rate", "pass_rate", _percent),
    ("no such feature", "unsupported", lambda v: str(v or 0)),
    ("listing failures", "listing_failures", lambda v: str(len(v or ()))),
)

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


_SGR = re.compile(r"\x1b\[[0-9;]*m")


def _paint(status: Status, text: str, color: bool) -> str:
    return f"{STATUS_COLORS[status]}{text}{_RESET}" if color else text


def columns(headers: Sequence[str], rows: Sequence[Sequence[str]], right: int = 0) -> str:
    """A plain table as narrow as its cells (no padding beyond two spaces between columns),
    headers underlined; the last ``right`` columns right-aligned. Colour codes take no width."""
    table = [list(headers), *rows]
    widths = [max(len(_SGR.sub("", row[i])) for row in table) for i in range(len(headers))]
    first_right = len(headers) - right

    def line(cells: Sequence[str]) -> str:
        padded = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            fill = " " * (width - len(_SGR.sub("", cell)))
            padded.append(fill + cell if i >= first_right else cell + fill)
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *map(line, rows)])


def _row(finding: Finding, color: bool) -> list[str]:
    # Cells go through one_line: a hostile name must not carry escapes into the terminal.
    return [
        _paint(finding.status, finding.status.value, color),
        one_line(finding.severity),
        one_line(finding.check_id),
        one_line(finding.provider),
        truncate(one_line(finding.resource_name or finding.resource_id), RESOURCE_WIDTH),
        one_line(finding.region),
        truncate(one_line(finding.message), MESSAGE_WIDTH),
    ]


def write(report: Report, out: IO[str], *, color: bool = False) -> None:
    """Every finding, most urgent first (the columns sized in a first pass), then the summary
    with every account and problem in full."""
    if len(report.findings):
        widths = column_widths(HEADERS, (_row(f, color) for f in report.findings))
        write_table(out, HEADERS, widths, (_row(f, color) for f in sorted_findings(report)))
    else:
        out.write("No findings.")
    ledger = text_lines(report.ledger, "Promise ledger")
    out.write("\n\n" + render_summary(report, color=color, screen=None)
              + ("\n" + "\n".join(ledger) + "\n" if ledger else ""))


def render(report: Report, *, color: bool = False) -> str:
    """The table file's text: see ``write``."""
    return to_text(write, report, color=color)


@dataclass(frozen=True, slots=True)
class Screen:
    """How much of the open-ended parts a summary shows (the rest: --details, the file)."""

    problem_width: int = 160  # characters of one run problem
    rows: int = 12            # account runs, and run problems


SCREEN = Screen()


def render_summary(report: Report, *, color: bool = False, screen: Screen | None = SCREEN) -> str:
    """One row per check, the totals, the scores per provider, then each account's run and
    what went wrong: within ``screen`` (None: all of it, whole)."""
    parts = [check_table(report, color), totals_line(report, color)]
    scores = score_table(report)
    if scores:
        parts += ["", scores]
    accounts = [account_row(row) for row in account_runs(report)]
    if accounts:  # a multi-account scan: each account's run
        shown = _within(accounts, screen, "account runs")
        parts += ["", tabulate(shown[0], headers=ACCOUNT_HEADERS, tablefmt="simple",
                               disable_numparse=True), *shown[1]]
    problems = run_problems(report)
    if problems:
        if screen:
            problems = [truncate(line, screen.problem_width) for line in problems]
        shown = _within(problems, screen, "problems")
        parts += ["", *shown[0], *shown[1]]
    return "\n".join(parts) + "\n"


def _within(items: list, screen: Screen | None, what: str) -> tuple[list, list[str]]:
    """The items a screen shows, and the line saying how many more there are."""
    if screen is None or len(items) <= screen.rows:
        return items, []
    return items[:screen.rows], [f"... and {len(items) - screen.rows} more {what} "
                                 "(--details, or the table file, lists all)"]


def _severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


def check_table(report: Report, color: bool = False) -> str:
    """One row per check that ran, most severe first: its safeguard and counts per status."""
    counts: dict[str, Counter[Status]] = {c.id: Counter() for c in report.checks}
    for finding in report.findings:
        counts.setdefault(finding.check_id, Counter())[finding.status] += 1
    about = {c.id: (c.safeguard, c.severity) for c in report.checks}
    order = sorted(counts, key=lambda cid: (-_severity_rank(about.get(cid, ("", ""))[1]), cid))
    rows = []
    for check_id in order:
        tally = counts[check_id]
        rows.append([one_line(check_id), one_line(about.get(check_id, ("", ""))[0]),
                     *[_paint(status, str(tally[status]), color and tally[status] > 0)
                       for status, _ in COUNT_COLUMNS]])
    if not rows:
        return "No checks ran."
    return columns(["check", "safeguard", *[label for _, label in COUNT_COLUMNS]], rows,
                   right=len(COUNT_COLUMNS))


def totals_line(report: Report, color: bool = False) -> str:
    counts = report.counts()
    return " · ".join(_paint(status, f"{status.value} {counts[status.value]}",
                             color and counts[status.value] > 0) for status in Status)


def score_table(report: Report) -> str:
    """Transparency per provider (what each lets a customer verify); empty for a report
    without transparency figures."""
    providers = report.transparency.get("providers") or {}
    if not providers:
        return ""
    names = sorted(providers)
    rows = [[label, *[show(providers[p].get(key)) for p in names]] for label, key, show in SCORES]
    return columns(["transparency", *[one_line(p) for p in names]], rows, right=len(names))


def safeguard_table(report: Report) -> str:
    """Per safeguard and provider: how the provider exposes it and the pass rate here (the
    side-by-side view in one screen; ``auditor compare`` has the full matrix)."""
    safeguards = report.transparency.get("safeguards") or {}
    names = sorted(report.transparency.get("providers") or {})
    if not safeguards or not names:
        return ""
    rows = []
    for safeguard, entry in sorted(safeguards.items()):
        cells = entry.get("providers", {})
        label = one_line(safeguard) + ("" if entry.get("comparable") else " (not comparable)")
        rows.append([label, *[_exposure_cell(cells.get(p, {})) for p in names]])
    return columns(["safeguard: exposure, pass rate", *[one_line(p) for p in names]], rows)


def _exposure_cell(cell: dict[str, Any]) -> str:
    exposure = one_line(cell.get("exposure", "unknown"))
    if not cell.get("decided"):
        return exposure
    return f"{exposure}, {_percent(cell.get('pass_rate'))}"
