"""What a finished report turns into: the files (written all or none) and what is printed.

Shared by the commands (scan, evaluate, report), compare and the demo.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any

from auditor.model import Inventory, Report

DEFAULT_OUTPUT_DIR = "auditor-out"
FILE_FORMATS_DEFAULT = ("table",)
INVENTORY_FILE = "auditor-inventory.json"


def use_color(args: argparse.Namespace) -> bool:
    from auditor.terminal import use_color as terminal_color

    return terminal_color(getattr(args, "no_color", False))


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


def output_dir_chosen(args: argparse.Namespace, config: dict[str, Any] | None = None) -> bool:
    return bool(getattr(args, "output_dir", None) or (config or {}).get("output_dir"))


def table_file_asked(args: argparse.Namespace, config: dict[str, Any] | None = None) -> bool:
    """The full table is written only when ``table`` was named (-f or config formats) and
    an output directory chosen: by default it is the terminal summary, and a table of a
    million findings would cost more than the evaluation itself."""
    named = split_values(getattr(args, "format", None)) or list((config or {}).get("formats", ()))
    return "table" in named and output_dir_chosen(args, config)


@dataclass(slots=True)
class Emission:
    """What a finished report turns into: files (written all or none) and what is printed."""

    formats: Sequence[str]              # report formats; "table" is the terminal summary
    directory: Path
    quiet: bool = False
    color: bool = False
    details: bool = False               # print every finding above the summary
    write_table: bool = False           # "table" is also written, in full, to the directory
    compare: Sequence[str] = ()         # comparison formats as well ("table" is printed)
    safeguards: bool = False            # print one row per safeguard and provider too
    save_inventory: bool = False
    no_color: bool = False              # --no-color (the progress on stderr follows it too)


def emission(args: argparse.Namespace, config: dict[str, Any] | None = None) -> Emission:
    """The Emission the output flags (and config) ask for: the summary on the terminal;
    every finding with --details, or in the table file when -f table and -o are given."""
    return Emission(report_formats(args, config), output_dir(args, config),
                    quiet=getattr(args, "quiet", False), color=use_color(args),
                    details=getattr(args, "details", False),
                    write_table=table_file_asked(args, config),
                    save_inventory=getattr(args, "save_inventory", False),
                    no_color=getattr(args, "no_color", False))


def _file_formats(out: Emission) -> list[str]:
    return [f for f in out.formats if f != "table" or out.write_table]


def emit_report(report: Report, out: Emission,
                inventory: Inventory | Callable[[IO[str]], None] | None = None) -> list[Path]:
    """Write every requested file, each piece by piece, all or none; then print.

    ``inventory`` (saved with --save-inventory) is an Inventory or a ``write(out)`` that
    writes its JSON text. Nothing is rendered before the files are opened: a report's
    findings are read by each format as it writes them, never held as one text.
    """
    from auditor.documents import write_all_streamed
    from auditor.reports import comparison_files, report_writers
    from auditor.safe_text import clean

    report = clean(report)  # what is printed, as what is written, is encodable text

    writers = report_writers(report, _file_formats(out), out.directory)
    matrix = None
    if out.compare:
        from auditor.comparison import build_matrix

        matrix = build_matrix(report)
        texts = comparison_files(matrix, [f for f in out.compare if f != "table"],
                                 out.directory)
        writers.update({path: partial(_write_text, text) for path, text in texts.items()})
    if out.save_inventory and inventory is not None:
        writers[out.directory / INVENTORY_FILE] = _inventory_writer(inventory)
    written = write_all_streamed(writers) if writers else []
    if not out.quiet:
        _print_report(report, out, matrix, written)
    return written


def _write_text(text: str, out: IO[str]) -> None:
    out.write(text)


def _inventory_writer(inventory: Inventory | Callable[[IO[str]], None]
                      ) -> Callable[[IO[str]], None]:
    if callable(inventory):
        return inventory
    from auditor.inventory_write import write_to

    return partial(write_to, inventory)


def _print_report(report: Report, out: Emission, matrix, written: list[Path]) -> None:
    from auditor.reports import file_name, render_comparison
    from auditor.reports.table import render, render_summary, safeguard_table

    print(render(report, color=out.color) if out.details
          else render_summary(report, color=out.color))
    if out.safeguards:
        table = safeguard_table(report)
        if table:
            print(table + "\n")
    if matrix is not None and "table" in out.compare:
        print(render_comparison(matrix, "table") + "\n")
    if not out.details and report.findings and out.directory / file_name("table") not in written:
        print(f"{len(report.findings)} findings: --details prints each one; -f table -o DIR "
              f"writes them all to DIR/{file_name('table')}")
    for line in written_lines(written):
        print(line)


def written_lines(paths: Sequence[Path], one_by_one: int = 3, width: int = 96) -> list[str]:
    """"wrote PATH" per file; past ``one_by_one`` files, one entry per folder (wrapped)."""
    import textwrap

    if len(paths) <= one_by_one:
        return [f"wrote {path}" for path in paths]
    folders: dict[Path, list[str]] = {}
    for path in paths:
        folders.setdefault(path.parent, []).append(path.name)
    lines = []
    for folder, names in folders.items():
        lines.append(f"wrote {len(names)} files to {folder}/:")
        lines += textwrap.wrap(", ".join(names), width, initial_indent="  ",
                               subsequent_indent="  ", break_long_words=False,
                               break_on_hyphens=False)
    return lines
