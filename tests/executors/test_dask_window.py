"""The Dask executor keeps a window of units in flight, not every unit of the organization:
twice the cluster's threads (at least MIN_AHEAD). An organization of 3,000 accounts held about
28 KB per account of submitted tasks on the coordinator before the first answer came back.
The GCP demo organization's five projects on a one-thread in-process cluster (window 4): the
same accounts collected as with the local executor, never more than 4 tasks at once."""

from __future__ import annotations

import logging
from dataclasses import replace

from dask_support import IN_ORG, ORG, gcp_organization

from auditor.executors import ExecutorChoice
from auditor.executors._dask import MIN_AHEAD, DaskExecutor
from auditor.executors.local import LocalExecutor
from auditor.executors.unit import collect_once
from auditor.multi_account import account_targets, collect_accounts
from auditor.providers.base import CollectRequest, ProviderRegistry


def _collect(executor, adapter, request, targets):
    return collect_accounts("gcp", lambda one: collect_once(adapter, one, {}), request,
                            targets, 2, {}, executor)


def test_at_most_a_window_of_units_is_in_flight(tmp_path):
    from distributed import LocalCluster

    with gcp_organization(tmp_path) as _box, LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False,
            dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL) as cluster:
        adapter = ProviderRegistry.from_entry_points().get("gcp")
        request = CollectRequest(options={"organization_id": ORG})
        targets = account_targets(adapter, request)
        assert sorted(t.account for t in targets) == IN_ORG and len(targets) > MIN_AHEAD
        local = _collect(LocalExecutor(), adapter, replace(request), targets)
        executor = DaskExecutor(ExecutorChoice("dask", scheduler=cluster.scheduler_address))
        try:
            there = _collect(executor, adapter, replace(request), targets)
        finally:
            executor.close()
    assert executor.most_in_flight == MIN_AHEAD  # 2 x 1 thread is below the minimum
    ran = sorted(a for r in there.inventory.runs for a in r.accounts)
    assert ran == sorted(a for r in local.inventory.runs for a in r.accounts) == IN_ORG
    assert [f.account for f in there.failures] == [f.account for f in local.failures]
    assert len(there.inventory.resources) == len(local.inventory.resources) > 0
