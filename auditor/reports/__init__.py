"""Renderers, one module per format, and the one place formats and file names are declared.

Every report format is a module with ``write(report: Report, out: IO[str], *, color: bool =
False) -> None``, which writes the report to a text stream piece by piece (a finding, or a
small group, at a time: a report of a million findings is never one string), and
``render(report, *, color) -> str``, the same text as one string (the terminal, tests). A
writer sees only the Report and reads its findings through auditor.finding_source (iterate,
count, ``ordered``), never indexing or sorting them itself. The comparison renderers see only
the comparison Matrix and return strings. Nothing here writes files: callers hand
``report_writers`` to ``auditor.documents.write_all_streamed`` (``report_files`` and
``comparison_files`` to ``write_all``), which writes them all or none.

Every renderer gets the report (or matrix) through :func:`auditor.safe_text.clean`: a lone
surrogate or raw bytes from a provider's answer become U+FFFD instead of stopping the write.

Import-light on purpose: cli.py reads the format tables below to build ``--help``, so the
model, the error tree and safe_text are imported only when a report is rendered or a format
name is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from importlib import import_module
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.comparison import Matrix
    from auditor.model import Report

Renderer = Callable[..., str]
Writer = Callable[..., None]  # write(report, out, *, color=False)
FileWriter = Callable[[IO[str]], None]  # one file's text, written to ``out``

# format name -> (writer "module:function", file extension); imported on first use so that
# `auditor --help` stays light. Each module's ``render`` is its writer into a string.
_REGISTRY: dict[str, tuple[str, str]] = {
    "table": ("auditor.reports.table:write", "txt"),
    "json": ("auditor.reports.json_report:write", "json"),
    "csv": ("auditor.reports.csv_report:write", "csv"),
    "sarif": ("auditor.reports.sarif:write", "sarif"),
    "ocsf": ("auditor.reports.ocsf:write", "ocsf.json"),
    "html": ("auditor.reports.html:write", "html"),
    "markdown": ("auditor.reports.markdown:write", "md"),
    "junit": ("auditor.reports.junit:write", "xml"),
}
_COMPARE_REGISTRY: dict[str, tuple[str, str]] = {
    "table": ("auditor.reports.comparison:render_table", "txt"),
    "markdown": ("auditor.reports.comparison:render_markdown", "md"),
    "html": ("auditor.reports.comparison:render_html", "html"),
}

FORMATS: tuple[str, ...] = tuple(_REGISTRY)
COMPARE_FORMATS: tuple[str, ...] = tuple(_COMPARE_REGISTRY)
DEFAULT_FORMAT = "table"  # the terminal summary; written in full only to a chosen directory
REPORT_STEM = "auditor-report"
COMPARE_STEM = "auditor-compare"


def _entry(fmt: str) -> tuple[str, str]:
    try:
        return _REGISTRY[fmt]
    except KeyError:
        from auditor.errors import UsageError

        raise UsageError("--format", "$", f"unknown format {fmt!r}; "
                         f"choose one of: {', '.join(FORMATS)}") from None


def _compare_entry(fmt: str) -> tuple[str, str]:
    try:
        return _COMPARE_REGISTRY[fmt]
    except KeyError:
        from auditor.errors import UsageError

        raise UsageError("--format", "$", f"unknown compare format {fmt!r}; one of "
                         f"{', '.join(COMPARE_FORMATS)}") from None


def _load(target: str) -> Callable[..., object]:
    module_name, _, func_name = target.partition(":")
    return getattr(import_module(module_name), func_name)


def extension(fmt: str) -> str:
    """The file extension (without the dot) of a report in ``fmt``."""
    return _entry(fmt)[1]


def file_name(fmt: str) -> str:
    """The report file name of ``fmt``: ``auditor-report.<ext>``."""
    return f"{REPORT_STEM}.{extension(fmt)}"


def writer(fmt: str) -> Writer:
    """The write function of ``fmt``, imported on first use."""
    return _load(_entry(fmt)[0])  # type: ignore[return-value]


def renderer(fmt: str) -> Renderer:
    """The render function of ``fmt`` (its writer into a string), imported on first use."""
    return _load(_entry(fmt)[0].partition(":")[0] + ":render")  # type: ignore[return-value]


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """The report as text in ``fmt``; ``color`` only affects formats meant for a terminal."""
    from auditor.reports._clean_source import cleaned

    return renderer(fmt)(cleaned(report), color=color)


def report_files(report: Report, formats: Iterable[str], directory: Path) -> dict[Path, str]:
    """Path -> rendered text of each format, every one rendered before anything is written."""
    from auditor.reports._clean_source import cleaned

    formats = list(formats)
    if not formats:
        return {}
    report = cleaned(report)  # once for every format
    return {directory / file_name(fmt): renderer(fmt)(report, color=False) for fmt in formats}


def report_writers(report: Report, formats: Iterable[str],
                   directory: Path) -> dict[Path, FileWriter]:
    """Path -> ``write(out)`` of each format, for ``auditor.documents.write_all_streamed``:
    nothing is rendered until the files are written, each one piece by piece."""
    from auditor.reports._clean_source import cleaned

    formats = list(formats)
    writers = {fmt: writer(fmt) for fmt in formats}  # an unknown format fails before any write
    if not formats:
        return {}
    report = cleaned(report)  # once for every format
    return {directory / file_name(fmt): partial(write, report, color=False)
            for fmt, write in writers.items()}


def comparison_file_name(fmt: str) -> str:
    """The comparison file name of ``fmt``: ``auditor-compare.<ext>``."""
    return f"{COMPARE_STEM}.{_compare_entry(fmt)[1]}"


def render_comparison(matrix: Matrix, fmt: str) -> str:
    """The comparison matrix as text in one of COMPARE_FORMATS."""
    from auditor.safe_text import clean

    return _load(_compare_entry(fmt)[0])(clean(matrix))


def comparison_files(matrix: Matrix, formats: Iterable[str], directory: Path) -> dict[Path, str]:
    """Path -> rendered text of each comparison format."""
    return {directory / comparison_file_name(fmt): render_comparison(matrix, fmt)
            for fmt in formats}


__all__ = ["COMPARE_FORMATS", "DEFAULT_FORMAT", "FORMATS", "comparison_file_name",
           "comparison_files", "extension", "file_name", "render", "render_comparison",
           "renderer", "report_files", "report_writers", "writer"]
