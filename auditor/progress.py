"""Per-provider progress while collecting: rich on a terminal, silent otherwise."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from auditor.providers.base import ProgressCallback


@contextmanager
def progress_display(providers: Sequence[str], quiet: bool = False,
                     no_color: bool = False) -> Iterator[ProgressCallback | None]:
    """A live bar per provider on stderr while it is a terminal (never on a pipe or a file,
    whatever FORCE_COLOR says); without colour under --no-color or NO_COLOR."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from auditor.terminal import use_color

    console = Console(stderr=True, no_color=not use_color(no_color, sys.stderr))
    lock = threading.Lock()
    with Progress(TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True) as bar:
        tasks = {p: bar.add_task(p, total=None) for p in providers}

        def update(provider: str, done: int, total: int | None) -> None:
            with lock:
                if provider in tasks:
                    bar.update(tasks[provider], completed=done, total=total)

        yield update


class SummedProgress:
    """One provider's progress summed over its accounts, collected at once.

    Each account's adapter reports its own (done, total); passed on as they come, the bar
    would jump between accounts. Here each account keeps its last report and the provider's
    bar gets the sums: the total is known once every account that reported knows its own.
    """

    def __init__(self, progress: ProgressCallback) -> None:
        self._progress = progress
        self._lock = threading.Lock()
        self._accounts: dict[str, tuple[int, int | None]] = {}

    def account(self, account: str) -> ProgressCallback:
        """The callback one account's collect reports through."""

        def update(provider: str, done: int, total: int | None) -> None:
            with self._lock:  # one sum at a time, in the order the reports arrived
                self._accounts[account] = (done, total)
                reported = self._accounts.values()
                totals = [t for _, t in reported]
                summed = None if None in totals else sum(t for t in totals if t is not None)
                self._progress(provider, sum(d for d, _ in reported), summed)

        return update
