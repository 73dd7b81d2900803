"""Results are the same with either executor: the GCP demo organization (five projects on the
stand-in, real google-cloud-* clients over HTTP) scanned with ``--executor local`` and on a
two-worker LocalCluster gives the same findings, runs, account failures and summaries (minus
when each ran). Workers are separate processes that collect with their own environment."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
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
    untimed,
)

from auditor.exit_codes import EXIT_PARTIAL

SAME = ("findings", "runs", "account_failures", "provider_failures", "summary", "checks",
        "not_collected", "transparency")


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with gcp_organization(tmp_path_factory.mktemp("home")) as box:
        yield box


@pytest.fixture(scope="module")
def cluster(estate) -> Iterator[Any]:
    with two_workers() as running:
        yield running


def _scan(auditor, out: Path, *flags: str):
    return auditor("scan", "gcp", *flags, "--no-history", "-o", str(out), "-f", "json",
                   timeout=240)


def test_an_organization_scan_gives_the_same_report_locally_and_on_two_workers(
        auditor, estate, cluster, tmp_path):
    local = _scan(auditor, tmp_path / "local", "--gcp-organization-id", ORG,
                  "--executor", "local")
    dask = _scan(auditor, tmp_path / "dask", "--gcp-organization-id", ORG,
                 "--executor", "dask", "--scheduler", cluster.scheduler_address)
    assert local.returncode == dask.returncode == EXIT_PARTIAL, (local.stderr, dask.stderr)
    assert local.stderr == dask.stderr  # the same failed account, said the same way
    here, there = report(tmp_path / "local"), report(tmp_path / "dask")
    assert sorted(collected_accounts(there)) == IN_ORG
    assert [f["account"] for f in there["account_failures"]] == [FAILING]
    assert len(there["findings"]) > 100
    for key in SAME:
        assert untimed(here[key]) == untimed(there[key]), key
    # the answers were released once read: no worker keeps a result (polled: a release is
    # asynchronous)
    from distributed import Client

    with Client(cluster.scheduler_address, set_as_default=False) as client:
        deadline = time.monotonic() + 10
        while any(client.has_what().values()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(client.has_what().values())


def test_executor_dask_alone_starts_and_stops_its_own_local_cluster(auditor, estate, tmp_path):
    project = "acme-retail-prod"
    local = _scan(auditor, tmp_path / "local", "--gcp-project", project)
    dask = _scan(auditor, tmp_path / "dask", "--gcp-project", project, "--executor", "dask",
                 "--dask-workers", "1")
    assert local.returncode == dask.returncode, (local.stderr, dask.stderr)
    here, there = report(tmp_path / "local"), report(tmp_path / "dask")
    assert list(collected_accounts(there)) == [project]
    for key in SAME:
        assert untimed(here[key]) == untimed(there[key]), key
    assert dask.stderr == local.stderr  # no Dask log line reaches the user
