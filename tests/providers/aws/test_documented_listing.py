"""The stand-in's ListBuckets answers as the Amazon S3 API Reference documents (ListBuckets,
Response Syntax; botocore's s3 model): every bucket with its BucketRegion, a
ContinuationToken while more buckets follow, the Prefix echoed. moto's HTTP server gets it
(auditor/providers/aws/sandbox/_documented.py); moto in-process keeps its own listing, which
is where the adapter's GetBucketLocation fallback is tested (test_request_budget.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_support import aws_environment

from auditor.providers.aws.sandbox._documented import documented_answers

REGIONS = {"lst-a-us": "us-east-1", "lst-b-eu": "eu-west-1", "lst-c-de": "eu-central-1",
           "lst-d-us": "us-east-1", "other-e-eu": "eu-west-1"}
_KEYS = {"aws_access_key_id": "listing", "aws_secret_access_key": "listing"}


def make_buckets(client: Any) -> None:
    for name, region in REGIONS.items():
        where = {} if region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": region}}
        client.create_bucket(Bucket=name, **where)


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    """moto's HTTP server (as the sandbox runs it) with five buckets in three regions."""
    from moto.server import ThreadedMotoServer

    documented_answers()
    box = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    box.start()
    try:
        host, port = box.get_host_and_port()
        client = boto3.client("s3", region_name="us-east-1",
                              endpoint_url=f"http://{host}:{port}", **_KEYS)
        make_buckets(client)
        yield client
    finally:
        box.stop()


def test_every_bucket_carries_its_region(server: Any) -> None:
    answer = server.list_buckets()
    assert {b["Name"]: b["BucketRegion"] for b in answer["Buckets"]} == REGIONS
    assert "ContinuationToken" not in answer  # all of them fit one page


def test_pages_follow_the_continuation_token_to_every_bucket(server: Any) -> None:
    pages = list(server.get_paginator("list_buckets").paginate(
        PaginationConfig={"PageSize": 2}))
    assert [len(p["Buckets"]) for p in pages] == [2, 2, 1]
    assert ["ContinuationToken" in p for p in pages] == [True, True, False]
    names = [b["Name"] for p in pages for b in p["Buckets"]]
    assert sorted(names) == sorted(REGIONS) and len(names) == len(set(names))


def test_prefix_and_region_filters_hold_on_every_page(server: Any) -> None:
    answer = server.list_buckets(Prefix="lst-", MaxBuckets=2)
    assert answer["Prefix"] == "lst-"
    assert [b["Name"] for b in answer["Buckets"]] == ["lst-a-us", "lst-b-eu"]
    rest = server.list_buckets(Prefix="lst-", MaxBuckets=2,
                               ContinuationToken=answer["ContinuationToken"])
    assert [b["Name"] for b in rest["Buckets"]] == ["lst-c-de", "lst-d-us"]
    assert "ContinuationToken" not in rest
    eu = server.list_buckets(BucketRegion="eu-west-1")
    assert {b["Name"] for b in eu["Buckets"]} == {"lst-b-eu", "other-e-eu"}


def test_moto_in_process_keeps_its_own_listing(tmp_path: Path) -> None:
    """The fallback's ground: if moto ever sends BucketRegion itself, this says so (and the
    fallback test in test_request_budget.py needs another listing without it)."""
    from moto import mock_aws

    documented_answers()
    with aws_environment(tmp_path), mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        make_buckets(client)
        answer = client.list_buckets()
    assert sorted(b["Name"] for b in answer["Buckets"]) == sorted(REGIONS)
    assert not [b for b in answer["Buckets"] if "BucketRegion" in b]
