"""The Dask executor stops every worker's sampling profiler (auditor.executors._no_profiler):
on CPython 3.11 its ``sys._current_frames()`` calls can deadlock a worker process whose
garbage collection runs a finalizer that lets another thread run (an organization scan of
3,000 projects on a two-worker local cluster hung that way). Both ways a scan gets a cluster:
a scheduler the user runs (its workers' profilers were on) and the executor's own local
cluster."""

from __future__ import annotations

import logging

from auditor.executors import ExecutorChoice
from auditor.executors._dask import DaskExecutor
from auditor.executors._no_profiler import PROFILER_CALLBACKS


def _profiling(dask_worker) -> list[str]:
    """The profiler callbacks running on this worker."""
    return [key for key in PROFILER_CALLBACKS
            if key in dask_worker.periodic_callbacks
            and dask_worker.periodic_callbacks[key].is_running()]


def test_a_standing_clusters_workers_stop_profiling_when_a_scan_connects():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL) as cluster:
        with Client(cluster, set_as_default=False) as watcher:
            before = watcher.run(_profiling)
            assert before and all(v == list(PROFILER_CALLBACKS) for v in before.values())
            executor = DaskExecutor(ExecutorChoice("dask", scheduler=cluster.scheduler_address))
            try:
                after = watcher.run(_profiling)
            finally:
                executor.close()
            assert after.keys() == before.keys()
            assert all(v == [] for v in after.values())


def test_the_executors_own_local_cluster_never_profiles():
    executor = DaskExecutor(ExecutorChoice("dask", workers=1))
    try:
        running = executor.client.run(_profiling)
    finally:
        executor.close()
    assert len(running) == 1
    assert all(v == [] for v in running.values())
