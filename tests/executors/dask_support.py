"""Shared by the Dask executor tests: the GCP stand-in's demo organization, a process
environment that reaches only it, and a two-worker LocalCluster whose worker processes inherit
that environment (each worker's own credential chain, as on a worker host)."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.providers.gcp.sandbox import GcpSandbox, load_demo_section

ORG = "905531727110"  # the demo organization: five ACTIVE projects, one with every API off
FAILING = "acme-data-billing-export"
IN_ORG = ["acme-data-billing-export", "acme-data-eu", "acme-retail-prod", "acme-retail-staging",
          "acme-shared-tools"]
# Fields of a finding or run that name when it ran, not what was found.
TIMING = {"started_at", "finished_at", "evaluated_at", "observed_at", "duration_s",
          "generated_at"}


@contextlib.contextmanager
def gcp_organization(home: Path, latency: float = 0.0) -> Iterator[GcpSandbox]:
    """The seeded stand-in, its endpoints in os.environ (and so in every process started
    from here: the CLI and the cluster's workers), no project of the caller's own."""
    box = GcpSandbox(latency=latency)
    box.start()
    try:
        box.seed(load_demo_section())
        with pytest.MonkeyPatch.context() as mp:
            for name, value in box.environment().items():
                mp.setenv(name, value)
            mp.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
            mp.setenv("HOME", str(home))
            yield box
    finally:
        box.stop()


@contextlib.contextmanager
def two_workers() -> Iterator[Any]:
    """A LocalCluster of two worker processes, one thread each, its HTTP server on a free
    127.0.0.1 port."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL) as cluster:
        yield cluster


def report(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "auditor-report.json").read_text(encoding="utf-8"))


def untimed(value: Any) -> Any:
    """``value`` without the fields that say when, recursively; a run's errors in a fixed order
    (its calls run concurrently, so they are recorded as they fail, with either executor)."""
    if isinstance(value, dict):
        return {k: sorted(map(json.dumps, v)) if k == "errors" else untimed(v)
                for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


def collected_accounts(document: dict[str, Any]) -> dict[str, str]:
    """account -> run status of a report's runs."""
    return {account: run["status"] for run in document["runs"] for account in run["accounts"]}
