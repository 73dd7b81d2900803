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
    mappings) is cleaned once.
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


@cache
def _init_fields(cls: type) -> tuple[str, ...]:
    # dataclasses.fields() per object was most of a walk over a million findings
    return tuple(f.name for f in dataclasses.fields(cls) if f.init)
