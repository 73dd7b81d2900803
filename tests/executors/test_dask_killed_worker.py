"""A Dask worker killed in the middle of an account's collection: the scheduler moves the task
to another worker and the report is complete. The GCP stand-in answers every request after
0.1 s, so each project's collection takes seconds; the test waits until a worker is running a
project's task, kills that worker's process (SIGKILL, as an out-of-memory kill would), and the
run still reports every project, the one it always fails included, with its usual reason."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from dask_support import (
    FAILING,
    IN_ORG,
    ORG,
    collected_accounts,
    gcp_organization,
    report,
    two_workers,
)

from auditor.exit_codes import EXIT_PARTIAL

LATENCY = 0.1  # seconds per stand-in answer
BOUND = 120  # seconds: the whole scan, kill and retry included, on a loaded 2-core machine


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with gcp_organization(tmp_path_factory.mktemp("home"), latency=LATENCY) as box:
        yield box


@pytest.fixture(scope="module")
def cluster(estate) -> Iterator[Any]:
    with two_workers() as running:
        yield running


def _running_task(client: Any, deadline: float) -> tuple[str, str]:
    """(worker address, task key) of a project's collection in flight."""
    while time.monotonic() < deadline:
        for worker, keys in client.processing().items():
            for key in keys:
                if str(key).startswith("auditor-gcp-account-"):
                    return worker, str(key)
        time.sleep(0.05)
    raise AssertionError("no project's collection started in time")


def test_a_killed_worker_s_task_is_retried_elsewhere_and_the_report_is_complete(
        estate, cluster, tmp_path):
    from distributed import Client

    out = tmp_path / "out"
    started = time.monotonic()
    scan = subprocess.Popen(
        [shutil.which("auditor") or "auditor", "scan", "gcp", "--gcp-organization-id", ORG,
         "--executor", "dask", "--scheduler", cluster.scheduler_address, "--no-history",
         "-o", str(out), "-f", "json"],
        env={**os.environ, "NO_COLOR": "1"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True)
    try:
        with Client(cluster.scheduler_address, set_as_default=False) as client:
            pids = client.run(os.getpid)
            worker, key = _running_task(client, started + BOUND / 2)
            os.kill(pids[worker], signal.SIGKILL)
            _, stderr = scan.communicate(timeout=BOUND)
            assert pids[worker] not in client.run(os.getpid).values()  # that process is gone
    finally:
        if scan.poll() is None:
            scan.kill()
            scan.wait()
    assert time.monotonic() - started < BOUND
    assert scan.returncode == EXIT_PARTIAL, stderr
    document = report(out)
    accounts = collected_accounts(document)
    assert sorted(accounts) == IN_ORG
    assert {a for a, status in accounts.items() if status == "failed"} == {FAILING}
    (failure,) = document["account_failures"]
    assert failure["account"] == FAILING and "SERVICE_DISABLED" in failure["reason"]
    assert "KilledWorker" not in stderr
    killed = next(a for a in IN_ORG if f"-{a}-" in key)
    assert killed in {f["account"] for f in document["findings"]} or killed == FAILING
