"""A scan with --shard-by region: an AWS account of three regions (a bucket, a key and a volume
in each, on the AWS stand-in) scanned whole, as one unit per region locally, and as one unit per
region on a two-worker LocalCluster gives the same findings; a shard that fails is its
account's failure naming the region, and the other regions' findings are still reported."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from dask_support import report, two_workers, untimed

from auditor.checks import compile_check, load_checks
from auditor.executors import ExecutorChoice
from auditor.executors.local import LocalExecutor
from auditor.pipeline import build_report, collect, registry_exposure
from auditor.providers._runtime import RetryPolicy
from auditor.providers.aws import AwsAdapter
from auditor.providers.aws.sandbox import AwsSandbox
from auditor.providers.base import ProviderRegistry
from auditor.sandbox.manage import scan_flags

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-1"]
SHORT = {"us-east-1": "us", "eu-west-1": "eu", "ap-southeast-1": "ap"}
ESTATE = {
    "regions": REGIONS,
    "account": {"public_access_block": {"BlockPublicAcls": True, "IgnorePublicAcls": True}},
    "keys": [{"alias": f"{SHORT[r]}-data", "region": r, "rotation": r != "eu-west-1"}
             for r in REGIONS],
    "buckets": [b for r in REGIONS for b in (
        {"name": f"shard-{SHORT[r]}-plain", "region": r},
        {"name": f"shard-{SHORT[r]}-kms", "region": r,
         "encryption": {"algorithm": "aws:kms", "key": f"{SHORT[r]}-data"}})],
    "volumes": [{"name": f"shard-{SHORT[r]}-volume", "region": r, "key": f"{SHORT[r]}-data",
                 "attached": False} for r in REGIONS],
}
SAME = ("findings", "summary", "checks", "account_failures", "provider_failures")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[AwsSandbox]:
    box = AwsSandbox()
    box.start()
    try:
        box.seed({"aws": ESTATE})
        with pytest.MonkeyPatch.context() as mp:  # the cluster's workers inherit it
            for name, value in box.environment().items():
                mp.setenv(name, value)
            mp.delenv("AWS_PROFILE", raising=False)
            yield box
    finally:
        box.stop()


def _scan(auditor, sandbox: AwsSandbox, out: Path, *flags: str):
    done = auditor("scan", "aws", *scan_flags("aws", sandbox.scan_options()), "-q",
                   "--no-history", "-f", "json", "-o", str(out), *flags, timeout=300)
    assert done.returncode in (0, 1, 3), done.stderr
    return done, report(out)


@pytest.fixture(scope="module")
def whole(sandbox, auditor_cli, tmp_path_factory):
    return _scan(auditor_cli, sandbox, tmp_path_factory.mktemp("whole"))


@pytest.fixture(scope="module")
def sharded(sandbox, auditor_cli, tmp_path_factory):
    return _scan(auditor_cli, sandbox, tmp_path_factory.mktemp("sharded"), "--shard-by", "region")


def _findings(document: dict[str, Any]) -> list[str]:
    return sorted(json.dumps(untimed(f), sort_keys=True) for f in document["findings"])


def test_a_scan_by_region_finds_what_the_whole_scan_finds(whole, sharded):
    (plain, here), (split, there) = whole, sharded
    assert plain.returncode == split.returncode
    assert len(here["findings"]) > 30
    assert _findings(here) == _findings(there)
    for key in ("summary", "account_failures", "provider_failures"):
        assert untimed(here[key]) == untimed(there[key]), key
    # one run per region, each naming its region (the whole scan: one run of all three)
    assert [run["regions"] for run in here["runs"]] == [REGIONS]
    assert [run["regions"] for run in there["runs"]] == [[r] for r in REGIONS]
    assert {a for run in there["runs"] for a in run["accounts"]} == set(here["runs"][0]["accounts"])


def test_on_two_dask_workers_the_shards_give_the_same_findings(sandbox, sharded, auditor,
                                                               tmp_path):
    _, local = sharded
    with two_workers() as cluster:
        _, dask = _scan(auditor, sandbox, tmp_path / "dask", "--shard-by", "region",
                        "--executor", "dask", "--scheduler", cluster.scheduler_address)
    for key in SAME:
        assert untimed(local[key]) == untimed(dask[key]), key


class _OneRegionRefused(AwsAdapter):
    """The AWS adapter whose eu-west-1 part names a profile that does not exist: that shard's
    collect fails as an account's does (AwsSession's CredentialsError), the others run."""

    def shards(self, request, by):
        parts = super().shards(request, by)
        return [replace(p, options={**p.options, "profile": "refused-in-eu"})
                if p.label == "region eu-west-1" else p for p in parts or []] or None


def test_a_failed_shard_is_its_account_failure_naming_the_region(sandbox):
    registry = ProviderRegistry()
    registry.register("aws", lambda: _OneRegionRefused(retry=RetryPolicy(max_attempts=1)))
    checks = [compile_check(c) for c in load_checks()]
    outcome = collect(registry, ["aws"], {"aws": sandbox.scan_options()}, checks, 4,
                      executor=LocalExecutor(ExecutorChoice(shard_by="region")))
    document = build_report(outcome.inventory, checks, registry_exposure(registry)).to_dict()
    (failure,) = document["account_failures"]
    assert failure["reason"].startswith("region eu-west-1: ")
    assert "profile not found: refused-in-eu" in failure["reason"]
    assert not document["provider_failures"]  # the provider's other regions were collected
    named = {f["resource_name"] for f in document["findings"]}
    for region in ("us", "ap"):
        assert {f"shard-{region}-plain", f"shard-{region}-kms"} <= named
    assert not {n for n in named if n.startswith("shard-eu-")}
    runs = document["runs"]
    assert sorted(run["regions"] for run in runs if run["status"] == "complete") == [
        ["ap-southeast-1"], ["us-east-1"]]
    assert [run["status"] for run in runs].count("failed") == 1
