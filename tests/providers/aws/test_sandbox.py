"""The demo estate in a moto server (AwsSandbox), scanned through AWS_ENDPOINT_URL.

moto's request recorder proves what the adapter sent: reads only, and how many per bucket.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from aws_support import aws_environment, by_name, collect

from auditor.model import FactState
from auditor.providers.aws import AwsAdapter
from auditor.providers.aws.sandbox import AwsSandbox
from auditor.providers.base import Collection, CollectRequest
from auditor.sandbox.base import RecordedRequest

# calls per bucket, without skips: 10 configuration reads (the location is in the listing)
MAX_PER_BUCKET = 10


@pytest.fixture(scope="module")
def sandbox(demo: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[AwsSandbox]:
    box = AwsSandbox()
    box.start()
    try:
        box.seed({"aws": demo})
        with aws_environment(tmp_path_factory.mktemp("aws"), **box.environment()):
            yield box
    finally:
        box.stop()


@pytest.fixture(scope="module")
def scan(sandbox: AwsSandbox) -> tuple[Collection, list[RecordedRequest]]:
    sandbox.reset_requests()
    collection = collect(sandbox.scan_options())
    return collection, sandbox.requests()


def bucket_of(request: RecordedRequest) -> str | None:
    """The bucket a path-style S3 request addresses."""
    if not request.action.startswith("s3:") or request.path in ("", "/"):
        return None
    return request.path.strip("/").split("/", 1)[0]


def test_sandbox_contract(sandbox: AwsSandbox, demo: dict) -> None:
    assert sandbox.scan_options() == {"region": demo["regions"]}
    env = sandbox.environment()
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"} <= set(env)




def test_recorder_and_ledger_agree(scan: tuple) -> None:
    collection, requests = scan
    recorded = Counter(r.action for r in requests)
    assert recorded == Counter(collection.run.api_calls)


def test_the_listing_carries_every_region_so_no_location_is_read(scan: tuple, demo: dict) -> None:
    """The stand-in's ListBuckets answers with BucketRegion, as S3 does: the region facts come
    from the listing and no GetBucketLocation is sent (the fallback is tested in-process,
    where moto keeps its own listing: test_request_budget)."""
    collection, requests = scan
    assert not [r for r in requests if r.action == "s3:GetBucketLocation"]
    buckets = by_name(collection, "storage.bucket")
    assert set(buckets) == {b["name"] for b in demo["buckets"]}
    for bucket in demo["buckets"]:
        fact = buckets[bucket["name"]].facts["data_residency.region"]
        assert (fact.value, fact.source) == (bucket["region"], ("s3:ListBuckets",))


def test_requests_per_bucket(scan: tuple, demo: dict) -> None:
    _, requests = scan
    per_bucket = Counter(b for r in requests if (b := bucket_of(r)))
    assert set(per_bucket) == {b["name"] for b in demo["buckets"]}
    assert max(per_bucket.values()) <= MAX_PER_BUCKET
    # ACLs: the account ignores public ACLs, so no GetBucketAcl at all.
    assert not [r for r in requests if r.action == "s3:GetBucketAcl"]
    # never versioned, no policy: the six reads every bucket needs (encryption, PAB, policy,
    # ownership, logging, versioning; no location, policy status, Object Lock or replication)
    every = 6
    assert per_bucket["demo-us-plain"] == every
    # public policy: + GetBucketPolicyStatus
    assert per_bucket["demo-us-public-policy"] == every + 1
    # versioned and blocked by its own PAB (no policy status): + lock + replication
    assert per_bucket["demo-us-sse-s3"] == every + 2
    assert per_bucket["demo-eu-replicated-to-us"] == every + 2
    total = sum(per_bucket.values())
    print(f"\nrequests per bucket: {total / len(per_bucket):.2f} "
          f"({total} bucket requests, {len(requests)} in all, {len(per_bucket)} buckets)")


def test_s3control_reaches_the_stand_in_without_an_account_label(scan: tuple,
                                                                  sandbox: AwsSandbox) -> None:
    collection, requests = scan
    (control,) = [r for r in requests if r.action == "s3control:GetPublicAccessBlock"]
    assert control.headers["host"] == sandbox.url.removeprefix("http://")
    assert control.headers["x-amz-account-id"] == "123456789012"
    account = by_name(collection, "account")["123456789012"]
    fact = account.facts["public_access_block.enabled"]
    assert fact.state is FactState.OBSERVED and fact.value is False
    assert collection.run.endpoint_overridden is True


def test_unimplemented_ebs_default_key_is_an_error_fact(scan: tuple, demo: dict) -> None:
    collection, _ = scan
    accounts = by_name(collection, "account")
    for region in demo["regions"]:
        fact = accounts[f"123456789012/{region}"].facts["block_storage_encryption.key_id"]
        assert fact.state is FactState.ERROR and fact.value is None
        assert fact.source == ("ec2:GetEbsDefaultKmsKeyId",)
        assert "UnparsableResponse" in fact.detail
    assert collection.run.status == "partial"


def test_same_facts_as_in_process(scan: tuple) -> None:
    collection, _ = scan
    buckets = by_name(collection, "storage.bucket")
    assert buckets["demo-us-public-policy"].facts["public_exposure.reasons"].value == ["policy"]
    assert buckets["demo-de-compliance"].facts["immutability.locked"].value is True
    assert buckets["demo-us-hidden-key"].facts["key_custody.level"].state is FactState.DENIED
    assert buckets["demo-eu-denied-logging"].facts["access_logging.enabled"].state is \
        FactState.DENIED
    assert buckets["demo-sg-xks"].facts["key_custody.level"].value == "external"




def test_only_wanted_facts_are_collected(scan: tuple, sandbox: AwsSandbox, demo: dict) -> None:
    sandbox.reset_requests()
    assert sandbox.requests() == []
    progress: list[tuple[str, int, int | None]] = []
    collection = AwsAdapter().collect(CollectRequest(
        options=sandbox.scan_options(), facts={"storage.bucket": frozenset({"encryption.enabled"})},
        max_workers=4, progress=lambda *event: progress.append(event)))
    actions = Counter(r.action for r in sandbox.requests())
    count = len(demo["buckets"])
    assert actions == Counter({"sts:GetCallerIdentity": 1, "s3:ListBuckets": 1,
                               "s3:GetBucketEncryption": count})
    assert {r.kind for r in collection.resources} == {"storage.bucket"}
    assert all(set(r.facts) == {"encryption.enabled"} for r in collection.resources)
    assert progress[0] == ("aws", 0, count)
    assert sorted(done for _, done, _ in progress) == list(range(count + 1))

    sandbox.reset_requests()
    collect(sandbox.scan_options(), {"storage.bucket": {"key_custody.level"}})
    actions = Counter(r.action for r in sandbox.requests())
    assert set(actions) == {"sts:GetCallerIdentity", "s3:ListBuckets",
                            "s3:GetBucketEncryption", "kms:ListAliases", "kms:DescribeKey"}


def test_assume_role_with_external_id(scan: tuple, sandbox: AwsSandbox, demo: dict) -> None:
    sandbox.reset_requests()
    external_id = demo["scanner"]["role"]["external_id"]
    collection = collect({**sandbox.scan_options(), "role_arn": sandbox.role_arn,
                          "external_id": external_id},
                         {"storage.bucket": {"tls_enforced.required"}})
    (assume,) = [r for r in sandbox.requests() if r.action == "sts:AssumeRole"]
    form = parse_qs(assume.body.decode())
    assert form["ExternalId"] == [external_id]
    assert form["RoleArn"] == [sandbox.role_arn]
    # The role has no deny: the fact the user may not read is observed through the role.
    fact = by_name(collection, "storage.bucket")["demo-us-denied-policy"].facts[
        "tls_enforced.required"]
    assert fact.state is FactState.OBSERVED and fact.value is True
