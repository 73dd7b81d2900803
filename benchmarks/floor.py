"""The request floor: a bare boto3 thread pool that sends exactly the requests our scan sent.

The list comes from our own run's request log (moto's recorder: operation and parameters of
each request, in order). The floor turns each back into one boto3 call, sends them all on a
pool of the same worker count as our default (auditor.defaults.DEFAULT_MAX_WORKERS), one client
per (service, region) shared by the threads, and discards the answers. Our scan's wall and CPU
time against the floor's is the overhead of everything that is ours (client set-up, answer
checks, normalization, validation, the engine, the report).

    python benchmarks/floor.py [--buckets 200] [--repeat 3] [--out FILE] [--tree DIR]
    python benchmarks/floor.py --replay FILE --endpoint URL         # (the floor's own process)

Used by benchmarks/peers.py in the same run as the peers. Test-harness code, not shipped.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from _floor_calls import SERVICES, form_of, query_params, rest_params

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "floor.json"
TREE: Path | None = None  # --tree: the checkout our scan runs from

# ListBuckets query parameters -> boto3 names (int where the API says so)
_LIST_BUCKETS = {"max-buckets": ("MaxBuckets", int), "continuation-token":
                 ("ContinuationToken", str), "prefix": ("Prefix", str),
                 "bucket-region": ("BucketRegion", str)}


def to_call(entry: dict[str, Any]) -> tuple[str, str, str, dict[str, Any]]:
    """(service, region, Operation, params) of one recorded request of our scan."""
    from auditor.providers.aws.sandbox._seed import S3_SUBRESOURCES

    headers = {k.lower(): v for k, v in (entry.get("headers") or {}).items()}
    scope = headers.get("authorization", "").split("Credential=", 1)[-1].split(",")[0].split("/")
    region = scope[2] if len(scope) > 3 else "us-east-1"
    body: bytes = entry["body"]
    parts = urlsplit(entry["url"])
    query = parse_qs(parts.query, keep_blank_values=True)
    service = SERVICES.get(scope[3], scope[3]) if len(scope) > 3 else "s3"
    target = headers.get("x-amz-target")
    if target:  # JSON protocol (KMS): the body is the parameters
        return service, region, target.rsplit(".", 1)[-1], json.loads(body or b"{}")
    form = form_of(body)
    if "Action" in form:  # query protocols (EC2, RDS, STS)
        return (service, region, *query_params(service, form))
    if service not in ("s3", "s3control"):  # rest-json (EFS)
        return (service, region, *rest_params(service, entry["method"], parts.path, query))
    if parts.path.startswith("/v20180820/"):
        last = parts.path.rsplit("/", 1)[-1]
        op = f"Get{last[:1].upper()}{last[1:]}"
        return "s3control", region, op, {"AccountId": headers["x-amz-account-id"]}
    if parts.path in ("", "/"):
        params = {name: cast(query[key][0]) for key, (name, cast) in _LIST_BUCKETS.items()
                  if key in query}
        return "s3", region, "ListBuckets", params
    sub = next(S3_SUBRESOURCES[k] for k in query if k in S3_SUBRESOURCES)
    return "s3", region, sub, {"Bucket": unquote(parts.path.strip("/").split("/")[0])}


def replay(calls: list[tuple[str, str, str, dict[str, Any]]], endpoint: str,
           workers: int) -> int:
    """Send every call on ``workers`` threads; return how many the server refused."""
    import boto3
    from botocore import xform_name
    from botocore.config import Config
    from botocore.exceptions import ClientError

    from auditor.providers.aws._session import strip_account_label

    session = boto3.Session()
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"},
                    max_pool_connections=workers, s3={"addressing_style": "path"})
    clients: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def client(service: str, region: str) -> Any:
        with lock:
            if (service, region) not in clients:
                made = session.client(service, region_name=region, endpoint_url=endpoint,
                                      config=config)
                if service == "s3control":
                    made.meta.events.register("before-sign.s3-control", strip_account_label)
                clients[service, region] = made
            return clients[service, region]

    def send(call: tuple[str, str, str, dict[str, Any]]) -> int:
        service, region, operation, params = call
        try:
            getattr(client(service, region), xform_name(operation))(**params)
        except ClientError:
            return 1  # an error answer is still one request answered; discarded
        return 0

    with ThreadPoolExecutor(workers) as pool:
        return sum(pool.map(send, calls))


def save_calls(entries: list[dict[str, Any]], path: Path) -> int:
    calls = [to_call(e) for e in entries]
    path.write_text(json.dumps(calls))
    return len(calls)


def run_floor(server: Any, n: int, calls_file: Path, workdir: Path) -> dict[str, Any]:
    """Re-seed, run the floor in its own process (measured like every tool), count requests."""
    import _moto_harness as h

    from auditor.defaults import DEFAULT_MAX_WORKERS

    seed_s = server.seed(n)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--replay", str(calls_file),
           "--endpoint", server.url, "--workers", str(DEFAULT_MAX_WORKERS)]
    figures = h.measure(cmd, h.base_env(server.url), log=workdir / f"floor-{n}.log")
    figures.update(requests=len(server.requests()), seed_s=round(seed_s, 1),
                   workers=DEFAULT_MAX_WORKERS)
    return figures


def ours_cmd(outdir: Path) -> list[str]:
    import _moto_harness as h

    regions = [arg for r in h.REGIONS for arg in ("--aws-region", r)]
    return ["auditor", "scan", "aws", "--no-history", "-q", "-f", "json", "-o", str(outdir),
            *regions]


def _check_tree(env: dict[str, str]) -> None:
    """The scan's interpreter, given ``env``, imports auditor from TREE (or this exits)."""
    import subprocess

    # -P: no current directory on sys.path, as for the `auditor` script the scan runs
    where = subprocess.run([sys.executable, "-P", "-c", "import auditor; print(auditor.__file__)"],
                           env=env, capture_output=True, text=True).stdout.strip()
    if TREE is None or not Path(where).resolve().is_relative_to(TREE):
        sys.exit(f"floor.py: --tree {TREE}: the scan would import auditor from {where!r}")


def run_ours(server: Any, n: int, workdir: Path, *, profile: Path | None = None
             ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Re-seed, run ``auditor scan aws`` (under py-spy when ``profile``), its request log."""
    import _moto_harness as h

    seed_s = server.seed(n)
    cmd = ours_cmd(workdir / f"ours-{n}")
    if profile is not None:  # every thread, samples holding the GIL only (Python's CPU)
        cmd = ["py-spy", "record", "--gil", "-r", "200", "-f", "raw", "-o", str(profile),
               "--", *cmd]
    env = h.base_env(server.url)
    if TREE is not None:  # a checkout of ours (git worktree) instead of the installed one
        env["PYTHONPATH"] = str(TREE)
        _check_tree(env)
    figures = h.measure(cmd, env, log=workdir / f"ours-{n}.log")
    entries = server.requests()
    figures.update(requests=len(entries), seed_s=round(seed_s, 1))
    return figures, entries


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each figure over repeated runs (and every run kept)."""
    keys = ("seconds", "peak_rss_mib", "cpu_s", "user_s", "sys_s", "requests")
    out = {k: statistics.median(r[k] for r in runs if r.get(k) is not None)
           for k in keys if any(r.get(k) is not None for r in runs)}
    out["runs"] = runs
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replay", type=Path, help="(internal) the calls to send")
    parser.add_argument("--endpoint")
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--buckets", type=int, nargs="+", default=[200])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--tree", type=Path, help="run our scan from this checkout (a git "
                        "worktree of a commit: others' uncommitted edits left out)")
    args = parser.parse_args()
    global TREE
    TREE = args.tree.resolve() if args.tree else None
    if args.replay:
        calls = [tuple(c) for c in json.loads(args.replay.read_text())]
        refused = replay(calls, args.endpoint, args.workers)  # type: ignore[arg-type]
        print(f"floor: {len(calls)} calls, {refused} error answers")
        return
    import _floor_report
    import _moto_harness as h

    server = h.MotoServer()
    server.start()
    try:
        result = _floor_report.floor_and_profile(server, args.buckets, args.repeat)
    finally:
        server.stop()
    if TREE is not None:
        import subprocess

        result["tree"] = {"path": str(TREE), "commit": subprocess.run(
            ["git", "-C", str(TREE), "rev-parse", "--short", "HEAD"], capture_output=True,
            text=True).stdout.strip()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(_floor_report.markdown(result))


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    # _floor_report does `import floor`: without this it would get a second copy of this
    # module whose TREE is never set, and --tree would silently measure the installed tree.
    sys.modules["floor"] = sys.modules[__name__]
    main()
