"""Report renderers: one module per format, looked up in a registry.

Every renderer has the signature ``render(report: Report, *, color: bool = False) -> str`` and
sees only the Report. ``write_report`` writes a report file whole or not at all.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import import_module
from pathlib import Path

from auditor.errors import UsageError
from auditor.model import Report

Renderer = Callable[..., str]

# format name -> (renderer "module:function", file extension)
_REGISTRY: dict[str, tuple[str, str]] = {
    "table": ("auditor.reports.table:render", "txt"),
    "json": ("auditor.reports.json_report:render", "json"),
    "csv": ("auditor.reports.csv_report:render", "csv"),
    "sarif": ("auditor.reports.sarif:render", "sarif"),
    "ocsf": ("auditor.reports.ocsf:render", "ocsf.json"),
    "html": ("auditor.reports.html:render", "html"),
    "markdown": ("auditor.reports.markdown:render", "md"),
    "junit": ("auditor.reports.junit:render", "xml"),
}

FORMATS: tuple[str, ...] = tuple(_REGISTRY)
DEFAULT_FORMAT = "table"
REPORT_STEM = "auditor-report"


def _entry(fmt: str) -> tuple[str, str]:
    try:
        return _REGISTRY[fmt]
    except KeyError:
        raise UsageError("--format", "$", f"unknown format {fmt!r}; "
                         f"choose one of: {', '.join(FORMATS)}") from None


def extension(fmt: str) -> str:
    """The file extension (without the dot) of a report in ``fmt``."""
    return _entry(fmt)[1]


def renderer(fmt: str) -> Renderer:
    """The render function of ``fmt``, imported on first use."""
    module_name, _, func_name = _entry(fmt)[0].partition(":")
    return getattr(import_module(module_name), func_name)


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """The report as text in ``fmt``; ``color`` only affects formats meant for a terminal."""
    return renderer(fmt)(report, color=color)


def write_report(report: Report, fmt: str, directory: str | os.PathLike[str]) -> Path:
    """Render ``report`` first, then write ``auditor-report.<ext>`` into ``directory`` atomically."""
    from auditor.documents import write_atomic

    text = render(report, fmt)
    return write_atomic(Path(directory) / f"{REPORT_STEM}.{extension(fmt)}", text)


__all__ = ["DEFAULT_FORMAT", "FORMATS", "extension", "render", "renderer", "write_report"]
