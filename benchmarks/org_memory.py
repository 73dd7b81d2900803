"""The coordinator's memory over one organization scan, as a timeline (issue 18 item 4).

    python benchmarks/org_memory.py 100 300 1000 3000 [--rtt-ms 5] [--tree DIR]
        [--env NAME=VALUE ...] [--standing-cluster W]
        [-- scan flags, e.g. --executor dask --dask-workers 2]

Each size: the org of ``_org_estate`` (N Google Cloud projects, 3 buckets and a key each) on
the project's GCP stand-in, every answer delayed ``--rtt-ms``; ``auditor scan gcp
--gcp-all-projects -f json`` as a child process (from ``--tree`` when given: a worktree of the
commit measured). Printed per size: exit code, wall time, the child's peak RSS (VmHWM) and its
RSS about every 5 % of the run, which shows where memory grows: while accounts are collected
(each one evaluated as it arrives) or at the end (report sections and writing). Peak RSS
hardly moves with the machine's load, unlike wall time.

``--standing-cluster W``: a Dask cluster of W worker processes started here (its scheduler in
this process, as a scheduler the user runs is on its own host), and the scan given
``--executor dask --scheduler`` its address: the scan's process is then the coordinator
alone, without a local cluster's scheduler in it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLE_S = 0.2
AUDITOR = "import sys; from auditor.cli import main; sys.exit(main())"


def _kib(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def measure(accounts: int, rtt_ms: float, tree: Path, env_extra: dict[str, str],
            flags: list[str], standing: int = 0) -> dict:
    sys.path.insert(0, str(tree))
    sys.path.insert(0, str(HERE))
    from _org_estate import scan_environment, start_org

    box = start_org(accounts, 3, rtt_ms)
    work = Path(tempfile.mkdtemp(prefix="org-memory-"))
    env = {**os.environ, **scan_environment(box), "HOME": str(work / "home"), "NO_COLOR": "1",
           "PYTHONPATH": str(tree), **env_extra}
    cluster = None
    if standing:  # its worker processes inherit the stand-in's endpoints, as worker hosts
        import logging

        from distributed import LocalCluster

        os.environ.update(scan_environment(box))
        os.environ.pop("GOOGLE_CLOUD_PROJECT", None)
        os.environ["PYTHONPATH"] = str(tree)
        cluster = LocalCluster(n_workers=standing, threads_per_worker=1, processes=True,
                               dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL)
        flags = [*flags, "--executor", "dask", "--scheduler", cluster.scheduler_address]
    cmd = [sys.executable, "-c", AUDITOR, "scan", "gcp", "--gcp-all-projects", "-f", "json",
           "-o", str(work / "out"), "--no-history", "-q", *flags]
    started = time.perf_counter()
    try:
        child = subprocess.Popen(cmd, env=env, cwd=work, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
        samples, peak = [], 0
        while child.poll() is None:
            rss, hwm = _kib(child.pid, "VmRSS"), _kib(child.pid, "VmHWM")
            if rss:
                samples.append((round(time.perf_counter() - started, 1), round(rss / 1024, 1)))
            peak = max(peak, hwm or 0)
            time.sleep(SAMPLE_S)
        stderr = child.stderr.read().decode("utf-8", "replace")[-300:]
    finally:
        if cluster is not None:
            cluster.close()
        box.stop()
    step = max(1, len(samples) // 20)
    return {"accounts": accounts, "exit_code": child.returncode, "flags": flags,
            "env": env_extra, "wall_s": round(time.perf_counter() - started, 1),
            "peak_rss_mib": round(peak / 1024, 1), "timeline": samples[::step] + samples[-1:],
            "stderr_tail": stderr if child.returncode not in (0, 3) else ""}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    flags = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--rtt-ms", type=float, default=5.0)
    parser.add_argument("--tree", type=Path, default=ROOT)
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--standing-cluster", type=int, default=0, metavar="W")
    args = parser.parse_args(argv)
    env_extra = dict(item.split("=", 1) for item in args.env)
    for size in args.sizes:
        row = measure(size, args.rtt_ms, args.tree.resolve(), env_extra, flags,
                      args.standing_cluster)
        print(f"N={row['accounts']} env={row['env']} flags={row['flags']} "
              f"rc={row['exit_code']} wall={row['wall_s']}s peak={row['peak_rss_mib']} MiB")
        print("  timeline:", row["timeline"], flush=True)
        if row["stderr_tail"]:
            print(row["stderr_tail"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
