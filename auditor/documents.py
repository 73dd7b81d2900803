"""Read and write the JSON documents the tool exchanges: inventories and reports."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from auditor.errors import InputError, InventoryError, OutputError, ReportInputError
from auditor.model import Inventory, Report
from auditor.schema import validate


def read_text(path: str | Path, error: type[InputError]) -> str:
    """A UTF-8 text file, or ``error(path, "$", reason)`` naming what is wrong with it."""
    source = str(path)
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise error(source, "$", "file not found") from exc
    except IsADirectoryError as exc:
        raise error(source, "$", "is a directory, not a file") from exc
    except UnicodeDecodeError as exc:
        raise error(source, "$", "not UTF-8 text") from exc
    except OSError as exc:
        raise error(source, "$", exc.strerror or str(exc)) from exc


def read_json(path: str | Path, error: type[InputError]) -> Any:
    text = read_text(path, error)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(str(path), f"line {exc.lineno} column {exc.colno}",
                    f"not valid JSON: {exc.msg}") from exc


def load_inventory(path: str | Path) -> Inventory:
    document = read_json(path, InventoryError)
    validate("inventory", document, str(path), InventoryError)
    return Inventory.from_dict(document)


def load_report(path: str | Path) -> Report:
    """A saved report; its transparency block is derived data, so it is computed afresh."""
    from auditor.transparency import summarize

    document = read_json(path, ReportInputError)
    validate("report", document, str(path), ReportInputError)
    report = Report.from_dict(document)
    report.transparency = summarize(report)
    return report


def write_all(files: Mapping[Path, str]) -> list[Path]:
    """Write every file or none: temp files in the target folders first, then renames.

    Files are owner-only (0600, from mkstemp): a report is a map of an estate's weaknesses.
    """
    for path in files:
        if path.is_dir():
            raise OutputError(str(path), "$", "is a directory, not a file")
    staged: list[tuple[str, Path]] = []
    current = Path(".")
    try:
        for path, text in files.items():
            current = path
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            staged.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, path in staged:
            current = path
            os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(str(current), "$", exc.strerror or str(exc)) from exc
    finally:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
    return list(files)


def write_atomic(path: Path, text: str) -> Path:
    """Write the whole file or nothing."""
    return write_all({path: text})[0]


def inventory_text(inventory: Inventory) -> str:
    """The inventory as JSON, validated against its schema (a failure here is our bug)."""
    document = inventory.to_dict()
    validate("inventory", document, "<collected inventory>", InventoryError)
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def dump_inventory(inventory: Inventory, path: Path) -> Path:
    return write_atomic(path, inventory_text(inventory))
