"""Requests per bucket, by operation, for each provider on its seeded stand-in.

The estate is the demo estate's buckets cloned to N (benchmarks/scan_scale.py's
``scaled_section``), the facts those every shipped check reads (what ``auditor scan`` asks
for). Requests are counted by the stand-in's own recorder (moto's for AWS, RecordingServer's
for Google Cloud and Alibaba), so they are what went over HTTP, retries included.

    python benchmarks/requests_per_bucket.py [--buckets 200 1000]
        [--providers aws aws-moto-listing gcp alibaba]

"aws" is the project's stand-in, whose moto answers ListBuckets as S3 does (BucketRegion for
every bucket: no GetBucketLocation); "aws-moto-listing" is moto's own listing, which omits
BucketRegion, so every bucket costs the GetBucketLocation fallback that S3 never needs.

Writes benchmarks/results/requests_per_bucket.json and prints the Markdown section
"## Requests per bucket" of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from auditor.checks import compile_check, load_checks
from auditor.demo import patched_environment
from auditor.engine import wanted_facts
from auditor.providers.base import CollectRequest, ProviderRegistry
from auditor.sandbox.estate import make_sandbox

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "requests_per_bucket.json"


def _scan_scale() -> Any:
    spec = importlib.util.spec_from_file_location("scan_scale", HERE / "scan_scale.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def scan_facts() -> dict[str, frozenset[str]]:
    """The facts ``auditor scan`` asks for with every shipped check selected."""
    return wanted_facts([compile_check(c) for c in load_checks()])


@contextlib.contextmanager
def moto_own_listing() -> Iterator[None]:
    """moto's own ListBuckets (5.2: no BucketRegion, no ContinuationToken) instead of the
    stand-in's documented one (auditor/providers/aws/sandbox/_documented.py), for the
    "aws-moto-listing" rows: what the adapter costs where a listing lacks BucketRegion."""
    from moto.s3.responses import S3Response

    documented = S3Response.all_buckets
    S3Response.all_buckets = getattr(documented, "moto_own", documented)  # type: ignore[method-assign]
    try:
        yield
    finally:
        S3Response.all_buckets = documented  # type: ignore[method-assign]


def measure(variant: str, n: int, workers: int = 16) -> dict[str, Any]:
    provider = variant.split("-", 1)[0]
    sandbox = make_sandbox(provider)
    sandbox.start()
    listing = moto_own_listing() if variant == "aws-moto-listing" else contextlib.nullcontext()
    try:
        sandbox.seed(_scan_scale().scaled_section(provider, n))
        sandbox.reset_requests()
        adapter = ProviderRegistry.from_entry_points().get(provider)
        request = CollectRequest(options=sandbox.scan_options(), facts=scan_facts(),
                                 max_workers=workers)
        with patched_environment(sandbox.environment()), listing:
            started = time.perf_counter()
            collection = adapter.collect(request)
            elapsed = time.perf_counter() - started
        buckets = sum(1 for r in collection.resources if r.kind == "storage.bucket")
        by_op = Counter(r.action for r in sandbox.requests())
    finally:
        sandbox.stop()
    total = sum(by_op.values())
    return {"provider": variant, "buckets": buckets, "requests": total,
            "requests_per_bucket": round(total / max(buckets, 1), 3),
            "seconds": round(elapsed, 2),
            "by_operation": {op: {"requests": c, "per_bucket": round(c / max(buckets, 1), 3)}
                             for op, c in sorted(by_op.items(), key=lambda kv: -kv[1])}}


def machine() -> dict[str, Any]:
    import boto3
    import moto

    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "boto3": boto3.__version__,
            "moto": moto.__version__,
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "loadavg_before": [round(x, 2) for x in os.getloadavg()]}


def markdown(result: dict[str, Any]) -> str:
    lines = ["| provider | buckets | requests | requests/bucket | seconds |",
             "|---|---|---|---|---|"]
    for r in result["runs"]:
        lines.append(f"| {r['provider']} | {r['buckets']} | {r['requests']} "
                     f"| {r['requests_per_bucket']} | {r['seconds']} |")
    lines += ["", "By operation (per bucket, largest run of each provider):", ""]
    for provider in dict.fromkeys(r["provider"] for r in result["runs"]):
        run = max((r for r in result["runs"] if r["provider"] == provider),
                  key=lambda r: r["buckets"])
        ops = ", ".join(f"{op} {v['per_bucket']}" for op, v in run["by_operation"].items())
        lines.append(f"- {provider} ({run['buckets']} buckets): {ops}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buckets", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--providers", nargs="+", default=["aws", "aws-moto-listing", "gcp", "alibaba"],
                        help="aws-moto-listing: moto's own ListBuckets, without BucketRegion")
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"machine": machine(), "runs": []}
    for provider in args.providers:
        for n in args.buckets:
            run = measure(provider, n, args.workers)
            print(f"{provider} {n}: {run['requests_per_bucket']} requests/bucket "
                  f"({run['seconds']} s)", file=sys.stderr)
            result["runs"].append(run)
    result["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))


if __name__ == "__main__":
    main()
