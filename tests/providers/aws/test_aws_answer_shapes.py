"""A 200 answer that is not what the API reference documents is an error fact, never a value.

boto3 runs against a tiny 127.0.0.1 stand-in (answer_stand.py) that answers every read with
its documented sample body; each table row makes one operation answer something else
(empty body, wrong root, foreign namespace, DTD/entity bomb, invalid JSON, ``{}``, a missing
required element, an element of the wrong type). The facts that operation feeds are then
``error`` naming the MalformedAnswer code, the call is a failure of the run, and every other
fact is exactly what the documented answers give.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import answer_samples_kinds as kinds
import pytest
from answer_stand import DOCUMENTED, JSON, KEY_ARN, REGION, S3_NS, XML, Reply, running_stand, xml
from aws_support import collect

from auditor.errors import ProviderError
from auditor.model import FactState
from auditor.providers._runtime import RetryPolicy
from auditor.providers.aws._answers import BODIES, SHAPES
from auditor.providers.aws._s3 import CALLS

BUCKET, KEY, ACCOUNT, EBS = ("arn:aws:s3:::sample-bucket", KEY_ARN, "123456789012",
                             f"123456789012/{REGION}")
EXPOSURE = {"public_exposure.is_public", "public_exposure.reasons"}
REPLICATION = {"data_residency.replication_destinations",
               "data_residency.replication_jurisdictions"}
# The sample key protects these volumes, snapshots, file systems and databases too.
KEYED = kinds.KEYED_RESOURCES
# operation -> (resource id, fact path) that must become error when its answer is malformed
AFFECTED: dict[str, set[tuple[str, str]]] = {
    "s3:GetBucketLocation": {(BUCKET, f"data_residency.{p}") for p in (
        "region", "country", "jurisdiction", "jurisdictions", "multi_region")}
    | {(BUCKET, p) for p in REPLICATION},  # the replica's region is unknown too
    "s3:GetBucketEncryption": {(BUCKET, p) for p in (
        "encryption.enabled", "encryption.algorithm", "encryption.key_id", "key_custody.level",
        "key_custody.hsm", "key_rotation.enabled", "key_rotation.period_days",
        "key_rotation.supported")},
    # Block Public Access unknown at one level: the public ACL grant may or may not count.
    "s3:GetPublicAccessBlock": {(BUCKET, p) for p in (
        "public_access_block.bucket", "public_access_block.effective", *EXPOSURE)},
    "s3control:GetPublicAccessBlock": {(BUCKET, p) for p in (
        "public_access_block.account", "public_access_block.effective", *EXPOSURE)}
    | {(ACCOUNT, "public_access_block.enabled")},
    "s3:GetBucketPolicy": {(BUCKET, "tls_enforced.required")},
    # IsPublic unread: the policy document decides instead (derived), nothing else changes.
    "s3:GetBucketPolicyStatus": set(),
    "s3:GetBucketOwnershipControls": {(BUCKET, "access_control.acls_disabled")}
    | {(BUCKET, p) for p in EXPOSURE},
    "s3:GetBucketAcl": {(BUCKET, p) for p in EXPOSURE},
    "s3:GetBucketVersioning": {(BUCKET, "versioning.enabled"), (BUCKET, "versioning.mfa_delete")},
    "s3:GetObjectLockConfiguration": {(BUCKET, f"immutability.{p}") for p in (
        "enabled", "mode", "retention_days", "locked")},
    "s3:GetBucketLogging": {(BUCKET, "access_logging.enabled"), (BUCKET, "access_logging.target")},
    "s3:GetBucketReplication": {(BUCKET, p) for p in REPLICATION},
    "kms:DescribeKey": {(KEY, p) for p in (
        "key.manager", "key.state", "key_custody.level", "key_custody.hsm",
        "key_rotation.enabled", "key_rotation.period_days", "key_rotation.supported",
        "key_exposure.is_public")} | {(r, p) for r in KEYED for p in (
        "key_custody.level", "key_custody.hsm", "key_rotation.enabled",
        "key_rotation.period_days", "key_rotation.supported")},
    "kms:GetKeyRotationStatus": {(r, p) for r in (KEY, *KEYED)
                                 for p in ("key_rotation.enabled", "key_rotation.period_days")},
    "kms:GetKeyPolicy": {(KEY, "key_exposure.is_public")},
    "ec2:GetEbsEncryptionByDefault": {(EBS, "block_storage_encryption.enabled")},
    "ec2:GetEbsDefaultKmsKeyId": {(EBS, "block_storage_encryption.key_id")},
    # the sample snapshot's permission says public: whether it is depends on this answer
    "ec2:GetSnapshotBlockPublicAccessState": {(kinds.EBS_SNAPSHOT, "public_exposure.is_public")},
}
_BOMB = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
         '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>')


def _xml_cases(operation: str) -> list[tuple[str, Reply, str]]:
    root = BODIES[operation].root  # type: ignore[union-attr]
    body = DOCUMENTED[operation][2].decode()
    foreign = body.replace('xmlns="http://', 'xmlns="http://example.com/not-aws/', 1)
    return [("empty body", (200, XML, b""), "UnparsableAnswer"),
            ("html page", (200, "text/html", b"<html><body>ok</body></html>"), "UnexpectedRoot"),
            # botocore reads S3's documented 200-with-an-embedded-Error as that error.
            ("error document", xml("<Error><Code>InternalError</Code></Error>"),
             "InternalError" if operation.startswith("s3:") else "UnexpectedRoot"),
            ("foreign namespace", (200, XML, foreign.encode()), "UnexpectedRoot"),
            ("entity bomb", (200, XML, f"{_BOMB}<{root}>&c;</{root}>".encode()),
             "UnparsableAnswer"),
            ("JSON body", (200, "application/json", b'{"a": 1}'), "UnparsableAnswer")]


def _json_cases() -> list[tuple[str, Reply, str]]:
    return [("empty body", (200, JSON, b""), "UnparsableAnswer"),
            ("invalid JSON", (200, JSON, b'{"Keys": ['), "UnparsableAnswer"),
            ("NaN", (200, JSON, b'{"Truncated": NaN}'), "UnparsableAnswer"),
            ("a list", (200, JSON, b"[]"), "UnparsableAnswer"),
            ("XML body", xml("<Keys/>"), "UnparsableAnswer")]


def _specific(operation: str, old: str, new: str) -> Reply:
    status, kind, body = DOCUMENTED[operation]
    text = body.decode()
    assert old in text, (operation, old)
    return status, kind, text.replace(old, new).encode()


# (operation, case, reply, MalformedAnswer code): a missing required element, a wrong type.
SPECIFIC = [
    ("s3:GetBucketEncryption", "no rule", xml(f"<ServerSideEncryptionConfiguration {S3_NS}/>"),
     "UnexpectedShape"),
    ("s3:GetBucketEncryption", "boolean 'yes'",
     _specific("s3:GetBucketEncryption", ">false</BucketKeyEnabled>", ">yes</BucketKeyEnabled>"),
     "UnexpectedShape"),
    ("s3:GetPublicAccessBlock", "a flag missing", _specific(
        "s3:GetPublicAccessBlock", "<RestrictPublicBuckets>false</RestrictPublicBuckets>", ""),
     "UnexpectedShape"),
    ("s3:GetPublicAccessBlock", "boolean 'TRUE'", _specific(
        "s3:GetPublicAccessBlock", ">false</BlockPublicAcls>", ">TRUE</BlockPublicAcls>"),
     "UnexpectedShape"),
    ("s3control:GetPublicAccessBlock", "boolean '1'", _specific(
        "s3control:GetPublicAccessBlock", ">false</IgnorePublicAcls>", ">1</IgnorePublicAcls>"),
     "UnexpectedShape"),
    ("s3:GetBucketPolicy", "empty document", (200, "application/json", b"{}"), None),
    ("s3:GetBucketPolicyStatus", "no IsPublic", xml(f"<PolicyStatus {S3_NS}/>"),
     "UnexpectedShape"),
    ("s3:GetBucketPolicyStatus", "boolean 'TRUE'", _specific(
        "s3:GetBucketPolicyStatus", ">false</IsPublic>", ">TRUE</IsPublic>"), "UnexpectedShape"),
    ("s3:GetBucketOwnershipControls", "no rule", xml(f"<OwnershipControls {S3_NS}/>"),
     "UnexpectedShape"),
    ("s3:GetBucketAcl", "no AccessControlList",
     xml(f"<AccessControlPolicy {S3_NS}><Owner><ID>o</ID></Owner></AccessControlPolicy>"),
     "UnexpectedShape"),
    ("s3:GetBucketVersioning", "unknown Status",
     _specific("s3:GetBucketVersioning", ">Enabled</Status>", ">On</Status>"), "UnexpectedShape"),
    ("s3:GetObjectLockConfiguration", "integer 'thirty'", _specific(
        "s3:GetObjectLockConfiguration", "<Days>30</Days>", "<Days>thirty</Days>"),
     "UnexpectedShape"),
    ("s3:GetBucketLogging", "no TargetBucket", _specific(
        "s3:GetBucketLogging", "<TargetBucket>logs-bucket</TargetBucket>", ""), "UnexpectedShape"),
    ("s3:GetBucketReplication", "no Role", _specific(
        "s3:GetBucketReplication", "<Role>arn:aws:iam::123456789012:role/replication</Role>", ""),
     "UnexpectedShape"),
    ("s3:GetBucketReplication", "integer 'first'", _specific(
        "s3:GetBucketReplication", "<Priority>1</Priority>", "<Priority>first</Priority>"),
     "UnexpectedShape"),
    ("kms:DescribeKey", "no KeyId", _specific("kms:DescribeKey", f'"KeyId": "{KEY_ARN[-36:]}", ',
                                              ""), "UnexpectedShape"),
    ("kms:DescribeKey", "{}", (200, JSON, b"{}"), "UnexpectedShape"),
    ("kms:GetKeyRotationStatus", "string 'true'", _specific(
        "kms:GetKeyRotationStatus", '"KeyRotationEnabled": true', '"KeyRotationEnabled": "true"'),
     "UnexpectedShape"),
    ("kms:GetKeyRotationStatus", "{}", (200, JSON, b"{}"), "UnexpectedShape"),
    ("kms:GetKeyPolicy", "{}", (200, JSON, b"{}"), "UnexpectedShape"),
    ("ec2:GetEbsEncryptionByDefault", "boolean 'yes'", _specific(
        "ec2:GetEbsEncryptionByDefault", ">true</ebs", ">yes</ebs"), "UnexpectedShape"),
    ("ec2:GetEbsEncryptionByDefault", "no value", _specific(
        "ec2:GetEbsEncryptionByDefault",
        "<ebsEncryptionByDefault>true</ebsEncryptionByDefault>", ""), "UnexpectedShape"),
    ("ec2:GetSnapshotBlockPublicAccessState", "unknown state", _specific(
        "ec2:GetSnapshotBlockPublicAccessState", ">unblocked<", ">block-some<"),
     "UnexpectedShape"),
    ("ec2:GetSnapshotBlockPublicAccessState", "no state", _specific(
        "ec2:GetSnapshotBlockPublicAccessState", "<state>unblocked</state>", ""),
     "UnexpectedShape"),
    ("ec2:GetEbsDefaultKmsKeyId", "no kmsKeyId", _specific(
        "ec2:GetEbsDefaultKmsKeyId", f"<kmsKeyId>{KEY_ARN}</kmsKeyId>", ""), "UnexpectedShape"),
]
ROWS = [(op, *case) for op in AFFECTED for case in (
    _json_cases() if BODIES[op] == "json" else _xml_cases(op))] + SPECIFIC
RETRY = RetryPolicy(max_attempts=1)


def _facts(collection: Any) -> dict[tuple[str, str], Any]:
    return {(r.id, path): fact for r in collection.resources for path, fact in r.facts.items()}


@pytest.fixture(scope="module")
def documented(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Any]:
    with running_stand(tmp_path_factory.mktemp("documented")):
        collection = collect({"region": [REGION]}, retry=RETRY)
    assert not collection.run.errors, collection.run.errors
    return _facts(collection)


def test_documented_answers_are_observed(documented: dict) -> None:
    unread = {k: f for k, f in documented.items()
              if f.state not in (FactState.OBSERVED, FactState.OPAQUE)}
    assert not unread
    assert documented[(BUCKET, "public_exposure.is_public")].value is True  # the AllUsers grant
    assert documented[(BUCKET, "versioning.enabled")].value is True
    assert documented[(KEY, "key_rotation.period_days")].value == 365


def test_every_read_has_a_documented_shape_and_body() -> None:
    reads = {op for _, op in CALLS.values()} | set(AFFECTED) | {
        "s3:ListBuckets", "sts:GetCallerIdentity", "kms:ListKeys", "kms:ListAliases",
        "ec2:DescribeRegions"}
    assert reads <= SHAPES.operations and reads <= set(BODIES) and reads <= set(DOCUMENTED)


@pytest.mark.parametrize(("operation", "case", "reply", "code"), ROWS,
                         ids=[f"{r[0]}-{r[1]}" for r in ROWS])
def test_malformed_answer_is_an_error_of_its_facts_only(
        tmp_path: Path, documented: dict, operation: str, case: str, reply: Reply,
        code: str | None) -> None:
    with running_stand(tmp_path) as stand:
        stand.answer(operation, reply)
        collection = collect({"region": [REGION]}, retry=RETRY)
    facts = _facts(collection)
    failures = [e for e in collection.run.errors if e.operation == operation]
    if code is None:  # a well-formed answer the adapter still cannot read (an empty policy)
        assert facts[(BUCKET, "tls_enforced.required")].state is FactState.ERROR
        return
    assert [(e.code, e.kind) for e in failures] and all(e.code == code for e in failures), failures
    for key in AFFECTED[operation]:
        fact = facts[key]
        assert fact.state is FactState.ERROR and fact.value is None, (key, fact)
        assert code in fact.detail and operation in fact.source, (key, fact)
    for key, fact in documented.items():
        if key not in AFFECTED[operation]:
            assert (facts[key].state, facts[key].value) == (fact.state, fact.value), key


MALFORMED = [(200, XML, b""), xml("<Error><Code>InternalError</Code></Error>"),
             (200, XML, b"<a"), xml("<ListAllMyBucketsResult/>".replace("/>", ' xmlns="x"/>'))]


@pytest.mark.parametrize("reply", MALFORMED, ids=["empty", "error root", "unparsable", "ns"])
def test_a_malformed_bucket_listing_is_a_gap_never_zero_buckets(tmp_path: Path,
                                                                 reply: Reply) -> None:
    """Never "zero buckets" of a complete run: a listing failure, the rest still read."""
    with running_stand(tmp_path) as stand:
        stand.answer("s3:ListBuckets", reply)
        collection = collect({"region": [REGION]}, retry=RETRY)
    assert not [r for r in collection.resources if r.kind == "storage.bucket"]
    assert collection.run.status == "partial"
    assert [(e.operation, e.kind) for e in collection.run.errors] == [
        ("s3:ListBuckets", "listing")]
    assert _facts(collection)[(KEY, "key.manager")].value == "customer"


@pytest.mark.parametrize("reply", MALFORMED[:3], ids=["empty", "error root", "unparsable"])
def test_a_malformed_identity_fails_the_provider(tmp_path: Path, reply: Reply) -> None:
    with running_stand(tmp_path) as stand:
        stand.answer("sts:GetCallerIdentity", reply)
        with pytest.raises(ProviderError) as raised:
            collect({"region": [REGION]}, retry=RETRY)
    assert "sts:GetCallerIdentity" in str(raised.value)


@pytest.mark.parametrize(("operation", "body", "path", "value"), [
    ("s3:GetBucketVersioning", f"<VersioningConfiguration {S3_NS}/>", "versioning.enabled", False),
    ("s3:GetBucketLogging", f"<BucketLoggingStatus {S3_NS}/>", "access_logging.enabled", False),
    ("s3:GetBucketEncryption", "<ServerSideEncryptionConfiguration><Rule>"
     "<ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms:dsse</SSEAlgorithm>"
     "</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>",
     "encryption.algorithm", "DSSE"),  # the reference's examples carry no namespace
])
def test_documented_empty_and_unnamespaced_forms_are_observed(
        tmp_path: Path, operation: str, body: str, path: str, value: Any) -> None:
    with running_stand(tmp_path) as stand:
        stand.answer(operation, xml(body))
        collection = collect({"region": [REGION]}, retry=RETRY)
    fact = _facts(collection)[(BUCKET, path)]
    assert fact.state is FactState.OBSERVED and fact.value == value
    assert not [e for e in collection.run.errors if e.operation == operation]
