"""Read a large inventory without holding its text and its parsed JSON at once.

``load_streamed`` is the fast path of ``documents.load_inventory``: it parses the file once
with ijson (yajl, in C), never the whole text in memory and never all resources as raw JSON.
ijson builds the whole document, but each time it asks for the next bytes, the resources it
has finished building (all of ``resources`` but the last, which may still be filling) are
taken out of that list: each is bounded in depth, validated against the schema's
``resource`` definition by the compiled validator, turned into the model (equal facts shared,
``model.FactInterner``) and dropped. What is left at the end is the skeleton (the top level
keys, the schema version, the runs, ``resources`` emptied), validated against the inventory
schema with no resources.

The inventory schema constrains resources only item by item (``items: $ref resource``), so
the two together accept exactly what one validation of the whole document accepts.

Whenever the fast path meets anything it does not accept (a JSON error, a value yajl reads
otherwise than Python's json module, a duplicate top-level key, a too-deep or schema-invalid
part), it returns None, and ``load_inventory`` reads the file the old way: whole, with
python jsonschema, so every error (file, JSON path, reason) is the one it always was, and
python jsonschema has the last word on what is valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from auditor.errors import InputError
from auditor.gc_pause import gc_paused
from auditor.model import FactInterner, Inventory, ProviderRun, Resource
from auditor.schema import fast_valid

# yajl decodes a lone surrogate escape ("\ud800") to "?" where Python's json keeps it: a file
# holding any surrogate escape (a valid pair too, to stay simple) takes the old path.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
# ijson builds each value's path as it goes, so a deeply nested value costs it time quadratic
# in the depth, where json fails at once: a run of more openers than the depth bound declines
# the fast path before ijson meets it. (Nesting interleaved with keys or items is not caught
# here: it is still refused, by check_depth then the old path, only not as fast.)
_DEEP = re.compile(rb"[\[{](?:\s*[\[{]){99}")
# In valid JSON every opener of a run but the last is "[" ("{" is followed by a key), so a deep
# run, whitespace left out, holds "[[" or "[{"; the _DEEP search (slow: no literal to skip to)
# runs only on a read holding one. (Other runs are JSON errors, where ijson stops at once.)
_WHITESPACE = b" \t\r\n"
_OPENER_PAIRS = (b"[[", b"[{")
_OVERLAP = 1024  # a match split across two reads is found in the next one
_TOP_KEYS = frozenset({"schema_version", "runs", "resources"})
_FLAT = (str, int, float, bool, type(None))


class _Fallback(Exception):
    """The fast path declines this document: read it the old way."""


class _Scanned:
    """A binary file whose every read is searched for surrogate escapes (and deep bracket
    runs); before each read after the first, ``before_read`` runs."""

    def __init__(self, fh: BinaryIO, before_read: Callable[[], None]) -> None:
        self._fh = fh
        self._tail = b""
        self._before_read = before_read

    def read(self, size: int = -1) -> bytes:
        self._before_read()
        chunk = self._fh.read(size)
        window = self._tail + chunk
        # "\\u" first: bytes.find is a fast scan, the pattern search is not
        if (b"\\u" in window and _SURROGATE_ESCAPE.search(window)) or _deep(window):
            raise _Fallback
        self._tail = chunk[-_OVERLAP:]
        return chunk


def _deep(window: bytes) -> bool:
    packed = window.translate(None, _WHITESPACE)
    return any(pair in packed for pair in _OPENER_PAIRS) and _DEEP.search(window) is not None


class _Skeleton(dict):
    """The top-level object; a key seen twice declines the fast path (json keeps the last
    value, the resources taken from the first would be kept too): noted here, raised at the
    next read (an exception raised inside ijson's builder is not passed on cleanly). Its
    ``resources`` list is handed to ``_Taker`` as soon as ijson starts it."""

    def __init__(self, taker: _Taker) -> None:
        super().__init__()
        self._taker = taker

    def __setitem__(self, key: str, value: Any) -> None:
        if key in self:
            self._taker.duplicate = True
        elif key == "resources":
            self._taker.raw = value
        super().__setitem__(key, value)


class _Taker:
    """ijson's map_type (the root is a _Skeleton, every other map a dict) and the step run
    before each read: the finished resources out of the list ijson is filling, into the
    model."""

    def __init__(self, check_depth: Any) -> None:
        self.root: _Skeleton | None = None
        self.raw: Any = None  # the top-level ``resources`` value, as ijson builds it
        self.duplicate = False  # a top-level key seen twice
        self.resources: list[Resource] = []
        self._interner = FactInterner()
        self._check_depth = check_depth

    def __call__(self) -> dict[str, Any]:
        if self.root is None:
            self.root = _Skeleton(self)
            return self.root
        return {}

    def take(self, last_too: bool = False) -> None:
        if self.duplicate:
            raise _Fallback
        raw = self.raw
        if type(raw) is not list:
            return  # not seen yet, or no list (the skeleton's validation declines it)
        done = len(raw) if last_too else len(raw) - 1  # the last may still be filling
        if done <= 0:
            return
        interner, check_depth, resources = self._interner, self._check_depth, self.resources
        for item in raw[:done]:
            if not fast_valid("inventory", item, "resource"):
                raise _Fallback
            _bounded(item, check_depth)
            resources.append(Resource.from_dict(item, interner))
        del raw[:done]


def _bounded(resource: dict[str, Any], check_depth: Any) -> None:
    """The old path's depth bound on a resource the schema accepted. There, everything but
    the fact values is flat (strings, lists of strings, string tags), so only the values can
    nest: a value is at depth 6 (root 1, resources 2, the resource 3, facts 4, the fact 5)."""
    for fact in resource["facts"].values():
        value = fact["value"]
        if isinstance(value, dict):
            check_depth(value, 6)
        elif isinstance(value, list) and not all(isinstance(v, _FLAT) for v in value):
            check_depth(value, 6)  # a list of scalars (most list values) is 7 deep at most


def load_streamed(path: Path, check_depth: Any) -> Inventory | None:
    """The inventory at ``path``, or None when the fast path declines it (see the module).

    ``check_depth(node, start)`` raises an InputError when ``node``, found at depth ``start``,
    nests too deep (documents.check_depth, the old path's bound).
    """
    import ijson

    taker = _Taker(check_depth)
    try:
        with open(path, "rb") as fh, gc_paused():  # the model stays alive: see gc_pause
            documents = list(ijson.items(_Scanned(fh, taker.take), "", use_float=True,
                                         map_type=taker))
            if len(documents) != 1 or taker.root is None or documents[0] is not taker.root:
                raise _Fallback  # not one JSON object (``null`` makes no map at all)
            taker.take(last_too=True)
        skeleton = dict(taker.root)
        if not set(skeleton) <= _TOP_KEYS or skeleton.get("resources") is not taker.raw \
                or type(taker.raw) is not list:
            raise _Fallback
        check_depth(skeleton, 1)
        if not fast_valid("inventory", skeleton):
            raise _Fallback
        runs = [ProviderRun.from_dict(r) for r in skeleton["runs"]]
    except (_Fallback, InputError, OSError, ijson.JSONError, ValueError, OverflowError, RecursionError):
        return None
    return Inventory(runs, taker.resources)
