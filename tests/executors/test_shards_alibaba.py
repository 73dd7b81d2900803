"""An Alibaba Cloud account split by the regions named (--shard-by region with
--alibaba-region) collects exactly what the whole account collects: the demo estate on the
OSS/KMS/ECS/NAS/RDS stand-ins (the real Alibaba Cloud SDK clients over HTTP), collected whole
and as one unit per region through expand_units, gives the same resources with the same facts,
none twice. Without named regions the account is collected whole."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from auditor.executors import ExecutorChoice
from auditor.executors.local import LocalExecutor
from auditor.executors.shards import expand_units
from auditor.executors.unit import unit_request, wire_ready, work_unit
from auditor.providers.alibaba import AlibabaAdapter
from auditor.providers.alibaba.sandbox import AlibabaSandbox, load_demo_section
from auditor.providers.base import CollectRequest
from auditor.run_failures import ACCOUNT_SCOPE

BY_REGION = LocalExecutor(ExecutorChoice(shard_by="region"))


@pytest.fixture(scope="module")
def box() -> Iterator[AlibabaSandbox]:
    stand = AlibabaSandbox()
    stand.start()
    try:
        with pytest.MonkeyPatch.context() as mp:
            for name, value in stand.environment().items():
                mp.setenv(name, value)
            yield stand
    finally:
        stand.stop()


@pytest.fixture(scope="module")
def whole_and_shards(box: AlibabaSandbox) -> tuple[Any, list[Any], list[Any]]:
    adapter = AlibabaAdapter(retry_attempts=1)
    box.seed(load_demo_section())
    request = CollectRequest(options=box.scan_options(), max_workers=4)
    whole = adapter.collect(request)
    box.seed(load_demo_section())  # the same faults again, for the shards
    shards = expand_units(adapter, [work_unit("alibaba", "", ACCOUNT_SCOPE, request, {})],
                          BY_REGION)
    return whole, shards, [adapter.collect(unit_request(s)) for s in shards]


def test_one_unit_per_named_region(whole_and_shards, box):
    whole, shards, _ = whole_and_shards
    regions = box.scan_options()["region"]
    assert len(regions) >= 2
    assert [s.shard for s in shards] == [f"region {r}" for r in sorted(regions)]
    for unit in shards:
        wire_ready(unit)
    assert len({r.region for r in whole.resources if r.kind == "storage.bucket"}) >= 2


def test_the_union_of_the_shards_is_the_whole_account_no_resource_twice(whole_and_shards):
    whole, _, parts = whole_and_shards
    collected = [r for part in parts for r in part.resources]
    assert not [k for k, n in Counter((r.kind, r.id) for r in collected).items() if n > 1]
    union = {(r.kind, r.id): r.to_dict() for r in collected}
    expected = {(r.kind, r.id): r.to_dict() for r in whole.resources}
    assert sorted(union) == sorted(expected)
    assert len(expected) > 20 and "account" in {kind for kind, _ in expected}
    for key, resource in expected.items():
        assert union[key] == resource, key


def test_without_named_regions_the_account_is_collected_whole(box):
    adapter = AlibabaAdapter(retry_attempts=1)
    options = {k: v for k, v in box.scan_options().items() if k != "region"}
    assert adapter.shards(CollectRequest(options=options), "region") is None
    one = {**options, "region": ["oss-cn-hangzhou", "cn-hangzhou"]}  # one region, two spellings
    assert adapter.shards(CollectRequest(options=one), "region") is None
    assert adapter.shards(CollectRequest(options=box.scan_options()), "account") is None
