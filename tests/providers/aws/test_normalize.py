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
from auditor.providers.aws._bucket import BucketContext, bucket_facts
from auditor.providers.aws._errors import Answer, provider_failure, scrub, translate
from auditor.providers.aws._kms import KeyInfo
from auditor.providers.aws._normalize import key_facts
from auditor.providers.aws._s3 import BucketRaw

ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def client_error(code: str, status: int, message: str = "msg") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


@pytest.mark.parametrize(("code", "status", "kind"), [
    ("AccessDenied", 403, AccessDenied),
    ("AllAccessDisabled", 403, AccessDenied),
    ("AccessDeniedException", 400, AccessDenied),
    ("SomethingForbidden", 403, AccessDenied),
    ("NoSuchBucketPolicy", 404, NotConfigured),
    ("ServerSideEncryptionConfigurationNotFoundError", 404, NotConfigured),
    ("NoSuchPublicAccessBlockConfiguration", 404, NotConfigured),
    ("ObjectLockConfigurationNotFoundError", 404, NotConfigured),
    ("ReplicationConfigurationNotFoundError", 404, NotConfigured),
    ("OwnershipControlsNotFoundError", 404, NotConfigured),
    ("NoSuchLifecycleConfiguration", 404, NotConfigured),
    ("NoSuchBucket", 404, NotFound),
    ("NotFoundException", 400, NotFound),
    ("SlowDown", 503, Throttled),
    ("ThrottlingException", 400, Throttled),
    ("InternalError", 500, ServiceError),
    ("InvalidRequest", 400, ServiceError),
])
def test_translate(code: str, status: int, kind: type) -> None:
    error = translate(client_error(code, status), "s3:Op")
    assert type(error) is kind
    assert error.operation == "s3:Op" and error.code == code


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


def key(metadata: dict, rotation: Answer | None = None, aliases: list | None = None) -> KeyInfo:
    return KeyInfo(ARN, "eu-west-1", Answer("kms:DescribeKey", {"KeyMetadata": metadata}),
                   aliases or [], rotation)


def test_describe_key_without_optional_fields() -> None:
    # moto omits MultiRegion; AWS may omit KeySpec on old keys: neither is needed.
    info = key({"Arn": ARN, "KeyId": "1234", "KeyManager": "CUSTOMER", "Origin": "AWS_KMS",
                "KeyState": "Enabled"},
               Answer("kms:GetKeyRotationStatus", {"KeyRotationEnabled": True,
                                                   "RotationPeriodInDays": 90}))
    facts = key_facts(info, lambda path: True)
    values = {p: f.value for p, f in facts.items() if p != "key_exposure.is_public"}
    assert values == {"key.manager": "customer", "key.state": "enabled",
                      "key_custody.level": "customer_kms", "key_custody.hsm": False,
                      "key_rotation.enabled": True, "key_rotation.period_days": 90}
    assert facts["key_exposure.is_public"].state is FactState.ERROR  # policy never read


def test_describe_key_missing_essentials_is_an_error_not_a_crash() -> None:
    facts = key_facts(key({"Arn": ARN}), lambda path: True)
    for path in ("key.manager", "key.state", "key_custody.level", "key_custody.hsm"):
        assert facts[path].state is FactState.ERROR, path
        assert facts[path].value is None


def test_unsupported_rotation_answer_is_observed_off() -> None:
    info = key({"Arn": ARN, "KeyManager": "CUSTOMER", "Origin": "AWS_KMS",
                "KeyState": "Enabled"},
               Answer("kms:GetKeyRotationStatus", code="UnsupportedOperationException"))
    facts = key_facts(info, lambda p: p.startswith("key_rotation"))
    assert facts["key_rotation.enabled"].value is False
    assert facts["key_rotation.period_days"].value is None
    assert "UnsupportedOperationException" in facts["key_rotation.enabled"].detail


def test_aws_alias_means_provider_managed() -> None:
    info = key({"Arn": ARN, "KeyManager": "CUSTOMER", "Origin": "AWS_KMS",
                "KeyState": "Enabled"}, aliases=["alias/aws/s3"])
    facts = key_facts(info, lambda p: p in ("key.manager", "key_custody.level"))
    assert facts["key.manager"].value == "provider"
    assert facts["key_custody.level"].value == "provider_kms"


def raw_bucket(**answers: Answer) -> BucketRaw:
    raw = BucketRaw("b", "eu-west-1", Answer("s3:GetBucketLocation",
                                             {"LocationConstraint": "eu-west-1"}))
    raw.answers.update(answers)
    return raw


def test_unknown_algorithm_is_an_error() -> None:
    raw = raw_bucket(encryption=Answer("s3:GetBucketEncryption", {
        "ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:future"}}]}}))
    facts = bucket_facts(raw, "arn:aws:s3:::b", BucketContext(None, {}, {}),
                         lambda p: p.startswith(("encryption", "key_")))
    assert {f.state for f in facts.values()} == {FactState.ERROR}
    assert "aws:future" in facts["encryption.algorithm"].detail


def test_blocked_encryption_types_and_bucket_key_in_detail() -> None:
    raw = raw_bucket(encryption=Answer("s3:GetBucketEncryption", {
        "ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
             "BucketKeyEnabled": False,
             "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]}}]}}))
    facts = bucket_facts(raw, "arn:aws:s3:::b", BucketContext(None, {}, {}),
                         lambda p: p == "encryption.algorithm")
    assert facts["encryption.algorithm"].value == "AES256"
    assert "BlockedEncryptionTypes=SSE-C" in facts["encryption.algorithm"].detail


def test_disabled_replication_rules_do_not_replicate() -> None:
    raw = raw_bucket(replication=Answer("s3:GetBucketReplication", {
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


def _exposure(pab: Answer, policy_public: bool | None, acl_public: bool | None) -> dict:
    raw = raw_bucket(pab=pab, ownership=Answer("s3:GetBucketOwnershipControls",
                                               code="OwnershipControlsNotFoundError"))
    if policy_public is None:
        raw.answers["policy"] = Answer("s3:GetBucketPolicy", code="NoSuchBucketPolicy")
        raw.skipped["policy_status"] = "no bucket policy"
    else:
        raw.answers["policy"] = Answer("s3:GetBucketPolicy", {"Policy": "{}"})
        raw.answers["policy_status"] = Answer("s3:GetBucketPolicyStatus",
                                              {"PolicyStatus": {"IsPublic": policy_public}})
    grantee = {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}
    raw.answers["acl"] = (Answer("s3:GetBucketAcl", {"Grants": [{"Grantee": grantee}]})
                          if acl_public else Answer("s3:GetBucketAcl", {"Grants": []}))
    account = Answer("s3control:GetPublicAccessBlock", code="NoSuchPublicAccessBlockConfiguration")
    return bucket_facts(raw, "arn:aws:s3:::b", BucketContext(account, {}, {}),
                        lambda p: p.startswith("public_exposure"))


DENIED_PAB = Answer("s3:GetPublicAccessBlock",
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
    open_pab = Answer("s3:GetPublicAccessBlock", code="NoSuchPublicAccessBlockConfiguration")
    facts = _exposure(open_pab, policy_public=True, acl_public=True)
    assert facts["public_exposure.reasons"].value == ["acl", "policy"]
    assert facts["public_exposure.reasons"].basis is None  # IsPublic came from the API


def test_a_known_public_reason_decides_is_public_even_if_another_part_is_unknown() -> None:
    open_pab = Answer("s3:GetPublicAccessBlock", code="NoSuchPublicAccessBlockConfiguration")
    raw_denied = Answer("s3:GetBucketAcl", error=AccessDenied("s3:GetBucketAcl", "AccessDenied"))
    raw = raw_bucket(pab=open_pab, acl=raw_denied,
                     ownership=Answer("s3:GetBucketOwnershipControls",
                                      code="OwnershipControlsNotFoundError"),
                     policy=Answer("s3:GetBucketPolicy", {"Policy": "{}"}),
                     policy_status=Answer("s3:GetBucketPolicyStatus",
                                          {"PolicyStatus": {"IsPublic": True}}))
    account = Answer("s3control:GetPublicAccessBlock", code="NoSuchPublicAccessBlockConfiguration")
    facts = bucket_facts(raw, "arn:aws:s3:::b", BucketContext(account, {}, {}),
                         lambda p: p.startswith("public_exposure"))
    assert facts["public_exposure.is_public"].value is True
    assert facts["public_exposure.reasons"].state is FactState.DENIED
