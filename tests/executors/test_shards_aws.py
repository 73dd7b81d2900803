"""An AWS account split by region (--shard-by region) collects exactly what the whole account
collects: the demo estate (buckets, keys, volumes, snapshots, file systems and databases in four
regions) on the AWS stand-in, boto3 over HTTP, collected whole and as one unit per region
through expand_units; the union of the shards' resources has the same ids and the same facts,
none of them twice."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.executors import ExecutorChoice
from auditor.executors.local import LocalExecutor
from auditor.executors.shards import expand_units
from auditor.executors.unit import unit_request, wire_ready, work_unit
from auditor.model import Resource, ResourceKind
from auditor.providers._runtime import RetryPolicy
from auditor.providers.aws import AwsAdapter
from auditor.providers.aws.sandbox import AwsSandbox
from auditor.providers.base import CollectRequest
from auditor.run_failures import ACCOUNT_SCOPE
from auditor.sandbox.estate import load_estate

RETRY = RetryPolicy(max_attempts=1)
BY_REGION = LocalExecutor(ExecutorChoice(shard_by="region"))
# Variables that would reach another AWS or read the user's own configuration.
_ELSEWHERE = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN",
              "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ENDPOINT_URL_S3",
              "AWS_ENDPOINT_URL_STS", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE")


@contextlib.contextmanager
def reaching(sandbox: AwsSandbox, home: Path) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        for name in _ELSEWHERE:
            mp.delenv(name, raising=False)
        no_file = str(home / "none")  # no user config, no instance metadata: the stand-in only
        for name, value in {"AWS_CONFIG_FILE": no_file, "AWS_SHARED_CREDENTIALS_FILE": no_file,
                            "AWS_EC2_METADATA_DISABLED": "true",
                            **sandbox.environment()}.items():
            mp.setenv(name, value)
        yield


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsSandbox]:
    stand = AwsSandbox()
    stand.start()
    try:
        stand.seed(load_estate())
        with reaching(stand, tmp_path_factory.mktemp("home")):
            yield stand
    finally:
        stand.stop()


def _resources(resources: list[Resource]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r.kind, r.id): r.to_dict() for r in resources}


@pytest.fixture(scope="module")
def whole_and_shards(sandbox: AwsSandbox) -> tuple[Any, list[Any], list[Any]]:
    adapter = AwsAdapter(retry=RETRY)
    request = CollectRequest(options=sandbox.scan_options(), max_workers=4)
    whole = adapter.collect(request)
    unit = work_unit("aws", "", ACCOUNT_SCOPE, request, {})
    shards = expand_units(adapter, [unit], BY_REGION)
    return whole, shards, [adapter.collect(unit_request(s)) for s in shards]


def test_the_demo_estate_spans_four_regions_and_every_kind(whole_and_shards, sandbox):
    whole, _, _ = whole_and_shards
    assert len(sandbox.regions) == 4
    kinds = Counter(r.kind for r in whole.resources)
    for kind in (ResourceKind.BUCKET, ResourceKind.KEY, "storage.volume", "storage.snapshot",
                 "storage.filesystem", "database.instance", ResourceKind.ACCOUNT):
        assert kinds[kind] > 0, kind
    assert len({r.region for r in whole.resources if r.kind == ResourceKind.BUCKET}) >= 3
    # the account's Block Public Access: one resource of region "global"
    assert [r.kind for r in whole.resources if r.region == "global"] == [ResourceKind.ACCOUNT]


def test_one_unit_per_region_each_naming_its_region(whole_and_shards, sandbox):
    _, shards, _ = whole_and_shards
    assert [s.shard for s in shards] == [f"region {r}" for r in sandbox.regions]
    assert [s.options["region"] for s in shards] == [[r] for r in sandbox.regions]
    for unit in shards:
        wire_ready(unit)  # the payload stays sendable: names only, no secret
    # the account's Block Public Access (a global setting) is read by the first shard alone
    assert shards[0].facts is None
    assert all("public_access_block.enabled" not in s.facts["account"] for s in shards[1:])


def test_the_union_of_the_shards_is_the_whole_account_no_resource_twice(whole_and_shards):
    whole, _, parts = whole_and_shards
    collected = [r for part in parts for r in part.resources]
    twice = [k for k, n in Counter((r.kind, r.id) for r in collected).items() if n > 1]
    assert not twice
    union, expected = _resources(collected), _resources(whole.resources)
    assert sorted(union) == sorted(expected)
    assert len(expected) > 40
    for key, resource in expected.items():
        assert union[key] == resource, key  # the same facts, states, values and sources


def test_each_shard_run_covers_its_region_only(whole_and_shards, sandbox):
    whole, _, parts = whole_and_shards
    assert [p.run.regions for p in parts] == [[r] for r in sandbox.regions]
    assert sorted(whole.run.regions) == sorted(sandbox.regions)
    # resources of a region are in its shard (the global account setting in the first)
    for part, region in zip(parts, sandbox.regions, strict=True):
        assert {r.region for r in part.resources} <= {region, "global"}


def test_without_a_region_option_the_enabled_regions_are_listed(sandbox):
    adapter = AwsAdapter(retry=RETRY)
    shards = adapter.shards(CollectRequest(options={}), "region")
    assert shards is not None and len(shards) > 4
    labels = [s.label for s in shards]
    assert set(labels) >= {f"region {r}" for r in sandbox.regions}
    assert len(set(labels)) == len(labels)


def test_an_account_is_not_split_by_account_in_one_region_or_unlisted(sandbox, tmp_path):
    adapter = AwsAdapter(retry=RETRY)
    assert adapter.shards(CollectRequest(options={"region": ["eu-west-1"]}), "region") is None
    assert adapter.shards(CollectRequest(options=sandbox.scan_options()), "account") is None
    # regions that cannot be listed (an unknown profile): collected whole, which says why
    assert adapter.shards(CollectRequest(options={"profile": "nowhere"}), "region") is None
    unit = work_unit("aws", "", ACCOUNT_SCOPE, CollectRequest(options={"region": ["eu-west-1"]}),
                     {})
    assert expand_units(adapter, [unit], BY_REGION) == [unit]
    whole = work_unit("aws", "", ACCOUNT_SCOPE, CollectRequest(options=sandbox.scan_options()),
                      {})
    assert expand_units(adapter, [whole], LocalExecutor()) == [whole]
