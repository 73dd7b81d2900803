"""A/B of our scan's CPU: two checkouts, one seeded moto server, runs alternated.

    python benchmarks/_floor_ab.py --a TREE_A --b TREE_B [--buckets 1000] [--repeat 3]
        [--profile DIR] [--endpoint URL]

The estate is seeded once (a scan never writes to it), the request log is off, and
``auditor scan aws`` (floor.ours_cmd) runs from TREE_A, TREE_B, then TREE_B, TREE_A, ... ``--repeat``
pairs. Prints each run's wall, user+sys CPU and the load average at its start, then the medians,
and whether the two trees' JSON reports are the same minus ``generated_at`` and the runs'
start and end times. ``--profile``: one more run of each under py-spy (--gil), raw output in
DIR. ``--endpoint``: a moto server already seeded (its request log off) instead of a new one.
Test-harness code, not shipped.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _moto_harness as h  # noqa: E402
from floor import ours_cmd  # noqa: E402


def _report(outdir: Path) -> Any:
    (path,) = outdir.glob("*.json")
    document = json.loads(path.read_text())
    document.pop("generated_at", None)
    for run in document.get("runs", []):  # when each run started and ended
        run.pop("started_at", None)
        run.pop("finished_at", None)
    return document


def _run(url: str, tree: Path, outdir: Path, profile: Path | None) -> dict[str, Any]:
    env = h.base_env(url)
    env["PYTHONPATH"] = str(tree)
    cmd = ours_cmd(outdir)
    if profile is not None:
        cmd = ["py-spy", "record", "--gil", "-r", "200", "-f", "raw", "-o", str(profile), "--",
               *cmd]
    load = os.getloadavg()[0]
    figures = h.measure(cmd, env, log=outdir.with_suffix(".log"))
    figures["load"] = round(load, 2)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", type=Path, required=True)
    parser.add_argument("--b", type=Path, required=True)
    parser.add_argument("--buckets", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/floor-ab"))
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--endpoint", help="a seeded moto server to use (none is started)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    server = None if args.endpoint else h.MotoServer()
    try:
        if server is not None:
            server.start()
            print(f"seeded {args.buckets} buckets in {server.seed(args.buckets):.1f} s",
                  flush=True)
            server._api("recorder/stop-recording")
        url = args.endpoint or server.url  # type: ignore[union-attr]
        runs: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
        reports: dict[str, Any] = {}
        for i in range(args.repeat):
            pair = (("A", args.a), ("B", args.b))
            for name, tree in pair if i % 2 == 0 else pair[::-1]:  # AB, BA, ...: no order bias
                outdir = args.work / f"{name}{i}"
                subprocess.run(["rm", "-rf", str(outdir)], check=True)
                figures = _run(url, tree, outdir, None)
                runs[name].append(figures)
                reports.setdefault(name, _report(outdir))
                print(name, i, figures, flush=True)
        for name, got in runs.items():
            print(f"{name}: median wall {statistics.median(r['seconds'] for r in got):.2f} s, "
                  f"CPU {statistics.median(r['cpu_s'] for r in got):.2f} s "
                  f"(each: {[r['cpu_s'] for r in got]}), "
                  f"load {[r['load'] for r in got]}")
        print("reports identical minus generated_at:", reports["A"] == reports["B"])
        if args.profile is not None:
            args.profile.mkdir(parents=True, exist_ok=True)
            for name, tree in (("A", args.a), ("B", args.b)):
                outdir = args.work / f"{name}-prof"
                subprocess.run(["rm", "-rf", str(outdir)], check=True)
                _run(url, tree, outdir, args.profile / f"{name}.txt")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
