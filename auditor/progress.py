"""Per-provider progress while collecting: rich on a terminal, silent otherwise."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from auditor.providers.base import ProgressCallback


@contextmanager
def progress_display(providers: Sequence[str], quiet: bool = False) -> Iterator[ProgressCallback | None]:
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    lock = threading.Lock()
    with Progress(TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        tasks = {p: bar.add_task(p, total=None) for p in providers}

        def update(provider: str, done: int, total: int | None) -> None:
            with lock:
                if provider in tasks:
                    bar.update(tasks[provider], completed=done, total=total)

        yield update
