"""Failures: account-level settings, missing permissions, bad credentials, dead endpoints.

Each scenario seeds its own stand-in; the adapter still talks to it through the real SDKs.
"""

from __future__ import annotations

import json
import socket

import pytest
from alibaba_support import ACCOUNT, accounts, allow_public, b, buckets, keys, scan

from auditor.errors import (
    AccessDenied,
    CredentialsError,
    EndpointError,
    NotConfigured,
    NotFound,
    ProviderError,
    ServiceError,
    Throttled,
)
from auditor.model import FactState, Inventory
from auditor.providers.alibaba._errors import _classify
from auditor.providers.alibaba.sandbox import ACCESS_KEY_ID, ACCESS_KEY_SECRET

SERVICE_KEY = {"id": "key-svc", "region": "cn-hangzhou", "creator": "Oss",
               "aliases": ["alias/acs/oss"], "rotation": "365d"}
CUSTOMER_KEY = {"id": "key-cust", "region": "cn-hangzhou", "rotation": "90d"}


def section(*bucket_specs, **extra):
    return {"account": ACCOUNT, "keys": [SERVICE_KEY, CUSTOMER_KEY],
            "buckets": list(bucket_specs), **extra}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def account_of(collection):
    return accounts(collection)["global"]


def test_account_level_block_neutralizes_public_buckets(make_ali_sandbox):
    box = make_ali_sandbox(section(b("acl-public", acl="public-read"),
                                   b("policy-public", policy=allow_public("policy-public")),
                                   public_access_block=True))
    collection, _ = scan(box)
    for name in ("acl-public", "policy-public"):
        facts = buckets(collection)[name].facts
        assert facts["public_access_block.bucket"].value is False
        assert facts["public_access_block.account"].value is True
        effective = facts["public_access_block.effective"]
        assert effective.value is True and "account level" in effective.detail
        assert facts["public_exposure.is_public"].value is False
        assert facts["public_exposure.reasons"].value == []
        assert "neutralized" in facts["public_exposure.is_public"].detail
    assert account_of(collection).facts["public_access_block.enabled"].value is True


def test_account_block_denied(make_ali_sandbox):
    box = make_ali_sandbox(section(
        b("blocked", block_public_access=True, acl="public-read"),
        b("open-acl", acl="public-read"), b("private"),
        faults={"GetPublicAccessBlock": 403}))
    collection, _ = scan(box)
    found = buckets(collection)
    blocked, open_acl, private = (found[n].facts for n in ("blocked", "open-acl", "private"))
    assert blocked["public_access_block.account"].state is FactState.DENIED
    assert blocked["public_access_block.effective"].value is True  # the bucket alone decides
    assert blocked["public_exposure.is_public"].value is False
    for facts in (open_acl, private):  # the account block might neutralize them: undecided
        assert facts["public_access_block.effective"].state is FactState.DENIED
        assert facts["public_exposure.is_public"].state is FactState.DENIED
        assert facts["public_exposure.reasons"].state is FactState.DENIED
    assert account_of(collection).facts["public_access_block.enabled"].state is FactState.DENIED


def test_policy_status_denied_but_acl_public(make_ali_sandbox):
    box = make_ali_sandbox(section(b("acl-open", acl="public-read-write",
                                     faults={"GetBucketPolicyStatus": 403})))
    facts = buckets(scan(box)[0])["acl-open"].facts
    assert facts["public_exposure.is_public"].value is True  # the ACL alone proves it
    assert "could not be read" in facts["public_exposure.is_public"].detail
    # The policy document was read instead (none here), so the reason list is complete and
    # says how the policy part was decided.
    reasons = facts["public_exposure.reasons"]
    assert reasons.state is FactState.OBSERVED and reasons.value == ["acl"]
    assert "oss:GetBucketPolicyStatus could not be read (denied" in reasons.detail
    assert "judged by the Block Public Access criteria" in reasons.detail


def test_policy_status_and_policy_denied_keeps_reasons_partial(make_ali_sandbox):
    box = make_ali_sandbox(section(b("acl-open", acl="public-read-write",
                                     faults={"GetBucketPolicyStatus": 403,
                                             "GetBucketPolicy": 403})))
    facts = buckets(scan(box)[0])["acl-open"].facts
    assert facts["public_exposure.is_public"].value is True  # the ACL alone proves it
    reasons = facts["public_exposure.reasons"]
    assert reasons.state is FactState.OBSERVED and reasons.value == ["acl"]
    assert reasons.detail.startswith("partial list")


def test_list_keys_denied_still_describes_bucket_keys(make_ali_sandbox):
    box = make_ali_sandbox(section(b("cust", encryption={"algorithm": "KMS", "key": "key-cust"}),
                                   faults={"ListKeys": 403}))
    collection, _ = scan(box)
    assert set(keys(collection)) == {"key-cust"}
    assert buckets(collection)["cust"].facts["key_rotation.period_days"].value == 90
    assert ("cn-hangzhou", "kms:ListKeys", "Forbidden.NoPermission") in {
        (e.scope, e.operation, e.code) for e in collection.run.errors}


def test_denied_key_is_still_reported(make_ali_sandbox):
    locked = {"id": "key-locked", "region": "cn-hangzhou", "faults": {"DescribeKey": 403}}
    box = make_ali_sandbox({"account": ACCOUNT, "keys": [locked], "faults": {"ListKeys": 403},
                            "buckets": [b("bkt-x", encryption={"algorithm": "KMS",
                                                          "key": "key-locked"})]})
    found = keys(scan(box)[0])
    assert set(found) == {"key-locked"}
    assert {f.state for f in found["key-locked"].facts.values()} == {FactState.DENIED}
    assert found["key-locked"].region == "cn-hangzhou"


def test_service_key_unreadable(make_ali_sandbox):
    box = make_ali_sandbox(section(b("svc", encryption={"algorithm": "KMS"}),
                                   faults={"ListAliases": 403}))
    facts = buckets(scan(box)[0])["svc"].facts
    assert facts["key_custody.level"].value == "provider_kms"  # from the bucket rule alone
    assert facts["key_custody.hsm"].state is FactState.DENIED
    assert facts["key_rotation.enabled"].state is FactState.DENIED


def test_service_key_missing(make_ali_sandbox):
    box = make_ali_sandbox({"account": ACCOUNT, "keys": [CUSTOMER_KEY],
                            "buckets": [b("svc", encryption={"algorithm": "KMS"})]})
    facts = buckets(scan(box)[0])["svc"].facts
    assert facts["key_rotation.enabled"].state is FactState.ERROR
    assert "alias/acs/oss" in facts["key_rotation.enabled"].detail


def test_throttling_that_never_ends_is_an_error(make_ali_sandbox):
    box = make_ali_sandbox(section(b("busy", faults={"GetBucketWorm": "SlowDown"})))
    collection, requests = scan(box)
    fact = buckets(collection)["busy"].facts["immutability.enabled"]
    assert fact.state is FactState.ERROR and fact.detail.startswith("SlowDown")
    assert sum(r.action == "oss:GetBucketWorm" for r in requests) == 4


def test_kms_unreachable_leaves_oss_facts(make_ali_sandbox):
    box = make_ali_sandbox(section(b("cust", encryption={"algorithm": "KMS", "key": "key-cust"})))
    options = {**box.scan_options(), "alibaba_kms_endpoint": f"127.0.0.1:{closed_port()}"}
    collection, _ = scan(box, options=options)
    facts = buckets(collection)["cust"].facts
    assert facts["encryption.key_id"].value == "key-cust"
    assert facts["key_custody.level"].state is FactState.ERROR
    assert facts["key_custody.level"].detail.startswith("NetworkError")


def test_wrong_credentials(make_ali_sandbox):
    box = make_ali_sandbox(section(b("bkt-x")))
    env = {**box.environment(), "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI-not-the-sandbox-key"}
    with pytest.raises(CredentialsError) as caught:
        scan(box, env=env)
    assert "InvalidAccessKeyId" in str(caught.value)
    assert "LTAI-not-the-sandbox-key" not in str(caught.value)


# The answers a failing ListBuckets (GetService) can give, as the OSS API reference's error
# responses document them, and the code each is recorded under.
LISTING_FAILURES = [
    (403, "AccessDenied"),               # the RAM user may not list buckets
    (429, "TooManyRequests"),            # throttled on every retry
    (500, "InternalError"),
    (503, "ServiceUnavailable"),
    ("SlowDown", "SlowDown"),            # OSS's own throttling code (503), every retry
]
ACCOUNT_READS = ("oss:GetPublicAccessBlock", "ecs:DescribeDiskEncryptionByDefaultStatus")
# The regional listings of the storage kinds beyond buckets (every fact wanted).
STORAGE_LISTINGS = ("ecs:DescribeDisks", "ecs:DescribeSnapshots", "ecs:DescribeImages",
                    "nas:DescribeFileSystems", "rds:DescribeDBInstances")


def listing_gaps(collection):
    return {(e.scope, e.operation, e.code) for e in collection.run.errors if e.kind == "listing"}


@pytest.mark.parametrize(("fault", "code"), LISTING_FAILURES,
                         ids=[str(f) for f, _ in LISTING_FAILURES])
def test_a_failed_bucket_listing_is_a_gap_and_the_rest_is_reported(make_ali_sandbox, fault,
                                                                    code):
    box = make_ali_sandbox(section(b("bkt-x"), faults={"ListBuckets": fault},
                                   ecs_default_encryption={"cn-hangzhou": {"encrypted": True}}))
    collection, requests = scan(box)
    assert buckets(collection) == {}
    assert collection.run.status == "partial"
    # Nothing listed names the owner: the account is the one its own keys' ARNs name.
    assert collection.run.accounts == [ACCOUNT]
    assert listing_gaps(collection) == {(ACCOUNT, "oss:ListBuckets", code)}
    assert [e.operation for e in collection.run.errors] == ["oss:ListBuckets"]
    assert sorted(keys(collection)) == ["key-cust", "key-svc"]
    for key in keys(collection).values():
        assert key.account == ACCOUNT
        assert key.facts["key.state"].state is FactState.OBSERVED
        assert key.facts["key_rotation.enabled"].value is True
    found = accounts(collection)
    assert sorted(found) == ["cn-hangzhou", "global"]
    assert {r.id for r in found.values()} == {ACCOUNT, f"{ACCOUNT}/cn-hangzhou"}
    block = found["global"].facts["public_access_block.enabled"]
    assert block.state is FactState.OBSERVED and block.value is False
    disks = found["cn-hangzhou"].facts["block_storage_encryption.enabled"]
    assert disks.state is FactState.OBSERVED and disks.value is True
    # No bucket read follows a listing that named no bucket.
    assert {r.action for r in requests if r.action.startswith("oss:")} == {
        "oss:ListBuckets", "oss:GetPublicAccessBlock"}


def test_a_failed_bucket_listing_without_keys_leaves_the_account_unnamed(make_ali_sandbox):
    box = make_ali_sandbox(section(b("bkt-x"), faults={"ListBuckets": 403}))
    collection, requests = scan(box, facts={
        "account": frozenset({"public_access_block.enabled"})})
    # No listing, no key: nothing names the account, and it is not guessed.
    assert collection.run.accounts == ["unknown"]
    assert listing_gaps(collection) == {("unknown", "oss:ListBuckets", "AccessDenied")}
    fact = account_of(collection).facts["public_access_block.enabled"]
    assert fact.state is FactState.OBSERVED and fact.value is False
    assert "kms:ListKeys" not in {r.action for r in requests}


@pytest.mark.parametrize(("fault", "code"), LISTING_FAILURES[:3],
                         ids=[str(f) for f, _ in LISTING_FAILURES[:3]])
def test_nothing_answered_at_all_is_a_provider_error(make_ali_sandbox, fault, code):
    refused = {"ListBuckets": fault, "GetPublicAccessBlock": fault, "ListKeys": fault,
               "DescribeDiskEncryptionByDefaultStatus": fault,
               **{op.split(":")[1]: fault for op in STORAGE_LISTINGS}}
    box = make_ali_sandbox(section(b("bkt-x"), faults=refused))
    with pytest.raises(ProviderError) as caught:
        scan(box)
    assert not isinstance(caught.value, (CredentialsError, EndpointError))
    message = str(caught.value)
    assert message.startswith(f"alibaba: cannot list buckets: oss:ListBuckets: {code}")
    assert "\n" not in message
    # Every read was tried before the run was given up.
    assert {r.action for r in box.requests()} == {
        "oss:ListBuckets", *ACCOUNT_READS, "kms:ListKeys", *STORAGE_LISTINGS}


def test_a_refused_listing_with_only_bucket_facts_wanted_is_a_provider_error(
        make_ali_sandbox):
    box = make_ali_sandbox(section(b("bkt-x"), faults={"ListBuckets": 403}))
    with pytest.raises(ProviderError, match="cannot list buckets: oss:ListBuckets: "
                                            "AccessDenied"):
        scan(box, facts={"storage.bucket": frozenset({"versioning.enabled"})})
    assert {r.action for r in box.requests()} == {"oss:ListBuckets"}


def test_oss_endpoint_unreachable_alone_is_a_gap(make_ali_sandbox):
    box = make_ali_sandbox(section(b("bkt-x")))
    options = {**box.scan_options(), "oss_endpoint": f"http://127.0.0.1:{closed_port()}"}
    collection, _ = scan(box, options=options)
    assert collection.run.status == "partial"
    assert listing_gaps(collection) == {(ACCOUNT, "oss:ListBuckets", "NetworkError")}
    assert sorted(keys(collection)) == ["key-cust", "key-svc"]
    block = account_of(collection).facts["public_access_block.enabled"]
    assert block.state is FactState.ERROR and block.detail.startswith("NetworkError")
    disks = accounts(collection)["cn-hangzhou"].facts["block_storage_encryption.enabled"]
    assert disks.state is FactState.OBSERVED


def test_every_endpoint_unreachable_is_an_endpoint_error(make_ali_sandbox):
    box = make_ali_sandbox(section(b("bkt-x")))
    options = {**box.scan_options(), **{
        name: f"http://127.0.0.1:{closed_port()}"
        for name in ("oss_endpoint", "alibaba_kms_endpoint", "alibaba_ecs_endpoint",
                     "alibaba_nas_endpoint", "alibaba_rds_endpoint")}}
    with pytest.raises(EndpointError, match="OSS endpoint unreachable") as caught:
        scan(box, options=options)
    assert "\n" not in str(caught.value)
    assert box.requests() == []


def test_no_secret_in_the_inventory(make_ali_sandbox):
    box = make_ali_sandbox(section(b("bkt-x", faults={"GetBucketPolicy": 403}),
                                   b("bkt-y", encryption={"algorithm": "KMS", "key": "key-cust"})))
    collection, _ = scan(box)
    text = json.dumps(Inventory([collection.run], collection.resources).to_dict())
    assert ACCESS_KEY_SECRET not in text and ACCESS_KEY_ID not in text


@pytest.mark.parametrize(("operation", "code", "status", "expected", "retryable"), [
    ("oss:GetBucketPolicy", "AccessDenied", 403, AccessDenied, False),
    ("kms:DescribeKey", "Forbidden.NoPermission", 403, AccessDenied, False),
    ("oss:GetBucketPolicy", "NoSuchBucketPolicy", 404, NotConfigured, False),
    # GetBucketPolicyStatus documents only 200 IsPublic true/false (OSS API reference
    # "GetBucketPolicyStatus"): without a policy it answers false, never a NoSuch code.
    ("oss:GetBucketPolicyStatus", "NoSuchBucketPolicy", 404, ServiceError, False),
    ("oss:GetBucketWorm", "NoSuchWORMConfiguration", 404, NotConfigured, False),
    ("oss:GetBucketEncryption", "NoSuchServerSideEncryptionRule", 404, NotConfigured, False),
    ("oss:GetBucketReplication", "NoSuchReplicationConfiguration", 404, NotConfigured, False),
    ("oss:GetBucketHttpsConfig", "NoSuchHttpsConfig", 404, NotConfigured, False),
    # A documented code of another operation, or an undocumented one, is not "off".
    ("oss:GetBucketPolicy", "NoSuchWORMConfiguration", 404, ServiceError, False),
    ("oss:GetBucketPublicAccessBlock", "NoSuchPublicAccessBlockConfiguration", 404,
     ServiceError, False),
    ("oss:GetPublicAccessBlock", "NoSuchPublicAccessBlockConfiguration", 404, ServiceError,
     False),
    ("oss:GetBucketLogging", "NoSuchBucketLoggingConfiguration", 404, ServiceError, False),
    ("oss:GetBucketHttpsConfig", "NoSuchHttpsConfiguration", 404, ServiceError, False),
    ("oss:GetBucketWorm", "NoSuchBucket", 404, NotFound, False),
    ("kms:DescribeKey", "Forbidden.KeyNotFound", 404, NotFound, False),
    ("oss:GetBucketWorm", "SlowDown", 503, Throttled, True),
    ("kms:ListKeys", "Throttling.User", 400, Throttled, True),
    ("oss:GetBucketPolicy", "InternalError", 500, ServiceError, True),
    ("oss:GetBucketPolicy", "InvalidArgument", 400, ServiceError, False),
    ("ecs:DescribeDiskEncryptionByDefaultStatus", "Forbidden.RAM", 403, AccessDenied, False),
    # ECS answers 403 for a region it does not know or serve: not a denial.
    ("ecs:DescribeDiskEncryptionByDefaultStatus", "InvalidParameter.RegionIdNotExists", 403,
     ServiceError, False),
    ("ecs:DescribeDiskDefaultKMSKeyId", "Abs.InvalidAction.RegionNotSupport", 403,
     ServiceError, False),
])
def test_error_codes_map_onto_the_tree(operation, code, status, expected, retryable):
    error, again = _classify(operation, code, status, "message")
    assert type(error) is expected and again is retryable
    assert (error.operation, error.code) == (operation, code)
