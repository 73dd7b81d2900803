"""The terminal table."""

from __future__ import annotations

import re

from auditor.model import Report, Status
from auditor.reports import render
from auditor.reports.table import MESSAGE_WIDTH, STATUS_COLORS


def _rows(text: str) -> list[str]:
    lines = text.splitlines()
    end = lines.index("")
    return lines[2:end]  # after the header and the rule


def test_rows_are_sorted_by_status_then_severity(report: Report) -> None:
    rows = _rows(render(report, "table"))
    statuses = [row.split()[0] for row in rows]
    assert statuses == ["FAIL", "FAIL", "FAIL", "UNVERIFIED", "OPAQUE", "PASS",
                        "NOT_APPLICABLE", "MUTED"]
    severities = [row.split()[1] for row in rows[:3]]
    assert severities == ["critical", "high", "medium"]


def test_every_status_and_provider_appears(report: Report) -> None:
    text = render(report, "table")
    for status in Status:
        assert status.value in text
    for provider in ("aws", "gcp", "alibaba"):
        assert provider in text


def test_summary_line_counts_every_status(report: Report) -> None:
    lines = render(report, "table").splitlines()
    assert "PASS 1 · FAIL 3 · OPAQUE 1 · UNVERIFIED 1 · NOT_APPLICABLE 1 · MUTED 1" in lines


def test_failed_and_partial_runs_get_a_line(report: Report) -> None:
    lines = render(report, "table").splitlines()
    gcp = [line for line in lines if line.startswith("gcp: partial")]
    assert len(gcp) == 1 and "storage:buckets.getIamPolicy 403" in gcp[0]
    alibaba = [line for line in lines if line.startswith("alibaba: failed")]
    assert len(alibaba) == 1 and "no usable credentials" in alibaba[0]
    assert not any(line.startswith("aws:") for line in lines)


def test_long_messages_are_truncated(report: Report) -> None:
    report.findings[0].message = "x" * 500
    text = render(report, "table")
    assert "x" * MESSAGE_WIDTH not in text
    assert "x" * (MESSAGE_WIDTH - 1) + "…" in text


def test_no_colour_unless_asked(report: Report) -> None:
    plain = render(report, "table")
    assert "\x1b" not in plain  # hostile names carrying escapes are neutralised too
    assert "bucket\ufffd[31mred" in plain


def test_colour_wraps_each_status(report: Report) -> None:
    coloured = render(report, "table", color=True)
    for status, code in STATUS_COLORS.items():
        assert f"{code}{status.value}\x1b[0m" in coloured
    # tabulate measures the visible width: without the codes it is the plain table.
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == render(report, "table")


def test_empty_report_says_so(empty_report: Report) -> None:
    text = render(empty_report, "table")
    assert text.startswith("No findings.")
    assert "PASS 0 · FAIL 0" in text
