"""tabulate's "simple" table (strings only, numbers not parsed), written a row at a time.

``tabulate`` needs every row at once to size its columns; here the caller gives the rows twice
(two passes over the findings): once to size the columns, once to write them. The text is
tabulate's own: a column is as wide as its widest cell, and at least its header plus two; a
cell's width is what tabulate measures (colour codes take none; wide characters two, when
tabulate counts them); cells are stripped, left-aligned, and each line right-stripped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import IO

import tabulate as _tabulate

_SGR = re.compile(r"\x1b\[[0-9;]*m")
_MIN_PADDING = 2  # tabulate's MIN_PADDING for every format but "pretty"


def _length() -> Callable[[str], int]:
    if _tabulate.WIDE_CHARS_MODE:
        import wcwidth

        return wcwidth.wcswidth
    return len


def width(cell: str) -> int:
    """How wide tabulate takes ``cell`` to be."""
    return _length()(_SGR.sub("", cell))


def column_widths(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[int]:
    widths = [width(h) + _MIN_PADDING for h in headers]
    measure = _length()
    for row in rows:
        for i, cell in enumerate(row):
            cell = cell.strip()
            size = measure(_SGR.sub("", cell) if "\x1b" in cell else cell)
            if size > widths[i]:
                widths[i] = size
    return widths


def line(cells: Sequence[str], widths: Sequence[int]) -> str:
    measure = _length()
    padded = []
    for cell, size in zip(cells, widths, strict=True):
        cell = cell.strip()
        shown = measure(_SGR.sub("", cell) if "\x1b" in cell else cell)
        padded.append(cell + " " * (size - shown))
    return "  ".join(padded).rstrip()


def write_table(out: IO[str], headers: Sequence[str], widths: Sequence[int],
                rows: Iterable[Sequence[str]]) -> None:
    """The table (no newline after its last line) with columns ``widths`` wide, as
    ``tabulate(rows, headers, tablefmt="simple", disable_numparse=True)`` writes it."""
    out.write(line(headers, widths) + "\n" + "  ".join("-" * w for w in widths))
    for row in rows:
        out.write("\n" + line(row, widths))
