"""Shared by the spool tests: the golden inventory's resources cloned into N accounts, each
account one unit's partial inventory, as pipeline.collect hands it to a sink."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from auditor.checks import compile_check, load_checks
from auditor.documents import load_inventory
from auditor.model import Inventory

GOLDEN = Path(__file__).parents[1] / "golden"
CHECKS = [compile_check(c) for c in load_checks()]


def golden() -> Inventory:
    return load_inventory(GOLDEN / "mixed-inventory.json")


def accounts(count: int, base: Inventory | None = None) -> list[Inventory]:
    """``count`` accounts, each the golden resources renamed into it (its own ids), with a run
    asked for the facts the golden runs were."""
    base = base or golden()
    out = []
    for number in range(count):
        account = f"acct-{number:04d}"
        runs = [replace(run, accounts=[account]) for run in base.runs]
        resources = [replace(r, account=account, id=f"{r.id}@{account}", facts=dict(r.facts))
                     for r in base.resources]
        out.append(Inventory(runs, resources))
    return out



def gcp_org(home: Path, latency: float = 0.0) -> Any:
    """The GCP stand-in seeded with its demo organization (five projects, one failing), its
    endpoints in os.environ: the executor tests' own (tests/executors/dask_support.py)."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "executors"))
    from dask_support import gcp_organization

    return gcp_organization(home, latency)
