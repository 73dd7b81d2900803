"""Resource tags on demand: OSS GetBucketTags and KMS ListResourceTags read into
Resource.tags only when the request asks for tags; a failed read leaves tags None (not
observed) and is recorded; a scan that needs no tags sends no tag call."""

from __future__ import annotations

import pytest

from auditor.providers.alibaba import AlibabaAdapter
from auditor.providers.base import CollectRequest

ACCOUNT = "1357900000000001"
ESTATE = {
    "account": ACCOUNT,
    "buckets": [
        {"name": "tagged-bucket", "region": "cn-hangzhou",
         "tags": {"env": "prod", "owner": "data-team"}},
        {"name": "untagged-bucket", "region": "cn-hangzhou"},
        {"name": "tags-denied", "region": "cn-hangzhou", "faults": {"GetBucketTags": 403}},
    ],
    "keys": [
        {"id": "key-tagged", "region": "cn-hangzhou", "tags": {"env": "prod"}},
        {"id": "key-untagged", "region": "cn-hangzhou"},
        {"id": "key-tags-broken", "region": "cn-hangzhou", "faults": {"ListResourceTags": 500}},
    ],
}
TAG_CALLS = {"oss:GetBucketTags", "kms:ListResourceTags"}


@pytest.fixture
def box(make_ali_sandbox, monkeypatch):
    box = make_ali_sandbox(ESTATE)
    for name, value in box.environment().items():
        monkeypatch.setenv(name, value)
    return box


def scan(box, tags: bool):
    request = CollectRequest(options=box.scan_options(), tags=tags, timeout=10)
    collection = AlibabaAdapter(retry_attempts=1).collect(request)
    return {r.name: r for r in collection.resources}, collection


def test_tags_are_read_when_asked(box):
    resources, _ = scan(box, tags=True)
    assert resources["tagged-bucket"].tags == {"env": "prod", "owner": "data-team"}
    assert resources["untagged-bucket"].tags == {}  # observed: no tags
    assert resources["key-tagged"].tags == {"env": "prod"}
    assert resources["key-untagged"].tags == {}
    called = [r.action for r in box.requests() if r.action in TAG_CALLS]
    assert called.count("oss:GetBucketTags") == 3 and called.count("kms:ListResourceTags") == 3


def test_a_failed_tag_read_leaves_tags_unobserved_and_is_recorded(box):
    resources, collection = scan(box, tags=True)
    assert resources["tags-denied"].tags is None
    assert resources["key-tags-broken"].tags is None
    failed = {(e.operation, e.code) for e in collection.run.errors}
    assert ("oss:GetBucketTags", "AccessDenied") in failed
    assert any(op == "kms:ListResourceTags" for op, _ in failed)
    assert collection.run.status == "partial"
    # The bucket's other facts are untouched by the failed tag read.
    assert resources["tags-denied"].facts["encryption.enabled"].state.value == "observed"


def test_no_tag_call_when_tags_are_not_wanted(box):
    resources, collection = scan(box, tags=False)
    assert all(r.tags is None for r in resources.values())
    assert not [r for r in box.requests() if r.action in TAG_CALLS]
    assert not TAG_CALLS & set(collection.run.api_calls)


def test_tags_round_trip_through_the_inventory_form(box):
    resources, _ = scan(box, tags=True)
    data = resources["tagged-bucket"].to_dict()
    assert data["tags"] == {"env": "prod", "owner": "data-team"}
    assert "tags" not in resources["tags-denied"].to_dict()
