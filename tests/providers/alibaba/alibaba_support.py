"""Shared data for the Alibaba Cloud adapter tests: an estate whose bucket names say which
branch of the adapter they exercise, the expected facts per bucket, and small helpers.
Fixtures live in conftest.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from auditor.model import Resource
from auditor.providers.alibaba import AlibabaAdapter
from auditor.providers.alibaba.sandbox import AlibabaSandbox
from auditor.providers.base import Collection, CollectRequest
from auditor.sandbox.base import RecordedRequest

ACCOUNT = "1122334455667788"
PAGE_SIZE = 7
DENIED, ERROR, OPAQUE = "<denied>", "<error>", "<opaque>"

SVC_HZ, SVC_SH = "key-hz-service-oss", "key-sh-service-oss"
CUST, CUST_NOROT, BYOK, HSM = "key-hz-customer", "key-hz-norotate", "key-hz-byok", "key-sh-hsm"
SM4_KEY, LOCKED_KEY, PUBLIC_KEY = "key-hz-sm4", "key-hz-denied", "key-sh-public-policy"


def res(bucket: str, objects: bool = True, bucket_itself: bool = True) -> list[str]:
    return ([f"acs:oss:*:{ACCOUNT}:{bucket}"] if bucket_itself else []) + (
        [f"acs:oss:*:{ACCOUNT}:{bucket}/*"] if objects else [])


def deny_http(bucket: str, **over: Any) -> dict[str, Any]:
    statement = {"Effect": "Deny", "Principal": ["*"], "Action": ["oss:*"],
                 "Resource": res(bucket), "Condition": {"Bool": {"acs:SecureTransport": ["false"]}}}
    statement.update(over)
    return {"Version": "1", "Statement": [statement]}


def allow_public(bucket: str) -> dict[str, Any]:
    return {"Version": "1", "Statement": [{"Effect": "Allow", "Principal": ["*"],
                                           "Action": ["oss:GetObject"],
                                           "Resource": res(bucket, bucket_itself=False)}]}


def b(name: str, region: str = "oss-cn-hangzhou", **spec: Any) -> dict[str, Any]:
    return {"name": name, "region": region, **spec}


KEYS = [
    {"id": SVC_HZ, "region": "cn-hangzhou", "creator": "Oss", "aliases": ["alias/acs/oss"],
     "rotation": "365d"},
    {"id": SVC_SH, "region": "cn-shanghai", "creator": "Oss", "aliases": ["alias/acs/oss"]},
    {"id": CUST, "region": "cn-hangzhou", "rotation": "180d"},
    {"id": CUST_NOROT, "region": "cn-hangzhou", "state": "Disabled"},
    {"id": BYOK, "region": "cn-hangzhou", "origin": "EXTERNAL", "state": "PendingImport"},
    {"id": HSM, "region": "cn-shanghai", "protection": "HSM", "instance": "kst-sh-1",
     "policy": {"Version": "1", "Statement": [{"Effect": "Allow", "Principal": {
         "RAM": [f"acs:ram::{ACCOUNT}:*"]}, "Action": ["kms:*"], "Resource": ["*"]}]}},
    {"id": SM4_KEY, "region": "cn-hangzhou", "spec": "Aliyun_SM4", "rotation": "31536000s"},
    {"id": LOCKED_KEY, "region": "cn-hangzhou", "faults": {"DescribeKey": 403}},
    {"id": PUBLIC_KEY, "region": "cn-shanghai", "protection": "HSM", "instance": "kst-sh-2",
     "policy": {"Version": "1", "Statement": [{"Effect": "Allow", "Principal": {"RAM": ["*"]},
                                               "Action": ["kms:Decrypt"], "Resource": ["*"]}]}},
]

BUCKETS = [
    b("enc-none"),
    b("enc-aes256", encryption="AES256"),
    b("enc-sm4", encryption="SM4"),
    b("kms-service-key", encryption={"algorithm": "KMS"}),
    b("kms-service-key-sh", "oss-cn-shanghai", encryption={"algorithm": "KMS"}),
    b("kms-service-key-named", encryption={"algorithm": "KMS", "key": SVC_HZ}),
    b("kms-customer-key", encryption={"algorithm": "KMS", "key": CUST}),
    b("kms-customer-norotate", encryption={"algorithm": "KMS", "key": CUST_NOROT}),
    b("kms-byok", encryption={"algorithm": "KMS", "key": BYOK}),
    b("kms-hsm", "oss-cn-shanghai", encryption={"algorithm": "KMS", "key": HSM}),
    b("kms-sm4-data", encryption={"algorithm": "KMS", "key": SM4_KEY, "data": "SM4"}),
    b("kms-key-denied", encryption={"algorithm": "KMS", "key": LOCKED_KEY}),
    b("public-acl", acl="public-read"),
    b("public-policy", policy=allow_public("public-policy")),
    b("public-both", "oss-eu-central-1", acl="public-read-write",
      policy=allow_public("public-both")),
    b("public-blocked-bucket", acl="public-read-write", block_public_access=True),
    b("tls-correct", policy=deny_http("tls-correct"), https={"versions": ["TLSv1.2"]}),
    b("tls-wildcard", policy=deny_http("tls-wildcard", Action="*", Resource="*",
                                       Principal="*")),
    b("tls-objects-only", policy=deny_http("tls-objects-only",
                                           Resource=res("tls-objects-only", bucket_itself=False))),
    b("tls-principal", policy=deny_http("tls-principal", Principal=["203948571"])),
    b("tls-action", policy=deny_http("tls-action", Action=["oss:GetObject"])),
    b("tls-extra-condition", policy=deny_http(
        "tls-extra-condition", Condition={"Bool": {"acs:SecureTransport": "false"},
                                          "IpAddress": {"acs:SourceIp": ["10.0.0.0/8"]}})),
    b("tls-allow-true", policy={"Version": "1", "Statement": [{
        "Effect": "Allow", "Principal": [ACCOUNT], "Action": ["oss:*"],
        "Resource": res("tls-allow-true"), "Condition": {"Bool": {"acs:SecureTransport": "true"}}}]}),
    b("tls-unparsable", policy="{not json"),
    b("worm-inprogress", worm={"state": "InProgress", "days": 30}),
    b("worm-locked", worm={"state": "Locked", "days": 3650}),
    b("versioning-enabled", versioning="Enabled"),
    b("versioning-suspended", versioning="Suspended"),
    b("logging-on", logging={"bucket": "central-logs", "prefix": "logging-on/"}),
    b("replication-eu", "oss-cn-shanghai",
      replication=[{"bucket": "dr-frankfurt", "region": "oss-eu-central-1"}]),
    b("replication-unplaced", replication=[{"bucket": "dr-nowhere", "region": "oss-xx-nowhere-1"}]),
    # Same-region replication: GetBucketInfo's CrossRegionReplication stays Disabled.
    b("replication-srr", replication=[{"bucket": "dr-hangzhou", "region": "oss-cn-hangzhou"}]),
    b("redundancy-zrs", "oss-cn-shanghai", redundancy="ZRS"),
    b("denied-worm", encryption="AES256", versioning="Enabled", faults={"GetBucketWorm": 403}),
    b("info-denied", encryption="AES256", acl="public-read", versioning="Suspended",
      logging={"bucket": "central-logs", "prefix": ""}, block_public_access=True,
      replication=[{"bucket": "dr-frankfurt", "region": "oss-eu-central-1"}],
      faults={"GetBucketInfo": 403}),
    b("info-old-format", encryption={"algorithm": "KMS", "key": CUST}, acl="public-read",
      logging={"bucket": "central-logs", "prefix": "old/"},
      info_omits=["BlockPublicAccess", "ServerSideEncryptionRule", "BucketPolicy",
                  "AccessControlList", "CrossRegionReplication"]),
    b("flaky-then-ok", worm={"state": "Locked", "days": 7}, faults={"GetBucketWorm": [503, 503]}),
    b("throttled-then-ok", faults={"GetBucketPolicyStatus": ["SlowDown", "SlowDown"]}),
    b("always-500", "oss-eu-central-1", faults={"GetBucketPolicy": 500}),
    b("location-missing", "oss-cn-shanghai", list_omits=["Location"]),
]

# ECS default disk encryption, one state per scanned region.
DISK_DEFAULTS = {"cn-hangzhou": {"encrypted": True, "key": CUST},
                 "cn-shanghai": {"encrypted": False, "key": "key-left-from-before"},
                 "eu-central-1": {"encrypted": True,
                                  "faults": {"DescribeDiskEncryptionByDefaultStatus": 403}}}

ESTATE: dict[str, Any] = {"account": ACCOUNT, "public_access_block": False,
                          "list_page_size": PAGE_SIZE, "keys": KEYS, "buckets": BUCKETS,
                          "ecs_default_encryption": DISK_DEFAULTS}

NONE_ENC = {"encryption.enabled": False, "encryption.algorithm": None, "encryption.key_id": None,
            "key_custody.level": "none", "key_custody.hsm": False}
PRIVATE = {"public_exposure.is_public": False, "public_exposure.reasons": []}

# bucket -> fact -> expected value (or DENIED / ERROR / OPAQUE). Facts not named are checked
# by the broader tests (schema, exposure profile).
EXPECTED: dict[str, dict[str, Any]] = {
    "enc-none": {**NONE_ENC, **PRIVATE, "tls_enforced.required": False,
                 "immutability.enabled": False, "immutability.locked": False,
                 "versioning.enabled": False, "access_logging.enabled": False,
                 "data_residency.region": "oss-cn-hangzhou", "data_residency.jurisdiction": "CN",
                 "data_residency.replication_destinations": []},
    "enc-aes256": {"encryption.enabled": True, "encryption.algorithm": "AES256",
                   "key_custody.level": "provider", "key_custody.hsm": OPAQUE,
                   "key_rotation.enabled": OPAQUE, "key_rotation.period_days": OPAQUE,
                   "key_rotation.supported": OPAQUE},
    "enc-sm4": {"encryption.algorithm": "SM4", "key_custody.level": "provider",
                "key_rotation.enabled": OPAQUE},
    "kms-service-key": {"encryption.algorithm": "KMS", "encryption.key_id": None,
                        "key_custody.level": "provider_kms", "key_custody.hsm": False,
                        "key_rotation.enabled": True, "key_rotation.period_days": 365,
                        "key_rotation.supported": True},
    # The OSS service key with AutomaticRotation Disabled: OSS decides its rotation and no
    # API states a schedule (KMS "Configure key rotation": service-managed keys take no
    # rotation policy), so rotation is opaque, never "cannot rotate".
    "kms-service-key-sh": {"key_custody.level": "provider_kms", "key_rotation.enabled": OPAQUE,
                           "key_rotation.period_days": OPAQUE,
                           "key_rotation.supported": OPAQUE},
    "kms-service-key-named": {"encryption.key_id": SVC_HZ, "key_custody.level": "provider_kms"},
    "kms-customer-key": {"encryption.key_id": CUST, "key_custody.level": "customer_kms",
                         "key_custody.hsm": False, "key_rotation.enabled": True,
                         "key_rotation.period_days": 180, "key_rotation.supported": True},
    "kms-customer-norotate": {"key_custody.level": "customer_kms",
                              "key_rotation.enabled": False, "key_rotation.period_days": None,
                              "key_rotation.supported": True},
    "kms-byok": {"key_custody.level": "customer_imported", "key_custody.hsm": False,
                 "key_rotation.supported": False},
    "kms-hsm": {"key_custody.level": "customer_kms", "key_custody.hsm": True,
                "key_rotation.enabled": False, "key_rotation.period_days": None,
                "key_rotation.supported": False},
    "kms-sm4-data": {"encryption.algorithm": "SM4", "encryption.key_id": SM4_KEY,
                     "key_custody.level": "customer_kms", "key_rotation.period_days": 365},
    "kms-key-denied": {"encryption.enabled": True, "encryption.algorithm": "KMS",
                       "key_custody.level": DENIED, "key_custody.hsm": DENIED,
                       "key_rotation.enabled": DENIED, "key_rotation.period_days": DENIED,
                       "key_rotation.supported": DENIED},
    "public-acl": {"public_exposure.is_public": True, "public_exposure.reasons": ["acl"],
                   "public_access_block.effective": False},
    "public-policy": {"public_exposure.is_public": True, "public_exposure.reasons": ["policy"]},
    "public-both": {"public_exposure.is_public": True,
                    "public_exposure.reasons": ["acl", "policy"]},
    "public-blocked-bucket": {"public_access_block.bucket": True,
                              "public_access_block.account": False,
                              "public_access_block.effective": True, **PRIVATE},
    "tls-correct": {"tls_enforced.required": True},
    "tls-wildcard": {"tls_enforced.required": True},
    "tls-objects-only": {"tls_enforced.required": False},
    "tls-principal": {"tls_enforced.required": False},
    "tls-action": {"tls_enforced.required": False},
    "tls-extra-condition": {"tls_enforced.required": False},
    "tls-allow-true": {"tls_enforced.required": False},
    "tls-unparsable": {"tls_enforced.required": ERROR},
    "worm-inprogress": {"immutability.enabled": True, "immutability.mode": "worm",
                        "immutability.retention_days": 30, "immutability.locked": False},
    "worm-locked": {"immutability.enabled": True, "immutability.mode": "worm",
                    "immutability.retention_days": 3650, "immutability.locked": True},
    "versioning-enabled": {"versioning.enabled": True, "versioning.mfa_delete": OPAQUE},
    "versioning-suspended": {"versioning.enabled": False},
    "logging-on": {"access_logging.enabled": True, "access_logging.target":
                   "central-logs/logging-on/"},
    "replication-eu": {
        "data_residency.region": "oss-cn-shanghai", "data_residency.jurisdiction": "CN",
        "data_residency.replication_destinations": [
            {"target": "dr-frankfurt", "region": "oss-eu-central-1", "country": "DE",
             "jurisdiction": "EU"}],
        "data_residency.replication_jurisdictions": ["EU"]},
    "replication-unplaced": {"data_residency.replication_jurisdictions": ERROR},
    "replication-srr": {
        "data_residency.replication_destinations": [
            {"target": "dr-hangzhou", "region": "oss-cn-hangzhou", "country": "CN",
             "jurisdiction": "CN"}],
        "data_residency.replication_jurisdictions": ["CN"]},
    "redundancy-zrs": {"data_residency.multi_region": False},
    "denied-worm": {"immutability.enabled": DENIED, "immutability.locked": DENIED,
                    "immutability.mode": DENIED, "immutability.retention_days": DENIED,
                    "encryption.algorithm": "AES256", "versioning.enabled": True},
    "info-denied": {"encryption.algorithm": "AES256", "key_custody.level": "provider",
                    "versioning.enabled": False, "access_logging.target": "central-logs",
                    "public_access_block.bucket": True, "public_access_block.effective": True,
                    **PRIVATE, "data_residency.replication_jurisdictions": ["EU"]},
    "info-old-format": {"encryption.key_id": CUST, "key_custody.level": "customer_kms",
                        "public_exposure.reasons": ["acl"], "access_logging.target":
                        "central-logs/old/", "public_access_block.bucket": False},
    "flaky-then-ok": {"immutability.locked": True, "immutability.retention_days": 7},
    "throttled-then-ok": {"public_exposure.is_public": False},
    "always-500": {"tls_enforced.required": ERROR},
    "location-missing": {"data_residency.region": "oss-cn-shanghai",
                         "data_residency.country": "CN", "immutability.enabled": False},
}


def fast_adapter() -> AlibabaAdapter:
    """Real retries, tiny backoff, so fault tests stay fast."""
    return AlibabaAdapter(retry_attempts=4, retry_base_delay=0.001, retry_max_delay=0.005)


def scan(sandbox: AlibabaSandbox, facts: dict[str, frozenset[str]] | None = None,
         max_workers: int = 8, options: dict[str, Any] | None = None,
         env: dict[str, str] | None = None) -> tuple[Collection, list[RecordedRequest]]:
    """One collection against the stand-in, with its credentials in the environment."""
    sandbox.reset_requests()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in (env if env is not None else sandbox.environment()).items():
            mp.setenv(name, value)
        collection = fast_adapter().collect(CollectRequest(
            options=options if options is not None else sandbox.scan_options(),
            facts=facts, max_workers=max_workers))
    return collection, sandbox.requests()


def buckets(collection: Collection) -> dict[str, Resource]:
    return {r.name: r for r in collection.resources if r.kind == "storage.bucket"}


def keys(collection: Collection) -> dict[str, Resource]:
    return {r.name: r for r in collection.resources if r.kind == "kms.key"}


def accounts(collection: Collection) -> dict[str, Resource]:
    """Account resources by region ("global", or a region id for ECS disk defaults)."""
    found = [r for r in collection.resources if r.kind == "account"]
    by_region = {r.region: r for r in found}
    assert len(by_region) == len(found), "one account resource per region"
    return by_region


def bucket_of(request: RecordedRequest) -> str | None:
    parts = [p for p in request.path.split("/") if p]
    return parts[0] if parts and request.action.startswith("oss:") else None
