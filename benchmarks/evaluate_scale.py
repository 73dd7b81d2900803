"""Evaluate saved inventories of 1k, 10k and 100k resources: time and peak RSS (issue 14, part 4).

The inventories are synthetic: the demo estate's inventory (``auditor demo`` writes
auditor-demo/auditor-inventory.json; all three providers, every kind, every fact state the
stand-ins' faults give) replicated round-robin, each copy with a unique id and name, up to the
wanted count. Each size is evaluated by ``auditor evaluate`` in a subprocess (so its peak RSS,
``ru_maxrss`` of the child, is that process's alone), every check, no history, quiet, the
table format (printed, so nothing is written):

    python benchmarks/evaluate_scale.py                  # 1k, 10k (median of 3) and 100k (1)
    python benchmarks/evaluate_scale.py --sizes 1000 --repeat 1 --label before

Results go to benchmarks/results/evaluate_scale.json (one entry per label; the newest run of a
label replaces the older one). The machine has 2 cores shared with other work: the load
averages before each run are recorded beside the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# `auditor` as the console script runs it (no __main__ module in the package).
AUDITOR = [sys.executable, "-c", "import sys; from auditor.cli import main; sys.exit(main())"]
RESULTS = HERE / "results" / "evaluate_scale.json"
DEFAULT_SIZES = (1_000, 10_000, 100_000)


def demo_inventory(workdir: Path) -> dict[str, Any]:
    """The demo estate's inventory, made by ``auditor demo`` in ``workdir`` (stand-ins only)."""
    subprocess.run([*AUDITOR, "demo", "-q"], cwd=workdir,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    path = workdir / "auditor-demo" / "auditor-inventory.json"
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def replicate(base: dict[str, Any], count: int) -> dict[str, Any]:
    """``count`` resources cycling through ``base``'s, copy k renamed ``<name>-k<k>``."""
    shapes = base["resources"]
    resources = []
    for i in range(count):
        shape = shapes[i % len(shapes)]
        copy = i // len(shapes)
        resources.append({**shape, "id": f"{shape['id']}-k{copy}",
                          "name": f"{shape['name']}-k{copy}"})
    return {**base, "resources": resources}


def write_inventory(base: dict[str, Any], count: int, directory: Path) -> Path:
    path = directory / f"inventory-{count}.json"
    if not path.exists():
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(replicate(base, count), fh, indent=2)
    return path


def evaluate_once(inventory: Path, workdir: Path, tree: Path | None = None,
                  output_dir: bool = True) -> dict[str, float]:
    """Wall time, CPU time and peak RSS of one ``auditor evaluate`` subprocess, run from
    ``tree`` (a checkout: others' uncommitted edits left out) when given. ``output_dir``:
    pass ``-o DIR`` (the target command; since 465fc48 it also writes the full table file)."""
    command = [*AUDITOR, "evaluate", str(inventory), "-q", "--no-history"]
    if output_dir:
        command += ["-o", str(workdir / "out")]
    env = {**os.environ, "PYTHONPATH": str(tree)} if tree else None
    load = os.getloadavg()
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    stderr = child.stderr.read().decode() if child.stderr else ""
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1, 3):
        raise SystemExit(f"auditor evaluate exited {child.returncode}: {stderr.strip()}")
    return {"wall_s": round(wall, 3), "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "exit": child.returncode,
            "load_before": [round(x, 2) for x in load]}


def measure(sizes: list[int], repeat: int, big_repeat: int, workdir: Path,
            base: dict[str, Any], tree: Path | None = None,
            output_dir: bool = True) -> list[dict[str, Any]]:
    rows = []
    for size in sizes:
        path = write_inventory(base, size, workdir)
        runs = [evaluate_once(path, workdir, tree, output_dir)
                for _ in range(big_repeat if size >= 100_000 else repeat)]
        wall = statistics.median(r["wall_s"] for r in runs)
        cpu = statistics.median(r["cpu_s"] for r in runs)
        rss = statistics.median(r["peak_rss_mb"] for r in runs)
        rows.append({"resources": size, "inventory_mb": round(path.stat().st_size / 2**20, 1),
                     "runs": runs, "median_wall_s": wall, "median_cpu_s": cpu,
                     "median_peak_rss_mb": rss, "resources_per_s": round(size / wall, 1)})
        print(f"{size:>7} resources: {wall:8.2f} s wall  {cpu:8.2f} s CPU  {rss:7.1f} MB  "
              f"({len(runs)} run(s))", flush=True)
    for prev, row in itertools.pairwise(rows):
        factor = row["resources"] / prev["resources"]
        row["time_ratio_vs_previous"] = round(row["median_wall_s"] / prev["median_wall_s"], 2)
        row["cpu_ratio_vs_previous"] = round(row["median_cpu_s"] / prev["median_cpu_s"], 2)
        row["size_ratio_vs_previous"] = factor
    return rows


def machine(tree: Path | None = None) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for name in ("safeguard-auditor", "jsonschema", "jsonschema-rs"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    code = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=tree or HERE, text=True,
                          capture_output=True, check=False).stdout.strip()
    versions["commit"] = os.environ.get("EVAL_SCALE_COMMIT", code)
    return {"platform": platform.platform(), "cpus": os.cpu_count(),
            "machine": platform.machine(), "versions": versions,
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "note": "2 cores shared with other engineers' runs; load averages per run"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")],
                        default=list(DEFAULT_SIZES))
    parser.add_argument("--repeat", type=int, default=3, help="runs per size below 100k")
    parser.add_argument("--big-repeat", type=int, default=1, help="runs at 100k and above")
    parser.add_argument("--label", default="after")
    parser.add_argument("--workdir", type=Path, help="keep the inventories here")
    parser.add_argument("--tree", type=Path,
                        help="run auditor from this checkout (PYTHONPATH), e.g. a git worktree")
    parser.add_argument("--no-output-dir", action="store_true",
                        help="leave out -o DIR, so no table file is written")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="auditor-eval-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    base_path = workdir / "demo-inventory.json"
    if base_path.exists():
        base = json.loads(base_path.read_text(encoding="utf-8"))
    else:
        base = demo_inventory(workdir)
        base_path.write_text(json.dumps(base), encoding="utf-8")
    rows = measure(args.sizes, args.repeat, args.big_repeat, workdir, base,
                   args.tree.resolve() if args.tree else None, not args.no_output_dir)
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    command = "auditor evaluate INVENTORY -q --no-history" + (
        "" if args.no_output_dir else " -o DIR") + " (every check, table format)"
    results[args.label] = {"machine": machine(args.tree), "demo_resources": len(base["resources"]),
                           "command": command,
                           "rows": rows,
                           "bench_process_max_rss_mb": round(
                               resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
