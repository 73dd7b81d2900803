"""Read and write the JSON documents the tool exchanges: inventories and reports."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from auditor.errors import InputError, InventoryError, ReportInputError
from auditor.model import Inventory, Report
from auditor.schema import validate


def read_json(path: str | Path, error: type[InputError]) -> Any:
    source = str(path)
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError as exc:
        raise error(source, "$", "file not found") from exc
    except IsADirectoryError as exc:
        raise error(source, "$", "is a directory, not a file") from exc
    except UnicodeDecodeError as exc:
        raise error(source, "$", "not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise error(source, f"line {exc.lineno} column {exc.colno}",
                    f"not valid JSON: {exc.msg}") from exc
    except OSError as exc:
        raise error(source, "$", exc.strerror or str(exc)) from exc


def load_inventory(path: str | Path) -> Inventory:
    document = read_json(path, InventoryError)
    validate("inventory", document, str(path), InventoryError)
    return Inventory.from_dict(document)


def load_report(path: str | Path) -> Report:
    document = read_json(path, ReportInputError)
    validate("report", document, str(path), ReportInputError)
    return Report.from_dict(document)


def write_atomic(path: Path, text: str) -> Path:
    """Write the whole file or nothing: a temp file in the same folder, then rename.

    Files are owner-only (0600, from mkstemp): a report is a map of an estate's weaknesses.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def dump_inventory(inventory: Inventory, path: Path) -> Path:
    document = inventory.to_dict()
    validate("inventory", document, "<collected inventory>", InventoryError)
    return write_atomic(path, json.dumps(document, indent=2, sort_keys=False) + "\n")
