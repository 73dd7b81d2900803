"""The one rule for text the tool emits: it is always encodable UTF-8.

A provider's answer can carry what no UTF-8 writer accepts: a lone surrogate (a JSON
``"\\ud800"`` escape, bytes decoded with ``surrogateescape``) or raw bytes. Either would stop a
report from being written, and losing the report over one odd bucket name or tag is worse than
losing that character. So, at emission (the reports' ``render``, the saved inventory):

- every lone surrogate (U+D800-U+DFFF) becomes U+FFFD, the replacement character;
- a ``bytes`` value becomes text, decoded as UTF-8 with each undecodable byte as U+FFFD.

Everything else is left to the formats (each renderer escapes what its syntax needs; control
characters are handled there). :func:`clean` returns its argument itself when nothing needed
replacing, so clean reports cost one walk and no copy.
"""

from __future__ import annotations

import dataclasses
import re
from enum import Enum
from functools import cache
from operator import attrgetter
from typing import Any, TypeVar

T = TypeVar("T")

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")
# What may not reach a terminal line: C0/C1 controls and DEL (escape sequences, bells).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD."""
    if text.isascii():  # the common case, and no surrogate can be in it
        return text
    return _SURROGATE.sub(REPLACEMENT, text) if _SURROGATE.search(text) else text


def one_line(text: str) -> str:
    """``text`` for one line of terminal output: the rule above, whitespace runs collapsed to
    one space, other control characters as U+FFFD."""
    return _CONTROL.sub(REPLACEMENT, " ".join(clean_text(text).split()))


def clean(value: T) -> T:
    """``value`` (a report, a model object, JSON data) with the rule applied to every string
    inside it, keys included; the same object when nothing changed.

    Within one call an object shared by many findings (their evidence, their framework
    mappings) is cleaned once. A report whose findings are a spool on disk
    (auditor.finding_spool) keeps it as it is, never read back: its findings were cleaned
    before they were spooled (clean by construction).
    """
    return _clean(value, {})


def _clean(value: Any, seen: dict[int, Any]) -> Any:
    if isinstance(value, Enum):  # StrEnum members are str: never rewritten
        return value
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    if not isinstance(value, dict | list | tuple):
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return _clean_container(value, seen)
        return value
    # A container met again is one shared between findings (their evidence, their framework
    # mappings). Its id stays its own meanwhile: the value being cleaned holds it.
    key = id(value)
    if key not in seen:
        seen[key] = _clean_container(value, seen)
    return seen[key]


def _clean_container(value: Any, seen: dict[int, Any]) -> Any:
    if isinstance(value, dict):
        items = [(_clean(k, seen), _clean(v, seen)) for k, v in value.items()]
        if all(k is k0 and v is v0 for (k, v), (k0, v0) in zip(items, value.items(), strict=True)):
            return value
        return dict(items)
    if isinstance(value, list | tuple):
        rows = _rows_of(value)
        if rows is not None:
            return _clean_rows(value, rows, seen)
        cleaned = [_clean(v, seen) for v in value]
        if all(a is b for a, b in zip(cleaned, value, strict=True)):
            return value
        return tuple(cleaned) if isinstance(value, tuple) else cleaned
    changes = {}
    for name in _init_fields(type(value)):
        old = getattr(value, name)
        new = _clean(old, seen)
        if new is not old:
            changes[name] = new
    return dataclasses.replace(value, **changes) if changes else value


# A list at least this long of objects of one dataclass (a report's findings) is cleaned field
# by field over all of them (see _clean_rows).
_ROWS_FROM = 32


def _rows_of(value: list[Any] | tuple[Any, ...]) -> type | None:
    """The dataclass every item of ``value`` is an instance of, when it is long enough."""
    if len(value) < _ROWS_FROM:
        return None
    kinds = set(map(type, value))
    if len(kinds) != 1:
        return None
    cls = kinds.pop()
    return cls if dataclasses.is_dataclass(cls) and not issubclass(cls, Enum) else None


def _clean_rows(value: list[Any] | tuple[Any, ...], cls: type, seen: dict[int, Any]) -> Any:
    """``value`` (objects of ``cls``) with each one cleaned, as ``_clean`` would one by one,
    but a field at a time over all of them: a column of ASCII text is one C-level pass, and a
    column of shared objects (the findings' evidence, frameworks) is cleaned once per
    distinct object. A million findings' walk cost seconds object by object."""
    changes: dict[int, dict[str, Any]] = {}
    for name in _init_fields(cls):
        column = list(map(attrgetter(name), value))
        if _ascii_texts(column):
            continue
        distinct = dict(zip(map(id, column), column, strict=True))
        cleaned = {key: _clean(item, seen) for key, item in distinct.items()}
        moved = {key for key, item in distinct.items() if cleaned[key] is not item}
        if moved:
            for index, item in enumerate(column):
                if id(item) in moved:
                    changes.setdefault(index, {})[name] = cleaned[id(item)]
    if not changes:
        return value
    out = list(value)
    for index, fields in changes.items():
        out[index] = dataclasses.replace(out[index], **fields)
    return tuple(out) if isinstance(value, tuple) else out


def _ascii_texts(column: list[Any]) -> bool:
    """Whether every item is a str (an Enum member too: never rewritten) of ASCII only."""
    try:
        return all(map(str.isascii, column))
    except TypeError:  # an item that is no str
        return False


@cache
def _init_fields(cls: type) -> tuple[str, ...]:
    # dataclasses.fields() per object was most of a walk over a million findings
    return tuple(f.name for f in dataclasses.fields(cls) if f.init)
