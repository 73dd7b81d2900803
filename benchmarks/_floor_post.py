"""The CPU of what our scan does after the answers are in, in-process, on a saved inventory.

    python benchmarks/_floor_post.py INVENTORY [--repeat 5] [--out DIR] [--profile FILE]

A scan's coordinator evaluates each unit's inventory as it arrives (auditor._sink), builds the
report and writes it (auditor.emission). This replays that on an inventory saved by
``auditor scan aws --save-inventory`` (one unit), with its facts un-shared first (a fresh Fact
and value per resource, as the adapter builds them: load_inventory shares equal facts, a live
scan does not), and prints the process CPU of each phase, medians of ``--repeat`` runs. A
machine loaded by others moves these figures far less than a whole scan's. ``--profile``:
cProfile of one more run (pstats file). Test-harness code, not shipped.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from auditor.checks import compile_check, load_checks
from auditor.documents import load_inventory
from auditor.model import Fact, Inventory


def live(inventory: Inventory) -> Inventory:
    """``inventory`` with every fact its own object, its value too (as collected)."""
    resources = [replace(r, facts={path: Fact(f.state, copy.deepcopy(f.value), f.source,
                                              f.detail, f.basis)
                                   for path, f in r.facts.items()})
                 for r in inventory.resources]
    return Inventory(copy.deepcopy(inventory.runs), resources)


def once(inventory: Inventory, checks: list, out: Path) -> dict[str, float]:
    from auditor._sink import EvaluatingSink
    from auditor.emission import Emission, emit_report
    from auditor.pipeline import registry_exposure
    from auditor.providers.base import ProviderRegistry

    registry = ProviderRegistry.from_entry_points()
    clock = time.process_time
    times = {}
    with EvaluatingSink(checks) as sink:
        start = clock()
        sink.deliver((0,), inventory)
        times["evaluate"] = clock() - start
        start = clock()
        report = sink.report(registry_exposure(registry), {})
        times["assemble"] = clock() - start
        start = clock()
        emit_report(report, Emission(["json"], out, quiet=True))
        times["write"] = clock() - start
    times["total"] = sum(times.values())
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("inventory", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    saved = load_inventory(args.inventory)
    checks = [compile_check(c) for c in load_checks()]
    out = args.out or Path(tempfile.mkdtemp(prefix="floor-post-"))
    runs = []
    for _ in range(args.repeat):
        runs.append(once(live(saved), checks, out))
    for phase in runs[0]:
        each = [round(r[phase], 3) for r in runs]
        print(f"{phase:9} median {statistics.median(each):.3f} s CPU  {each}")
    if args.profile is not None:
        inventory = live(saved)
        profiler = cProfile.Profile()
        profiler.enable()
        once(inventory, checks, out)
        profiler.disable()
        profiler.dump_stats(args.profile)
    print(f"report in {out}")


if __name__ == "__main__":
    main()
