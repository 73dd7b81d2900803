"""Read and write the JSON documents the tool exchanges: inventories and reports."""

from __future__ import annotations

import json
import os
import signal
import stat
import tempfile
import threading
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import yaml

from auditor.errors import InputError, InventoryError, OutputError, ReportInputError
from auditor.model import Inventory, Report
from auditor.safe_text import clean
from auditor.schema import validate

# Bounds on what the tool reads: a hostile or mistaken input fails in one line, at once.
TEXT_LIMIT = 8 * 1024 * 1024  # config, mutelist, check files
DOCUMENT_LIMIT = 2 * 1024 * 1024 * 1024  # inventories and reports
MAX_DEPTH = 100  # nesting of any parsed document (ours are under 20 deep)
MAX_YAML_ALIASES = 100
MAX_YAML_VALUES = 100_000  # config, mutelist and check files hold a few hundred
STREAM_FROM = 16 * 1024 * 1024  # inventories this large are streamed (auditor.inventory_stream)


def _regular_file(path: str | Path, error: type[InputError], limit: int) -> None:
    """Raise ``error`` unless ``path`` is a regular file of at most ``limit`` bytes."""
    source = str(path)
    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise error(source, "$", "is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise error(source, "$", "not a regular file")
    if info.st_size > limit:
        raise error(source, "$", f"larger than the {limit // (1024 * 1024)} MiB limit")


def read_text(path: str | Path, error: type[InputError], limit: int = TEXT_LIMIT) -> str:
    """A UTF-8 regular file of at most ``limit`` bytes, or ``error(path, "$", reason)``.

    The file type is checked before opening: opening a FIFO would block, /dev/zero never ends.
    """
    source = str(path)
    try:
        _regular_file(path, error, limit)
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError as exc:
        raise error(source, "$", "file not found") from exc
    except OSError as exc:
        raise error(source, "$", exc.strerror or str(exc)) from exc
    if len(data) > limit:
        raise error(source, "$", f"larger than the {limit // (1024 * 1024)} MiB limit")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(source, "$", "not UTF-8 text") from exc


def check_depth(document: Any, source: str, error: type[InputError],
                max_nodes: int | None = None, start: int = 1) -> Any:
    """``document`` unless it nests deeper than MAX_DEPTH (validators recurse on it) or, for
    YAML, expands to more than ``max_nodes`` values (aliases share nodes that walking repeats).
    ``start``: the depth of ``document`` itself (a part of a larger document).
    """
    stack = [(document, start)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if depth > MAX_DEPTH:
            raise error(source, "$", f"nested deeper than {MAX_DEPTH} levels")
        if max_nodes is not None and seen > max_nodes:
            raise error(source, "$", f"expands to more than {max_nodes} values (YAML aliases)")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return document


def parse_json(text: str, source: str, error: type[InputError]) -> Any:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(source, f"line {exc.lineno} column {exc.colno}",
                    f"not valid JSON: {exc.msg}") from exc
    except RecursionError as exc:
        raise error(source, "$", f"not valid JSON: nested deeper than {MAX_DEPTH} levels") from exc
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        raise error(source, "$", f"not valid JSON: {exc}") from exc
    return check_depth(document, source, error)


def read_json(path: str | Path, error: type[InputError], limit: int = DOCUMENT_LIMIT) -> Any:
    return parse_json(read_text(path, error, limit), str(path), error)


class _TooManyAliases(Exception):
    pass


class _BoundedYamlLoader(yaml.SafeLoader):
    """SafeLoader that refuses alias bombs: an alias-heavy document explodes when walked."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases_seen = getattr(self, "aliases_seen", 0) + 1
            if self.aliases_seen > MAX_YAML_ALIASES:
                raise _TooManyAliases
        return super().compose_node(parent, index)


def _yaml_reason(exc: yaml.YAMLError) -> str:
    """PyYAML's reason in one line: a ReaderError (a character YAML refuses, such as NUL) has
    no ``problem``, and its text adds an 'in "<unicode string>", position N' line."""
    if isinstance(exc, yaml.reader.ReaderError):
        return (f"unacceptable character #x{exc.character:04x} at character "
                f"{exc.position}: {exc.reason}")
    return " ".join(str(getattr(exc, "problem", None) or exc).split())


def parse_yaml(text: str, source: str, error: type[InputError]) -> Any:
    """YAML (safe types only) with aliases, depth and integer size bounded."""
    try:
        document = yaml.load(text, Loader=_BoundedYamlLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "$"
        raise error(source, where, f"not valid YAML: {_yaml_reason(exc)}") from exc
    except _TooManyAliases as exc:
        raise error(source, "$", f"more than {MAX_YAML_ALIASES} YAML aliases") from exc
    except RecursionError as exc:
        raise error(source, "$", f"nested deeper than {MAX_DEPTH} levels") from exc
    except ValueError as exc:  # an integer beyond Python's digit limit
        raise error(source, "$", f"not valid YAML: {exc}") from exc
    return check_depth(document, source, error, MAX_YAML_VALUES)


def parse_toml(text: str, source: str, error: type[InputError]) -> Any:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(source, "$", f"not valid TOML: {exc}") from exc
    except RecursionError as exc:
        raise error(source, "$", f"nested deeper than {MAX_DEPTH} levels") from exc
    except ValueError as exc:
        raise error(source, "$", f"not valid TOML: {exc}") from exc
    return check_depth(document, source, error)


def load_inventory(path: str | Path) -> Inventory:
    """The inventory at ``path``: streamed when it is valid (auditor.inventory_stream), else
    read whole, so that a bad one gets the one-line error it always got."""
    from auditor.inventory_stream import load_streamed

    try:
        _regular_file(path, InventoryError, DOCUMENT_LIMIT)
        large = os.stat(path).st_size >= STREAM_FROM
    except OSError:
        large = False  # read_json below names the problem
    if large:
        inventory = load_streamed(Path(path), lambda node, start: check_depth(
            node, str(path), InventoryError, start=start))
        if inventory is not None:
            return inventory
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

    A SIGINT or SIGTERM while the temp files are made or renamed waits until the renames are
    done (then it is delivered), so an interrupt leaves the old set or the new one whole,
    never a mix. The output folder may hold other files, so the set is renamed file by file
    rather than as one folder swapped into place. Files are owner-only (0600, from mkstemp):
    a report is a map of an estate's weaknesses.
    """
    return write_all_streamed({path: _text_writer(text) for path, text in files.items()})


def _text_writer(text: str) -> Callable[[IO[str]], None]:
    return lambda out: out.write(text)


def write_all_streamed(writers: Mapping[Path, Callable[[IO[str]], None]]) -> list[Path]:
    """``write_all`` with each file's text given piece by piece: ``writers[path](out)``
    writes it into the file's temp file (0600, beside it, fsynced). Every file or none: an
    error in any writer, or in writing, leaves no new file and no temp file; the renames come
    last, with SIGINT and SIGTERM held. An OSError is an OutputError naming the file."""
    for path in writers:
        if path.is_dir():
            raise OutputError(str(path), "$", "is a directory, not a file")
    staged: list[tuple[str, Path]] = []
    current = Path(".")
    try:
        for path, write in writers.items():
            current = path
            path.parent.mkdir(parents=True, exist_ok=True)
            with signals_deferred():  # a temp file is never made without being listed
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                           dir=path.parent)
                staged.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                write(fh)
                fh.flush()
                os.fsync(fh.fileno())
        with signals_deferred():
            for tmp, path in staged:
                current = path
                os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(str(current), "$", exc.strerror or str(exc)) from exc
    finally:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
    return list(writers)


_DEFERRED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then deliver the first one that came.

    Only the main thread can install handlers (and only it receives signals); elsewhere, or
    when a handler was installed outside Python, the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous: dict[int, Any] = {}
    try:
        for sig in _DEFERRED_SIGNALS:
            if signal.getsignal(sig) is not None:
                previous[sig] = signal.signal(sig, lambda signum, frame: caught.append(signum))
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if caught:
            signal.raise_signal(caught[0])  # now, through the handler just restored


def write_atomic(path: Path, text: str) -> Path:
    """Write the whole file or nothing."""
    return write_all({path: text})[0]


def inventory_text(inventory: Inventory) -> str:
    """The inventory as JSON, validated against its schema (a failure here is our bug)."""
    document = clean(inventory.to_dict())  # auditor.safe_text: always encodable
    validate("inventory", document, "<collected inventory>", InventoryError)
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def dump_inventory(inventory: Inventory, path: Path) -> Path:
    """The inventory file, written one resource at a time (auditor.inventory_write: the same
    text as ``inventory_text``, without holding the whole document and its text at once)."""
    from auditor.inventory_write import write_to

    return write_streamed(path, lambda out: write_to(inventory, out))


def write_streamed(path: Path, write: Callable[[IO[str]], None]) -> Path:
    """One file whole or not at all, its text given piece by piece by ``write(out)``: a temp
    file beside it (0600), renamed into place with SIGINT and SIGTERM held (as write_all)."""
    if path.is_dir():
        raise OutputError(str(path), "$", "is a directory, not a file")
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with signals_deferred():
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        with signals_deferred():
            os.replace(tmp, path)
            tmp = None
    except OSError as exc:
        raise OutputError(str(path), "$", exc.strerror or str(exc)) from exc
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return path
