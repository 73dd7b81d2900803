"""Answers the stand-ins cannot produce: missing fields, odd shapes, error translation."""

from __future__ import annotations

import subprocess
import sys

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from auditor.errors import (
    AccessDenied,
    CredentialsError,
    EndpointError,
    NotConfigured,
    NotFound,
    ServiceError,
    Throttled,
)
from auditor.model import FactState
from auditor.providers._runtime import Outcome
from auditor.providers.aws._bucket import BucketContext, bucket_facts, key_reference
from auditor.providers.aws._errors import provider_failure, scrub, translate
from auditor.providers.aws._kms import KeyInfo
from auditor.providers.aws._normalize import key_facts
from auditor.providers.aws._s3 import BucketRaw

ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def client_error(code: str, status: int, message: str = "msg") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


@pytest.mark.parametrize(("operation", "code", "status", "kind"), [
    ("s3:Op", "AccessDenied", 403, AccessDenied),
    ("s3:Op", "AllAccessDisabled", 403, AccessDenied),
    ("kms:Op", "AccessDeniedException", 400, AccessDenied),
    ("s3:Op", "SomethingForbidden", 403, AccessDenied),
    ("s3:GetBucketPolicy", "NoSuchBucketPolicy", 404, NotConfigured),
    ("s3:GetBucketPolicyStatus", "NoSuchBucketPolicy", 404, NotConfigured),
    ("s3:GetBucketEncryption", "ServerSideEncryptionConfigurationNotFoundError", 404,
     NotConfigured),
    ("s3:GetPublicAccessBlock", "NoSuchPublicAccessBlockConfiguration", 404, NotConfigured),
    ("s3control:GetPublicAccessBlock", "NoSuchPublicAccessBlockConfiguration", 404,
     NotConfigured),
    ("s3:GetObjectLockConfiguration", "ObjectLockConfigurationNotFoundError", 404,
     NotConfigured),
    ("s3:GetBucketReplication", "ReplicationConfigurationNotFoundError", 404, NotConfigured),
    ("s3:GetBucketOwnershipControls", "OwnershipControlsNotFoundError", 404, NotConfigured),
    ("kms:GetKeyRotationStatus", "UnsupportedOperationException", 400, NotConfigured),
    # A "not configured" code on an operation that does not document it is a failure.
    ("s3:GetBucketEncryption", "NoSuchLifecycleConfiguration", 404, ServiceError),
    ("s3:GetBucketAcl", "NoSuchBucketPolicy", 404, ServiceError),
    ("kms:DescribeKey", "UnsupportedOperationException", 400, ServiceError),
    ("kms:GetKeyPolicy", "UnsupportedOperationException", 400, ServiceError),
    ("s3:Op", "NoSuchBucket", 404, NotFound),
    ("kms:Op", "NotFoundException", 400, NotFound),
    ("s3:Op", "SlowDown", 503, Throttled),
    ("kms:Op", "ThrottlingException", 400, Throttled),
    ("s3:Op", "InternalError", 500, ServiceError),
    ("s3:Op", "InvalidRequest", 400, ServiceError),
])
def test_translate(operation: str, code: str, status: int, kind: type) -> None:
    error = translate(client_error(code, status), operation)
    assert type(error) is kind
    assert error.operation == operation and error.code == code


def test_unexpected_unsupported_operation_is_an_error_fact() -> None:
    """UnsupportedOperationException means "cannot rotate" only for GetKeyRotationStatus."""
    error = translate(client_error("UnsupportedOperationException", 400), "kms:GetKeyPolicy")
    info = key({"Arn": ARN, "KeyManager": "CUSTOMER", "Origin": "AWS_KMS",
                "KeyState": "Enabled"})
    info.policy = Outcome("kms:GetKeyPolicy", error=error)
    fact = key_facts(info, lambda p: p == "key_exposure.is_public")["key_exposure.is_public"]
    assert fact.state is FactState.ERROR and fact.value is None
    assert fact.detail.startswith("UnsupportedOperationException")


def test_translate_connection_failure_and_provider_failures() -> None:
    exc = EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
    assert isinstance(translate(exc, "s3:Op"), ServiceError)
    assert isinstance(provider_failure(exc, "sts"), EndpointError)
    assert isinstance(provider_failure(client_error("InvalidClientTokenId", 403), "sts"),
                      CredentialsError)
    assert provider_failure(client_error("InternalError", 500), "sts") is None


def test_no_access_key_in_messages() -> None:
    text = "The key AKIAIOSFODNN7EXAMPLE is not valid for ASIAXXXXXXXXXXXXXXXX"
    assert "AKIA" not in scrub(text) and "ASIA" not in scrub(text)
    error = translate(client_error("AccessDenied", 403, text), "s3:Op")
    assert "AKIAIOSFODNN7EXAMPLE" not in str(error)


def key(metadata: dict, rotation: Outcome | None = None, aliases: list | None = None) -> KeyInfo:
    return KeyInfo(ARN, "eu-west-1", Outcome("kms:DescribeKey", {"KeyMetadata": metadata}),
                   aliases or [], rotation)


def test_describe_key_without_optional_fields() -> None:
    # moto omits MultiRegion; AWS may omit KeySpec on old keys: neither is needed.
    info = key({"Arn": ARN, "KeyId": "1234", "KeyManager": "CUSTOMER", "Origin": "AWS_KMS",
                "KeyState": "Enabled"},
               Outcome("kms:GetKeyRotationStatus", {"KeyRotationEnabled": True,
                                                   "RotationPeriodInDays": 90}))
    facts = key_facts(info, lambda path: True)
    values = {p: f.value for p, f in facts.items() if p != "key_exposure.is_public"}
    assert values == {"key.manager": "customer", "key.state": "enabled",
                      "key_custody.level": "customer_kms", "key_custody.hsm": True,
                      "key_rotation.enabled": True, "key_rotation.period_days": 90,
                      "key_rotation.supported": True}  # no KeySpec: SYMMETRIC_DEFAULT
    assert facts["key_exposure.is_public"].state is FactState.ERROR  # policy never read


def test_describe_key_missing_essentials_is_an_error_not_a_crash() -> None:
    facts = key_facts(key({"Arn": ARN}), lambda path: True)
    for path in ("key.manager", "key.state", "key_custody.level", "key_custody.hsm",
                 "key_rotation.supported"):
        assert facts[path].state is FactState.ERROR, path
        assert facts[path].value is None


def test_unsupported_rotation_answer_is_observed_off() -> None:
    info = key({"Arn": ARN, "KeyManager": "CUSTOMER", "Origin": "AWS_KMS",
                "KeyState": "Enabled"},
               Outcome("kms:GetKeyRotationStatus", code="UnsupportedOperationException"))
    facts = key_facts(info, lambda p: p.startswith("key_rotation"))
    assert facts["key_rotation.enabled"].value is False
    assert facts["key_rotation.period_days"].value is None
    assert "UnsupportedOperationException" in facts["key_rotation.enabled"].detail


@pytest.mark.parametrize(("origin", "spec", "supported"), [
    ("AWS_KMS", "SYMMETRIC_DEFAULT", True), ("EXTERNAL", "SYMMETRIC_DEFAULT", False),
    ("AWS_CLOUDHSM", "SYMMETRIC_DEFAULT", False), ("EXTERNAL_KEY_STORE", "SYMMETRIC_DEFAULT", False),
    ("AWS_KMS", "RSA_2048", False), ("AWS_KMS", "HMAC_256", False),
    ("AWS_KMS", "ECC_NIST_P256", False)])
def test_rotation_supported_follows_origin_and_key_spec(origin: str, spec: str,
                                                        supported: bool) -> None:
    info = key({"Arn": ARN, "KeyManager": "CUSTOMER", "Origin": origin, "KeySpec": spec,
                "KeyState": "Enabled"})
    fact = key_facts(info, lambda p: p == "key_rotation.supported")["key_rotation.supported"]
    assert fact.state is FactState.OBSERVED and fact.value is supported
    assert fact.source == ("kms:DescribeKey",)
    if not supported:
        assert (origin if origin != "AWS_KMS" else spec) in fact.detail


def test_rotation_supported_carries_a_describe_failure() -> None:
    denied = AccessDenied("kms:DescribeKey", "AccessDeniedException", "no")
    info = KeyInfo(ARN, "eu-west-1", Outcome("kms:DescribeKey", error=denied))
    fact = key_facts(info, lambda p: p == "key_rotation.supported")["key_rotation.supported"]
    assert fact.state is FactState.DENIED and fact.value is None


def test_aws_alias_means_provider_managed() -> None:
    info = key({"Arn": ARN, "KeyManager": "CUSTOMER", "Origin": "AWS_KMS",
                "KeyState": "Enabled"}, aliases=["alias/aws/s3"])
    facts = key_facts(info, lambda p: p in ("key.manager", "key_custody.level"))
    assert facts["key.manager"].value == "provider"
    assert facts["key_custody.level"].value == "provider_kms"


def raw_bucket(**answers: Outcome) -> BucketRaw:
    raw = BucketRaw("b", "eu-west-1", Outcome("s3:GetBucketLocation",
                                             {"LocationConstraint": "eu-west-1"}))
    raw.answers.update(answers)
    return raw


def test_unknown_algorithm_is_an_error() -> None:
    raw = raw_bucket(encryption=Outcome("s3:GetBucketEncryption", {
        "ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:future"}}]}}))
    facts = bucket_facts(raw, "arn:aws:s3:::b", BucketContext(None, {}, {}),
                         lambda p: p.startswith(("encryption", "key_")))
    assert {f.state for f in facts.values()} == {FactState.ERROR}
    assert "aws:future" in facts["encryption.algorithm"].detail


def test_blocked_encryption_types_and_bucket_key_in_detail() -> None:
    raw = raw_bucket(encryption=Outcome("s3:GetBucketEncryption", {
        "ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
             "BucketKeyEnabled": False,
             "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]}}]}}))
    facts = bucket_facts(raw, "arn:aws:s3:::b", BucketContext(None, {}, {}),
                         lambda p: p == "encryption.algorithm")
    assert facts["encryption.algorithm"].value == "AES256"
    assert "BlockedEncryptionTypes=SSE-C" in facts["encryption.algorithm"].detail


def test_disabled_replication_rules_do_not_replicate() -> None:
    raw = raw_bucket(replication=Outcome("s3:GetBucketReplication", {
        "ReplicationConfiguration": {"Rules": [
            {"Status": "Disabled", "Destination": {"Bucket": "arn:aws:s3:::elsewhere"}}]}}))
    facts = bucket_facts(raw, "arn:aws:s3:::b", BucketContext(None, {}, {}),
                         lambda p: p.startswith("data_residency.replication"))
    assert facts["data_residency.replication_destinations"].value == []
    assert facts["data_residency.replication_jurisdictions"].value == []


def test_importing_the_adapter_imports_no_sdk() -> None:
    code = ("import sys, auditor.providers.aws as a; a.AwsAdapter().exposure_profile(); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'moto')];"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def _exposure(pab: Outcome, policy_public: bool | None, acl_public: bool | None) -> dict:
    raw = raw_bucket(pab=pab, ownership=Outcome("s3:GetBucketOwnershipControls",
                                               code="OwnershipControlsNotFoundError"))
    if policy_public is None:
        raw.answers["policy"] = Outcome("s3:GetBucketPolicy", code="NoSuchBucketPolicy")
        raw.skipped["policy_status"] = "no bucket policy"
    else:
        raw.answers["policy"] = Outcome("s3:GetBucketPolicy", {"Policy": "{}"})
        raw.answers["policy_status"] = Outcome("s3:GetBucketPolicyStatus",
                                              {"PolicyStatus": {"IsPublic": policy_public}})
    grantee = {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}
    raw.answers["acl"] = (Outcome("s3:GetBucketAcl", {"Grants": [{"Grantee": grantee}]})
                          if acl_public else Outcome("s3:GetBucketAcl", {"Grants": []}))
    account = Outcome("s3control:GetPublicAccessBlock", code="NoSuchPublicAccessBlockConfiguration")
    return bucket_facts(raw, "arn:aws:s3:::b", BucketContext(account, {}, {}),
                        lambda p: p.startswith("public_exposure"))


DENIED_PAB = Outcome("s3:GetPublicAccessBlock",
                    error=AccessDenied("s3:GetPublicAccessBlock", "AccessDenied", "no"))


def test_public_policy_with_unreadable_block_settings_is_not_decided() -> None:
    facts = _exposure(DENIED_PAB, policy_public=True, acl_public=False)
    for path in ("public_exposure.is_public", "public_exposure.reasons"):
        assert facts[path].state is FactState.DENIED, path
        assert "s3:GetPublicAccessBlock" in facts[path].source


def test_private_everything_needs_no_block_settings() -> None:
    facts = _exposure(DENIED_PAB, policy_public=False, acl_public=False)
    assert facts["public_exposure.is_public"].value is False
    assert facts["public_exposure.reasons"].value == []


def test_is_public_api_answer_is_used_as_given() -> None:
    open_pab = Outcome("s3:GetPublicAccessBlock", code="NoSuchPublicAccessBlockConfiguration")
    facts = _exposure(open_pab, policy_public=True, acl_public=True)
    assert facts["public_exposure.reasons"].value == ["acl", "policy"]
    assert facts["public_exposure.reasons"].basis is None  # IsPublic came from the API


def test_a_known_public_reason_decides_is_public_even_if_another_part_is_unknown() -> None:
    open_pab = Outcome("s3:GetPublicAccessBlock", code="NoSuchPublicAccessBlockConfiguration")
    raw_denied = Outcome("s3:GetBucketAcl", error=AccessDenied("s3:GetBucketAcl", "AccessDenied"))
    raw = raw_bucket(pab=open_pab, acl=raw_denied,
                     ownership=Outcome("s3:GetBucketOwnershipControls",
                                      code="OwnershipControlsNotFoundError"),
                     policy=Outcome("s3:GetBucketPolicy", {"Policy": "{}"}),
                     policy_status=Outcome("s3:GetBucketPolicyStatus",
                                          {"PolicyStatus": {"IsPublic": True}}))
    account = Outcome("s3control:GetPublicAccessBlock", code="NoSuchPublicAccessBlockConfiguration")
    facts = bucket_facts(raw, "arn:aws:s3:::b", BucketContext(account, {}, {}),
                         lambda p: p.startswith("public_exposure"))
    assert facts["public_exposure.is_public"].value is True
    assert "acl not read" in facts["public_exposure.is_public"].detail
    # The reasons are every way in: with the ACL unread they are not known (runtime derive),
    # never a partial list standing for the whole; the detail names what was not read.
    reasons = facts["public_exposure.reasons"]
    assert reasons.state is FactState.DENIED and reasons.value is None
    assert reasons.source[0] == "s3:GetBucketAcl" and "AccessDenied" in reasons.detail


def test_unknown_reason_without_a_known_one_stays_undecided() -> None:
    raw_denied = Outcome("s3:GetBucketAcl", error=AccessDenied("s3:GetBucketAcl", "AccessDenied"))
    raw = raw_bucket(pab=Outcome("s3:GetPublicAccessBlock",
                                code="NoSuchPublicAccessBlockConfiguration"),
                     acl=raw_denied, ownership=Outcome("s3:GetBucketOwnershipControls",
                                                      code="OwnershipControlsNotFoundError"),
                     policy=Outcome("s3:GetBucketPolicy", {"Policy": "{}"}),
                     policy_status=Outcome("s3:GetBucketPolicyStatus",
                                          {"PolicyStatus": {"IsPublic": False}}))
    account = Outcome("s3control:GetPublicAccessBlock", code="NoSuchPublicAccessBlockConfiguration")
    facts = bucket_facts(raw, "arn:aws:s3:::b", BucketContext(account, {}, {}),
                         lambda p: p.startswith("public_exposure"))
    for path in ("public_exposure.is_public", "public_exposure.reasons"):
        assert facts[path].state is FactState.DENIED, path


def test_policy_status_without_a_policy_is_not_public() -> None:
    """GetBucketPolicyStatus answers NoSuchBucketPolicy when GetBucketPolicy could not tell."""
    raw = raw_bucket(pab=Outcome("s3:GetPublicAccessBlock",
                                code="NoSuchPublicAccessBlockConfiguration"),
                     acl=Outcome("s3:GetBucketAcl", {"Grants": []}),
                     ownership=Outcome("s3:GetBucketOwnershipControls",
                                      code="OwnershipControlsNotFoundError"),
                     policy=Outcome("s3:GetBucketPolicy", error=AccessDenied(
                         "s3:GetBucketPolicy", "AccessDenied")),
                     policy_status=Outcome("s3:GetBucketPolicyStatus", code="NoSuchBucketPolicy"))
    account = Outcome("s3control:GetPublicAccessBlock", code="NoSuchPublicAccessBlockConfiguration")
    facts = bucket_facts(raw, "arn:aws:s3:::b", BucketContext(account, {}, {}),
                         lambda p: p.startswith("public_exposure"))
    assert facts["public_exposure.is_public"].value is False
    assert facts["public_exposure.reasons"].value == []
    assert "NoSuchBucketPolicy" in facts["public_exposure.is_public"].detail


@pytest.mark.parametrize(("origin", "hsm"), [
    ("AWS_KMS", True), ("EXTERNAL", True), ("AWS_CLOUDHSM", True), ("EXTERNAL_KEY_STORE", None)])
def test_hsm_flag_follows_the_key_origin(origin: str, hsm: bool | None) -> None:
    info = key({"Arn": ARN, "KeyManager": "CUSTOMER", "Origin": origin, "KeyState": "Enabled"})
    fact = key_facts(info, lambda p: p == "key_custody.hsm")["key_custody.hsm"]
    if hsm is None:  # the key is outside AWS: nothing shows how it is held
        assert fact.state is FactState.OPAQUE and "external key store" in fact.detail
        return
    assert fact.state is FactState.OBSERVED and fact.value is hsm
    assert f"Origin {origin}" in fact.detail
    expected = "CloudHSM" if origin == "AWS_CLOUDHSM" else "FIPS 140-3 Level 3 HSMs"
    assert expected in fact.detail


def test_aws_managed_key_is_in_the_kms_hsms() -> None:
    info = key({"Arn": ARN, "KeyManager": "AWS", "Origin": "AWS_KMS", "KeyState": "Enabled"})
    fact = key_facts(info, lambda p: p == "key_custody.hsm")["key_custody.hsm"]
    assert fact.value is True and "FIPS 140-3 Level 3" in fact.detail


def test_rotation_on_without_a_period_is_the_documented_default() -> None:
    info = key({"Arn": ARN, "KeyManager": "CUSTOMER", "Origin": "AWS_KMS",
                "KeyState": "Enabled"},
               Outcome("kms:GetKeyRotationStatus", {"KeyRotationEnabled": True}))
    facts = key_facts(info, lambda p: p.startswith("key_rotation"))
    assert facts["key_rotation.enabled"].value is True
    period = facts["key_rotation.period_days"]
    assert period.state is FactState.OBSERVED and period.value == 365
    assert "API reference" in period.detail and "default" in period.detail


def _kms_bucket(key_id: str | None, location: Outcome) -> BucketRaw:
    raw = BucketRaw("b", None, location)
    default = {"SSEAlgorithm": "aws:kms"} | ({"KMSMasterKeyID": key_id} if key_id else {})
    raw.answers["encryption"] = Outcome("s3:GetBucketEncryption", {
        "ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": default}]}})
    return raw


@pytest.mark.parametrize("key_id", ["1234abcd-12ab-34cd-56ef-1234567890ab", "alias/mine", None])
def test_unknown_bucket_region_leaves_a_relative_key_unresolved(key_id: str | None) -> None:
    """A bare key id or alias resolves in the bucket's region: with the region unknown, the
    key facts carry the location failure instead of a key guessed in another region."""
    location = Outcome("s3:GetBucketLocation",
                      error=AccessDenied("s3:GetBucketLocation", "AccessDenied", "no"))
    raw = _kms_bucket(key_id, location)
    assert key_reference(raw) is None  # nothing to describe
    other = KeyInfo(key_id or "alias/aws/s3", "us-east-1", Outcome("kms:DescribeKey", {
        "KeyMetadata": {"Arn": ARN, "KeyManager": "CUSTOMER", "Origin": "AWS_KMS"}}))
    ctx = BucketContext(None, {("us-east-1", key_id or "alias/aws/s3"): other}, {})
    facts = bucket_facts(raw, "arn:aws:s3:::b", ctx, lambda p: p.startswith(("key_", "enc")))
    assert facts["encryption.enabled"].value is True
    for path in ("key_custody.level", "key_custody.hsm", "key_rotation.enabled",
                 "key_rotation.period_days", "key_rotation.supported"):
        fact = facts[path]
        assert fact.state is FactState.DENIED and fact.value is None, path
        assert "s3:GetBucketLocation" in fact.source, path
        assert "region is unknown" in fact.detail and "AccessDenied" in fact.detail


def test_unknown_bucket_region_still_resolves_a_key_arn() -> None:
    location = Outcome("s3:GetBucketLocation",
                      error=AccessDenied("s3:GetBucketLocation", "AccessDenied"))
    assert key_reference(_kms_bucket(ARN, location)) == ("eu-west-1", ARN)
