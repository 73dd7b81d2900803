"""Reports built by hand: every status, every provider, hostile names and values."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from auditor.model import (
    CheckSummary,
    Evidence,
    Finding,
    ProviderRun,
    Report,
    RunError,
    Status,
)

DATA = Path(__file__).parent / "data"
HOSTILE_NAME = '<script>alert("x")</script>|=cmd|\' &amp; `x` *y* [z](http://evil.example)'
FORMULA_NAME = "=HYPERLINK(\"http://evil.example\",\"click\")"
ESCAPE_NAME = "bucket\x1b[31mred\x1b[0m\x07bell"

CHECKS = [
    CheckSummary("bucket-encryption-enabled", "Bucket encryption at rest is enabled",
                 "encryption_at_rest", "storage.bucket", "high"),
    CheckSummary("bucket-key-rotation", "Bucket key rotates at least yearly", "key_rotation",
                 "storage.bucket", "medium", {"max_days": 365}),
    CheckSummary("bucket-tls-enforced", "Bucket requires TLS", "tls_enforced",
                 "storage.bucket", "medium"),
    CheckSummary("bucket-not-public", "Bucket is not public", "public_exposure",
                 "storage.bucket", "critical"),
    CheckSummary("account-block-storage-encryption", "EBS default encryption is on",
                 "block_storage_encryption", "account", "low"),
    CheckSummary("bucket-versioning", "Bucket versioning is enabled", "versioning",
                 "storage.bucket", "info"),
]


def _finding(check: CheckSummary, status: Status, provider: str, name: str, message: str,
             evidence: list[Evidence], **extra: object) -> Finding:
    resource_id = {"aws": f"arn:aws:s3:::{name}", "gcp": f"projects/_/buckets/{name}",
                   "alibaba": f"acs:oss:*:*:{name}"}[provider]
    account = {"aws": "111122223333", "gcp": "analytics-prod", "alibaba": "5012345678901234"}
    region = {"aws": "eu-west-1", "gcp": "EU", "alibaba": "cn-hangzhou"}[provider]
    return Finding(check.id, check.title, check.safeguard, check.severity, status, message,
                   check.kind, provider, account[provider], region, resource_id, name,
                   evidence, remediation=str(extra.get("remediation", "")),
                   frameworks=dict(extra.get("frameworks", {})),  # type: ignore[arg-type]
                   muted_reason=extra.get("muted_reason"))  # type: ignore[arg-type]


def build_report() -> Report:
    enc, rot, tls, pub, ebs, ver = CHECKS
    findings = [
        _finding(enc, Status.FAIL, "aws", "public-web-assets",
                 "encryption.enabled=false: expected true",
                 [Evidence("encryption.enabled", "observed", False, ["s3:GetBucketEncryption"])],
                 remediation="Enable default encryption with SSE-KMS.",
                 frameworks={"cis_aws": ["2.1.1"]}),
        _finding(pub, Status.FAIL, "gcp", HOSTILE_NAME,
                 "public_exposure.is_public=true: expected false | <b>bold</b>",
                 [Evidence("public_exposure.is_public", "observed", True,
                           ["storage.buckets.getIamPolicy"]),
                  Evidence("public_exposure.reasons", "observed", ["iam:allUsers"],
                           ["storage.buckets.getIamPolicy"])],
                 remediation="Remove allUsers bindings.",
                 frameworks={"cis_gcp": ["5.1"]}),
        _finding(rot, Status.UNVERIFIED, "alibaba", FORMULA_NAME,
                 "could not verify: key_rotation.enabled denied (Forbidden.KeyNotFound)",
                 [Evidence("key_rotation.enabled", "denied", None, ["kms:DescribeKey"],
                           "Forbidden: not allowed")]),
        _finding(tls, Status.OPAQUE, "gcp", "eu-lake",
                 "gcp does not expose tls_enforced.required: no such control",
                 [Evidence("tls_enforced.required", "opaque", None, [],
                           "Cloud Storage has no bucket-level TLS control")]),
        _finding(enc, Status.PASS, "alibaba", ESCAPE_NAME, "encryption.enabled=true",
                 [Evidence("encryption.enabled", "observed", True, ["oss:GetBucketEncryption"]),
                  Evidence("encryption.algorithm", "observed", "SM4",
                           ["oss:GetBucketEncryption"])]),
        _finding(ebs, Status.NOT_APPLICABLE, "aws", "111122223333",
                 "not applicable: block_storage_encryption.enabled not present", []),
        _finding(ver, Status.MUTED, "aws", "-1+1", "versioning.enabled=false: expected true",
                 [Evidence("versioning.enabled", "observed", False, ["s3:GetBucketVersioning"])],
                 muted_reason="FAIL muted: archive bucket, ticket SEC-42"),
        _finding(rot, Status.FAIL, "gcp", "us-archive",
                 "key_rotation.period_days=730: expected at most 365",
                 [Evidence("key_rotation.period_days", "observed", 730,
                           ["cloudkms.cryptoKeys.get"])]),
    ]
    runs = [
        ProviderRun("aws", ["111122223333"], ["eu-west-1"], "2025-01-01T00:00:00Z",
                    "2025-01-01T00:00:05Z", "complete", {"s3:ListBuckets": 1}),
        ProviderRun("gcp", ["analytics-prod"], ["EU"], "2025-01-01T00:00:00Z",
                    "2025-01-01T00:00:04Z", "partial", {"storage:buckets.list": 1},
                    [RunError("eu-lake", "storage:buckets.getIamPolicy", "403",
                              "caller lacks storage.buckets.getIamPolicy")]),
        ProviderRun("alibaba", [], [], "2025-01-01T00:00:00Z", "2025-01-01T00:00:01Z",
                    "failed", {}, [RunError("account", "sts:GetCallerIdentity",
                                            "InvalidAccessKeyId.NotFound")]),
    ]
    exposure = {"aws": {"storage.bucket": {"encryption.enabled": "api",
                                           "tls_enforced.required": "derived",
                                           "soft_delete.enabled": "none"}},
                "gcp": {"storage.bucket": {"tls_enforced.required": "none"}}}
    return Report("0.1.0", "2025-01-01T00:00:06Z", runs, CHECKS, findings, exposure,
                  {"verifiability": {"aws": 0.5}},
                  {"alibaba": "no usable credentials"})


@pytest.fixture
def report() -> Report:
    return build_report()


@pytest.fixture
def hostile() -> SimpleNamespace:
    """The hostile resource names used in the report: html, formula, escape."""
    return SimpleNamespace(html=HOSTILE_NAME, formula=FORMULA_NAME, escape=ESCAPE_NAME)


@pytest.fixture
def empty_report() -> Report:
    return Report("0.1.0", "2025-01-01T00:00:06Z", [], [], [])
