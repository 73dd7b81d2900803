"""Start-up time of the ``auditor`` console script (issue 14, target 6).

Runs each command as a subprocess, interleaved, ``--runs`` times (default 10), and reports
the median (and min/max) wall time, next to the interpreter's own start (``python -c pass``)
measured in the same run, plus the top ``python -X importtime`` entries of each command.
Writes benchmarks/results/startup.json and the "## Start-up" section of
benchmarks/RESULTS.md (that section only).

Conditions, so the figures mean what they say:
- the console script next to ``sys.executable`` is run directly (a pyenv shim in front of it
  adds a bash and ``pyenv exec`` of its own, not ours);
- bytecode is cached, as in an installed wheel: PYTHONDONTWRITEBYTECODE is removed and
  PYTHONPYCACHEPREFIX points at a fresh folder warmed by one run of each command first;
- ``checks list`` is measured with its validated-checks cache warm (the steady state) and
  cold (a fresh XDG_CACHE_HOME per run: the first run after an install or an upgrade).

With ``--baseline REV`` the same commands also run from the tree of git revision REV
(``git archive`` into a temporary folder, put first on PYTHONPATH, started by a copy of the
same console script), interleaved in the same run, so before/after is a ratio of medians.

With ``--after REV`` the measured tree is REV's too (``git archive``), so that files others
edit meanwhile in a shared working tree (a miss of either cache) do not move the figures.

Usage: python benchmarks/startup.py [--runs N] [--baseline REV] [--after REV] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "startup.json"
RESULTS_MD = ROOT / "benchmarks" / "RESULTS.md"
SECTION = "## Start-up"
# issue 14 target 6; the scan help is task H2's (under 0.3 s)
TARGETS = {"--help": 0.1, "checks list": 0.2, "scan --help": 0.3, "scan aws --help": 0.3}
COMMANDS = ("--help", "--version", "checks list", "checks list (cold cache)", "scan --help",
            "scan --help (cold cache)", "scan aws --help")


def console_script() -> Path:
    beside = Path(sys.executable).parent / "auditor"
    found = beside if beside.exists() else shutil.which("auditor")
    if not found:
        sys.exit("benchmarks/startup.py: no auditor console script (pip install -e .)")
    return Path(found)


def argv_of(name: str, script: Path) -> list[str]:
    if name == "python -c pass":
        return [sys.executable, "-c", "pass"]
    return [str(script), *name.replace(" (cold cache)", "").split()]


def baseline_tree(rev: str, work: Path, script: Path) -> tuple[Path, Path]:
    """REV's files in ``work``/REV and a copy of the console script to start them."""
    tree = work / f"tree-{rev}"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    copy = work / f"auditor-{rev}"
    shutil.copy2(script, copy)
    return tree, copy


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run; CPU time hardly moves with load."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)}: exit {done.returncode}: {done.stderr.decode()[-300:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def import_profile(argv: list[str], env: dict[str, str], top: int = 12) -> list[dict]:
    """The ``top`` modules by cumulative import time (microseconds), auditor's and others'."""
    head = [sys.executable, "-X", "importtime"]
    target = argv[1:] if argv[0] == sys.executable else argv
    done = subprocess.run([*head, *target], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    rows: list[dict] = []
    block: list[dict] = []
    site_us = 0
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not m:
            continue
        block.append({"module": m[4], "self_us": int(m[1]), "cumulative_us": int(m[2]),
                      "depth": (len(m[3]) - 1) // 2})
        if block[-1]["depth"] == 0:  # a top-level import closes its block of nested ones
            if block[-1]["module"] == "site":  # the interpreter's start, .pth files included
                site_us = block[-1]["cumulative_us"]
            else:
                rows += block
            block = []
    modules = len(rows)
    rows.sort(key=lambda r: -r["cumulative_us"])
    return [{"modules_imported_after_site": modules, "site_us": site_us}, *rows[:top]]


def measure(runs: int, baseline: str | None, after: str | None = None) -> dict:
    script = console_script()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    work = Path(tempfile.mkdtemp(prefix="auditor-startup-"))
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env["XDG_CACHE_HOME"] = str(work / "cache-warm")
    if after:  # the measured tree is REV's files, not the working tree others edit meanwhile
        tree, script = baseline_tree(after, work, script)
        env["PYTHONPATH"] = os.pathsep.join([str(tree), *filter(None, [env.get("PYTHONPATH")])])
    jobs: dict[str, tuple[list[str], dict[str, str]]] = {}
    for name in ("python -c pass", *COMMANDS):
        jobs[name] = (argv_of(name, script), env)
    if baseline:
        tree, copy = baseline_tree(baseline, work, script)
        # its own cache folder: one shared with the other tree would be replaced by each
        # run of the other, so that every run of both would be a miss
        old_env = {**env, "XDG_CACHE_HOME": str(work / "cache-warm-baseline"),
                   "PYTHONPATH": os.pathsep.join(
                       [str(tree), *filter(None, [os.environ.get("PYTHONPATH")])])}
        for name in COMMANDS:
            if "cold" not in name:
                jobs[f"{name} [{baseline}]"] = (argv_of(name, copy), old_env)
    for argv, job_env in jobs.values():  # warm the bytecode and the checks cache
        run_once(argv, job_env)
    times: dict[str, list[float]] = {name: [] for name in jobs}
    cpu: dict[str, list[float]] = {name: [] for name in jobs}
    loads = [os.getloadavg()]
    for i in range(runs):
        for name, (argv, job_env) in jobs.items():  # interleaved: load hits every one alike
            if name.endswith("(cold cache)"):
                job_env = {**job_env, "XDG_CACHE_HOME": str(work / f"cache-cold-{i}")}
            wall, used = run_once(argv, job_env)
            times[name].append(wall)
            cpu[name].append(used)
        loads.append(os.getloadavg())
    floor = statistics.median(times["python -c pass"])
    results = {}
    for name in jobs:
        median = statistics.median(times[name])
        results[name] = {"median_s": round(median, 4), "min_s": round(min(times[name]), 4),
                         "max_s": round(max(times[name]), 4),
                         "above_interpreter_s": round(median - floor, 4),
                         "cpu_median_s": round(statistics.median(cpu[name]), 4),
                         "target_s": TARGETS.get(name),
                         "runs_s": [round(t, 4) for t in times[name]]}
        before = times.get(f"{name} [{baseline}]")
        if baseline and before:
            results[name]["speedup_vs_baseline"] = round(statistics.median(before) / median, 2)
            old_cpu = statistics.median(cpu[f"{name} [{baseline}]"])
            results[name]["cpu_speedup_vs_baseline"] = round(
                old_cpu / statistics.median(cpu[name]), 2)
    profiles = {name: import_profile(argv_of(name, script), env) for name in COMMANDS
                if "cold" not in name}
    shutil.rmtree(work, ignore_errors=True)
    return {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                        "python": sys.version.split()[0], "executable": sys.executable},
            "versions": versions(), "console_script": str(script), "runs": runs,
            "baseline": baseline, "after": after,
            "load_avg_before_each_round": [list(map(lambda x: round(x, 2), la)) for la in loads],
            "note": "2 shared cores; other engineers ran jobs at the same time",
            "results": results, "importtime_top": profiles}


def versions() -> dict[str, str]:
    from importlib.metadata import version

    from auditor import __version__

    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    found = {"auditor": __version__, "commit": commit}
    for name in ("PyYAML", "jsonschema", "tabulate"):
        found[name] = version(name)
    return found


def markdown(data: dict) -> str:
    r = data["results"]
    loads = data["load_avg_before_each_round"]
    lines = [SECTION, "",
             f"`python benchmarks/startup.py` ({data['date']}, {data['machine']['platform']}, "
             f"{data['machine']['cpus']} cores, Python {data['machine']['python']}, auditor "
             f"{data['versions']['auditor']} at {data.get('after') or data['versions']['commit']}). "
             "Median of "
             f"{data['runs']} runs of each command as a subprocess of the console script, "
             "interleaved, bytecode cached as in an installed wheel. Load average "
             f"{loads[0][0]} at the start, {loads[-1][0]} at the end: the 2 cores were shared "
             "with other engineers' jobs, so the spread (min..max) is wide; the interpreter's "
             "own start is measured in the same run.", "",
             "| command | median wall | min..max | CPU (median) | above `python -c pass` | "
             f"speed-up vs {data['baseline'] or '-'} (wall, CPU) | target |",
             "|---|---|---|---|---|---|---|"]
    for name, row in r.items():
        target = f"< {row['target_s']} s" if row["target_s"] else ""
        if row["target_s"]:
            target += " met" if row["median_s"] < row["target_s"] else " MISSED"
        ratio = row.get("speedup_vs_baseline")
        cpu_ratio = row.get("cpu_speedup_vs_baseline")
        lines.append(f"| `{name}` | {row['median_s']:.3f} s | {row['min_s']:.3f}.."
                     f"{row['max_s']:.3f} | {row['cpu_median_s']:.3f} s | "
                     f"{row['above_interpreter_s']:+.3f} s | "
                     f"{f'{ratio:.2f}x, {cpu_ratio:.2f}x' if ratio else ''} | {target} |")
    lines += ["", *NOTES]
    lines += ["", "Top imports after `site` (`python -X importtime`, cumulative ms; `site` is "
              "the interpreter's start with this machine's .pth files):", ""]
    for name, rows in data["importtime_top"].items():
        head = rows[0]
        top = ", ".join(f"{x['module']} {x['cumulative_us'] / 1000:.0f}" for x in rows[1:8])
        lines.append(f"- `{name}` (site {head['site_us'] / 1000:.0f}; "
                     f"{head['modules_imported_after_site']} modules after it): {top}")
    return "\n".join(lines) + "\n"


NOTES = (
    "How to read it. Wall time is what the targets name; with the cores shared, a run's wall "
    "time is mostly waiting for a core, so the CPU column (user + system of the child) is the "
    "figure that load hardly moves, and the minimum is the closest to an idle machine. "
    "`python -c pass` is the floor no change of ours can remove: on this machine `site` "
    "alone imports certifi through a .pth file of the environment (about 30 ms). Not "
    "measured here: a pyenv shim in front of `auditor` adds a bash and `pyenv exec` (about "
    "0.1 s more); a tree run with PYTHONDONTWRITEBYTECODE=1 (as this workplace sets it) "
    "compiles every auditor module on each start, which an installed wheel never does.",
    "",
    "`checks list` reads the shipped checks from the validated-checks cache "
    "(auditor/checks_cache.py) when every input is unchanged; the cold row is the first run "
    "after an install or a change, which validates and writes it. What it still spends "
    "after `site`: tabulate (with wcwidth), importlib.metadata for the entry points, and "
    "importing the three adapter classes (provider_data.registered_data_files imports each "
    "to read its data_dir and find its checks.yaml).",
    "",
    "`scan --help` and `scan aws --help` build the provider flags from every registered "
    "adapter (ProviderRegistry.get validates each). An adapter whose data files, class "
    "module, schemas and validating code passed before is not validated again "
    "(auditor/provider_data_cache.py, in the same XDG folder as the checks cache): no YAML, "
    "no jsonschema import; loading an adapter class imports no model, ledger or scrubber "
    "(auditor/providers/_runtime names load on first use). The cold row is the first run "
    "after an install or a change: every adapter validated (data files read with libyaml's "
    "CSafeLoader) and remembered. A broken adapter is never remembered, so it is refused "
    "with its one-line error whenever it is used.",
)


def write_section(text: str) -> None:
    """Replace (or append) the Start-up section of RESULTS.md, leaving the others alone."""
    current = RESULTS_MD.read_text(encoding="utf-8") if RESULTS_MD.exists() else "# Results\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        updated = pattern.sub(lambda _: text + "\n", current, count=1)
    else:
        updated = current.rstrip("\n") + "\n\n" + text
    RESULTS_MD.write_text(updated, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--baseline", metavar="REV",
                        help="also time the tree of this git revision (before/after)")
    parser.add_argument("--after", metavar="REV",
                        help="time the tree of this git revision instead of the working tree")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    data = measure(args.runs, args.baseline, args.after)
    text = markdown(data)
    print(text)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        write_section(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
