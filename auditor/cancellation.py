"""Cancelling a run: one event per run, seen by every worker, and worker threads that never
hold the process open.

The pipeline makes one ``threading.Event`` per run (``CollectRequest.cancel``) and sets it
when the run is interrupted. :func:`cancel_scope` makes it the current event of the adapter's
thread; :func:`cancellable_map` hands that context on to its workers, so nested pools, the
retry backoff (:func:`pause`) and adapters (:func:`raise_if_cancelled`) all see the same event
without it being passed through every call.

Workers are daemon threads on purpose: an interrupted run exits at once instead of waiting for
HTTP calls still in flight (``concurrent.futures`` joins its threads at interpreter exit).
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from auditor.errors import AuditorError

T = TypeVar("T")
R = TypeVar("R")

JOIN_POLL = 0.2  # seconds: how late an interrupt can be noticed by a waiting main thread

_CURRENT: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar(
    "auditor_cancel", default=None)


class Cancelled(AuditorError):
    """The run was cancelled (Ctrl-C); the work it interrupted is not reported."""

    def __init__(self) -> None:
        super().__init__("cancelled")


@contextmanager
def cancel_scope(event: threading.Event | None) -> Iterator[None]:
    """Make ``event`` the current cancel event of this thread (and of the pools it starts)."""
    token = _CURRENT.set(event)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current_cancel() -> threading.Event | None:
    return _CURRENT.get()


def cancelled() -> bool:
    event = _CURRENT.get()
    return event is not None and event.is_set()


def raise_if_cancelled() -> None:
    if cancelled():
        raise Cancelled


def pause(seconds: float) -> None:
    """Sleep ``seconds`` (a retry backoff), waking at once and raising Cancelled on cancel."""
    event = _CURRENT.get()
    if event is None:
        threading.Event().wait(seconds)
        return
    if event.wait(seconds):
        raise Cancelled


def cancellable_map(fn: Callable[[T], R], items: Iterable[T], max_workers: int,
                    name: str = "auditor", *, inline: bool = True) -> list[R | BaseException]:
    """``fn`` over ``items`` on at most ``max_workers`` daemon threads, in order.

    Each slot holds the result, or the exception that item raised: every item runs even when
    another raised, so the caller decides what a failure costs. No item starts once the current
    cancel event is set; then Cancelled is raised (after the running items return, unless the
    caller is the interrupted main thread, which stops waiting at once). ``inline``: with one
    worker, run in the caller's thread; the pipeline says False, so that the main thread only
    waits and an interrupt never lands inside SDK code.
    """
    items = list(items)
    results: list[R | BaseException] = [Cancelled()] * len(items)
    if not items:
        return []
    workers = max(1, min(max_workers, len(items)))
    event = _CURRENT.get()
    if workers == 1 and inline:
        for index, item in enumerate(items):
            raise_if_cancelled()
            results[index] = _run(fn, item)
        return results
    lock = threading.Lock()
    pending = iter(range(len(items)))

    def work() -> None:
        while event is None or not event.is_set():
            with lock:
                index = next(pending, None)
            if index is None:
                return
            try:
                results[index] = _run(fn, items[index])
            except BaseException as exc:  # a thread has no caller to raise to
                results[index] = exc

    # One context copy per thread (a Context can be entered by one thread at a time).
    threads = [threading.Thread(target=contextvars.copy_context().run, args=(work,),
                                name=f"{name}-{n}", daemon=True) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        # Short joins: a signal that lands just before a blocking wait would otherwise wait
        # with it; between two joins the main thread raises KeyboardInterrupt at once.
        while thread.is_alive():
            thread.join(JOIN_POLL)
    raise_if_cancelled()
    return results


def _run(fn: Callable[[T], R], item: T) -> R | BaseException:
    try:
        return fn(item)
    except Exception as exc:  # kept for the caller: one item's failure loses no other
        return exc
