"""A Dask worker plugin that stops the worker's sampling profiler, on every worker of the
cluster a scan uses (the executor's own local cluster, or a scheduler the user runs).

Every 10 ms a Dask worker's profiler calls ``sys._current_frames()``. On CPython 3.11 a
garbage collection that starts inside that call runs finalizers while the interpreter's list
of threads is locked; a finalizer that lets another thread run (google-auth's
``Request.__del__`` closes its HTTP session) deadlocks the process: that thread waits for the
lock, the profiling thread for the GIL. Seen here: an organization scan of 3,000 Google Cloud
projects on a two-worker local cluster stopped for good, every thread of a worker process
waiting for the GIL and its main thread in ``Request.__del__`` under ``trigger_profile``.
(Distributed itself leaves its event-loop profiler off on 3.11 for this reason.) The
profiler only feeds Dask's dashboard; a scan's tasks do not need it.
"""

from __future__ import annotations

from typing import Any

from distributed import WorkerPlugin

PROFILER_CALLBACKS = ("profile", "profile-cycle")  # Worker.periodic_callbacks keys


class NoSamplingProfiler(WorkerPlugin):
    """Stops a worker's sampling profiler when the plugin is registered (and on every worker
    that joins the cluster later)."""

    name = "safeguard-auditor-no-sampling-profiler"

    def setup(self, worker: Any) -> None:
        for key in PROFILER_CALLBACKS:
            callback = worker.periodic_callbacks.get(key)
            if callback is not None:
                callback.stop()
