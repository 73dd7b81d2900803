"""The one progress counter of a provider run: resources done out of a known total."""

from __future__ import annotations

import threading
from collections.abc import Callable

Report = Callable[[str, int, int | None], None]  # (provider, done, total)


class Progress:
    """Thread-safe: each :meth:`tick` reports (provider, done, total) once, in order."""

    def __init__(self, report: Report, provider: str, total: int) -> None:
        self._report = report
        self._provider = provider
        self.total = total
        self.done = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        """Report 0 of the total before any work is done."""
        with self._lock:
            self._report(self._provider, self.done, self.total)

    def tick(self) -> None:
        # Reported under the lock so that the callback sees done counts in order.
        with self._lock:
            self.done += 1
            self._report(self._provider, self.done, self.total)
