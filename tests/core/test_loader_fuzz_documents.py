"""Fuzzing the loaders of the JSON files a user gives: an inventory (read whole, and the
streamed reader of large ones) and a saved report (``auditor compare``, ``auditor report``).
The YAML ones (mutelist, ``--checks-dir`` check files) take the same mutations in
test_loader_fuzz_yaml.py. Each starts from a valid document
and takes random mutations (a value's type swapped, a key deleted or given twice, deep or
huge values, NaN/Infinity, lone surrogates, a BOM, bytes that are not UTF-8, the text cut
short). Each either loads or raises the loader's documented InputError subclass, one line
naming the file, where (a JSON path, or the line of a syntax error) and the reason: never
another exception, never a hang.
"""

from __future__ import annotations

import copy
import json
import math
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.checks import compile_check, load_checks
from auditor.documents import check_depth, load_inventory, load_report
from auditor.errors import InputError, InventoryError, ReportInputError
from auditor.inventory_stream import load_streamed
from auditor.model import Inventory
from auditor.pipeline import build_report
from auditor.reports import json_report

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = json.loads((ROOT / "tests/golden/mixed-inventory.json").read_text(encoding="utf-8"))
INVENTORY = {**GOLDEN, "resources": GOLDEN["resources"][:4]}
_CHECKS = [compile_check(c) for c in load_checks() if c.id in (
    "bucket-encryption-enabled", "bucket-key-custody", "data-legal-reach")]
REPORT = json.loads(json_report.render(build_report(
    Inventory.from_dict(copy.deepcopy(INVENTORY)), _CHECKS, lambda provider: None)))
REPORT["findings"] = REPORT["findings"][:4]
SETTINGS = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

DUP = "\x00dup\x00"  # a key renamed to its sibling's name in the text: a key given twice
SWAPS = st.one_of(
    st.sampled_from([None, True, 0, -1, 2**63, 1.5, "", "x", [], {}, [None], {"": None},
                     math.nan, math.inf, -math.inf, "\ud800", "\udfff x", "\u202e\x1b[31m",
                     "2099-12-31", "../../etc/passwd"]),
    st.builds(lambda n: "a" * n, st.sampled_from([10_000, 1_000_000])),
    st.builds(lambda n: _nested(n), st.sampled_from([20, 99, 100, 101, 500])),
    st.text(max_size=20), st.integers(), st.floats())


def _nested(depth: int) -> Any:
    node: Any = "leaf"
    for i in range(depth):
        node = [node] if i % 2 else {"k": node}
    return node


def _nodes(node: Any, path: tuple = ()) -> Iterator[tuple]:
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _nodes(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _nodes(v, (*path, i))


def _mutate(doc: Any, draw: Callable[[Any], Any]) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_nodes(doc))
        path = draw(st.sampled_from(paths))
        if not path:
            doc = draw(SWAPS)
            continue
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        key, op = path[-1], draw(st.sampled_from(["swap", "swap", "delete", "twice"]))
        if op == "delete":
            del parent[key]
        elif op == "twice" and isinstance(parent, dict):
            parent[DUP + str(key)] = draw(SWAPS)
        else:
            parent[key] = draw(SWAPS)
    return doc


def _json_text(doc: Any) -> str:
    text = json.dumps(doc, indent=1, allow_nan=True)  # NaN, Infinity: Python's json reads them
    return text.replace(json.dumps(DUP)[1:-1], "")


@st.composite
def files(draw, base: Any, text_of: Callable[[Any], str]) -> bytes:
    """The bytes of a mutated ``base``: its document mutated, then maybe its bytes."""
    text = text_of(_mutate(base, draw))
    data = text.encode("utf-8", "surrogatepass")  # a lone surrogate: bytes that are not UTF-8
    op = draw(st.sampled_from(["none", "none", "bom", "cut", "bytes", "double-bom"]))
    if op == "bom":
        data = b"\xef\xbb\xbf" + data
    elif op == "double-bom":
        data = b"\xef\xbb\xbf" * 2 + data
    elif op == "cut":
        data = data[:draw(st.integers(0, len(data)))]
    elif op == "bytes":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\x00", b"\xed\xa0\x80"])) \
            + data[at:]
    return data


class _Hang(Exception):
    pass


@contextmanager
def _bounded(seconds: int = 20) -> Iterator[None]:
    def hung(signum: int, frame: Any) -> None:
        raise _Hang(f"no answer within {seconds} s")
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _loads_or_one_line(load: Callable[[Path], Any], data: bytes, name: str,
                       error: type[InputError]) -> Any:
    """What ``load`` made of the file, or None after checking its error."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            with _bounded():
                return load(path)
        except error as exc:
            assert exc.source == str(path), exc
            assert exc.path.startswith(("$", "line ")), exc
            assert exc.reason and len(str(exc).splitlines()) == 1, repr(str(exc))
            assert str(exc).startswith(f"{path}: ")
            return None


CASES = [(INVENTORY, _json_text, load_inventory, "inventory.json", InventoryError),
         (REPORT, _json_text, load_report, "report.json", ReportInputError)]


def run_bases(cases: list[tuple]) -> None:
    """Each unmutated base loads (else the fuzzing would only ever test errors)."""
    for base, text_of, load, name, error in cases:
        assert _loads_or_one_line(load, text_of(base).encode(), name, error) is not None


def test_the_bases_load():
    run_bases(CASES)


@SETTINGS
@given(files(INVENTORY, _json_text))
def test_inventory_loads_or_is_one_inventory_error(data: bytes):
    _loads_or_one_line(load_inventory, data, "inventory.json", InventoryError)


@SETTINGS
@given(files(INVENTORY, _json_text))
def test_the_streamed_reader_declines_or_agrees_with_the_whole_read(data: bytes):
    """load_streamed (large inventories) never raises: it returns None (the whole read then
    names the error) or what the whole read makes of the file."""
    def both(path: Path) -> None:
        streamed = load_streamed(path, lambda node, start: check_depth(
            node, str(path), InventoryError, start=start))
        if streamed is not None:
            assert streamed.to_dict() == load_inventory(path).to_dict()
    _loads_or_one_line(both, data, "inventory.json", InventoryError)


@SETTINGS
@given(files(REPORT, _json_text))
def test_saved_report_loads_or_is_one_report_error(data: bytes):
    _loads_or_one_line(load_report, data, "report.json", ReportInputError)


HOSTILE = ['{"a": 1, "a": 2}', "\ufeff{}", "[" * 100_000, "1" * 5000, '"\\ud800"', "NaN", "",
           "\ud800"]


@pytest.mark.parametrize("text", HOSTILE)
def test_fixed_hostile_texts_are_one_error(text: str):
    for _, _, load, name, error in CASES:
        data = text.encode("utf-8", "surrogatepass")
        assert _loads_or_one_line(load, data, name, error) is None
