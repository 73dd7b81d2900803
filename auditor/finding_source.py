"""What a report's findings are to their readers: a sized, re-iterable source.

A Report's ``findings`` is either a plain list (a saved report read back, a small scan) or a
source that keeps them somewhere else (a spool on disk while an organization is scanned, so
the coordinator's memory does not grow with its accounts). Readers (renderers, summaries,
the history) rely only on this protocol:

- ``iter(findings)``: every finding in evaluation order (check, then inventory order); it
  may be iterated any number of times, each pass giving the same findings;
- ``len(findings)``: how many;
- :func:`ordered` (not ``sorted()``): the findings sorted by a key, which a spool does in
  bounded memory.

Never index, slice or copy the findings into a list: a spool would then be held whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from auditor.model import Finding

SortKey = Callable[["Finding"], Any]


@runtime_checkable
class FindingSource(Protocol):
    """Findings a reader may iterate many times and count, but not index."""

    def __iter__(self) -> Iterator[Finding]: ...

    def __len__(self) -> int: ...


def ordered(findings: FindingSource, key: SortKey) -> Iterator[Finding]:
    """The findings sorted by ``key`` (stable: equal keys keep evaluation order).

    A source with its own ``ordered(key)`` method sorts itself (a spool merges sorted runs
    from disk); any other is sorted in memory.
    """
    own = getattr(findings, "ordered", None)
    if own is not None:
        return own(key)
    return iter(sorted(findings, key=key))
