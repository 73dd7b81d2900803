"""The format registry, render() dispatch, file names, and report files written all or none."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor import reports
from auditor.documents import write_all
from auditor.errors import UsageError
from auditor.model import Report
from auditor.reports.json_report import ReportSchemaViolation

EXPECTED = ("table", "json", "csv", "sarif", "ocsf", "html", "markdown", "junit")


def test_formats_are_the_documented_ones_with_table_first() -> None:
    assert reports.FORMATS == EXPECTED
    assert reports.DEFAULT_FORMAT == "table"


def test_every_format_has_a_distinct_extension() -> None:
    exts = [reports.extension(fmt) for fmt in reports.FORMATS]
    assert len(set(exts)) == len(exts)
    assert reports.extension("sarif") == "sarif"
    assert reports.extension("html") == "html"


@pytest.mark.parametrize("fmt", EXPECTED)
def test_every_format_renders_text(report: Report, fmt: str) -> None:
    out = reports.render(report, fmt)
    assert isinstance(out, str) and out.endswith("\n")
    assert reports.renderer(fmt).__module__.startswith("auditor.reports.")


@pytest.mark.parametrize("fmt", EXPECTED)
def test_every_format_renders_an_empty_report(empty_report: Report, fmt: str) -> None:
    assert reports.render(empty_report, fmt)


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown format 'pdf'; choose one of: table, json"):
        reports.render(Report("0", "2025-01-01T00:00:00Z", [], [], []), "pdf")
    with pytest.raises(UsageError):
        reports.extension("pdf")


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def write_report(report: Report, fmt: str, folder: Path) -> Path:
    """How the commands write a report: the registry names and renders, write_all writes."""
    return write_all(reports.report_files(report, [fmt], folder))[0]


@pytest.mark.parametrize("fmt", EXPECTED)
def test_report_file_is_named_by_the_registry_and_holds_the_rendered_text(report: Report, tmp_path: Path,
                                               fmt: str) -> None:
    path = write_report(report, fmt, tmp_path)
    assert path == tmp_path / f"auditor-report.{reports.extension(fmt)}"
    assert path.read_bytes().decode("utf-8") == reports.render(report, fmt)
    assert _leftovers(tmp_path) == []


def test_write_report_creates_the_directory_and_replaces_an_old_file(
        report: Report, tmp_path: Path) -> None:
    folder = tmp_path / "out" / "nested"
    first = write_report(report, "csv", folder)
    first.write_text("old")
    second = write_report(report, "csv", folder)
    assert second == first and second.read_text(encoding="utf-8") != "old"
    assert _leftovers(folder) == []


def test_failed_render_leaves_the_existing_file_intact(report: Report, tmp_path: Path) -> None:
    target = tmp_path / "auditor-report.json"
    target.write_text("previous report")
    report.findings[0].severity = "urgent"  # not in the schema: rendering raises
    with pytest.raises(ReportSchemaViolation):
        write_report(report, "json", tmp_path)
    assert target.read_text() == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["auditor-report.json"]


def test_failed_replace_removes_the_temp_file(report: Report, tmp_path: Path) -> None:
    # A non-empty directory where the report should go makes os.replace fail after the
    # temp file was written: the temp file must not stay behind.
    blocker = tmp_path / "auditor-report.md"
    blocker.mkdir()
    (blocker / "keep").write_text("x")
    from auditor.errors import OutputError

    with pytest.raises(OutputError, match="is a directory"):
        write_report(report, "markdown", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["auditor-report.md"]
    assert (blocker / "keep").read_text() == "x"


def test_written_file_is_private_to_the_owner(report: Report, tmp_path: Path) -> None:
    path = write_report(report, "json", tmp_path)
    assert os.stat(path).st_mode & 0o077 == 0


def test_comparison_formats_and_file_names_come_from_the_registry() -> None:
    assert reports.COMPARE_FORMATS == ("table", "markdown", "html")
    assert reports.comparison_file_name("markdown") == "auditor-compare.md"
    assert reports.comparison_file_name("html") == "auditor-compare.html"
    with pytest.raises(UsageError, match="unknown compare format 'csv'; one of table, markdown"):
        reports.comparison_file_name("csv")
