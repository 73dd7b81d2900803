"""A 200 answer that is not what the API reference documents is an error fact for that call.

Table-driven per OSS read: the stand-in's documented answer goes through a proxy that
rewrites the body (namespaced as the OSS references show it, empty, another root, a missing
required element, an odd value, truncated, an entity bomb, another namespace), and the real
alibabacloud-oss-v2 client reads it. The facts that rest on the call are ``error``; every
other fact is what the untouched answer gave; the scan goes on.
"""

from __future__ import annotations

from typing import Any

import pytest
from alibaba_answer_proxy import (
    AnswerProxy,
    billion_laughs,
    empty,
    namespaced,
    truncated,
    with_text,
    without,
    wrong_root,
)
from alibaba_support import ACCOUNT, b, buckets, deny_http, scan

from auditor.model import FactState
from auditor.providers.alibaba._answers import SHAPES

INFO_DENIED = {"GetBucketInfo": 403}  # every setting is then read from its own API
ENCRYPTION = ("encryption.enabled", "encryption.algorithm", "encryption.key_id",
              "key_custody.level", "key_custody.hsm", "key_rotation.enabled",
              "key_rotation.period_days", "key_rotation.supported")
PUBLIC = ("public_exposure.is_public", "public_exposure.reasons")
BLOCK = ("public_access_block.bucket", "public_access_block.effective", *PUBLIC)
WORM = ("immutability.enabled", "immutability.mode", "immutability.retention_days",
        "immutability.locked")
RESIDENCY = ("data_residency.region", "data_residency.country", "data_residency.jurisdiction",
             "data_residency.jurisdictions", "data_residency.multi_region")

# operation -> (bucket spec, facts that rest on it, a required element, (element, odd value))
ROWS: dict[str, tuple[dict[str, Any], tuple[str, ...], str | None, tuple[str, str]]] = {
    "oss:GetBucketEncryption": (dict(encryption="AES256", faults=INFO_DENIED), ENCRYPTION,
                                "ApplyServerSideEncryptionByDefault", ("SSEAlgorithm", "")),
    "oss:GetBucketAcl": (dict(acl="public-read", faults=INFO_DENIED), PUBLIC, "Grant",
                         ("AccessControlList", "public")),
    "oss:GetBucketVersioning": (dict(versioning="Enabled", faults=INFO_DENIED),
                                ("versioning.enabled",), None, ("Status", "Maybe")),
    "oss:GetBucketLogging": (dict(logging={"bucket": "central-logs", "prefix": "p/"},
                                  faults=INFO_DENIED),
                             ("access_logging.enabled", "access_logging.target"),
                             "TargetBucket", ("LoggingEnabled", "on")),
    "oss:GetBucketPublicAccessBlock": (dict(faults=INFO_DENIED), BLOCK, "BlockPublicAccess",
                                       ("BlockPublicAccess", "maybe")),
    # The policy is unreadable too, so that the document cannot stand in for the status.
    "oss:GetBucketPolicyStatus": (dict(faults={**INFO_DENIED, "GetBucketPolicy": 403}), PUBLIC,
                                  "IsPublic", ("IsPublic", "1")),
    "oss:GetBucketWorm": (dict(worm={"state": "Locked", "days": 30}), WORM, "State",
                          ("RetentionPeriodInDays", "thirty")),
    "oss:GetBucketObjectWormConfiguration": (dict(object_worm={"mode": "COMPLIANCE", "days": 9}),
                                             WORM, "ObjectWormEnabled", ("Days", "-1")),
    "oss:GetBucketReplication": (dict(replication=[{"bucket": "dr", "region": "oss-cn-shanghai"}]),
                                 ("data_residency.replication_destinations",
                                  "data_residency.replication_jurisdictions"),
                                 "Rule", ("Destination", "oss-cn-shanghai")),
    "oss:GetBucketLocation": (dict(list_omits=["Location"]), RESIDENCY, None,
                              ("LocationConstraint", "")),
}
GENERIC = {"empty body": empty, "another root": wrong_root, "truncated XML": truncated,
           "DTD entity bomb": billion_laughs,
           "another namespace": namespaced("http://example.invalid/oss")}


def _cases() -> list[Any]:
    cases = []
    for operation, (_, _, required, (element, odd)) in ROWS.items():
        rewrites = dict(GENERIC)
        if required:
            rewrites[f"no {required}"] = without(required)
        rewrites[f"{element} {odd!r}"] = with_text(element, odd)
        cases += [pytest.param(operation, rewrite, id=f"{operation}-{name}")
                  for name, rewrite in rewrites.items()]
    return cases


def _estate(spec: dict[str, Any]) -> dict[str, Any]:
    return {"account": ACCOUNT, "public_access_block": False, "keys": [],
            "buckets": [b("audited", **spec), b("bystander", versioning="Enabled")]}


def _scan(box, proxy: AnswerProxy):
    box.seed(_estate(box.spec))
    options = {**box.scan_options(), "oss_endpoint": proxy.url}
    collection, _ = scan(box, options=options)
    return collection


def _states(collection) -> dict[str, dict[str, tuple[Any, Any]]]:
    return {name: {path: (fact.state, fact.value) for path, fact in r.facts.items()}
            for name, r in buckets(collection).items()}


@pytest.fixture
def ali_box(make_ali_sandbox, request):
    operation = request.node.callspec.params["operation"]
    box = make_ali_sandbox(_estate(ROWS[operation][0]))
    box.spec = ROWS[operation][0]
    return box


_BASELINES: dict[str, Any] = {}


def _baseline(box, operation: str):
    """The facts of the untouched answers (the estate of a row is fixed: once per worker)."""
    if operation not in _BASELINES:
        with AnswerProxy(box.oss_url) as untouched:
            _BASELINES[operation] = _states(_scan(box, untouched))
    return _BASELINES[operation]


@pytest.mark.parametrize(("operation", "rewrite"), _cases())
def test_an_undocumented_answer_is_an_error_fact_for_its_call(ali_box, operation, rewrite):
    baseline = _baseline(ali_box, operation)
    with AnswerProxy(ali_box.oss_url, operation, rewrite) as proxy:
        collection = _scan(ali_box, proxy)
    assert proxy.rewritten >= 1, "the operation was read"
    found = _states(collection)
    affected = ROWS[operation][1]
    for path in affected:
        assert found["audited"][path][0] is FactState.ERROR, (path, found["audited"][path])
    for path, before in baseline["audited"].items():
        if path not in affected:
            assert found["audited"][path] == before, path
    assert found["bystander"] == baseline["bystander"]
    # Recorded once as that call's failure, with a code that says what was wrong.
    failures = [e for e in collection.run.errors if e.operation == operation]
    assert failures and {e.code for e in failures} <= {
        "EmptyBody", "UnexpectedRoot", "UnparsableXml", "UnsafeXml", "UnexpectedNamespace",
        "UnexpectedShape"}, failures
    assert collection.run.status == "partial"


@pytest.mark.parametrize("operation", list(ROWS))
def test_the_namespaced_documented_answer_reads_as_the_plain_one(ali_box, operation):
    # The OSS references show roots in http://doc.oss-cn-hangzhou.aliyuncs.com (GetBucketLocation
    # among them); the SDK's own parser reads such children as absent.
    baseline = _baseline(ali_box, operation)
    with AnswerProxy(ali_box.oss_url, operation, namespaced()) as proxy:
        collection = _scan(ali_box, proxy)
    assert proxy.rewritten >= 1
    assert _states(collection) == baseline
    assert not [e for e in collection.run.errors if e.operation == operation]


def test_the_shapes_cover_every_read_the_adapter_makes():
    reads = {"oss:ListBuckets", "oss:GetBucketInfo", "oss:GetBucketEncryption",
             "oss:GetBucketAcl", "oss:GetBucketVersioning", "oss:GetBucketLogging",
             "oss:GetBucketPublicAccessBlock", "oss:GetPublicAccessBlock",
             "oss:GetBucketPolicyStatus", "oss:GetBucketPolicy", "oss:GetBucketHttpsConfig",
             "oss:GetBucketWorm", "oss:GetBucketObjectWormConfiguration",
             "oss:GetBucketReplication", "oss:GetBucketLocation", "kms:ListKeys",
             "kms:ListAliases", "kms:DescribeKey", "kms:GetKeyPolicy",
             "ecs:DescribeDiskEncryptionByDefaultStatus", "ecs:DescribeDiskDefaultKMSKeyId",
             # tags on demand, and the multi-account reads
             "oss:GetBucketTags", "kms:ListResourceTags", "sts:GetCallerIdentity",
             "sts:AssumeRole", "resourcemanager:ListAccounts",
             # disks, snapshots and images, file systems, databases
             "ecs:DescribeRegions", "ecs:DescribeDisks", "ecs:DescribeSnapshots",
             "ecs:DescribeImages",
             "ecs:DescribeImageSharePermission", "nas:DescribeFileSystems",
             "nas:DescribeSmbAcl", "rds:DescribeDBInstances", "rds:DescribeDBInstanceNetInfo",
             "rds:DescribeDBInstanceIPArrayList", "rds:DescribeDBInstanceSSL",
             "rds:DescribeParameters", "rds:DescribePGHbaConfig",
             "rds:DescribeDBInstanceEncryptionKey",
             "rds:DescribeDBInstanceTDE", "rds:DescribeBackupPolicy"}
    assert SHAPES.operations == reads


@pytest.mark.parametrize("rewrite", [empty, wrong_root, truncated, billion_laughs,
                                     without("Name"),
                                     with_text("BlockPublicAccess", "yes")],
                         ids=["empty", "root", "truncated", "bomb", "missing", "odd"])
def test_bucket_info_that_is_not_documented_falls_back_to_each_setting_api(
        make_ali_sandbox, rewrite):
    spec = dict(encryption="AES256", versioning="Enabled", block_public_access=True,
                logging={"bucket": "central-logs", "prefix": ""})
    box = make_ali_sandbox(_estate(spec))
    box.spec = spec
    with AnswerProxy(box.oss_url) as untouched:
        baseline = _states(_scan(box, untouched))
    with AnswerProxy(box.oss_url, "oss:GetBucketInfo", rewrite) as proxy:
        collection = _scan(box, proxy)
    assert proxy.rewritten >= 1
    assert _states(collection) == baseline  # GetBucketEncryption & co. answered instead
    assert {e.operation for e in collection.run.errors} == {"oss:GetBucketInfo"}


def test_https_config_that_is_not_documented_is_named_beside_the_tls_verdict(
        make_ali_sandbox):
    spec = dict(policy=deny_http("audited"), https={"versions": ["TLSv1.2"]})
    box = make_ali_sandbox(_estate(spec))
    box.spec = spec
    with AnswerProxy(box.oss_url, "oss:GetBucketHttpsConfig", without("Enable")) as proxy:
        collection = _scan(box, proxy)
    tls = buckets(collection)["audited"].facts["tls_enforced.required"]
    assert tls.value is True and "GetBucketHttpsConfig error: UnexpectedShape" in tls.detail


@pytest.mark.parametrize(("body", "reason"), [
    (b"{not json", "not JSON"), (b"[]", "expected object"), (b"", "without a JSON body"),
    (b'{"Statement": NaN}', "not JSON")])
def test_bucket_policy_that_is_not_a_json_object_is_an_error(make_ali_sandbox, body, reason):
    spec = dict(policy=deny_http("audited"))
    box = make_ali_sandbox(_estate(spec))
    box.spec = spec
    with AnswerProxy(box.oss_url, "oss:GetBucketPolicy", lambda _: body,
                     "application/json") as proxy:
        collection = _scan(box, proxy)
    tls = buckets(collection)["audited"].facts["tls_enforced.required"]
    assert tls.state is FactState.ERROR and reason in tls.detail
    assert "oss:GetBucketPolicy" in tls.source


BUCKET_BLOCK = (b'<?xml version="1.0" encoding="UTF-8"?>\n<PublicAccessBlockConfiguration>'
                b"<BlockPublicAccess>true</BlockPublicAccess></PublicAccessBlockConfiguration>")


@pytest.mark.parametrize(("rewrite", "code"), [
    (empty, "EmptyBody"), (truncated, "UnparsableXml"), (billion_laughs, "UnsafeXml"),
    (wrong_root, "UnexpectedRoot"), (namespaced("urn:other"), "UnexpectedNamespace"),
    (without("BlockPublicAccess"), "UnexpectedShape"),
    (with_text("BlockPublicAccess", "secret-looking-value"), "UnexpectedShape")])
def test_each_kind_of_malformed_body_is_named_without_its_value(rewrite, code):
    from auditor.errors import MalformedAnswer
    from auditor.providers.alibaba._answers import xml_answer

    with pytest.raises(MalformedAnswer) as caught:
        xml_answer("oss:GetBucketPublicAccessBlock", rewrite(BUCKET_BLOCK),
                   "PublicAccessBlockConfiguration")
    assert caught.value.code == code
    assert "secret-looking-value" not in str(caught.value)
    assert xml_answer("oss:GetBucketPublicAccessBlock", namespaced()(BUCKET_BLOCK),
                      "PublicAccessBlockConfiguration") == {
        "PublicAccessBlockConfiguration": {"BlockPublicAccess": "true"}}
