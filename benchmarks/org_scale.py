"""An organization of N accounts on one machine: ``auditor scan gcp --gcp-all-projects`` with
the local executor and, when the scan has one, Dask (2 and 4 worker processes).

The organization is N small Google Cloud projects on the project's own GCP stand-in (one
thread per request, a simulated round trip of --rtt-ms before every answer; see
_org_estate.py). Each scan runs as a child process (``-f json -o DIR --no-history -q``);
_org_measure.py reads the coordinator's own peak RSS and CPU and its worker processes' apart.
Calibration runs collect a few accounts one at a time to fit the per-account model
(_org_model.py) behind the 10,000-account projection.

    python benchmarks/org_scale.py [--sizes 100 300 1000] [--rtt-ms 50] [--buckets 3]
        [--high-max-accounts 16] [--dask-workers 2 4] [--no-dask] [--out FILE]

Writes benchmarks/results/org_scale.json and prints Markdown tables. The stand-in runs in
this process and shares the machine's cores with the scan: its CPU is reported per run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _org_measure import run_measured
from _org_model import fit, predicted, project

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "org_scale.json"
DEFAULT_MAX_ACCOUNTS = 4  # auditor's own default (--max-accounts)
DASK_THREADS = DEFAULT_MAX_ACCOUNTS  # a local-cluster worker runs --max-accounts units at once
PROJECTED_WORKERS = (2, 4, 8, 16, 32)


# The lazy name auditor.providers._runtime.derive is resolved before any thread starts: at
# dab5d54 two accounts collected at once in a fresh process get the submodule, not the
# function, from `from auditor.providers._runtime import derive` (gcp/_public.py: "'module'
# object is not callable", 5 runs of 5 at 2 accounts, none with --max-accounts 1). Reported.
AUDITOR = [sys.executable, "-c", "import sys; import auditor.providers._runtime as r; r.derive; "
           "from auditor.cli import main; sys.exit(main())"]


def clean_tree(rev: str, into: Path) -> Path:
    """``git archive REV`` unpacked: the scans run that commit, not the shared working tree
    (other engineers' uncommitted edits left out)."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev], cwd=HERE, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def dask_available(env: dict[str, str]) -> str | None:
    """None when ``auditor scan`` offers --executor dask in the tree, else why not."""
    text = subprocess.run([*AUDITOR, "scan", "--help"], capture_output=True, text=True,
                          env=env).stdout
    if "--executor" not in text:
        return "auditor scan has no --executor option at this commit"
    try:
        import distributed  # noqa: F401
    except ImportError:
        return "the distributed package is not installed (pip install -e '.[dask]')"
    return None


def _report_figures(out_dir: Path) -> dict[str, Any]:
    path = out_dir / "auditor-report.json"
    if not path.exists():
        return {"accounts": 0, "failures": None, "findings": None, "resources": None}
    report = json.loads(path.read_text())
    collected = {a for run in report["runs"] if run["status"] != "failed" for a in run["accounts"]}
    return {"accounts": len(collected), "failures": len(report["account_failures"]),
            "findings": len(report["findings"]),
            "resources": len({f["resource_id"] for f in report["findings"]})}


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path, tree: Path) -> None:
        sys.path.insert(0, str(tree))  # the stand-in of the same commit as the scans
        from _org_estate import org_section, scan_environment, start_org

        self._section = org_section
        self.args = args
        self.workdir = workdir
        self.box = start_org(1, args.buckets, args.rtt_ms)
        self.seeded = 1
        home = workdir / "home"  # caches and config of the scans, not the user's
        self.env = {**os.environ, **scan_environment(self.box), "HOME": str(home),
                    "PYTHONPATH": str(tree),
                    "XDG_CACHE_HOME": str(home / ".cache"),
                    "XDG_DATA_HOME": str(home / ".local/share"),
                    "XDG_CONFIG_HOME": str(home / ".config"), "NO_COLOR": "1"}

    def seed(self, accounts: int) -> None:
        if accounts != self.seeded:
            self.box.seed(self._section(accounts, self.args.buckets))
            self.seeded = accounts

    def run(self, label: str, accounts: int, flags: list[str]) -> dict[str, Any]:
        self.seed(accounts)
        out = self.workdir / f"out-{label}-{accounts}"
        cmd = [*AUDITOR, "scan", "gcp", "--gcp-all-projects", "-f", "json", "-o", str(out),
               "--no-history", "-q", *flags]
        self.box.reset_requests()
        load_before = os.getloadavg()[0]
        own = resource.getrusage(resource.RUSAGE_SELF)
        measured = run_measured(cmd, self.env, self.args.timeout, cwd=self.workdir)
        after = resource.getrusage(resource.RUSAGE_SELF)
        row = {"config": label, "accounts_in_org": accounts, "flags": " ".join(flags),
               **_report_figures(out), **measured,
               "requests": len(self.box.requests()),
               "stand_in_cpu_s": round(after.ru_utime + after.ru_stime
                                       - own.ru_utime - own.ru_stime, 2),
               "load_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
        row["requests_per_account"] = round(row["requests"] / max(accounts, 1), 2)
        shutil.rmtree(out, ignore_errors=True)
        if row["exit_code"] not in (0, 3):
            raise SystemExit(f"org_scale: {label} at {accounts} accounts exited "
                             f"{row['exit_code']}: {row['stderr_tail']}")
        print(f"  {label:<18} {accounts:>5} accounts: {row['wall_s']:>7} s, coordinator "
              f"{row['coordinator_peak_rss_mib']} MiB, {row['requests']} requests, "
              f"collected {row['accounts']}, failures {row['failures']}, exit "
              f"{row['exit_code']}, load {row['load_1min']}", flush=True)
        return row

    def stop(self) -> None:
        self.box.stop()


def configs(args: argparse.Namespace, dask_reason: str | None) -> list[tuple[str, list[str]]]:
    out = [("local", []), (f"local m={args.high_max_accounts}",
                           ["--max-accounts", str(args.high_max_accounts)])]
    if dask_reason is None:
        out += [(f"dask {w} workers", ["--executor", "dask", "--dask-workers", str(w)])
                for w in args.dask_workers]
    return out


def markdown(result: dict[str, Any]) -> str:
    lines = ["| executor | accounts | wall s | coordinator peak RSS MiB | coordinator CPU s "
             "| workers (peak RSS MiB each) | requests | collected | failures | load 1 min "
             "| model wall s |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["runs"]:
        workers = (f"{r['worker_processes']} ({r['worker_peak_rss_mib']})"
                   if r["worker_processes"] else "-")
        lines.append(f"| {r['config']} | {r['accounts_in_org']} | {r['wall_s']} "
                     f"| {r['coordinator_peak_rss_mib']} | {r['coordinator_cpu_s']} | {workers} "
                     f"| {r['requests']} | {r['accounts']} | {r['failures']} "
                     f"| {r['load_1min'][0]}-{r['load_1min'][1]} | {r.get('model_wall_s', '')} |")
    lines += ["", "| workers | accounts at once per worker | projected wall, 10,000 accounts "
              "| collection | coordinator | bound |", "|---|---|---|---|---|---|"]
    for p in result["projection"]["rows"]:
        lines.append(f"| {p['workers']} | {p['in_flight_per_worker']} | {p['wall_s']} s "
                     f"({p['wall_s'] / 60:.1f} min) | {p['collect_s']} s | {p['coordinator_s']} s "
                     f"| {p['bound']} |")
    return "\n".join(lines)


def measure_all(args: argparse.Namespace) -> dict[str, Any]:
    sizes = sorted(set(args.sizes))
    started = datetime.datetime.now(datetime.UTC)
    load_start = os.getloadavg()
    commit = subprocess.run(["git", "rev-parse", "--short", args.rev], cwd=HERE,
                            capture_output=True, text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="org-bench-") as tmp:
        bench = Bench(args, Path(tmp), clean_tree(args.rev, Path(tmp) / "tree"))
        dask_reason = "--no-dask" if args.no_dask else dask_available(bench.env)
        try:
            print("warm-up (caches of checks and adapters), not recorded", flush=True)
            bench.run("warm-up", 2, [])
            calibration = [bench.run("serial m=1", n, ["--max-accounts", "1"])
                           for n in args.calibration]
            runs = [bench.run("local", n, []) for n in sizes]
            for label, flags in configs(args, dask_reason)[1:]:
                runs.append(bench.run(label, sizes[-1], flags))
            if dask_reason is None:  # a cluster's start-up: a tiny org on the smallest cluster
                w = min(args.dask_workers)
                calibration.append(bench.run(f"dask {w} workers", args.calibration[0],
                                             ["--executor", "dask", "--dask-workers", str(w)]))
        finally:
            bench.stop()
    return {
        "benchmark": "org_scale", "started": started.isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "commit": commit,
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "rtt_ms": args.rtt_ms, "buckets_per_account": args.buckets,
        "dask_workers": args.dask_workers,
        "dask": "ran" if dask_reason is None else f"not run: {dask_reason}",
        "calibration": calibration, "runs": runs}


def projection(result: dict[str, Any]) -> dict[str, Any]:
    calibration, runs = result["calibration"], result["runs"]
    local = [r for r in runs if r["config"] == "local"]
    dask_runs = [r for r in runs if r["config"].startswith("dask")]
    serial = [r for r in calibration if r["config"] == "serial m=1"]
    model = fit(serial, local, result["rtt_ms"] / 1000, dask_runs)
    start = [r for r in calibration if r["config"].startswith("dask")]
    if start:  # its wall less its accounts' collection, one at a time per worker process
        w = min(result["dask_workers"])
        model["dask_startup_s"] = round(max(start[0]["wall_s"] - model["s0_s"] - (
            start[0]["accounts_in_org"] / w) * model["t_a_s"], 0.0), 1)
    for run in runs:
        flags = run["flags"].split()
        if run["config"].startswith("dask"):
            in_flight = int(flags[flags.index("--dask-workers") + 1]) * DASK_THREADS
        elif "--max-accounts" in flags:
            in_flight = int(flags[flags.index("--max-accounts") + 1])
        else:
            in_flight = DEFAULT_MAX_ACCOUNTS
        run["model_wall_s"] = predicted(model, run, in_flight)
    rows = []
    for w in PROJECTED_WORKERS:
        for in_flight in (1, DASK_THREADS):
            rows.append({**project(model, 10_000, w, in_flight, cores_per_worker=2,
                                   extra_startup_s=model.get("dask_startup_s", 0.0)),
                         "in_flight_per_worker": in_flight})
    return {"model": model, "accounts": 10_000,
            "assumptions": "each worker its own 2-core machine, the same round trip and "
                           "per-account cost as measured here, collecting "
                           "1 account at once per worker (--max-accounts 1) or "
                           f"{DASK_THREADS} (--max-accounts' default, as shipped); the "
                           "coordinator evaluates after the collection, in one process; a "
                           "Dask cluster's start-up as measured here",
            "rows": rows}


def profile_all(args: argparse.Namespace) -> dict[str, Any]:
    """The coordinator's peak under tracemalloc (_org_profile.py), at each --profile size."""
    out: dict[str, Any] = {"rtt_ms": args.rtt_ms, "runs": []}
    with tempfile.TemporaryDirectory(prefix="org-profile-") as tmp:
        tree = clean_tree(args.rev, Path(tmp) / "tree")
        bench = Bench(args, Path(tmp), tree)
        try:
            for n in sorted(set(args.profile)):
                bench.seed(n)
                proc = subprocess.run(
                    [sys.executable, str(HERE / "_org_profile.py"), str(tree), "-f", "json",
                     "-o", str(Path(tmp) / f"out-{n}"), "--no-history", "-q"],
                    env=bench.env, capture_output=True, text=True, timeout=args.timeout,
                    cwd=tmp)
                if proc.returncode:
                    raise SystemExit(f"org_scale: profile at {n} accounts: {proc.stderr[-600:]}")
                found = json.loads(proc.stdout.strip().splitlines()[-1])
                out["runs"].append({"accounts_in_org": n, **found})
                print(f"  profile {n} accounts: traced peak {found['traced_peak_mib']} MiB; "
                      f"top files {[(f['where'][-48:], f['mib']) for f in found['by_file'][:5]]}",
                      flush=True)
        finally:
            bench.stop()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", "--accounts", type=int, nargs="+", default=[100, 300, 1000],
                        help="organization sizes of the local-executor series; the other "
                             "executors run at the largest")
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    parser.add_argument("--buckets", type=int, default=3, help="buckets per account")
    parser.add_argument("--high-max-accounts", type=int, default=16)
    parser.add_argument("--dask-workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--calibration", type=int, nargs=2, default=[8, 24],
                        help="two sizes collected one account at a time (the model's t_a)")
    parser.add_argument("--timeout", type=float, default=900.0, help="bound of one scan, s")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--rev", default="HEAD", help="the commit scanned (git archive)")
    parser.add_argument("--refit", type=Path, help="a recorded result: fit and print only")
    parser.add_argument("--profile", type=int, nargs="+", metavar="N",
                        help="only profile the coordinator under tracemalloc at these sizes "
                             "and add it to --out")
    args = parser.parse_args(argv)
    if args.profile:
        result = json.loads(args.out.read_text()) if args.out.exists() else {}
        result["coordinator_profile"] = profile_all(args)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
        return 0
    if args.refit:  # the model and tables again from a recorded run, nothing measured
        result = json.loads(args.refit.read_text())
    else:
        result = measure_all(args)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")  # kept if the fit fails
    result["projection"] = projection(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    print(f"model: {json.dumps(result['projection']['model'])}")
    print(f"dask: {result['dask']}; load {result['load_average_start']} -> "
          f"{result['load_average_end']}; written to {args.out}")
    return 0 if all(r["exit_code"] in (0, 3) for r in result["runs"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
