"""The Dask executor: each unit a task of a Dask distributed cluster (``pip install
'safeguard-auditor[dask]'``).

Without a scheduler address, a LocalCluster of worker processes is started for the run (one
per core, or ExecutorChoice.workers) and shut down after it; with one (tcp://HOST:8786), the
client connects to it within CONNECT_TIMEOUT or the run stops with one line (exit 2).

A task is :func:`auditor.executors.unit.run_unit` over the unit's payload. Dask retries a task
that raised (RETRIES), and moves a task whose worker died to another one until the
scheduler's allowed-failures are spent (KilledWorker): such a task, like one that still
fails, is the unit's failure with its reason, and the run goes on. Answers are read as they
finish (distributed.as_completed) and released at once: the coordinator holds the merged
inventory, not every raw answer.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from auditor.cancellation import Cancelled, cancelled
from auditor.errors import ProviderError, UsageError
from auditor.executors import ExecutorChoice, Here
from auditor.executors.unit import WorkUnit, answer_outcome, run_unit, wire_ready

CONNECT_TIMEOUT = 3.0  # seconds: a scheduler that does not answer by then is unreachable
RETRIES = 2  # a task that raised is tried at most this many more times
ALLOWED_FAILURES = 2  # workers that may die running one task (a local cluster's scheduler)
CLOSE_TIMEOUT = 10.0  # seconds: shutting the client and a local cluster down
MIN_AHEAD = 4  # units submitted ahead at least, whatever the cluster's threads
# Imported by each worker process of the local cluster: Ctrl-C is the coordinator's to handle
WORKER_SETUP = "auditor.executors._worker_setup"


class DaskExecutor:
    name = "dask"

    def __init__(self, choice: ExecutorChoice) -> None:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:
            raise UsageError(choice.source if choice.scheduler else "--executor", choice.where
                             if choice.scheduler else "$", "dask needs the Dask extra: pip "
                             "install 'safeguard-auditor[dask]'") from None

        self.choice = choice
        self._lock = threading.Lock()
        self._running: dict[str, Any] = {}  # task key -> future, until its answer is read
        self.most_in_flight = 0  # the most tasks submitted and not yet read, over the runs
        self._cluster: Any = None
        if choice.scheduler:
            try:
                self.client = Client(choice.scheduler, timeout=CONNECT_TIMEOUT,
                                     set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise UsageError(choice.source, choice.where,
                                 f"no Dask scheduler answers at {choice.scheduler} within "
                                 f"{CONNECT_TIMEOUT:g} s ({type(exc).__name__})") from None
            self._stop_profilers()
            return
        with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
                              # never started on the workers (auditor.executors._no_profiler)
                              "distributed.worker.profile.enabled": False}):
            self._cluster = LocalCluster(
                n_workers=choice.workers or os.cpu_count() or 1,
                threads_per_worker=max(1, choice.threads), processes=True,
                dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL,
                preload=[WORKER_SETUP])
        self.client = Client(self._cluster, set_as_default=False)
        self._stop_profilers()

    def _stop_profilers(self) -> None:
        """Every worker's sampling profiler stopped, those joining later too: it can deadlock
        a worker process (auditor.executors._no_profiler)."""
        from auditor.executors._no_profiler import NoSamplingProfiler

        self.client.register_plugin(NoSamplingProfiler())

    @property
    def scheduler_address(self) -> str:
        return self.client.scheduler.address

    def run(self, units: Sequence[WorkUnit], here: Here, limit: int, *,
            label: str) -> Iterator[tuple[int, Any]]:
        """The units submitted a window at a time (twice the cluster's threads, at least
        MIN_AHEAD): each answer read lets the next unit in, so the coordinator never holds
        every unit's task at once (an organization of 3,000 accounts held ~28 KB per account
        of submitted tasks before the first answer). ``here`` and ``limit`` are the local
        executor's: a worker collects the unit by its payload."""
        from distributed import as_completed

        run_id = uuid.uuid4().hex[:12]
        where: dict[str, int] = {}
        refused: list[tuple[int, Exception]] = []
        waiting = iter(enumerate(units))
        completed = as_completed([], loop=self.client.loop)

        def submit_next() -> bool:
            for index, unit in waiting:
                try:
                    wire_ready(unit)  # no secret, nothing that is not JSON, leaves
                except ProviderError as exc:
                    refused.append((index, exc))
                    continue
                key = f"{label}-{unit.account or unit.provider}-{run_id}-{index}"
                with self._lock:
                    future = self.client.submit(run_unit, unit, key=key, retries=RETRIES,
                                                pure=False)
                    where[future.key] = index
                    self._running[future.key] = future
                    self.most_in_flight = max(self.most_in_flight, len(self._running))
                completed.add(future)
                return True
            return False

        for _ in range(self._window()):
            if not submit_next():
                break
        for future in completed:
            yield from _drained(refused)
            index = where.pop(future.key)
            yield index, self._outcome(future, units[index])
            with self._lock:
                self._running.pop(future.key, None)
            if cancelled():
                self._cancel(list(where))
                raise Cancelled
            submit_next()
        yield from _drained(refused)

    def _window(self) -> int:
        """Units in flight at once: twice the threads of the workers known now."""
        threads = sum(self.client.nthreads().values())
        return max(MIN_AHEAD, 2 * threads)

    def _outcome(self, future: Any, unit: WorkUnit) -> Any:
        from distributed.scheduler import KilledWorker

        try:
            return answer_outcome(future.result(), f"<dask task {future.key}>")
        except KilledWorker:
            return ProviderError(unit.provider, "every Dask worker that ran its collection died "
                                                "(KilledWorker, the scheduler's allowed "
                                                "failures spent)")
        except Exception as exc:  # the task's own exception, after its retries
            return exc

    def _cancel(self, keys: list[str]) -> None:
        with self._lock:
            futures = [self._running.pop(key) for key in keys if key in self._running]
        if futures:
            self.client.cancel(futures)

    def close(self) -> None:
        """Cancel what still runs, close the client and the local cluster, if any."""
        with self._lock:
            futures = list(self._running.values())
            self._running.clear()
        try:
            if futures:
                self.client.cancel(futures)
            self.client.close(timeout=CLOSE_TIMEOUT)
        finally:
            if self._cluster is not None:
                self._cluster.close(timeout=CLOSE_TIMEOUT)


def _drained(refused: list[tuple[int, Exception]]) -> Iterator[tuple[int, Exception]]:
    """The units refused before submission so far, each once."""
    while refused:
        yield refused.pop(0)
