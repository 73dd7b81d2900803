"""Markdown: summary table and findings table, every cell escaped."""

from __future__ import annotations

from auditor.model import Report, Status
from auditor.reports import render
from auditor.reports.markdown import escape


def _table_rows(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index("## Findings") + 4  # blank, header, rule
    return lines[start:]


def _cells(row: str) -> list[str]:
    # Split on pipes that are not escaped.
    cells, current, escaped = [], "", False
    for ch in row.strip()[1:-1]:
        if ch == "|" and not escaped:
            cells.append(current.strip())
            current = ""
        else:
            current += ch
        escaped = ch == "\\" and not escaped
    cells.append(current.strip())
    return cells


def test_summary_table_counts(report: Report) -> None:
    lines = render(report, "markdown").splitlines()
    i = lines.index("## Summary")
    assert lines[i + 2].count("|") == len(Status) + 1
    assert lines[i + 4] == "| 1 | 3 | 1 | 1 | 1 | 1 |"


def test_every_row_has_eight_cells_despite_pipes(report: Report) -> None:
    rows = _table_rows(render(report, "markdown"))
    assert len(rows) == len(report.findings)
    for row in rows:
        assert len(_cells(row)) == 8, row


def test_every_status_is_listed(report: Report) -> None:
    rows = _table_rows(render(report, "markdown"))
    assert {_cells(r)[0] for r in rows} == {escape(s.value) for s in Status}


def test_hostile_names_are_escaped(report: Report, hostile) -> None:
    text = render(report, "markdown")
    assert "<script>" not in text and "<b>" not in text
    assert "&lt;script&gt;" in text
    assert "\\[z\\](http://evil.example)" in text  # not a link
    assert "\\`x\\`" in text and "\\*y\\*" in text
    assert "\x1b" not in text


def test_escape_cases() -> None:
    assert escape("a|b") == "a\\|b"
    assert escape("x\ny") == "x y"
    assert escape("<i>") == "&lt;i&gt;"
    assert escape("a & b") == "a &amp; b"
    assert escape("back\\slash") == "back\\\\slash"


def test_provider_problems_are_listed(report: Report) -> None:
    text = render(report, "markdown")
    assert "- gcp: partial" in text and "- alibaba: failed: no usable credentials" in text


def test_empty_report(empty_report: Report) -> None:
    text = render(empty_report, "markdown")
    assert "No findings." in text and "| 0 | 0 | 0 | 0 | 0 | 0 |" in text
