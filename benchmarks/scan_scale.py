"""Collect N buckets per provider from its seeded stand-in, serially and with the pool.

Writes benchmarks/results/scan_scale.json and prints a Markdown table. Figures are ratios
within one run (serial vs pooled) plus absolute wall times on this machine; stand-in speed
(moto serves a few hundred requests/s on 2 cores) bounds the absolute numbers.

    python benchmarks/scan_scale.py [--buckets 200] [--providers aws gcp alibaba]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import resource
import time
from pathlib import Path

from auditor.demo import patched_environment
from auditor.providers.base import CollectRequest, ProviderRegistry
from auditor.sandbox.base import RecordingServer
from auditor.sandbox.estate import load_estate, make_sandbox

RESULTS = Path(__file__).parent / "results" / "scan_scale.json"


def _grow(buckets: list[dict], n: int) -> list[dict]:
    """Clone the estate's buckets (without injected faults) until there are n."""
    out = list(buckets)
    i = 0
    while len(out) < n:
        clone = copy.deepcopy(buckets[i % len(buckets)])
        clone.pop("faults", None)
        clone.pop("deny", None)
        clone["name"] = f"{clone['name'][:40]}-c{len(out):04d}"
        out.append(clone)
        i += 1
    return out[:n]


def scaled_section(provider: str, n: int) -> dict:
    section = copy.deepcopy(load_estate()[provider])
    if "projects" in section:  # gcp: all growth in the first project
        others = sum(len(p["buckets"]) for p in section["projects"][1:])
        first = section["projects"][0]
        first["buckets"] = _grow(first["buckets"], max(1, n - others))
    else:
        section["buckets"] = _grow(section["buckets"], n)
    return section


def measure(provider: str, n: int, workers: int) -> dict:
    sandbox = make_sandbox(provider)
    sandbox.start()
    try:
        sandbox.seed(scaled_section(provider, n))
        sandbox.reset_requests()
        adapter = ProviderRegistry.from_entry_points().get(provider)
        request = CollectRequest(options=sandbox.scan_options(), max_workers=workers)
        with patched_environment(sandbox.environment()):
            started = time.perf_counter()
            collection = adapter.collect(request)
            elapsed = time.perf_counter() - started
        buckets = sum(1 for r in collection.resources if r.kind == "storage.bucket")
        requests = len(sandbox.requests())
    finally:
        sandbox.stop()
    return {"provider": provider, "workers": workers, "buckets": buckets,
            "requests": requests, "requests_per_bucket": round(requests / max(buckets, 1), 2),
            "seconds": round(elapsed, 2),
            "buckets_per_second": round(buckets / elapsed, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buckets", type=int, default=200)
    parser.add_argument("--providers", nargs="+", default=["aws", "gcp", "alibaba"])
    parser.add_argument("--latency-ms", type=float, default=30.0,
                        help="simulated round trip per request on the built-in stand-ins "
                             "(GCP, Alibaba); moto (AWS) answers at its own pace")
    args = parser.parse_args()
    rows = []
    for provider in args.providers:
        for latency in sorted({0.0, args.latency_ms}):
            RecordingServer.latency_s = latency / 1000
            serial = measure(provider, args.buckets, 1)
            pooled = measure(provider, args.buckets, 16)
            pooled["speedup_vs_serial"] = round(serial["seconds"] / pooled["seconds"], 2)
            for row in (serial, pooled):
                row["latency_ms"] = latency if provider != "aws" else None
            rows += [serial, pooled]
            if provider == "aws":
                break  # latency applies to the built-in stand-ins only
    result = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
              "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
              "runs": rows}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print("| provider | added latency ms | workers | buckets | requests/bucket | seconds | buckets/s "
          "| speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['provider']} | {r['latency_ms'] if r['latency_ms'] is not None else '-'} "
              f"| {r['workers']} | {r['buckets']} | {r['requests_per_bucket']} "
              f"| {r['seconds']} | {r['buckets_per_second']} | {r.get('speedup_vs_serial', '')} |")
    print(f"peak RSS {result['peak_rss_mib']} MiB; written to {RESULTS}")


if __name__ == "__main__":
    main()
