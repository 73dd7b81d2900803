"""The bounded worker pool of one provider run."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar, cast

from auditor.cancellation import cancellable_map

T = TypeVar("T")
R = TypeVar("R")

Contain = Callable[[T, Exception], R]


def bounded_map(fn: Callable[[T], R], items: Iterable[T], max_workers: int, *,
                contain: Contain | None = None) -> list[R]:
    """Apply ``fn`` to items on at most ``max_workers`` threads, keeping order.

    ``fn`` must not raise for an expected call failure; it turns those into outcomes. For the
    unexpected (a normalizer bug, an SDK raising on an odd answer) the contract is:

    - every item runs, even after another item raised;
    - with ``contain``, an item whose ``fn`` raised becomes ``contain(item, exc)``: the adapter
      records that one resource as failed (its facts ``error``) and keeps all the others;
    - without it, once every item is done the first exception (in item order) is re-raised
      with its own traceback; the pipeline records it as a failure of the provider.

    Once the run is cancelled (``CollectRequest.cancel``, see auditor.cancellation) no new
    item starts and ``auditor.cancellation.Cancelled`` is raised.
    """
    items = list(items)
    results = cancellable_map(fn, items, max_workers)
    failed = [(i, r) for i, r in enumerate(results) if isinstance(r, BaseException)]
    if not failed:
        return cast(list[R], results)
    if contain is None or any(not isinstance(r, Exception) for _, r in failed):
        first = failed[0][1]
        if len(failed) > 1:
            first.add_note(f"{len(failed)} of {len(results)} items raised")
        raise first
    for index, exc in failed:
        results[index] = contain(items[index], cast(Exception, exc))
    return cast(list[R], results)
