"""Peak RSS of ``auditor collect aws`` at 10,000 buckets, against moto.

moto (ThreadedMotoServer, in this process) is seeded with the demo estate's AWS section
through the project's own seeder (HTTP, IAM enforced afterwards, as every AWS sandbox run),
then its buckets are cloned through moto's S3 backend (a deep copy of each FakeBucket under a
new name: its encryption, policy, ACL, ownership, Block Public Access, versioning, Object
Lock, logging and replication come along) until there are N; seeding 10,000 buckets over
HTTP would take over ten minutes on this machine, cloning takes seconds.

``auditor collect aws`` then runs as a child of a small wrapper that waits for it and reports
its ru_maxrss (RUSAGE_CHILDREN: the collector alone, not moto). ``--profile`` runs the same
collection in a child under tracemalloc instead and prints what is held after collection and
the traced peak.

    python benchmarks/collect_memory.py [--buckets 10000] [--repeat 3] [--profile]
        [--before DIR]   # DIR: git archive REV | tar -x -C DIR, run interleaved

Writes benchmarks/results/collect_memory.json and prints the RESULTS.md section.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "collect_memory.json"

# Runs argv[1:], waits, prints {"seconds", "peak_rss_mib", "rc"} as JSON on stdout's last line.
_WRAPPER = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": round(time.perf_counter() - t, 2), "rc": rc,
                  "peak_rss_mib": round(u.ru_maxrss / 1024, 1),
                  "cpu_s": round(u.ru_utime + u.ru_stime, 2)}))
"""

# The collection under tracemalloc: what is held once collected, and the traced peak.
_PROFILE = r"""
import json, sys, tracemalloc
from pathlib import Path
tracemalloc.start(12)
from auditor.checks import compile_check, load_checks
from auditor.documents import dump_inventory
from auditor.model import Inventory
from auditor.providers.aws import AwsAdapter
from auditor.providers.base import CollectRequest
options = json.loads(sys.argv[1])
collection = AwsAdapter().collect(CollectRequest(options=options, max_workers=16))
held = tracemalloc.take_snapshot()
after_collect = tracemalloc.get_traced_memory()
dump_inventory(Inventory([collection.run], collection.resources), Path(sys.argv[2]))
peak = tracemalloc.get_traced_memory()[1]
top = [{"where": str(s.traceback[-1]), "mib": round(s.size / 2**20, 2), "count": s.count}
       for s in held.statistics("lineno")[:15]]
print(json.dumps({"held_after_collect_mib": round(after_collect[0] / 2**20, 1),
                  "peak_during_collect_mib": round(after_collect[1] / 2**20, 1),
                  "peak_traced_mib": round(peak / 2**20, 1), "top": top}))
"""


def moto_paginates_bucket_listing() -> None:
    """moto 5.2 cuts ListBuckets at MaxBuckets and sends no ContinuationToken, so past 1,000
    buckets it hides the rest; S3 sends a ContinuationToken while more buckets follow (Amazon
    S3 API Reference, ListBuckets). This makes moto's S3 answer (the stand-in in this process,
    never the SDK) page as S3 does: the token is the index of the next bucket."""
    from moto.core.responses import ActionResult
    from moto.s3.responses import S3Response

    def all_buckets(self: Any) -> Any:
        self.data["Action"] = "ListAllMyBuckets"
        self._authenticate_and_authorize_s3_action()
        listed = self.backend.list_buckets(prefix=self._get_param("prefix"),
                                           bucket_region=self._get_param("bucket-region"),
                                           max_buckets=None)
        start = int(self._get_param("continuation-token") or 0)
        size = int(self._get_param("max-buckets") or 10_000)
        page = listed[start:start + size]
        answer: dict[str, Any] = {
            "Owner": {"ID": "bcaf1ffd86f41161ca5fb16fd081034f", "DisplayName": "webfile"},
            "Buckets": [{"Name": b.name, "CreationDate": b.creation_date_ISO8601}
                        for b in page]}
        if start + size < len(listed):
            answer["ContinuationToken"] = str(start + size)
        self.data["Action"] = "ListBuckets"
        return self.serialized(ActionResult(answer))

    S3Response.all_buckets = all_buckets  # type: ignore[method-assign]


def seed(n: int) -> tuple[Any, float]:
    """A started, seeded AwsSandbox with ``n`` buckets; the seconds seeding took."""
    from moto.s3.models import s3_backends

    from auditor.providers.aws.sandbox import AwsSandbox
    from auditor.providers.aws.sandbox._seed import ACCOUNT
    from auditor.sandbox.estate import load_estate

    moto_paginates_bucket_listing()
    started = time.perf_counter()
    sandbox = AwsSandbox()
    sandbox.start()
    sandbox.seed(load_estate()["aws"])
    backend = s3_backends[ACCOUNT]["aws"]
    originals = list(backend.buckets.values())
    for i in range(n - len(originals)):
        source = originals[i % len(originals)]
        clone = copy.deepcopy(source)
        clone.name = f"{source.name[:40]}-c{i:05d}"
        backend.buckets[clone.name] = clone
    sandbox.reset_requests()
    return sandbox, time.perf_counter() - started


def collect_rss(sandbox: Any, out: Path, pythonpath: str | None = None) -> dict[str, Any]:
    from auditor.sandbox.manage import scan_flags

    auditor = shutil.which("auditor") or "auditor"
    cmd = [sys.executable, "-c", _WRAPPER, auditor, "collect", "aws",
           *scan_flags("aws", sandbox.scan_options()), "-q", "-o", str(out)]
    env = {**os.environ, **sandbox.environment()}
    if pythonpath:  # another tree of the package (e.g. `git archive REV`), for before/after
        env["PYTHONPATH"] = pythonpath
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False,
                          cwd=tempfile.gettempdir())
    result = json.loads(done.stdout.strip().splitlines()[-1])
    inventory = json.loads(out.read_text())
    result["buckets"] = sum(1 for r in inventory["resources"] if r["kind"] == "storage.bucket")
    result["inventory_mib"] = round(out.stat().st_size / 2**20, 1)
    return result


def profile(sandbox: Any, out: Path) -> dict[str, Any]:
    env = {**os.environ, **sandbox.environment()}
    done = subprocess.run([sys.executable, "-c", _PROFILE, json.dumps(sandbox.scan_options()),
                           str(out)], env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> dict[str, Any]:
    import boto3
    import moto

    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "boto3": boto3.__version__,
            "moto": moto.__version__,
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buckets", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--before", metavar="DIR",
                        help="also run the collector from DIR (a `git archive REV` of the "
                             "package), interleaved with the current tree")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"machine": machine(), "buckets": args.buckets, "runs": []}
    sandbox, seconds = seed(args.buckets)
    result["seed_seconds"] = round(seconds, 1)
    tmp = Path(tempfile.mkdtemp(prefix="collect-memory-"))
    try:
        if args.profile:
            result["profile"] = profile(sandbox, tmp / "profile.json")
        for _ in range(args.repeat):
            for tree in ([args.before, None] if args.before else [None]):
                load = [round(x, 2) for x in os.getloadavg()]
                run = collect_rss(sandbox, tmp / "inventory.json", tree)
                run["tree"] = "before" if tree else "current"
                run["loadavg_before"] = load
                print(json.dumps(run), file=sys.stderr)
                result["runs"].append(run)
    finally:
        sandbox.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    for tree in ("before", "current"):
        runs = [r for r in result["runs"] if r["tree"] == tree]
        if runs:
            result[f"{tree}_median_peak_rss_mib"] = statistics.median(
                r["peak_rss_mib"] for r in runs)
            result[f"{tree}_median_seconds"] = statistics.median(r["seconds"] for r in runs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
