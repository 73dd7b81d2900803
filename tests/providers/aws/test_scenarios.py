"""Small estates for the branches the demo account cannot hold at once, and failure modes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aws_support import aws_environment, by_name, collect, mocked_estate

from auditor.errors import CredentialsError, EndpointError
from auditor.model import FactState
from auditor.providers._runtime import RetryPolicy
from auditor.providers.aws import AwsAdapter
from auditor.providers.aws._session import AwsSession
from auditor.sandbox.base import RecordedRequest, RecordingServer, Reply

US, EU = "us-east-1", "eu-west-1"
EXPOSURE = {"public_exposure.is_public", "public_exposure.reasons",
            "access_control.acls_disabled"}

ACL_ESTATE = {
    "regions": [US, EU],
    "keys": [{"alias": "us-key", "region": US, "rotation": True}],
    "buckets": [
        {"name": "acl-public", "region": US, "acl": "public-read"},
        {"name": "acl-authenticated", "region": US, "acl": "authenticated-read"},
        {"name": "acl-owner-enforced", "region": US, "ownership": "BucketOwnerEnforced"},
        {"name": "acl-and-policy", "region": EU, "acl": "public-read",
         "policy": ["public-read"]},
        {"name": "eu-bucket-us-key", "region": EU,
         "encryption": {"algorithm": "aws:kms", "key": "us-key", "key_region": US}},
        {"name": "replicates-abroad", "region": EU, "versioning": "Enabled",
         "replication": "bucket-of-someone-else"},
    ],
}


def test_public_acls_count_when_the_account_does_not_block_them(tmp_path: Path) -> None:
    with mocked_estate(ACL_ESTATE, tmp_path):
        collection = collect({"region": [US, EU]}, {
            "storage.bucket": EXPOSURE | {"key_custody.level", "key_rotation.enabled",
                                          "data_residency.replication_jurisdictions",
                                          "data_residency.replication_destinations"},
            "kms.key": {"key.manager"}})
    buckets = by_name(collection, "storage.bucket")

    def value(name: str, path: str) -> object:
        fact = buckets[name].facts[path]
        assert fact.state is FactState.OBSERVED, (name, path, fact)
        return fact.value

    assert value("acl-public", "public_exposure.reasons") == ["acl"]
    assert value("acl-authenticated", "public_exposure.is_public") is True
    assert value("acl-and-policy", "public_exposure.reasons") == ["acl", "policy"]
    assert value("acl-owner-enforced", "public_exposure.is_public") is False
    assert value("acl-owner-enforced", "access_control.acls_disabled") is True
    assert "BucketOwnerEnforced" in buckets["acl-owner-enforced"].facts[
        "public_exposure.is_public"].detail
    # ACLs are read for every bucket but the one whose ownership controls disable them.
    assert collection.run.api_calls["s3:GetBucketAcl"] == len(ACL_ESTATE["buckets"]) - 1
    # A key in another region than its bucket is described in its own region.
    assert value("eu-bucket-us-key", "key_custody.level") == "customer_kms"
    assert value("eu-bucket-us-key", "key_rotation.enabled") is True
    (key,) = by_name(collection, "kms.key").values()
    assert key.region == US
    # The destination's region cannot be read: the facts are errors, never a guess.
    for path in ("data_residency.replication_jurisdictions",
                 "data_residency.replication_destinations"):
        fact = buckets["replicates-abroad"].facts[path]
        assert fact.state is FactState.ERROR and fact.value is None
        assert "bucket-of-someone-else" in fact.detail and "NoSuchBucket" in fact.detail


def test_rotation_support_needs_no_call_beyond_describe_key(tmp_path: Path) -> None:
    estate = {"regions": [US], "keys": [{"alias": "own", "region": US},
                                        {"alias": "byok", "region": US, "origin": "EXTERNAL"}],
              "buckets": [{"name": "own-key", "region": US,
                           "encryption": {"algorithm": "aws:kms", "key": "own"}},
                          {"name": "byok-key", "region": US,
                           "encryption": {"algorithm": "aws:kms", "key": "byok"}}]}
    with mocked_estate(estate, tmp_path):
        collection = collect({"region": [US]}, {"storage.bucket": {"key_rotation.supported"},
                                                "kms.key": {"key_rotation.supported"}})
    buckets, keys = by_name(collection, "storage.bucket"), by_name(collection, "kms.key")
    assert {n: b.facts["key_rotation.supported"].value for n, b in buckets.items()} == {
        "own-key": True, "byok-key": False}
    assert {n: k.facts["key_rotation.supported"].value for n, k in keys.items()} == {
        "own": True, "byok": False}
    assert all(set(r.facts) == {"key_rotation.supported"} for r in collection.resources)
    calls = collection.run.api_calls
    assert calls["kms:DescribeKey"] == 2
    assert "kms:GetKeyRotationStatus" not in calls and "kms:GetKeyPolicy" not in calls


def test_account_block_neutralizes_public_policy_and_acl(tmp_path: Path) -> None:
    estate = {"regions": [US], "account": {"public_access_block": True},
              "buckets": [{"name": "open-policy", "region": US, "policy": ["public-read"]},
                          {"name": "open-acl", "region": US, "acl": "public-read"}]}
    with mocked_estate(estate, tmp_path):
        collection = collect({"region": [US]}, {
            "storage.bucket": EXPOSURE | {"public_access_block.bucket",
                                          "public_access_block.account",
                                          "public_access_block.effective"},
            "account": {"public_access_block.enabled"}})
    for bucket in by_name(collection, "storage.bucket").values():
        facts = bucket.facts
        assert facts["public_exposure.is_public"].value is False, bucket.name
        assert facts["public_access_block.bucket"].value is False
        assert facts["public_access_block.account"].value is True
        assert facts["public_access_block.effective"].value is True
    assert by_name(collection, "account")["123456789012"].facts[
        "public_access_block.enabled"].value is True
    # Both answers are implied by the account block: neither call is made.
    assert "s3:GetBucketAcl" not in collection.run.api_calls
    assert "s3:GetBucketPolicyStatus" not in collection.run.api_calls


def test_every_enabled_region_by_default(tmp_path: Path) -> None:
    estate = {"buckets": [{"name": "in-virginia", "region": US},
                          {"name": "in-sao-paulo", "region": "sa-east-1"}]}
    with mocked_estate(estate, tmp_path):
        collection = collect({}, {"storage.bucket": {"data_residency.country"}})
    assert collection.run.api_calls["ec2:DescribeRegions"] == 1
    assert {US, "sa-east-1", EU} <= set(collection.run.regions)
    countries = {r.name: r.facts["data_residency.country"].value
                 for r in collection.resources}
    assert countries == {"in-virginia": "US", "in-sao-paulo": "BR"}


def test_denied_region_listing_keeps_every_bucket(tmp_path: Path) -> None:
    """S3 lists buckets globally: without the enabled regions, no bucket is filtered out, and
    keys and EBS settings are read in the buckets' regions plus the session region."""
    estate = {"regions": [US, EU],
              "keys": [{"alias": "eu-key", "region": EU}],
              "buckets": [{"name": "in-virginia", "region": US},
                          {"name": "in-ireland", "region": EU}],
              "scanner": {"deny": [{"action": "ec2:DescribeRegions"}]}}
    with mocked_estate(estate, tmp_path):
        collection = collect({}, {"storage.bucket": {"encryption.enabled"},
                                  "kms.key": {"key.manager"},
                                  "account": {"block_storage_encryption.enabled"}})
    assert collection.run.regions == [EU, US]
    assert sorted(by_name(collection, "storage.bucket")) == ["in-ireland", "in-virginia"]
    assert set(by_name(collection, "kms.key")) == {"eu-key"}
    assert collection.run.api_calls["kms:ListKeys"] == 2
    assert {r.region for r in collection.resources if r.kind == "account"} == {US, EU}
    (error,) = collection.run.errors  # moto says AccessDenied where EC2 says UnauthorizedOperation
    assert error.operation == "ec2:DescribeRegions"
    assert error.code in ("AccessDenied", "UnauthorizedOperation")
    assert error.kind == "listing"  # a coverage gap, not a fact
    assert collection.run.status == "partial"


def test_explicit_regions_still_filter_buckets(tmp_path: Path) -> None:
    estate = {"buckets": [{"name": "in-virginia", "region": US},
                          {"name": "in-ireland", "region": EU}],
              "scanner": {"deny": [{"action": "ec2:DescribeRegions"}]}}
    with mocked_estate(estate, tmp_path):
        collection = collect({"region": [US]}, {"storage.bucket": {"encryption.enabled"}})
    assert [r.name for r in collection.resources] == ["in-virginia"]
    assert "ec2:DescribeRegions" not in collection.run.api_calls
    assert collection.run.status == "complete"


def test_denied_location_keeps_the_bucket_in_scope(tmp_path: Path) -> None:
    estate = {"buckets": [{"name": "where-am-i", "region": EU,
                           "encryption": {"algorithm": "AES256"}}],
              "scanner": {"deny": [{"action": "s3:GetBucketLocation", "bucket": "where-am-i"}]}}
    with mocked_estate(estate, tmp_path):
        collection = collect({"region": [US]}, {"storage.bucket": {
            "encryption.algorithm", "data_residency.region", "data_residency.jurisdiction"}})
    (bucket,) = collection.resources
    assert bucket.region == "unknown"  # it cannot be shown to be outside the scope
    assert bucket.facts["encryption.algorithm"].value == "AES256"
    for path in ("data_residency.region", "data_residency.jurisdiction"):
        assert bucket.facts[path].state is FactState.DENIED
        assert bucket.facts[path].source == ("s3:GetBucketLocation",)


def test_denied_bucket_listing_is_a_coverage_gap_not_a_clean_estate(tmp_path: Path) -> None:
    """No bucket can be listed: a listing failure of a partial run (never zero buckets of a
    complete one), while the account settings are still read."""
    estate = {"buckets": [{"name": "unseen", "region": US}],
              "scanner": {"deny": [{"action": "s3:ListAllMyBuckets"}]}}
    with mocked_estate(estate, tmp_path):
        collection = collect({"region": [US]}, {"storage.bucket": {"encryption.enabled"},
                                                "account": {"public_access_block.enabled"}})
    assert [r.kind for r in collection.resources] == ["account"]
    assert collection.run.status == "partial"
    gaps = [(e.operation, e.code, e.kind) for e in collection.run.errors]
    assert gaps == [("s3:ListBuckets", "AccessDenied", "listing")]


_DENIED_LOCATION_ESTATE = {
    "keys": [{"alias": "eu-key", "region": EU, "rotation": True}],
    "buckets": [
        {"name": "by-alias", "region": EU,
         "encryption": {"algorithm": "aws:kms", "key": "alias/eu-key"}},
        {"name": "by-default-key", "region": EU, "encryption": {"algorithm": "aws:kms"}},
        {"name": "by-arn", "region": EU, "encryption": {"algorithm": "aws:kms", "key": "eu-key"}},
    ],
    "scanner": {"deny": [{"action": "s3:GetBucketLocation"}]},
}


def test_denied_location_leaves_a_relative_key_unresolved(tmp_path: Path) -> None:
    """A bare alias resolves in the bucket's (unknown) region: no DescribeKey elsewhere."""
    with mocked_estate(_DENIED_LOCATION_ESTATE, tmp_path):
        collection = collect({"region": [EU]}, {"storage.bucket": {
            "encryption.key_id", "key_custody.level", "key_custody.hsm",
            "key_rotation.enabled", "key_rotation.period_days", "key_rotation.supported"}})
    buckets = by_name(collection, "storage.bucket")
    profile = AwsAdapter().exposure_profile()
    for name in ("by-alias", "by-default-key"):
        assert buckets[name].region == "unknown"
        for path in ("key_custody.level", "key_custody.hsm", "key_rotation.enabled",
                     "key_rotation.period_days", "key_rotation.supported"):
            fact = buckets[name].facts[path]
            assert fact.state is FactState.DENIED, (name, path, fact)
            assert "s3:GetBucketLocation" in fact.source
            assert "region is unknown" in fact.detail
            assert set(fact.source) <= set(profile["storage.bucket"][path].operations)
    # A key ARN names its region: that key is still described, once.
    assert buckets["by-arn"].facts["key_custody.level"].value == "customer_kms"
    assert buckets["by-arn"].facts["key_rotation.enabled"].value is True
    assert collection.run.api_calls["kms:DescribeKey"] == 1


def test_wrong_external_id_cannot_assume_the_role(tmp_path: Path) -> None:
    estate = {"buckets": [], "scanner": {"role": {"name": "audit", "external_id": "right"}}}
    with mocked_estate(estate, tmp_path) as scanner:
        with pytest.raises(CredentialsError, match="AssumeRole"):
            collect({"region": [US], "role_arn": scanner["role_arn"], "external_id": "wrong"})
        ok = collect({"region": [US], "role_arn": scanner["role_arn"], "external_id": "right"},
                     {"storage.bucket": {"encryption.enabled"}})
    assert ok.run.status == "complete" and ok.run.api_calls["s3:ListBuckets"] == 1


def test_no_credentials_is_a_credentials_error(tmp_path: Path) -> None:
    with aws_environment(tmp_path) as mp:
        mp.delenv("AWS_ACCESS_KEY_ID")
        mp.delenv("AWS_SECRET_ACCESS_KEY")
        with pytest.raises(CredentialsError, match="no usable credentials"):
            collect({"region": [US]})


def test_unknown_profile_is_a_credentials_error(tmp_path: Path) -> None:
    with aws_environment(tmp_path), pytest.raises(CredentialsError, match="profile not found"):
        collect({"region": [US], "profile": "nobody"})


def test_unreachable_endpoint_is_an_endpoint_error(tmp_path: Path) -> None:
    server = RecordingServer(lambda request: Reply())
    server.start()
    url = server.url
    server.stop()  # the port is now closed
    with aws_environment(tmp_path, AWS_ENDPOINT_URL=url, AWS_MAX_ATTEMPTS="1"), \
            pytest.raises(EndpointError, match="unreachable"):
        collect({"region": [US]})


_S3 = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
_IDENTITY = (b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
             b"<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/x</Arn>"
             b"<UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>"
             b"</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId>"
             b"</ResponseMetadata></GetCallerIdentityResponse>")


def _failing_s3(request: RecordedRequest) -> Reply:
    """STS and S3 answers in the providers' shapes; encryption reads fail with 503 / 500."""
    if request.method == "POST":
        return Reply(200, _IDENTITY, "text/xml")
    bucket = request.path.strip("/")
    if not bucket:
        body = (f"<ListAllMyBucketsResult {_S3}><Buckets>"
                "<Bucket><Name>slow-bucket</Name><CreationDate>2024-01-01T00:00:00Z"
                "</CreationDate></Bucket><Bucket><Name>broken-bucket</Name><CreationDate>"
                "2024-01-01T00:00:00Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>")
        return Reply(200, body.encode(), "application/xml")
    if "location" in request.query:
        return Reply(200, f"<LocationConstraint {_S3}>{EU}</LocationConstraint>".encode(),
                     "application/xml")
    code, status = ("SlowDown", 503) if bucket == "slow-bucket" else ("InternalError", 500)
    body = f"<Error><Code>{code}</Code><Message>try later</Message></Error>"
    return Reply(status, body.encode(), "application/xml")


def test_throttling_and_5xx_are_retried_then_error(tmp_path: Path) -> None:
    """Our RetryingCaller retries (2 attempts here); botocore makes one attempt per ours, so
    AWS_MAX_ATTEMPTS no longer multiplies them and every attempt is in the ledger."""
    server = RecordingServer(_failing_s3, allowed_methods=frozenset({"GET", "POST"}))
    server.start()
    try:
        with aws_environment(tmp_path, AWS_ENDPOINT_URL=server.url, AWS_MAX_ATTEMPTS="5"):
            collection = collect({"region": [EU]}, {"storage.bucket": {"encryption.enabled"}},
                                 retry=RetryPolicy(2, 0.001, 0.002))
    finally:
        server.stop()
    facts = {r.name: r.facts["encryption.enabled"] for r in collection.resources}
    assert facts["slow-bucket"].state is FactState.ERROR
    assert facts["slow-bucket"].detail.startswith("SlowDown")
    assert facts["broken-bucket"].state is FactState.ERROR
    assert facts["broken-bucket"].detail.startswith("InternalError")
    tries = [(r.path, re.search(r"attempt=\d+", r.headers["amz-sdk-request"]).group())
             for r in server.requests() if "encryption" in r.query]
    assert sorted(tries) == [("/broken-bucket", "attempt=1"), ("/broken-bucket", "attempt=1"),
                             ("/slow-bucket", "attempt=1"), ("/slow-bucket", "attempt=1")]
    assert collection.run.api_calls["s3:GetBucketEncryption"] == 4  # every attempt
    assert "gave up after 2 attempts" in facts["slow-bucket"].detail


def test_botocore_retries_stay_off_and_pool_follows_configuration(tmp_path: Path) -> None:
    # Retries are the shared RetryingCaller's: no profile or environment turns botocore's on.
    with aws_environment(tmp_path, AWS_RETRY_MODE="adaptive", AWS_MAX_ATTEMPTS="7"):
        session = AwsSession(max_workers=24)
    assert session.config.retries == {"total_max_attempts": 1, "mode": "standard"}
    assert session.config.max_pool_connections == 24
    with aws_environment(tmp_path):
        assert AwsSession().config.retries == {"total_max_attempts": 1, "mode": "standard"}


def test_assumed_role_credentials_refresh_before_expiry(tmp_path: Path) -> None:
    """A long scan must not fail when the first role credentials expire."""
    from botocore.credentials import RefreshableCredentials

    from auditor.providers.aws._session import AwsSession

    estate = {"buckets": [], "scanner": {"role": {"name": "audit", "external_id": "ext-id"}}}
    with mocked_estate(estate, tmp_path) as scanner:
        session = AwsSession(role_arn=scanner["role_arn"], external_id="ext-id")
        credentials = session.session.get_credentials()
        assert isinstance(credentials, RefreshableCredentials)
        assert credentials.get_frozen_credentials().access_key.startswith("ASIA")
        credentials._expiry_time = credentials._expiry_time.replace(year=2000)  # force expiry
        assert credentials.refresh_needed()
        assert credentials.get_frozen_credentials().access_key.startswith("ASIA")
        assert not credentials.refresh_needed(), "refreshed to a future expiry"


_KEY_ARN = f"arn:aws:kms:{EU}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
_KMS_JSON = "application/x-amz-json-1.1"


def _kms_reply(target: str, body: dict) -> Reply:
    """KMS answers in the API reference's shapes; the second ListKeys page fails."""
    if target == "ListKeys":
        if body.get("Marker"):
            return Reply(500, b'{"__type": "KMSInternalException", "message": "try later"}',
                         _KMS_JSON)
        page = {"Keys": [{"KeyId": _KEY_ARN.rsplit("/", 1)[-1], "KeyArn": _KEY_ARN}],
                "Truncated": True, "NextMarker": "page-2"}
    elif target == "ListAliases":
        page = {"Aliases": [], "Truncated": False}
    else:  # DescribeKey
        page = {"KeyMetadata": {"KeyId": _KEY_ARN.rsplit("/", 1)[-1], "Arn": _KEY_ARN,
                                "KeyManager": "CUSTOMER", "Origin": "AWS_KMS",
                                "KeyState": "Enabled"}}
    return Reply(200, json.dumps(page).encode(), _KMS_JSON)


def _paged_listings(request: RecordedRequest) -> Reply:
    """STS, S3 and KMS: the first page of each listing answers, the next one fails."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    target = headers.get("x-amz-target", "")
    if target:
        return _kms_reply(target.rsplit(".", 1)[-1], json.loads(request.body or b"{}"))
    if request.method == "POST":
        return Reply(200, _IDENTITY, "text/xml")
    bucket = request.path.strip("/")
    if not bucket:
        if "continuation-token" in request.query:
            body = "<Error><Code>InternalError</Code><Message>try later</Message></Error>"
            return Reply(500, body.encode(), "application/xml")
        body = (f"<ListAllMyBucketsResult {_S3}><Buckets><Bucket><Name>first-page</Name>"
                "<CreationDate>2024-01-01T00:00:00Z</CreationDate></Bucket></Buckets>"
                "<ContinuationToken>page-2</ContinuationToken></ListAllMyBucketsResult>")
        return Reply(200, body.encode(), "application/xml")
    if "location" in request.query:
        return Reply(200, f"<LocationConstraint {_S3}>{EU}</LocationConstraint>".encode(),
                     "application/xml")
    body = ("<Error><Code>ServerSideEncryptionConfigurationNotFoundError</Code>"
            "<Message>none</Message></Error>")
    return Reply(404, body.encode(), "application/xml")


def test_failed_later_pages_are_listing_gaps(tmp_path: Path) -> None:
    """What the first pages listed is kept; the failed pages are recorded as listing gaps."""
    server = RecordingServer(_paged_listings, allowed_methods=frozenset({"GET", "POST"}))
    server.start()
    try:
        with aws_environment(tmp_path, AWS_ENDPOINT_URL=server.url):
            collection = collect({"region": [EU]}, {"storage.bucket": {"encryption.enabled"},
                                                    "kms.key": {"key.manager"}},
                                 retry=RetryPolicy(max_attempts=1))
    finally:
        server.stop()
    assert by_name(collection, "storage.bucket")["first-page"].facts[
        "encryption.enabled"].value is False
    assert by_name(collection, "kms.key")["1234abcd-12ab-34cd-56ef-1234567890ab"].facts[
        "key.manager"].value == "customer"
    gaps = sorted((e.operation, e.code, e.scope, e.kind) for e in collection.run.errors)
    assert gaps == [("kms:ListKeys", "KMSInternalException", f"kms/{EU}", "listing"),
                    ("s3:ListBuckets", "InternalError", "s3", "listing")]
    assert collection.run.status == "partial"
    assert collection.run.api_calls["s3:ListBuckets"] == 2
    assert collection.run.api_calls["kms:ListKeys"] == 2
