"""Listings are complete or recorded as gaps: a repeated marker, a truncated page without one
or a failing later page stops the listing after a bounded number of requests, records a
listing failure and keeps what the first pages listed (boto3 against answer_stand.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from answer_stand import (
    ACCOUNT,
    KEY_ARN,
    KEY_ID,
    REGION,
    S3_NS,
    Script,
    as_json,
    running_stand,
    xml,
)
from aws_support import collect

from auditor.model import ResourceKind
from auditor.providers._runtime import RetryPolicy

RETRY = RetryPolicy(max_attempts=1)


def _buckets(first: str | None, second: str | None, second_fails: bool = False) -> Script:
    """ListBuckets: page 1 lists bucket-one (+ token ``first``), page 2 bucket-two."""
    def page(name: str, token: str | None) -> str:
        more = f"<ContinuationToken>{token}</ContinuationToken>" if token else ""
        return (f"<ListAllMyBucketsResult {S3_NS}><Buckets><Bucket><Name>{name}</Name>"
                f"<BucketRegion>{REGION}</BucketRegion></Bucket></Buckets>{more}"
                "</ListAllMyBucketsResult>")

    def script(params: dict[str, list[str]]) -> tuple[int, str, bytes]:
        if "continuation-token" not in params:
            return xml(page("bucket-one", first))
        if second_fails:
            return xml("<Error><Code>InternalError</Code><Message>boom</Message></Error>", 500)
        return xml(page("bucket-two", second))
    return script


def _keys(field: str, items: list[dict], first: dict, second: dict | None,
          fail_second: bool = False) -> Script:
    """ListKeys/ListAliases: page 1 is ``items[0]`` + ``first``; page 2 ``items[1]`` + ``second``."""
    def script(params: dict[str, list[str]]) -> tuple[int, str, bytes]:
        if "Marker" not in params:
            return as_json({field: [items[0]], **first})
        if fail_second:
            return as_json({"__type": "KMSInternalException", "message": "boom"}, 500)
        return as_json({field: [items[1]], **(second or {})})
    return script


def _key(n: int) -> dict:
    key_id = f"1234abcd-12ab-34cd-56ef-12345678900{n}"
    return {"KeyId": key_id, "KeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"}


BUCKET_CASES = [
    ("repeated token", _buckets("t1", "t1"), 2, "RepeatedMarker", {"bucket-one", "bucket-two"}),
    ("failing second page", _buckets("t1", None, second_fails=True), 2, "InternalError",
     {"bucket-one"}),
    ("complete", _buckets("t1", None), 2, None, {"bucket-one", "bucket-two"}),
]


@pytest.mark.parametrize(("case", "script", "requests", "code", "names"), BUCKET_CASES,
                         ids=[c[0] for c in BUCKET_CASES])
def test_bucket_listing(tmp_path: Path, case: str, script: Script, requests: int,
                        code: str | None, names: set[str]) -> None:
    with running_stand(tmp_path) as stand:
        stand.scripts["s3:ListBuckets"] = script
        collection = collect({"region": [REGION]}, retry=RETRY)
    assert stand.calls["s3:ListBuckets"] == requests
    assert {r.name for r in collection.resources if r.kind == ResourceKind.BUCKET} == names
    gaps = [(e.operation, e.code) for e in collection.run.errors if e.kind == "listing"]
    assert gaps == ([("s3:ListBuckets", code)] if code else [])
    assert collection.run.status == ("partial" if code else "complete")


def _describe(params: dict[str, list[str]]) -> tuple[int, str, bytes]:
    """DescribeKey of the key asked for (the documented sample, under that key's ARN)."""
    arn = params["KeyId"][0]
    return as_json({"KeyMetadata": {"Arn": arn, "KeyId": arn.rsplit("/", 1)[-1],
                                    "KeyManager": "CUSTOMER", "KeyState": "Enabled",
                                    "Origin": "AWS_KMS", "KeySpec": "SYMMETRIC_DEFAULT"}})


KEY_CASES = [
    ("ListKeys", "Keys", "repeated marker", {"Truncated": True, "NextMarker": "m1"},
     {"Truncated": True, "NextMarker": "m1"}, False, 2, "RepeatedMarker"),
    ("ListKeys", "Keys", "truncated without marker", {"Truncated": True}, None, False, 1,
     "TruncatedWithoutMarker"),
    ("ListKeys", "Keys", "failing second page", {"Truncated": True, "NextMarker": "m1"}, None,
     True, 2, "KMSInternalException"),
    ("ListAliases", "Aliases", "repeated marker", {"Truncated": True, "NextMarker": "a1"},
     {"Truncated": True, "NextMarker": "a1"}, False, 2, "RepeatedMarker"),
    ("ListAliases", "Aliases", "truncated without marker", {"Truncated": True}, None, False, 1,
     "TruncatedWithoutMarker"),
]


@pytest.mark.parametrize(("operation", "field", "case", "first", "second", "fails", "requests",
                          "code"), KEY_CASES, ids=[f"{c[0]}-{c[2]}" for c in KEY_CASES])
def test_key_listing(tmp_path: Path, operation: str, field: str, case: str, first: dict,
                     second: dict | None, fails: bool, requests: int, code: str) -> None:
    if field == "Keys":
        items = [_key(1), _key(2)]
    else:
        # page 1 names the listed key; page 2 (never fully read) another
        items = [{"AliasName": "alias/k1", "TargetKeyId": KEY_ID},
                 {"AliasName": "alias/k2", "TargetKeyId": _key(2)["KeyId"]}]
    with running_stand(tmp_path) as stand:
        stand.scripts[f"kms:{operation}"] = _keys(field, items, first, second, fails)
        stand.scripts["kms:DescribeKey"] = _describe
        collection = collect({"region": [REGION]}, retry=RETRY)
    assert stand.calls[f"kms:{operation}"] == requests  # bounded: never loops
    gaps = [(e.operation, e.code) for e in collection.run.errors if e.kind == "listing"]
    assert gaps == [(f"kms:{operation}", code)]
    keys = [r for r in collection.resources if r.kind == ResourceKind.KEY]
    if field == "Keys":  # the first page's key is kept (described once), the rest is a gap
        assert _key(1)["KeyArn"] in {r.id for r in keys}
        assert stand.calls["kms:DescribeKey"] == len(keys)
    else:  # the key is still there, once, named from the alias page that was listed
        assert [(r.id, r.name) for r in keys] == [(KEY_ARN, "k1")]
        assert keys[0].facts["key.manager"].value == "customer"


def test_a_key_whose_describe_fails_is_one_resource(tmp_path: Path) -> None:
    """The bucket names its key by alias, ListKeys by ARN: one key, described once."""
    with running_stand(tmp_path) as stand:
        stand.answer("s3:GetBucketEncryption", xml(
            f"<ServerSideEncryptionConfiguration {S3_NS}><Rule>"
            "<ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm>"
            "<KMSMasterKeyID>alias/sample</KMSMasterKeyID></ApplyServerSideEncryptionByDefault>"
            "</Rule></ServerSideEncryptionConfiguration>"))
        stand.answer("kms:DescribeKey", as_json(
            {"__type": "KMSInternalException", "message": "boom"}, 500))
        collection = collect({"region": [REGION]}, retry=RETRY)
    keys = [r for r in collection.resources if r.kind == ResourceKind.KEY]
    assert [r.id for r in keys] == [KEY_ARN]
    assert stand.calls["kms:DescribeKey"] == 1
    assert keys[0].facts["key.manager"].state.value == "error"
    bucket = next(r for r in collection.resources if r.kind == ResourceKind.BUCKET)
    assert bucket.facts["key_custody.level"].state.value == "error"
    assert bucket.facts["encryption.algorithm"].value == "KMS"  # the rest is still read


def test_the_call_timeout_bounds_a_call_that_does_not_answer(tmp_path: Path) -> None:
    """CollectRequest.timeout is botocore's read timeout: a silent call is one error fact."""
    import time

    from answer_stand import DOCUMENTED

    from auditor.providers.aws import AwsAdapter
    from auditor.providers.base import CollectRequest

    def slow(_: dict[str, list[str]]) -> tuple[int, str, bytes]:
        time.sleep(20)
        return DOCUMENTED["s3:GetBucketLogging"]

    with running_stand(tmp_path) as stand:
        stand.scripts["s3:GetBucketLogging"] = slow
        started = time.monotonic()
        collection = AwsAdapter(retry=RETRY).collect(CollectRequest(
            options={"region": [REGION]}, max_workers=2, timeout=0.5))
        elapsed = time.monotonic() - started
    bucket = next(r for r in collection.resources if r.kind == ResourceKind.BUCKET)
    assert bucket.facts["access_logging.enabled"].state.value == "error"
    assert bucket.facts["versioning.enabled"].value is True
    assert elapsed < 15, elapsed  # the call gave up at 0.5 s, long before its answer
