"""Resource tags, read only when CollectRequest.tags asks (a mutelist rule matches on tags).

moto (server mode, IAM enforced) holds a tagged bucket, an untagged one, one whose
GetBucketTagging the scanner is denied, and a tagged customer managed key; the answer stand
scripts the rest (NoSuchTagSet, a second page of key tags, a failing ListResourceTags).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from answer_stand import KEY_ARN, REGION, as_json, running_stand, xml
from aws_support import aws_environment

from auditor.model import Inventory, ResourceKind
from auditor.providers._runtime import RetryPolicy
from auditor.providers.aws import AwsAdapter
from auditor.providers.aws.sandbox import AwsSandbox
from auditor.providers.base import CollectRequest
from auditor.schema import validate

US = "us-east-1"
TAG_CALLS = {"s3:GetBucketTagging", "kms:ListResourceTags"}
ESTATE = {
    "regions": [US],
    "buckets": [
        {"name": "tagged-data", "region": US, "tags": {"env": "prod", "team": "data"}},
        {"name": "untagged-data", "region": US},
        {"name": "locked-tags", "region": US, "tags": {"env": "secret"}},
    ],
    "keys": [{"alias": "tagged-key", "region": US, "tags": {"owner": "security"}}],
    "scanner": {"deny": [{"action": "s3:GetBucketTagging", "bucket": "locked-tags"}]},
}
RETRY = RetryPolicy(max_attempts=1)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[AwsSandbox]:
    stand = AwsSandbox()
    stand.start()
    try:
        stand.seed(ESTATE)
        yield stand
    finally:
        stand.stop()


def scan(sandbox: AwsSandbox, tmp_path: Path, tags: bool):
    sandbox.reset_requests()
    with aws_environment(tmp_path) as mp:
        for name, value in sandbox.environment().items():
            mp.setenv(name, value)
        collection = AwsAdapter(retry=RETRY).collect(CollectRequest(
            options=sandbox.scan_options(), max_workers=4, tags=tags))
    return collection, Counter(r.action for r in sandbox.requests())


def test_no_tag_call_is_sent_unless_tags_are_wanted(sandbox, tmp_path):
    collection, sent = scan(sandbox, tmp_path, tags=False)
    assert collection.resources
    assert not TAG_CALLS & set(sent)
    assert not TAG_CALLS & set(collection.run.api_calls)
    assert all(r.tags is None for r in collection.resources)
    assert all("tags" not in r.to_dict() for r in collection.resources)


def test_bucket_and_customer_key_tags_are_read_when_wanted(sandbox, tmp_path):
    collection, sent = scan(sandbox, tmp_path, tags=True)
    buckets = {r.name: r for r in collection.resources if r.kind == ResourceKind.BUCKET}
    assert buckets["tagged-data"].tags == {"env": "prod", "team": "data"}
    assert buckets["untagged-data"].tags == {}  # NoSuchTagSet: observed, no tags
    assert buckets["locked-tags"].tags is None  # denied: not observed, nothing can match
    (denied,) = [e for e in collection.run.errors if e.operation == "s3:GetBucketTagging"]
    assert denied.scope == "locked-tags" and denied.code == "AccessDenied"
    (key,) = [r for r in collection.resources if r.kind == ResourceKind.KEY]
    assert key.tags == {"owner": "security"}
    assert all(r.tags is None for r in collection.resources if r.kind == ResourceKind.ACCOUNT)
    assert sent["s3:GetBucketTagging"] == len(buckets) and sent["kms:ListResourceTags"] == 1
    assert {op: sent[op] for op in TAG_CALLS} == {
        op: collection.run.api_calls[op] for op in TAG_CALLS}
    # The tags travel in the inventory, which still validates.
    inventory = Inventory([collection.run], collection.resources).to_dict()
    validate("inventory", inventory, "inventory")
    assert {r["name"]: r.get("tags") for r in inventory["resources"]
            if r["kind"] == ResourceKind.BUCKET} == {
        "tagged-data": {"env": "prod", "team": "data"}, "untagged-data": {},
        "locked-tags": None}


def _collect_tags(tmp_path: Path, **scripts) -> tuple:
    with running_stand(tmp_path) as stand:
        stand.scripts.update(scripts)
        collection = AwsAdapter(retry=RETRY).collect(CollectRequest(
            options={"region": [REGION]}, tags=True))
    bucket = next(r for r in collection.resources if r.kind == ResourceKind.BUCKET)
    key = next(r for r in collection.resources if r.id == KEY_ARN)
    return collection, stand, bucket, key


def test_key_tags_of_every_page_and_no_tag_set(tmp_path):
    no_tag_set = xml("<Error><Code>NoSuchTagSet</Code><Message>The TagSet does not exist"
                     "</Message><BucketName>sample-bucket</BucketName></Error>", 404)

    def key_pages(params: dict[str, list[str]]):
        if params.get("Marker") == ["m1"]:
            return as_json({"Tags": [{"TagKey": "cost", "TagValue": "42"}], "Truncated": False})
        return as_json({"Tags": [{"TagKey": "owner", "TagValue": "security"}],
                        "NextMarker": "m1", "Truncated": True})

    collection, stand, bucket, key = _collect_tags(
        tmp_path, **{"s3:GetBucketTagging": lambda _: no_tag_set,
                     "kms:ListResourceTags": key_pages})
    assert bucket.tags == {}
    assert key.tags == {"owner": "security", "cost": "42"}
    assert stand.calls["kms:ListResourceTags"] == 2
    assert not collection.run.errors


def test_a_failed_tag_read_leaves_tags_unobserved(tmp_path):
    boom = as_json({"__type": "KMSInternalException", "message": "boom"}, 500)
    tagged = xml('<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag>'
                 "<Key>env</Key><Value>prod</Value></Tag></TagSet></Tagging>")
    collection, _, bucket, key = _collect_tags(
        tmp_path, **{"kms:ListResourceTags": lambda _: boom,
                     "s3:GetBucketTagging": lambda _: tagged})
    assert bucket.tags == {"env": "prod"}
    assert key.tags is None
    assert [(e.operation, e.code) for e in collection.run.errors] == [
        ("kms:ListResourceTags", "KMSInternalException")]
    assert collection.run.status == "partial"  # a failed read is never a clean run


def test_a_malformed_tag_answer_is_not_observed(tmp_path):
    collection, _, bucket, key = _collect_tags(
        tmp_path, **{"kms:ListResourceTags": lambda _: as_json({"Tags": "owner=security"}),
                     "s3:GetBucketTagging": lambda _: xml("<Tagging/>")})
    assert bucket.tags is None and key.tags is None
    assert {e.operation for e in collection.run.errors} == TAG_CALLS


def test_the_tag_reads_are_granted_when_tags_are_asked_for(sandbox, tmp_path):
    from auditor.checks import compile_check, load_checks
    from auditor.permissions import derive_policy

    checks = [compile_check(c) for c in load_checks()]
    _, sent = scan(sandbox, tmp_path, tags=True)
    adapter = AwsAdapter()
    with_tags = set(derive_policy(adapter, checks, given_options={"region"}, tags=True).operations)
    assert TAG_CALLS <= set(sent) and TAG_CALLS <= with_tags
    assert not TAG_CALLS & set(derive_policy(adapter, checks, given_options={"region"})
                               .operations)
