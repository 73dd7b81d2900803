"""Per-bucket expectations: every branch of the Alibaba adapter, through the real SDKs."""

from __future__ import annotations

import math

import pytest
from alibaba_support import (
    ACCOUNT,
    BUCKETS,
    BYOK,
    CUST,
    CUST_NOROT,
    DENIED,
    ERROR,
    EXPECTED,
    HSM,
    LOCKED_KEY,
    OPAQUE,
    PAGE_SIZE,
    PUBLIC_KEY,
    SVC_HZ,
    accounts,
    buckets,
    keys,
)

from auditor.model import FactState, Inventory
from auditor.schema import validate

MARKERS = {DENIED: FactState.DENIED, ERROR: FactState.ERROR, OPAQUE: FactState.OPAQUE}


@pytest.mark.parametrize("bucket", sorted(EXPECTED))
def test_bucket_facts(ali_scan, bucket):
    found = buckets(ali_scan[0])[bucket]
    for path, expected in EXPECTED[bucket].items():
        fact = found.facts[path]
        if isinstance(expected, str) and expected in MARKERS:
            assert fact.state is MARKERS[expected], (bucket, path, fact)
            assert fact.value is None and fact.detail, (bucket, path, fact)
        else:
            assert fact.state is FactState.OBSERVED, (bucket, path, fact)
            assert fact.value == expected, (bucket, path, fact)


def test_every_listed_bucket_is_collected_across_pages(ali_scan):
    collection, requests = ali_scan
    assert sorted(buckets(collection)) == sorted(b["name"] for b in BUCKETS)
    pages = [r for r in requests if r.action == "oss:ListBuckets"]
    assert len(pages) == math.ceil(len(BUCKETS) / PAGE_SIZE) > 1
    markers = [r.query.get("marker", [""])[0] for r in pages]
    assert markers[0] == "" and all(markers[1:]), "later pages follow NextMarker"


def test_resource_identity(ali_scan):
    bucket = buckets(ali_scan[0])["replication-eu"]
    assert (bucket.provider, bucket.account, bucket.region) == (
        "alibaba", ACCOUNT, "oss-cn-shanghai")
    assert bucket.id == f"acs:oss:*:{ACCOUNT}:replication-eu"


def test_run_metadata(ali_scan):
    run = ali_scan[0].run
    assert run.provider == "alibaba" and run.accounts == [ACCOUNT]
    assert run.regions == ["cn-hangzhou", "cn-shanghai", "eu-central-1"]
    assert run.status == "partial" and run.endpoint_overridden
    failures = {(e.scope, e.operation, e.code) for e in run.errors}
    assert ("denied-worm", "oss:GetBucketWorm", "AccessDenied") in failures
    assert ("info-denied", "oss:GetBucketInfo", "AccessDenied") in failures
    assert ("always-500", "oss:GetBucketPolicy", "InternalError") in failures
    assert (LOCKED_KEY, "kms:DescribeKey", "Forbidden.NoPermission") in failures
    assert not any(e.scope in ("flaky-then-ok", "throttled-then-ok") for e in run.errors)
    assert run.api_calls["oss:GetBucketInfo"] == len(BUCKETS)


def test_denied_and_error_details_name_the_cause(ali_scan):
    found = buckets(ali_scan[0])
    worm = found["denied-worm"].facts["immutability.locked"]
    # Both retention reads are named: either could have shown a retention.
    assert worm.source == ("oss:GetBucketWorm", "oss:GetBucketObjectWormConfiguration")
    assert worm.detail.startswith("AccessDenied")
    tls = found["always-500"].facts["tls_enforced.required"]
    assert "gave up after 4 attempts" in tls.detail and tls.source[0] == "oss:GetBucketPolicy"
    key = found["kms-key-denied"].facts["key_custody.level"]
    assert key.source[0] == "kms:DescribeKey" and "Forbidden.NoPermission" in key.detail
    bad = found["tls-unparsable"].facts["tls_enforced.required"]
    assert "not JSON" in bad.detail
    unplaced = found["replication-unplaced"].facts["data_residency.replication_jurisdictions"]
    assert "dr-nowhere" in unplaced.detail


def test_policy_facts_are_derived_and_explained(ali_scan):
    found = buckets(ali_scan[0])
    correct = found["tls-correct"].facts["tls_enforced.required"]
    assert correct.basis == "derived"
    assert correct.source == ("oss:GetBucketPolicy", "oss:GetBucketHttpsConfig")
    assert "TLSv1.2" in correct.detail
    reasons = {name: found[name].facts["tls_enforced.required"].detail for name in (
        "tls-objects-only", "tls-principal", "tls-action", "tls-extra-condition",
        "tls-allow-true", "enc-none")}
    assert "do not cover the bucket itself" in reasons["tls-objects-only"]
    assert "is not everyone" in reasons["tls-principal"]
    assert "are not oss:*" in reasons["tls-action"]
    assert "IpAddress:acs:SourceIp" in reasons["tls-extra-condition"]
    assert "does not deny plain HTTP" in reasons["tls-allow-true"]
    assert "NoSuchBucketPolicy" in reasons["enc-none"]


def test_rotation_details(ali_scan):
    found = buckets(ali_scan[0])
    hsm = found["kms-hsm"].facts["key_rotation.enabled"]
    assert "cannot rotate automatically" in hsm.detail
    assert found["enc-aes256"].facts["key_rotation.enabled"].detail.startswith("OSS-managed")
    assert found["enc-aes256"].facts["key_rotation.supported"].detail.startswith("OSS-managed")
    assert "Origin EXTERNAL" in found["kms-byok"].facts["key_rotation.supported"].detail
    assert "hardware key management instance" in \
        found["kms-hsm"].facts["key_rotation.supported"].detail
    assert found["kms-customer-key"].facts["key_rotation.supported"].source == (
        "oss:GetBucketInfo", "kms:DescribeKey")
    assert "paused" in found["kms-customer-norotate"].facts["key_rotation.supported"].detail
    encryption_off = found["enc-none"].facts
    assert "key_rotation.enabled" not in encryption_off  # not applicable
    assert "key_rotation.period_days" not in encryption_off
    assert "key_rotation.supported" not in encryption_off


def test_blocked_bucket_says_why_it_is_not_public(ali_scan):
    fact = buckets(ali_scan[0])["public-blocked-bucket"].facts["public_exposure.is_public"]
    assert "neutralized by Block Public Access" in fact.detail


def test_get_bucket_info_answers_are_not_asked_again(ali_scan):
    found = buckets(ali_scan[0])
    normal = found["logging-on"].facts
    for path in ("encryption.enabled", "versioning.enabled", "access_logging.target",
                 "public_access_block.bucket"):
        assert normal[path].source[0] == "oss:GetBucketInfo", path
    fallback = found["info-denied"].facts
    assert fallback["encryption.algorithm"].source == ("oss:GetBucketEncryption",)
    assert fallback["versioning.enabled"].source == ("oss:GetBucketVersioning",)
    assert fallback["access_logging.enabled"].source == ("oss:GetBucketLogging",)
    assert fallback["public_access_block.bucket"].source == ("oss:GetBucketPublicAccessBlock",)
    assert fallback["data_residency.replication_destinations"].source == (
        "oss:GetBucketReplication",)
    old = found["info-old-format"].facts
    assert old["encryption.key_id"].source == ("oss:GetBucketEncryption",)
    assert old["versioning.enabled"].source == ("oss:GetBucketInfo",)  # present, so not asked
    assert found["location-missing"].facts["data_residency.region"].source == (
        "oss:GetBucketLocation",)


def test_key_resources(ali_scan):
    found = keys(ali_scan[0])
    assert {SVC_HZ, CUST, CUST_NOROT, BYOK, HSM, LOCKED_KEY, PUBLIC_KEY} <= set(found)
    expect = {
        SVC_HZ: {"key.manager": "provider", "key_custody.level": "provider_kms",
                 "key_rotation.period_days": 365, "key_rotation.supported": True},
        CUST: {"key.manager": "customer", "key.state": "enabled",
               "key_custody.level": "customer_kms", "key_rotation.enabled": True,
               "key_rotation.supported": True},
        CUST_NOROT: {"key.state": "disabled", "key_rotation.enabled": False,
                     "key_rotation.supported": True},
        BYOK: {"key.state": "pending_import", "key_custody.level": "customer_imported",
               "key_rotation.supported": False},
        HSM: {"key_custody.hsm": True, "key_exposure.is_public": False,
              "key_rotation.supported": False},
        PUBLIC_KEY: {"key_exposure.is_public": True},
    }
    for key_id, facts in expect.items():
        for path, value in facts.items():
            fact = found[key_id].facts[path]
            assert fact.decided and fact.value == value, (key_id, path, fact)
    assert found[PUBLIC_KEY].facts["key_exposure.is_public"].source == (
        "kms:DescribeKey", "kms:GetKeyPolicy")
    assert found[CUST].facts["key_exposure.is_public"].basis == "derived"
    assert found[LOCKED_KEY].facts["key_custody.level"].state is FactState.DENIED
    assert found[LOCKED_KEY].facts["key_rotation.supported"].state is FactState.DENIED
    assert found[CUST].facts["key_rotation.supported"].source == ("kms:DescribeKey",)
    assert found[HSM].region == "cn-shanghai"
    assert found[HSM].id == f"acs:kms:cn-shanghai:{ACCOUNT}:key/{HSM}"


def test_account_resource(ali_scan):
    found = accounts(ali_scan[0])
    assert set(found) == {"global", "cn-hangzhou", "cn-shanghai", "eu-central-1"}
    account = found["global"]
    assert (account.id, account.name) == (ACCOUNT, ACCOUNT)
    # The global resource carries Block Public Access only; disk defaults are regional.
    assert set(account.facts) == {"public_access_block.enabled"}
    assert account.facts["public_access_block.enabled"].value is False


def test_inventory_matches_the_schema(ali_scan):
    collection = ali_scan[0]
    validate("inventory", Inventory([collection.run], collection.resources).to_dict(),
             "alibaba inventory")
