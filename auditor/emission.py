"""What a finished report turns into: the files (written all or none) and what is printed.

Shared by the commands (scan, evaluate, report), compare and the demo.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.model import Report

DEFAULT_OUTPUT_DIR = "auditor-out"
FILE_FORMATS_DEFAULT = ("table",)
INVENTORY_FILE = "auditor-inventory.json"


def use_color(args: argparse.Namespace) -> bool:
    return (not getattr(args, "no_color", False) and "NO_COLOR" not in os.environ
            and sys.stdout.isatty())


def split_values(values: Sequence[str] | None) -> list[str]:
    """--checks a,b --checks c -> [a, b, c]."""
    return [v.strip() for item in values or () for v in item.split(",") if v.strip()]


def report_formats(args: argparse.Namespace, config: dict[str, Any] | None = None) -> list[str]:
    from auditor.reports import extension

    formats = split_values(getattr(args, "format", None)) or list(
        (config or {}).get("formats", FILE_FORMATS_DEFAULT))
    for fmt in formats:
        extension(fmt)  # an unknown format is a usage error before anything is collected
    return formats


def output_dir(args: argparse.Namespace, config: dict[str, Any] | None = None) -> Path:
    return Path(getattr(args, "output_dir", None) or (config or {}).get("output_dir")
                or DEFAULT_OUTPUT_DIR)


@dataclass(slots=True)
class Emission:
    """What a finished report turns into: files (written all or none) and what is printed."""

    formats: Sequence[str]              # report formats; "table" is printed, never written
    directory: Path
    quiet: bool = False
    color: bool = False
    posture_only: bool = False          # print one row per check, not one per finding
    compare: Sequence[str] = ()         # comparison formats as well ("table" is printed)
    save_inventory: bool = False


def emission(args: argparse.Namespace, config: dict[str, Any] | None = None) -> Emission:
    """The Emission the output flags (and config) ask for."""
    return Emission(report_formats(args, config), output_dir(args, config),
                    quiet=getattr(args, "quiet", False), color=use_color(args),
                    save_inventory=getattr(args, "save_inventory", False))


def emit_report(report: Report, out: Emission, inventory=None) -> list[Path]:
    """Render every requested file first, then write them all or none; then print."""
    from auditor.documents import inventory_text, write_all
    from auditor.reports import comparison_files, render, render_comparison, report_files
    from auditor.safe_text import clean

    report = clean(report)  # what is printed, as what is written, is encodable text

    files = report_files(report, [f for f in out.formats if f != "table"], out.directory)
    matrix = None
    if out.compare:
        from auditor.comparison import build_matrix

        matrix = build_matrix(report)
        files.update(comparison_files(matrix, [f for f in out.compare if f != "table"],
                                      out.directory))
    if out.save_inventory and inventory is not None:
        files[out.directory / INVENTORY_FILE] = inventory_text(inventory)
    written = write_all(files) if files else []
    if not out.quiet:
        if out.posture_only:
            from auditor.reports.posture import render_posture

            print(render_posture(report) + "\n")
        else:
            print(render(report, "table", color=out.color))
        if matrix is not None and "table" in out.compare:
            print(render_comparison(matrix, "table") + "\n")
        for path in written:
            print(f"wrote {path}")
    return written
