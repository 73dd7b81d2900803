"""--shard-by region with buckets whose region cannot be read: each is collected by one shard.

An account of three regions on the AWS stand-in (moto, boto3 over HTTP), where two buckets
have no BucketRegion in the listing (``list_omits``) and the scanner's IAM policy denies
s3:GetBucketLocation on them (a real AccessDenied of moto's enforcement): one encrypted with
AES256, one with the customer managed key of another shard's region, named by its ARN. The
whole account, its shards (through expand_units) and a scan by account vs by region through
the CLI: each unlocated bucket once, in the first shard; its key once, in its own region's
shard; the location failure recorded once; the same findings either way.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dask_support import report, untimed

from auditor.executors import ExecutorChoice
from auditor.executors.local import LocalExecutor
from auditor.executors.shards import expand_units
from auditor.executors.unit import unit_request, wire_ready, work_unit
from auditor.providers._runtime import RetryPolicy
from auditor.providers.aws import AwsAdapter
from auditor.providers.aws.sandbox import AwsSandbox
from auditor.providers.base import CollectRequest
from auditor.run_failures import ACCOUNT_SCOPE
from auditor.sandbox.manage import scan_flags

RETRY = RetryPolicy(max_attempts=1)
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-1"]
SHORT = {"us-east-1": "us", "eu-west-1": "eu", "ap-southeast-1": "ap"}
UNLOCATED = {"h4-nowhere-aes": ("eu-west-1", {"algorithm": "AES256"}),
             "h4-nowhere-kms": ("ap-southeast-1", {"algorithm": "aws:kms", "key": "ap-data"})}
ESTATE = {
    "regions": REGIONS,
    "keys": [{"alias": f"{SHORT[r]}-data", "region": r, "rotation": True} for r in REGIONS],
    "buckets": [
        *({"name": f"h4-{SHORT[r]}-plain", "region": r} for r in REGIONS),
        *({"name": name, "region": region, "encryption": encryption,
           "list_omits": ["BucketRegion"]} for name, (region, encryption) in UNLOCATED.items()),
    ],
    "scanner": {"deny": [{"action": "s3:GetBucketLocation", "bucket": name}
                         for name in UNLOCATED]},
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[AwsSandbox]:
    box = AwsSandbox()
    box.start()
    try:
        box.seed({"aws": ESTATE})
        with pytest.MonkeyPatch.context() as mp:
            for name, value in box.environment().items():
                mp.setenv(name, value)
            mp.delenv("AWS_PROFILE", raising=False)
            yield box
    finally:
        box.stop()


@pytest.fixture(scope="module")
def whole_and_parts(sandbox: AwsSandbox) -> tuple[Any, list[Any], list[Any]]:
    adapter = AwsAdapter(retry=RETRY)
    request = CollectRequest(options=sandbox.scan_options(), max_workers=4)
    whole = adapter.collect(request)
    unit = work_unit("aws", "", ACCOUNT_SCOPE, request, {})
    shards = expand_units(adapter, [unit], LocalExecutor(ExecutorChoice(shard_by="region")))
    for shard in shards:
        wire_ready(shard)
    return whole, shards, [adapter.collect(unit_request(s)) for s in shards]


def _named(resources: list[Any], name: str) -> list[Any]:
    return [r for r in resources if r.name == name]


def test_each_unlocated_bucket_is_collected_once_by_the_first_shard(whole_and_parts):
    whole, shards, parts = whole_and_parts
    assert [s.options["region"] for s in shards] == [[r] for r in REGIONS]
    for name in UNLOCATED:
        (bucket,) = _named(whole.resources, name)
        assert bucket.region == "unknown"  # the premise: its region could not be read
        assert [len(_named(p.resources, name)) for p in parts] == [1, 0, 0]
        assert _named(parts[0].resources, name)[0].to_dict() == bucket.to_dict()


def test_the_shards_union_is_the_whole_account_none_twice(whole_and_parts):
    whole, _, parts = whole_and_parts
    collected = [r for part in parts for r in part.resources]
    assert not [k for k, n in Counter((r.kind, r.id) for r in collected).items() if n > 1]
    union = {(r.kind, r.id): r.to_dict() for r in collected}
    expected = {(r.kind, r.id): r.to_dict() for r in whole.resources}
    assert sorted(union) == sorted(expected)
    for key, resource in expected.items():
        assert union[key] == resource, key


def test_the_key_an_unlocated_bucket_names_is_its_own_regions(whole_and_parts):
    whole, _, parts = whole_and_parts
    bucket = _named(whole.resources, "h4-nowhere-kms")[0]
    assert bucket.facts["key_custody.level"].value == "customer_kms"  # the key was described
    keys = [[r for r in p.resources if r.kind == "kms.key" and r.name == "ap-data"]
            for p in parts]
    assert [len(k) for k in keys] == [0, 0, 1]


def test_the_location_failure_is_recorded_once(whole_and_parts):
    whole, _, parts = whole_and_parts

    def denied(run: Any) -> list[str]:
        return sorted(e.scope for e in run.errors if e.operation == "s3:GetBucketLocation")

    assert denied(whole.run) == sorted(UNLOCATED)
    assert [denied(p.run) for p in parts] == [sorted(UNLOCATED), [], []]
    # every shard still asks (it cannot know the bucket is not its own): counted in its run
    assert all(p.run.api_calls["s3:GetBucketLocation"] == len(UNLOCATED) for p in parts)


def _scan(auditor: Any, sandbox: AwsSandbox, out: Path, *flags: str) -> tuple[Any, Any]:
    done = auditor("scan", "aws", *scan_flags("aws", sandbox.scan_options()), "-q",
                   "--no-history", "-f", "json", "-o", str(out), *flags, timeout=300)
    assert done.returncode in (0, 1, 3), done.stderr
    return done, report(out)


def _findings(document: dict[str, Any]) -> list[str]:
    return sorted(json.dumps(untimed(f), sort_keys=True) for f in document["findings"])


def test_a_scan_by_region_finds_what_a_scan_by_account_finds(sandbox, auditor_cli, tmp_path):
    plain, whole = _scan(auditor_cli, sandbox, tmp_path / "account", "--shard-by", "account")
    split, sharded = _scan(auditor_cli, sandbox, tmp_path / "region", "--shard-by", "region")
    assert plain.returncode == split.returncode == 3  # the denied locations: UNVERIFIED facts
    assert len(sharded["runs"]) == len(REGIONS) and len(whole["runs"]) == 1
    named = Counter(f["resource_name"] for f in sharded["findings"])
    for name in UNLOCATED:
        assert named[name] == Counter(f["resource_name"] for f in whole["findings"])[name] > 0
    assert _findings(whole) == _findings(sharded)
    for key in ("summary", "account_failures", "provider_failures"):
        assert untimed(whole[key]) == untimed(sharded[key]), key


def test_a_shard_without_buckets_of_its_own_leaves_the_account_setting_unread(sandbox):
    """s3control:GetPublicAccessBlock is read for the account resource (the first shard's)
    and for the buckets' facts: a region holding none of the buckets does not ask (before:
    every shard asked, 6 of 6 on the demo estate with two empty regions, now 4)."""
    adapter = AwsAdapter(retry=RETRY)
    request = CollectRequest(options={"region": [*REGIONS, "us-west-2"]}, max_workers=4)
    shards = expand_units(adapter, [work_unit("aws", "", ACCOUNT_SCOPE, request, {})],
                          LocalExecutor(ExecutorChoice(shard_by="region")))
    parts = [adapter.collect(unit_request(s)) for s in shards]
    assert [p.run.api_calls.get("s3control:GetPublicAccessBlock", 0) for p in parts] == [
        1, 1, 1, 0]
    assert [p.run.api_calls["s3:ListBuckets"] for p in parts] == [1, 1, 1, 1]
    assert not [r for r in parts[3].resources if r.kind == "storage.bucket"]
