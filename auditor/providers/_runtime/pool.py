"""The bounded worker pool of one provider run."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def bounded_map(fn: Callable[[T], R], items: Iterable[T], max_workers: int) -> list[R]:
    """Apply ``fn`` to items on at most ``max_workers`` threads, keeping order.

    ``fn`` must not raise for an expected call failure; it turns those into outcomes.
    """
    items = list(items)
    if not items:
        return []
    workers = max(1, min(max_workers, len(items)))
    if workers == 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="auditor") as pool:
        return list(pool.map(fn, items))
