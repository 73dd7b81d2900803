"""The call ledger of one provider run: attempts per operation and the failures recorded."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

from auditor.errors import CallError
from auditor.model import Fact, ProviderRun, RunError


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class ApiLedger:
    """Thread-safe count of API calls and record of call failures for one provider run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.errors: list[RunError] = []

    def count(self, operation: str) -> None:
        with self._lock:
            self.calls[operation] += 1

    def failed(self, scope: str, exc: CallError) -> Fact:
        """Record a failed call and return the fact it stands for (denied or error)."""
        with self._lock:
            self.errors.append(RunError(scope, exc.operation, exc.code, exc.message))
        return Fact.from_call_error(exc)

    def listing_failed(self, scope: str, exc: CallError) -> None:
        """Record a failed listing: what it would have listed is missing from the inventory.

        Reports count these as coverage gaps, so a refused ListBuckets never reads as a clean
        estate.
        """
        with self._lock:
            self.errors.append(RunError(scope, exc.operation, exc.code, exc.message, "listing"))

    def finish(self, run: ProviderRun) -> ProviderRun:
        run.api_calls = dict(self.calls)
        run.errors = list(self.errors)
        run.finished_at = utc_now()
        if run.status != "failed" and self.errors:
            run.status = "partial"
        return run
