"""Writing a report piece by piece: a writer into a string, and JSON with streamed arrays."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Iterable
from typing import IO, Any

_MARK = f"safeguard-auditor-stream-{uuid.uuid4().hex}"


def to_text(write: Callable[..., None], report: Any, *, color: bool = False) -> str:
    """What ``write(report, out, color=...)`` writes, as one string (each format's render)."""
    out = io.StringIO()
    write(report, out, color=color)
    return out.getvalue()


def array_mark(name: str) -> str:
    """A placeholder for the array ``name`` in a document given to :func:`write_indented`."""
    return f"{_MARK}:{name}"


def write_array(out: IO[str], items: Iterable[Any], depth: int) -> None:
    """``items`` as ``json.dumps(list(items), indent=2, ensure_ascii=False)`` writes them at
    nesting ``depth`` of an indented document, one item at a time."""
    inner = "\n" + "  " * (depth + 1)
    out.write("[")
    first = True
    for item in items:
        out.write(inner if first else "," + inner)
        out.write(json.dumps(item, indent=2, ensure_ascii=False).replace("\n", inner))
        first = False
    out.write("]" if first else "\n" + "  " * depth + "]")


def write_indented(out: IO[str], document: Any, arrays: dict[str, Iterable[Any]]) -> None:
    """``json.dumps(document, indent=2, ensure_ascii=False)`` with each ``array_mark(name)``
    string in it written as the array ``arrays[name]``, item by item: the same text as the
    document with those arrays in place, without holding them."""
    text = json.dumps(document, indent=2, ensure_ascii=False)
    while arrays:
        found = min((text.find(f'"{array_mark(n)}"'), n) for n in arrays)
        at, name = found
        if at < 0:
            raise ValueError(f"array {name!r} is not in the document")
        line_start = text.rfind("\n", 0, at) + 1
        indent = len(text[line_start:]) - len(text[line_start:].lstrip(" "))
        out.write(text[:at])
        write_array(out, arrays.pop(name), indent // 2)
        text = text[at + len(array_mark(name)) + 2:]
    out.write(text)
