"""The call ledger of one provider run: attempts per operation and the failures recorded."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

from auditor.errors import CallError
from auditor.model import Fact, ProviderRun, Resource, RunError
from auditor.providers._runtime.scrub import Scrubber


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class ApiLedger:
    """Thread-safe count of API calls and record of call failures for one provider run.

    ``scrubber`` is the run's: the adapter's session adds the credentials it resolves to it,
    and every failure recorded here passes through it.
    """

    def __init__(self, scrubber: Scrubber | None = None) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.errors: list[RunError] = []
        self.scrubber = scrubber if scrubber is not None else Scrubber()

    def count(self, operation: str) -> None:
        with self._lock:
            self.calls[operation] += 1

    def failed(self, scope: str, exc: CallError) -> Fact:
        """Record a failed call and return the fact it stands for (denied or error)."""
        exc = self.scrubber.call_error(exc)
        with self._lock:
            self.errors.append(RunError(scope, exc.operation, exc.code, exc.message))
        return Fact.from_call_error(exc)

    def listing_failed(self, scope: str, exc: CallError) -> None:
        """Record a failed listing: what it would have listed is missing from the inventory.

        Reports count these as coverage gaps, so a refused ListBuckets never reads as a clean
        estate.
        """
        exc = self.scrubber.call_error(exc)
        with self._lock:
            self.errors.append(RunError(scope, exc.operation, exc.code, exc.message, "listing"))

    def finish(self, run: ProviderRun, resources: Iterable[Resource] = ()) -> ProviderRun:
        """Close the run: calls, errors and status; the run's errors and the ``resources``'
        fact details are scrubbed once more (a detail may quote an answer)."""
        self.scrubber.resources(resources)
        run.api_calls = dict(self.calls)
        run.errors = list(self.errors)
        self.scrubber.run(run)
        run.finished_at = utc_now()
        if run.status != "failed" and self.errors:
            run.status = "partial"
        return run
