"""Requests per resource of the AWS volume, snapshot, file-system and database kinds on moto.

An estate of N resources of each kind in one region, all under one customer managed key (so
the key join costs two KMS calls, not one per resource), is seeded into moto in-process with
the sandbox's seeder; each kind is then collected alone with every fact of its catalog, as a
scan whose checks read them all asks, and the adapter's own call counts (ProviderRun.api_calls,
retries included) are divided by the resources collected. sts:GetCallerIdentity (once per run)
is left out. Each database has a parameter group of its own: the worst case for
DescribeDBParameters, read once per group.

    python benchmarks/requests_per_resource_aws.py [--count 10 50]

Writes benchmarks/results/requests_per_resource_aws.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from auditor.providers.aws import AwsAdapter
from auditor.providers.base import CollectRequest
from auditor.schema import fact_catalog

KINDS = ("storage.volume", "storage.snapshot", "storage.filesystem", "database.instance")
OUT = Path(__file__).resolve().parent / "results" / "requests_per_resource_aws.json"
REGION = "us-east-1"


def section(count: int) -> dict[str, Any]:
    half = max(1, count // 2)
    return {
        "regions": [REGION],
        "keys": [{"alias": "bench", "region": REGION, "rotation": True}],
        "volumes": [{"name": f"v{i}", "region": REGION, "key": "bench"} for i in range(count)],
        "snapshots": [{"name": f"s{i}", "volume": f"v{i}",
                       **({"shared_with": ["210987654321"]} if i % 2 else {})}
                      for i in range(count)],
        "file_systems": [{"name": f"f{i}", "region": REGION, "key": "bench", "tls": i % 2 == 0}
                         for i in range(count)],
        # DB instances (and their automated snapshots, which are snapshots too)
        "databases": [{"name": f"db{i}", "region": REGION, "engine": "postgres",
                       "family": "postgres16", "key": "bench", "tls_parameter": "rds.force_ssl",
                       "tls_value": i % 2} for i in range(half)],
        "scanner": {"user": "bench"},
    }


def measure(count: int) -> dict[str, Any]:
    import boto3
    from moto import mock_aws
    from moto.core import enable_iam_authentication

    from auditor.providers.aws.sandbox import EstateSeeder

    env = {"AWS_ACCESS_KEY_ID": "seed", "AWS_SECRET_ACCESS_KEY": "seed",
           "AWS_DEFAULT_REGION": REGION}
    with tempfile.TemporaryDirectory() as tmp:
        env.update(AWS_CONFIG_FILE=f"{tmp}/none", AWS_SHARED_CREDENTIALS_FILE=f"{tmp}/none")
        os.environ.update(env)
        with mock_aws():
            keys = EstateSeeder(lambda s, r: boto3.client(s, region_name=r)).seed(
                section(count))
            os.environ["AWS_ACCESS_KEY_ID"] = keys["access_key_id"]
            os.environ["AWS_SECRET_ACCESS_KEY"] = keys["secret_access_key"]
            rows = {}
            with enable_iam_authentication():
                for kind in KINDS:
                    request = CollectRequest(options={"region": [REGION]}, max_workers=4,
                                             facts={kind: frozenset(fact_catalog()[kind])})
                    collection = AwsAdapter().collect(request)
                    calls = {op: n for op, n in collection.run.api_calls.items()
                             if op != "sts:GetCallerIdentity"}
                    resources = sum(1 for r in collection.resources if r.kind == kind)
                    rows[kind] = {"resources": resources, "requests": sum(calls.values()),
                                  "per_resource": round(sum(calls.values()) / resources, 2),
                                  "by_operation": dict(sorted(calls.items())),
                                  "errors": len(collection.run.errors)}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, nargs="+", default=[10, 50])
    args = parser.parse_args()
    results = {str(n): measure(n) for n in args.count}
    OUT.write_text(json.dumps({"measured_at": datetime.datetime.now(datetime.UTC).isoformat(
        timespec="seconds"), "stand_in": "moto (in-process), IAM enforced",
        "results": results}, indent=2) + "\n", encoding="utf-8")
    for n, rows in results.items():
        for kind, row in rows.items():
            print(f"N={n} {kind}: {row['resources']} resources, {row['requests']} requests, "
                  f"{row['per_resource']} per resource, errors {row['errors']}")


if __name__ == "__main__":
    main()
