"""The default executor: the units on this process's daemon threads (cancellable_map), as the
pipeline has always collected; no Dask module is imported."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from auditor.cancellation import cancellable_map
from auditor.executors import ExecutorChoice, Here
from auditor.executors.unit import WorkUnit


class LocalExecutor:
    name = "local"

    def __init__(self, choice: ExecutorChoice | None = None) -> None:
        self.choice = choice or ExecutorChoice()

    def run(self, units: Sequence[WorkUnit], here: Here, limit: int, *,
            label: str) -> Iterator[tuple[int, Any]]:
        # One unit (a single-account provider) runs in the caller's thread, as before.
        yield from enumerate(cancellable_map(here, units, limit, name=label))

    def close(self) -> None:
        """Nothing to stop: the threads of a run end with it (they are daemons)."""
