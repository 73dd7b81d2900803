"""The coordinator's memory does not grow with the accounts: evaluating and spooling 200
accounts through the sink peaks within 1.5x of doing 20 (tracemalloc, one process), once
the spool holds its memory limit of findings (here a small one, so the test is quick). What a
unit leaves behind is its run and its segment's index (about a kilobyte); its resources,
findings and their text are dropped once spooled."""

from __future__ import annotations

import gc
import tracemalloc
from dataclasses import replace

from spool_support import CHECKS, accounts, golden

from auditor._sink import EvaluatingSink
from auditor.model import Inventory, ProviderRun

# checks of the synthetic accounts' kinds, a few (the test's time is the evaluation's)
SOME = [c for c in CHECKS if "storage.bucket" in c.check.kinds][:4]
MEMORY_LIMIT = 500  # findings held as objects; the rest go to disk


def _account_shape() -> Inventory:
    """One account as a unit gives it: one run, ~60 resources (the golden AWS resources
    three times over)."""
    base = golden()
    run = base.runs[0]
    resources = [r for r in base.resources if r.provider == run.provider]
    return Inventory([ProviderRun(run.provider, regions=["eu-west-1"], status="complete",
                                  api_calls={"s3:ListBuckets": 1},
                                  facts_requested=run.facts_requested)],
                     [replace(r, id=f"{r.id}-{k}") for k in range(3) for r in resources])


def _peak(count: int, shape: Inventory) -> int:
    with EvaluatingSink(SOME, memory_limit=MEMORY_LIMIT) as sink:
        sink.deliver((0, 0, 0), accounts(1, shape)[0])  # imports and caches warmed
        gc.collect()
        tracemalloc.start()
        try:
            for number in range(1, count + 1):
                # each account made when it "arrives", as a unit's answer is
                part = accounts(1, shape)[0]
                sink.deliver((0, number, 0), part)
                del part
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert len(sink.findings) > count * 10
        assert sink.seen.resources == (count + 1) * len(shape.resources)
    return peak


def test_peak_memory_is_flat_from_20_to_200_accounts():
    shape = _account_shape()
    small, large = _peak(20, shape), _peak(200, shape)
    assert large < 1.5 * small, (small, large)
