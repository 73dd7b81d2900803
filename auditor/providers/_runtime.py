"""Shared adapter plumbing: call accounting, error-to-fact translation, a bounded pool."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from auditor.errors import CallError, ServiceError
from auditor.model import Fact, ProviderRun, RunError

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter for adapters whose SDK retries are switched off.

    ``max_attempts`` counts the first try.
    """

    max_attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * (2 ** (attempt - 1))) * random.uniform(0.5, 1)


Translate = Callable[[str, BaseException], tuple[CallError, bool]]


class RetryingCaller:
    """Runs one SDK call: counts every attempt, retries what may pass, translates the rest.

    ``translate(operation, exc)`` maps an SDK exception to (error, retryable). A retryable
    failure that outlasts the policy becomes a ServiceError, so its fact is ``error``.
    """

    def __init__(self, ledger: ApiLedger, policy: RetryPolicy, translate: Translate,
                 sdk_errors: tuple[type[BaseException], ...],
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.ledger = ledger
        self.policy = policy
        self._translate = translate
        self._sdk_errors = sdk_errors
        self._sleep = sleep

    def __call__(self, operation: str, fn: Callable[[], R]) -> R:
        attempt = 0
        while True:
            attempt += 1
            self.ledger.count(operation)
            try:
                return fn()
            except self._sdk_errors as exc:
                error, retryable = self._translate(operation, exc)
                if not retryable:
                    raise error from exc
                if attempt >= self.policy.max_attempts:
                    raise ServiceError(operation, error.code,
                                       f"{error.message} (gave up after {attempt} attempts)"
                                       .strip()) from exc
            self._sleep(self.policy.delay(attempt))


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


def bounded_map(fn: Callable[[T], R], items: Iterable[T], max_workers: int) -> list[R]:
    """Apply ``fn`` to items on at most ``max_workers`` threads, keeping order.

    ``fn`` must not raise for an expected call failure; it turns those into facts.
    """
    items = list(items)
    if not items:
        return []
    workers = max(1, min(max_workers, len(items)))
    if workers == 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="auditor") as pool:
        return list(pool.map(fn, items))
