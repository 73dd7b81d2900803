"""The assertions every provider's matrix file makes (test_faults_<provider>.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from faults_matrix import Matrix
from faults_table import FAULTS

FAULT_IDS = [f.id for f in FAULTS]
ERROR_FAULTS = ["denied", "throttled-once", "5xx", "slow"]
ANSWER_FAULTS = [f for f in FAULT_IDS if f not in ERROR_FAULTS]
SHOWN = 4  # problems shown per failing case


def check_clean_run(matrix: Matrix) -> None:
    """The baseline every case is judged against: complete, and seen alike by both sides."""
    clean = matrix.clean
    assert clean is not None and clean.crash is None, clean and clean.crash
    runs = clean.inventory.runs
    assert [r.status for r in runs] == ["complete"], [e for r in runs for e in r.errors]
    assert clean.exit_code == 0
    # Every request the stand-in recorded went through the proxy and was recognised as the
    # same operation (the classifiers agree with the stand-in's own routing).
    assert +clean.requests == +matrix.stand_in_counts
    assert "" not in clean.requests, "a request the proxy could not name"
    assert len(matrix.operations) >= 5, matrix.operations


def check_fault(matrix: Matrix, fault: str) -> None:
    results = matrix.results(fault)
    assert set(results) == set(matrix.operations)
    failing = {op: problems for op, (_, problems) in results.items() if problems}
    _record(matrix, fault, results)
    if failing:
        lines = [f"{len(failing)} of {len(results)} operations fail under {fault}:"]
        for op, problems in sorted(failing.items()):
            more = f" (+{len(problems) - SHOWN} more)" if len(problems) > SHOWN else ""
            lines.append(f"{matrix.provider}/{fault}/{op}: " + "; ".join(problems[:SHOWN]) + more)
        pytest.fail("\n".join(lines), pytrace=False)


def check_down(matrix: Matrix) -> None:
    run, problems = matrix.down()
    _record(matrix, "down", {"*": (run, problems)})
    assert not problems, f"{matrix.provider}/down: " + "; ".join(problems)
    assert sum(run.requests.values()) == 0


def _record(matrix: Matrix, fault: str, results: dict) -> None:
    """With FAULT_MATRIX_REPORT=DIR, every case's outcome lands in DIR/<provider>-<fault>.json
    (one file per test: the two AWS files run in two processes at once)."""
    folder = os.environ.get("FAULT_MATRIX_REPORT")
    if not folder:
        return
    path = Path(folder) / f"{matrix.provider}-{fault}.json"
    known = {}
    for op, (run, problems) in results.items():
        known[f"{matrix.provider}/{fault}/{op}"] = {
            "ok": not problems, "problems": problems, "elapsed_s": round(run.elapsed, 2),
            "exit": run.exit_code, "requests": sum(run.requests.values())}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(known, indent=1, sort_keys=True))
