"""Keys a provider service manages: rotation is observed where an API states it, OPAQUE where
none does, and NOT_APPLICABLE only where the provider documents that the key cannot rotate.

AWS runs through moto (the shipped demo estate); Alibaba through the project's OSS and KMS
stand-ins. Each row names the documentation its expected verdict rests on.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.checks import compile_check, load_checks
from auditor.engine import evaluate_one
from auditor.model import FactState, Resource, Status
from auditor.providers.alibaba.sandbox import AlibabaSandbox

HERE = Path(__file__).parent
for sub in ("aws", "alibaba"):
    if str(HERE / sub) not in sys.path:
        sys.path.insert(0, str(HERE / sub))

from alibaba_support import scan  # noqa: E402
from aws_support import all_facts_but, by_name, collect, demo_section, mocked_estate  # noqa: E402

AWS_ROTATION = ("AWS KMS API reference, GetKeyRotationStatus: 'KMS always rotates the key "
                "material in AWS managed KMS keys every year. The key rotation status for AWS "
                "managed KMS keys is always true'; developer guide 'Rotating AWS KMS keys'")
AWS_UNSUPPORTED = ("AWS KMS API reference, EnableKeyRotation/GetKeyRotationStatus: automatic "
                   "rotation is not supported for KMS keys with imported key material, in a "
                   "custom key store, or asymmetric")
SSE_S3 = ("Amazon S3 user guide, SSE-S3: S3 encrypts the key with a root key it rotates; no "
          "API shows that key or its rotation")
ALI_ROTATION = ("Alibaba Cloud KMS, 'Configure key rotation': automatic rotation only for "
                "Origin Aliyun_KMS keys; service-managed keys and BYOK keys take no rotation "
                "policy (their service decides for service keys)")
ALI_DESCRIBE = "Alibaba Cloud KMS API reference, DescribeKey: AutomaticRotation, RotationInterval"
OSS_SSE = ("OSS user guide, server-side encryption: SSE-OSS keys are managed by OSS; no API "
           "reveals them or their rotation")
OPAQUE = "<opaque>"


def verdict(check_id: str, resource: Resource) -> Status:
    check = next(c for c in load_checks() if c.id == check_id)
    return evaluate_one(compile_check(check), resource)[0]


# --- AWS (moto) ---------------------------------------------------------------------------

# (kind, resource name, rotation.enabled, supported, check, expected status, doc)
AWS_CASES = [
    ("kms.key", "aws/s3", True, True, "kms-key-rotation", Status.PASS, AWS_ROTATION),
    ("storage.bucket", "demo-us-aws-managed", True, True, "bucket-key-rotation", Status.PASS,
     AWS_ROTATION),
    ("storage.bucket", "demo-us-sse-s3", OPAQUE, OPAQUE, "bucket-key-rotation", Status.OPAQUE,
     SSE_S3),
    ("kms.key", "eu-data-rotated", True, True, "kms-key-rotation", Status.PASS,
     "AWS KMS API reference, GetKeyRotationStatus: KeyRotationEnabled"),
    ("kms.key", "us-imported", False, False, "kms-key-rotation", Status.NOT_APPLICABLE,
     AWS_UNSUPPORTED),
    ("storage.bucket", "demo-us-imported", False, False, "bucket-key-rotation",
     Status.NOT_APPLICABLE, AWS_UNSUPPORTED),
]


@pytest.fixture(scope="module")
def aws_resources(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Resource]:
    demo = demo_section()
    with mocked_estate(demo, tmp_path_factory.mktemp("aws-keys")):
        collection = collect({"region": demo["regions"]},
                             all_facts_but("account:block_storage_encryption.key_id"))
    return {(kind, name): r for kind in ("kms.key", "storage.bucket")
            for name, r in by_name(collection, kind).items()}


def assert_rotation(resource: Resource, enabled: Any, supported: Any, doc: str) -> None:
    for path, expected in (("key_rotation.enabled", enabled),
                           ("key_rotation.supported", supported)):
        fact = resource.facts[path]
        if expected == OPAQUE:
            assert fact.state is FactState.OPAQUE and fact.detail, (resource.name, path, doc)
        else:
            assert fact.state is FactState.OBSERVED, (resource.name, path, fact, doc)
            assert fact.value is expected, (resource.name, path, fact, doc)


@pytest.mark.parametrize(("kind", "name", "enabled", "supported", "check", "status", "doc"),
                         AWS_CASES, ids=[c[1] for c in AWS_CASES])
def test_aws_key_rotation(aws_resources, kind, name, enabled, supported, check, status, doc):
    resource = aws_resources[(kind, name)]
    assert_rotation(resource, enabled, supported, doc)
    assert verdict(check, resource) is status, (name, doc)


# --- Alibaba (OSS and KMS stand-ins) ------------------------------------------------------

ACCOUNT = "1122334455667788"
ALI_KEYS = [
    {"id": "svc-unscheduled", "region": "cn-hangzhou", "creator": "Oss",
     "aliases": ["alias/acs/oss"]},
    {"id": "svc-scheduled", "region": "cn-shanghai", "creator": "Oss",
     "aliases": ["alias/acs/oss"], "rotation": "365d"},
    {"id": "cust-rotating", "region": "cn-hangzhou", "rotation": "180d"},
    {"id": "cust-byok", "region": "cn-hangzhou", "origin": "EXTERNAL"},
]
ALI_BUCKETS = [
    {"name": "oss-managed-aes", "region": "oss-cn-hangzhou", "encryption": "AES256"},
    # KMS with no KMSMasterKeyID: OSS uses its service key alias/acs/oss in KMS.
    {"name": "oss-default-cmk", "region": "oss-cn-hangzhou", "encryption": {"algorithm": "KMS"}},
    {"name": "oss-default-cmk-sh", "region": "oss-cn-shanghai",
     "encryption": {"algorithm": "KMS"}},
    {"name": "oss-customer-key", "region": "oss-cn-hangzhou",
     "encryption": {"algorithm": "KMS", "key": "cust-rotating"}},
    {"name": "oss-byok", "region": "oss-cn-hangzhou",
     "encryption": {"algorithm": "KMS", "key": "cust-byok"}},
]
ALI_CASES = [
    ("storage.bucket", "oss-managed-aes", OPAQUE, OPAQUE, "bucket-key-rotation", Status.OPAQUE,
     OSS_SSE),
    ("storage.bucket", "oss-default-cmk", OPAQUE, OPAQUE, "bucket-key-rotation", Status.OPAQUE,
     f"{ALI_ROTATION}; {ALI_DESCRIBE}: AutomaticRotation Disabled states no schedule"),
    ("kms.key", "svc-unscheduled", OPAQUE, OPAQUE, "kms-key-rotation", Status.OPAQUE,
     f"{ALI_ROTATION}; {ALI_DESCRIBE}"),
    ("storage.bucket", "oss-default-cmk-sh", True, True, "bucket-key-rotation", Status.PASS,
     f"{ALI_DESCRIBE}: AutomaticRotation Enabled, RotationInterval 365 days"),
    ("kms.key", "svc-scheduled", True, True, "kms-key-rotation", Status.PASS, ALI_DESCRIBE),
    ("storage.bucket", "oss-customer-key", True, True, "bucket-key-rotation", Status.PASS,
     ALI_DESCRIBE),
    ("kms.key", "cust-byok", False, False, "kms-key-rotation", Status.NOT_APPLICABLE,
     ALI_ROTATION),
    ("storage.bucket", "oss-byok", False, False, "bucket-key-rotation", Status.NOT_APPLICABLE,
     ALI_ROTATION),
]


@pytest.fixture(scope="module")
def ali_resources() -> Iterator[dict[tuple[str, str], Resource]]:
    box = AlibabaSandbox()
    box.start()
    try:
        box.seed({"account": ACCOUNT, "keys": ALI_KEYS, "buckets": ALI_BUCKETS})
        collection, _ = scan(box)
        yield {(r.kind, r.name): r for r in collection.resources}
    finally:
        box.stop()


def _find(resources: dict[tuple[str, str], Resource], kind: str, name: str) -> Resource:
    if (kind, name) in resources:
        return resources[(kind, name)]
    # kms.key resources may be named by id or alias; match on the id in the resource id.
    return next(r for (k, _), r in resources.items() if k == kind and name in r.id)


@pytest.mark.parametrize(("kind", "name", "enabled", "supported", "check", "status", "doc"),
                         ALI_CASES, ids=[c[1] for c in ALI_CASES])
def test_alibaba_key_rotation(ali_resources, kind, name, enabled, supported, check, status,
                              doc):
    resource = _find(ali_resources, kind, name)
    assert_rotation(resource, enabled, supported, doc)
    assert verdict(check, resource) is status, (name, doc)


def test_no_data_protecting_key_is_not_applicable_without_a_documented_reason(
        aws_resources, ali_resources):
    """Every key a bucket uses is judged unless its provider documents it cannot rotate."""
    for resources in (aws_resources, ali_resources):
        for (kind, _), resource in resources.items():
            check = {"kms.key": "kms-key-rotation", "storage.bucket": "bucket-key-rotation"}.get(
                kind)
            if check is None or "key_rotation.supported" not in resource.facts:
                continue
            if verdict(check, resource) is Status.NOT_APPLICABLE:
                fact = resource.facts["key_rotation.supported"]
                state = resource.facts.get("key.state")
                disabled = state is not None and state.value != "enabled"
                documented = fact.value is False and any(
                    word in (fact.detail or "") for word in ("not supported", "cannot"))
                assert disabled or documented, (resource.name, fact)
