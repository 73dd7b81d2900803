"""The demo estate, seeded into in-process moto (mock_aws) with IAM enforced, collected once."""

from __future__ import annotations

from typing import Any

import pytest
from aws_support import all_facts_but, by_name, collect, mocked_estate

from auditor.derived_facts import PATHS as CORE_DERIVED  # the core derives these
from auditor.model import FactState, Inventory
from auditor.providers.aws import AwsAdapter
from auditor.providers.base import Collection, validate_adapter
from auditor.schema import fact_catalog, validate

OPAQUE, DENIED, ERROR = FactState.OPAQUE, FactState.DENIED, FactState.ERROR

# bucket -> fact -> the observed value, or the state when it is not observed
EXPECTED: dict[str, dict[str, Any]] = {
    "demo-us-plain": {  # as S3 creates a bucket today: SSE-S3, ACLs disabled, all blocked
        "encryption.enabled": True, "encryption.algorithm": "AES256",
        "key_custody.level": "provider", "key_custody.hsm": OPAQUE,
        "tls_enforced.required": False, "access_control.acls_disabled": True,
        "public_access_block.bucket": True, "public_access_block.effective": True,
        "public_exposure.is_public": False, "versioning.enabled": False,
        "immutability.enabled": False, "access_logging.enabled": False,
        "data_residency.region": "us-east-1", "data_residency.jurisdiction": "US",
        "soft_delete.enabled": OPAQUE},
    "demo-us-sse-s3": {
        "encryption.algorithm": "AES256", "encryption.key_id": None,
        "key_custody.level": "provider", "key_custody.hsm": OPAQUE,
        "key_rotation.enabled": OPAQUE, "key_rotation.period_days": OPAQUE,
        "key_rotation.supported": OPAQUE, "tls_enforced.required": True, "versioning.enabled": True,
        "public_access_block.bucket": True, "public_access_block.account": False,
        "public_access_block.effective": True},
    "demo-us-aws-managed": {  # AWS managed keys always rotate yearly (no call needed)
        "encryption.algorithm": "KMS", "encryption.key_id": None,
        "key_custody.level": "provider_kms", "key_custody.hsm": True,  # in the KMS HSMs
        "key_rotation.enabled": True, "key_rotation.period_days": 365,
        "key_rotation.supported": True},
    "demo-us-imported": {  # imported key material cannot rotate automatically
        "key_custody.level": "customer_imported", "key_custody.hsm": True,
        "key_rotation.enabled": False, "key_rotation.period_days": None,
        "key_rotation.supported": False},
    "demo-us-hidden-key": {
        "encryption.enabled": True, "encryption.algorithm": "KMS",
        "key_custody.level": DENIED, "key_custody.hsm": DENIED,
        "key_rotation.enabled": DENIED, "key_rotation.period_days": DENIED,
        "key_rotation.supported": DENIED},
    "demo-us-open-key": {
        "key_custody.level": "customer_kms", "key_rotation.enabled": True,
        "key_rotation.period_days": 365, "key_rotation.supported": True},
    "demo-us-public-policy": {
        "public_exposure.is_public": True, "public_exposure.reasons": ["policy"],
        "tls_enforced.required": False, "public_access_block.effective": False},
    "demo-us-public-acl": {  # the account ignores public ACLs
        "public_exposure.is_public": False, "public_exposure.reasons": [],
        "public_access_block.account": False, "public_access_block.bucket": False,
        "access_control.acls_disabled": False, "encryption.algorithm": "AES256"},
    "demo-us-authenticated-acl": {"public_exposure.is_public": False},
    "demo-us-account-policy": {"public_exposure.is_public": False,
                               "tls_enforced.required": True},
    "demo-us-logged": {"access_logging.enabled": True,
                       "access_logging.target": "s3://demo-us-logs/demo-us-logged/"},
    "demo-us-denied-policy": {  # its own Block Public Access decides without the policy
        "tls_enforced.required": DENIED, "public_exposure.is_public": False,
        "public_access_block.effective": True, "encryption.enabled": True,
        "versioning.enabled": False, "access_logging.enabled": False},
    # its only Deny is on s3:TlsVersion < 1.2: plain HTTP carries no TLS version, so it is
    # not refused (S3 User Guide, "Enforcing encryption in transit": aws:SecureTransport)
    "demo-us-owner-enforced": {"access_control.acls_disabled": True,
                               "tls_enforced.required": False},
    "demo-eu-hardened": {
        "encryption.algorithm": "KMS", "key_custody.level": "customer_kms",
        "key_rotation.enabled": True, "tls_enforced.required": True,
        "public_access_block.effective": True, "access_control.acls_disabled": True,
        "access_logging.target": "s3://demo-eu-logs/demo-eu-hardened/",
        "data_residency.country": "IE", "data_residency.jurisdiction": "EU",
        "data_residency.multi_region": False},
    "demo-eu-static-key": {"key_custody.level": "customer_kms", "key_rotation.enabled": False,
                           "key_rotation.period_days": None,
                           "key_rotation.supported": True},  # could rotate, does not
    "demo-eu-dsse": {"encryption.algorithm": "DSSE", "key_custody.level": "customer_kms",
                     "key_rotation.enabled": True},
    "demo-eu-disabled-key": {"key_custody.level": "customer_kms"},
    "demo-eu-tls-narrowed-condition": {"tls_enforced.required": False},
    "demo-eu-tls-narrowed-principal": {"tls_enforced.required": False},
    "demo-eu-tls-objects-only": {"tls_enforced.required": False},
    "demo-eu-replicated-to-us": {
        "data_residency.jurisdiction": "EU",
        "data_residency.replication_destinations": [
            {"target": "arn:aws:s3:::demo-us-replica", "region": "us-east-1",
             "country": "US", "jurisdiction": "US"}],
        "data_residency.replication_jurisdictions": ["US"]},
    "demo-us-replica": {"data_residency.replication_destinations": [],
                        "data_residency.replication_jurisdictions": []},
    "demo-eu-denied-logging": {"access_logging.enabled": DENIED,
                               "access_logging.target": DENIED, "encryption.enabled": True,
                               "tls_enforced.required": False},
    "demo-de-compliance": {
        "immutability.enabled": True, "immutability.mode": "compliance",
        "immutability.retention_days": 365, "immutability.locked": True,
        "versioning.enabled": True},
    "demo-de-governance": {
        "immutability.enabled": True, "immutability.mode": "governance",
        "immutability.retention_days": 30, "immutability.locked": False},
    "demo-de-lock-no-default": {"immutability.enabled": False, "immutability.mode": None,
                                "immutability.locked": False, "versioning.enabled": True},
    "demo-de-cloudhsm": {"key_custody.level": "customer_kms", "key_custody.hsm": True,
                         "key_rotation.enabled": False, "key_rotation.supported": False},
    # moto does not store MFADelete: the estate asks for it, the API says it is off.
    "demo-de-mfa-delete": {"versioning.enabled": True, "versioning.mfa_delete": False},
    "demo-de-suspended": {"versioning.enabled": False, "immutability.enabled": False},
    "demo-de-denied-versioning": {"versioning.enabled": DENIED, "versioning.mfa_delete": DENIED,
                                  "immutability.enabled": False,
                                  "data_residency.replication_jurisdictions": []},
    "demo-sg-xks": {"key_custody.level": "external", "key_custody.hsm": OPAQUE,
                    "key_rotation.enabled": False, "key_rotation.supported": False},
    "demo-sg-retiring-key": {"key_custody.level": "customer_kms"},
    "demo-sg-plain": {  # its owner turned Block Public Access off and ACLs back on
        "encryption.algorithm": "AES256", "public_access_block.bucket": False,
        "access_control.acls_disabled": False, "public_exposure.is_public": False},
    "demo-sg-blocked-by-bucket": {
        "public_exposure.is_public": False, "public_access_block.bucket": True,
        "public_access_block.effective": True, "tls_enforced.required": False,
        "data_residency.country": "SG"},
}


@pytest.fixture(scope="module")
def collection(demo: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Collection:
    # moto in-process does not implement GetEbsDefaultKmsKeyId (it raises in-process);
    # the moto-server test asserts that fact's `error` state instead.
    with mocked_estate(demo, tmp_path_factory.mktemp("aws")):
        return collect({"region": demo["regions"]},
                       all_facts_but("account:block_storage_encryption.key_id"))


@pytest.fixture(scope="module")
def buckets(collection: Collection) -> dict[str, Any]:
    return by_name(collection, "storage.bucket")


def test_every_seeded_bucket_is_collected_once(collection: Collection, buckets: dict,
                                               demo: dict) -> None:
    names = [r.name for r in collection.resources if r.kind == "storage.bucket"]
    assert sorted(names) == sorted(b["name"] for b in demo["buckets"])
    for bucket in demo["buckets"]:
        resource = buckets[bucket["name"]]
        assert resource.id == f"arn:aws:s3:::{bucket['name']}"
        assert resource.region == bucket["region"]
        assert resource.account == "123456789012"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bucket_facts_match_the_estate(buckets: dict, name: str) -> None:
    facts = buckets[name].facts
    for path, expected in EXPECTED[name].items():
        fact = facts[path]
        if isinstance(expected, FactState):
            assert fact.state is expected, (path, fact)
            assert fact.value is None and fact.detail, (path, fact)
        else:
            assert fact.state is FactState.OBSERVED, (path, fact)
            assert fact.value == expected, (path, fact)


def test_every_wanted_fact_is_emitted(buckets: dict) -> None:
    catalog = set(fact_catalog()["storage.bucket"]) - set(CORE_DERIVED)
    rotation = {"key_rotation.enabled", "key_rotation.period_days", "key_rotation.supported"}
    for resource in buckets.values():
        encrypted = resource.facts["encryption.enabled"]
        expected = catalog - rotation if encrypted.value is False else catalog
        assert set(resource.facts) == expected, resource.name


def test_tls_details_say_why_a_deny_does_not_count(buckets: dict) -> None:
    def detail(name: str) -> str:
        fact = buckets[name].facts["tls_enforced.required"]
        assert fact.basis == "derived"
        return fact.detail or ""

    assert "extra condition(s) IpAddress:aws:SourceIp" in detail("demo-eu-tls-narrowed-condition")
    assert "not every principal" in detail("demo-eu-tls-narrowed-principal")
    assert "bucket ARN not covered" in detail("demo-eu-tls-objects-only")
    assert "s3:TlsVersion<1.2" in detail("demo-us-owner-enforced")
    assert "NoSuchBucketPolicy" in detail("demo-us-plain")


def test_denied_calls_deny_only_their_facts(collection: Collection, buckets: dict) -> None:
    denied = {(e.scope, e.operation) for e in collection.run.errors if "Denied" in e.code}
    assert ("demo-us-denied-policy", "s3:GetBucketPolicy") in denied
    assert ("demo-eu-denied-logging", "s3:GetBucketLogging") in denied
    assert ("demo-de-denied-versioning", "s3:GetBucketVersioning") in denied
    assert any(op == "kms:DescribeKey" for _, op in denied)
    assert collection.run.status == "partial"
    for name in ("demo-us-denied-policy", "demo-eu-denied-logging", "demo-de-denied-versioning"):
        states = {f.state for f in buckets[name].facts.values()}
        assert FactState.DENIED in states
        observed = [p for p, f in buckets[name].facts.items() if f.decided]
        assert len(observed) >= 20, (name, observed)  # the rest of the bucket is still there
    tls = buckets["demo-us-denied-policy"].facts["tls_enforced.required"]
    # Derived (runtime derive): the detail names the input that was not observed and why.
    assert tls.state is FactState.DENIED
    assert "bucket policy denied (AccessDenied" in tls.detail
    assert buckets["demo-us-denied-policy"].facts["tls_enforced.required"].source == (
        "s3:GetBucketPolicy",)


def test_keys(collection: Collection) -> None:
    keys = by_name(collection, "kms.key")

    def value(name: str, path: str) -> Any:
        fact = keys[name].facts[path]
        assert fact.state is FactState.OBSERVED, (name, path, fact)
        return fact.value

    # every customer key in the regions, plus the AWS managed key that protects a bucket
    assert set(keys) == {"eu-data-rotated", "eu-data-static", "eu-ebs", "eu-disabled",
                         "us-imported", "us-open-policy", "us-hidden", "de-cloudhsm",
                         "de-unused", "sg-xks", "sg-retiring", "aws/s3"}
    # one DescribeKey per key: AWS managed keys that protect nothing are not described
    assert collection.run.api_calls["kms:DescribeKey"] == len(keys)
    assert value("aws/s3", "key.manager") == "provider"
    assert value("aws/s3", "key_custody.level") == "provider_kms"
    assert value("aws/s3", "key_rotation.period_days") == 365
    assert keys["aws/s3"].facts["key_rotation.enabled"].source == ("kms:DescribeKey",)
    assert value("eu-data-rotated", "key.manager") == "customer"
    assert value("eu-data-rotated", "key_rotation.enabled") is True
    assert value("eu-data-static", "key_rotation.period_days") is None
    assert value("eu-disabled", "key.state") == "disabled"
    assert value("sg-retiring", "key.state") == "pending_deletion"
    assert value("us-imported", "key_custody.level") == "customer_imported"
    # Only symmetric keys with AWS KMS generated material rotate automatically.
    for name, supported in (("eu-data-rotated", True), ("eu-data-static", True),
                            ("aws/s3", True), ("us-imported", False), ("de-cloudhsm", False),
                            ("sg-xks", False)):
        assert value(name, "key_rotation.supported") is supported, name
        assert keys[name].facts["key_rotation.supported"].source == ("kms:DescribeKey",)
    assert "Origin EXTERNAL" in keys["us-imported"].facts["key_rotation.supported"].detail
    assert value("de-cloudhsm", "key_custody.hsm") is True
    # AWS KMS keeps generated and imported key material in its own HSMs.
    for name in ("eu-data-rotated", "us-imported", "aws/s3"):
        assert value(name, "key_custody.hsm") is True, name
        assert "FIPS 140-3 Level 3" in keys[name].facts["key_custody.hsm"].detail
    assert value("sg-xks", "key_custody.level") == "external"
    assert keys["sg-xks"].facts["key_custody.hsm"].state is FactState.OPAQUE
    assert value("us-open-policy", "key_exposure.is_public") is True
    assert keys["us-open-policy"].facts["key_exposure.is_public"].basis == "derived"
    assert value("eu-data-rotated", "key_exposure.is_public") is False
    hidden = keys["us-hidden"]
    assert hidden.id.startswith("arn:aws:kms:us-east-1:123456789012:key/")
    assert {f.state for f in hidden.facts.values()} == {FactState.DENIED}
    assert keys["de-unused"].region == "eu-central-1"


def test_accounts(collection: Collection, demo: dict) -> None:
    accounts = {r.id: r for r in collection.resources if r.kind == "account"}
    assert set(accounts) == {"123456789012", *(f"123456789012/{r}" for r in demo["regions"])}
    glob = accounts["123456789012"]
    assert glob.region == "global"
    assert glob.facts["public_access_block.enabled"].value is False  # only ACL flags set
    assert "BlockPublicPolicy" in glob.facts["public_access_block.enabled"].detail
    ebs = {r: accounts[f"123456789012/{r}"].facts for r in demo["regions"]}
    assert ebs["eu-west-1"]["block_storage_encryption.enabled"].value is True
    assert ebs["eu-central-1"]["block_storage_encryption.enabled"].value is True
    assert ebs["us-east-1"]["block_storage_encryption.enabled"].value is False
    assert all("block_storage_encryption.key_id" not in facts for facts in ebs.values())


def test_run_metadata(collection: Collection, demo: dict) -> None:
    run = collection.run
    assert run.provider == "aws" and run.accounts == ["123456789012"]
    assert run.regions == demo["regions"]
    assert run.endpoint_overridden is False
    assert run.api_calls["s3:ListBuckets"] == 1
    assert run.api_calls["sts:GetCallerIdentity"] == 1
    assert run.api_calls["s3control:GetPublicAccessBlock"] == 1
    assert run.api_calls["s3:GetBucketEncryption"] == len(demo["buckets"])


def test_inventory_is_valid_against_the_schema(collection: Collection) -> None:
    validate("inventory", Inventory([collection.run], collection.resources).to_dict(), "test")


def test_adapter_is_a_valid_plugin() -> None:
    validate_adapter(AwsAdapter(), "aws")


def test_adapter_holds_to_its_exposure_profile(collection: Collection) -> None:
    profile = AwsAdapter().exposure_profile()
    seen: set[tuple[str, str]] = set()
    for resource in collection.resources:
        for path, fact in resource.facts.items():
            entry = profile[resource.kind][path]
            seen.add((resource.kind, path))
            if entry.level == "none":
                assert fact.state is FactState.OPAQUE, (resource.name, path)
            elif fact.state is FactState.OPAQUE:
                assert entry.opaque_when, (resource.name, path, fact.detail)
            assert set(fact.source) <= set(entry.operations), (resource.name, path, fact.source)
            if fact.basis == "derived" and path in ("tls_enforced.required",
                                                     "key_exposure.is_public"):
                assert entry.level == "derived"
    # the demo estate exercises every fact path the collection asked for
    asked = {(k, p) for k, ps in all_facts_but(
        "account:block_storage_encryption.key_id").items() for p in ps if p not in CORE_DERIVED}
    assert seen == asked
