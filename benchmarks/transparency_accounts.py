"""The transparency section's cost as an organization grows (issue 18: the coordinator's work
at the end of the run must grow with the accounts, not with their square).

    python benchmarks/transparency_accounts.py [--accounts 250 1000] [--tree DIR]

The golden mixed inventory's findings copied once per account (each copy its own account),
then ``transparency.summarize`` timed (process CPU). Linear growth: the time ratio is about
the accounts ratio. ``--tree``: a checkout of another commit to compare (its auditor/).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[250, 1000])
    parser.add_argument("--tree", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.tree.resolve()))
    from auditor.checks import compile_check, load_checks
    from auditor.documents import load_inventory
    from auditor.model import Report
    from auditor.pipeline import evaluate_muted
    from auditor.transparency import summarize

    inventory = load_inventory(ROOT / "tests" / "golden" / "mixed-inventory.json")
    base = evaluate_muted(inventory, [compile_check(c) for c in load_checks()], [], None)
    rows = []
    for accounts in args.accounts:
        findings = [replace(f, account=f"{f.account}-{i}") for i in range(accounts) for f in base]
        report = Report("bench", "now", inventory.runs, [], findings, {}, {}, {}, [], [], [])
        started = time.process_time()
        summarize(report)
        rows.append((accounts, len(findings), time.process_time() - started))
    for accounts, findings, seconds in rows:
        print(f"{accounts:>6} accounts, {findings:>8} findings: summarize {seconds:.2f} s CPU")
    (a0, _, t0), (a1, _, t1) = rows[0], rows[-1]
    print(f"accounts x{a1 / a0:.1f} -> time x{t1 / t0:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
