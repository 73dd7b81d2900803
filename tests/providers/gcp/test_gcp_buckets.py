"""Per-bucket expectations of one full scan of the stand-in (every branch the adapter has)."""

from __future__ import annotations

from typing import Any

import pytest
from gcp_support import MAIN, MAIN_BUCKETS, NO_KMS, PAGE_SIZE, assert_facts, key, resources

from auditor.derived_facts import PATHS as CORE_DERIVED  # the core derives these
from auditor.model import FactState, Inventory
from auditor.schema import fact_catalog, validate

OPAQUE, DENIED, ERROR = FactState.OPAQUE, FactState.DENIED, FactState.ERROR
ORG_OP = "orgpolicy:policies.getEffectivePolicy"
# t-main's organization policy does not enforce public access prevention (no rules).
ORG = {"public_access_block.account": False, "public_access_block.effective": False,
       "public_access_block.bucket": False}
PRIVATE = {"public_exposure.is_public": False, "public_exposure.reasons": []}
GOOGLE_KEY = {"encryption.enabled": True, "encryption.algorithm": "AES256",
              "encryption.key_id": None, "key_custody.level": "provider",
              "key_custody.hsm": OPAQUE, "key_rotation.enabled": OPAQUE,
              "key_rotation.period_days": OPAQUE, "key_rotation.supported": OPAQUE}
US_REGION = {"data_residency.region": "US-CENTRAL1", "data_residency.country": "US",
             "data_residency.jurisdiction": "US", "data_residency.multi_region": False,
             "data_residency.replication_destinations": [],
             "data_residency.replication_jurisdictions": []}
EU_REGION = {"data_residency.region": "EUROPE-WEST1", "data_residency.country": "BE",
             "data_residency.jurisdiction": "EU", "data_residency.multi_region": False}
NO_WORM = {"immutability.enabled": False, "immutability.mode": None,
           "immutability.retention_days": None, "immutability.locked": False}
ALWAYS = {"tls_enforced.required": OPAQUE, "versioning.mfa_delete": OPAQUE}


def cmek(name: str, level: str, hsm: bool, period: int | None,
         supported: bool | FactState = True) -> dict[str, Any]:
    return {"encryption.enabled": True, "encryption.algorithm": "KMS",
            "encryption.key_id": key(name), "key_custody.level": level, "key_custody.hsm": hsm,
            "key_rotation.enabled": period is not None, "key_rotation.period_days": period,
            "key_rotation.supported": supported, **ORG, **PRIVATE, **EU_REGION, **ALWAYS}


EXPECTED: dict[str, dict[str, Any]] = {
    "gm-default": {**GOOGLE_KEY, **ORG, **PRIVATE, **US_REGION, **NO_WORM, **ALWAYS,
                   "access_control.acls_disabled": True, "versioning.enabled": False,
                   "access_logging.enabled": False, "access_logging.target": None,
                   "soft_delete.enabled": True, "soft_delete.retention_days": 7},
    "cmek-software-rot": cmek("soft-rot", "customer_kms", False, 90),
    "cmek-software-norot": cmek("soft-norot", "customer_kms", False, None),
    "cmek-hsm": cmek("hsm", "customer_kms", True, 30),
    "cmek-external": cmek("ext", "external", False, None, supported=False),
    "cmek-external-vpc": cmek("ext-vpc", "external", False, None, supported=OPAQUE),
    "cmek-imported": cmek("imported", "customer_imported", False, None),
    "pap-enforced": {"public_access_block.bucket": True, "public_access_block.effective": True,
                     "public_access_block.account": False, **PRIVATE,
                     "data_residency.region": "US-EAST1"},
    "iam-all-users": {**ORG, "public_exposure.is_public": True,
                      "public_exposure.reasons": ["iam"], "access_control.acls_disabled": True},
    "iam-all-auth": {"public_exposure.is_public": True, "public_exposure.reasons": ["iam"]},
    "acl-public": {"access_control.acls_disabled": False, "public_exposure.is_public": True,
                   "public_exposure.reasons": ["acl"]},
    "acl-private": {"access_control.acls_disabled": False, **PRIVATE},
    "acl-default-object-public": {"public_exposure.is_public": True,
                                  "public_exposure.reasons": ["acl"]},
    "retention-locked": {"immutability.enabled": True, "immutability.mode": "retention_policy",
                         "immutability.retention_days": 30, "immutability.locked": True,
                         "versioning.enabled": True},
    "retention-unlocked": {"immutability.enabled": True, "immutability.mode": "retention_policy",
                           "immutability.retention_days": 7, "immutability.locked": False},
    # Per-object retention is possible but no bucket default applies: not immutable (as S3
    # Object Lock without a default retention).
    "object-retention": {"immutability.enabled": False, "immutability.mode": "object_retention",
                         "immutability.retention_days": None, "immutability.locked": False},
    "soft-delete-off": {"soft_delete.enabled": False, "soft_delete.retention_days": None},
    "soft-delete-30": {"soft_delete.enabled": True, "soft_delete.retention_days": 30,
                       "access_logging.enabled": True,
                       "access_logging.target": "gs://log-sink/sd30/"},
    "dual-custom": {"data_residency.region": "EU", "data_residency.country": None,
                    "data_residency.jurisdiction": "EU", "data_residency.multi_region": True,
                    "data_residency.replication_destinations": [
                        {"target": "EUROPE-WEST1", "region": "EUROPE-WEST1", "country": "BE",
                         "jurisdiction": "EU"},
                        {"target": "EUROPE-WEST4", "region": "EUROPE-WEST4", "country": "NL",
                         "jurisdiction": "EU"}],
                    "data_residency.replication_jurisdictions": ["EU"]},
    "dual-nam4": {"data_residency.region": "NAM4", "data_residency.country": "US",
                  "data_residency.jurisdiction": "US", "data_residency.multi_region": True,
                  "data_residency.replication_jurisdictions": ["US"]},
    "multi-asia": {"data_residency.region": "ASIA", "data_residency.country": None,
                   "data_residency.jurisdiction": None, "data_residency.multi_region": True,
                   # every Asian country with a Cloud Storage region ("Bucket locations")
                   "data_residency.replication_jurisdictions": [
                       "HK", "ID", "IN", "JP", "KR", "SG", "TH", "TW"]},
    "multi-eu": {"data_residency.region": "EU", "data_residency.country": None,
                 "data_residency.jurisdiction": "EU", "data_residency.multi_region": True,
                 "data_residency.replication_jurisdictions": ["EU"]},
    "iam-denied": {"public_exposure.is_public": DENIED, "public_exposure.reasons": DENIED,
                   **GOOGLE_KEY},
    # The bucket ACL alone proves it public; the reasons are incomplete, so not decided.
    "acl-partly-denied": {"public_exposure.is_public": True,
                          "public_exposure.reasons": DENIED},
    "key-gone": {"encryption.key_id": key("retired"), "encryption.algorithm": "KMS",
                 "key_custody.level": ERROR, "key_custody.hsm": ERROR,
                 "key_rotation.enabled": ERROR, "key_rotation.period_days": ERROR,
                 "key_rotation.supported": ERROR},
    "key-denied": {"key_custody.level": DENIED, "key_custody.hsm": DENIED,
                   "key_rotation.enabled": DENIED, "key_rotation.period_days": DENIED,
                   "key_rotation.supported": DENIED},
    # t-nokms refuses its organization policy: the inherited value is not known.
    "nokms-cmek": {"key_custody.level": DENIED, "key_rotation.enabled": DENIED,
                   "key_rotation.supported": DENIED,
                   "public_access_block.account": DENIED, "public_access_block.effective": DENIED,
                   "public_access_block.bucket": False, **PRIVATE},
}


def test_every_test_bucket_has_expectations():
    assert set(EXPECTED) == {*MAIN_BUCKETS, "nokms-cmek"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bucket_facts(full_scan, name):
    collection, _ = full_scan
    bucket = resources(collection, "storage.bucket")[name]
    assert set(bucket.facts) == set(fact_catalog()["storage.bucket"]) - set(CORE_DERIVED)
    assert_facts(bucket, EXPECTED[name])


def test_bucket_identity(full_scan):
    collection, _ = full_scan
    buckets = resources(collection, "storage.bucket")
    bucket = buckets["cmek-hsm"]
    assert (bucket.id, bucket.account, bucket.region, bucket.provider) == (
        "projects/_/buckets/cmek-hsm", MAIN, "EUROPE-WEST1", "gcp")
    assert buckets["nokms-cmek"].account == NO_KMS
    assert "never-listed" not in buckets  # its project has the Cloud Storage API disabled


def test_details_name_the_reason(full_scan):
    collection, _ = full_scan
    buckets = resources(collection, "storage.bucket")
    gone = buckets["key-gone"].facts["key_custody.level"]
    assert "no longer exists" in gone.detail and key("retired") in gone.detail
    disabled = buckets["nokms-cmek"].facts["key_custody.level"]
    assert "SERVICE_DISABLED" in disabled.detail
    denied = buckets["iam-denied"].facts["public_exposure.is_public"]
    assert "iam denied (403" in denied.detail
    assert denied.source == ("storage:buckets.getIamPolicy",)
    effective = buckets["gm-default"].facts["public_access_block.effective"]
    assert effective.source == ("storage:buckets.list", ORG_OP)
    assert effective.detail == ("publicAccessPrevention inherited on the bucket; organization "
                                "policy storage.publicAccessPrevention is not enforced for "
                                "project t-main")
    unread = buckets["nokms-cmek"].facts["public_access_block.effective"]
    # Inherited: the effective value is the organization policy's, which was refused.
    assert (unread.state, unread.source) == (FactState.DENIED, (ORG_OP,))
    assert unread.detail.startswith("derived from inputs not observed: organization policy "
                                    "denied (403 IAM_PERMISSION_DENIED: Permission 'orgpolicy."
                                    "policies.get' denied")
    rotation = buckets["gm-default"].facts["key_rotation.enabled"]
    assert "Google-managed" in rotation.detail
    assert buckets["gm-default"].facts["key_rotation.supported"].detail == rotation.detail
    supported = buckets["cmek-software-rot"].facts["key_rotation.supported"]
    assert supported.source == ("storage:buckets.list", "cloudkms:cryptoKeys.list")
    assert supported.detail == "ENCRYPT_DECRYPT, protectionLevel SOFTWARE"
    ekm = buckets["cmek-external"].facts["key_rotation.supported"]
    assert "manually managed" in ekm.detail
    assert buckets["key-denied"].facts["key_rotation.supported"].detail == (
        buckets["key-denied"].facts["key_rotation.enabled"].detail)
    public = buckets["iam-all-users"].facts["public_exposure.is_public"]
    assert public.basis == "derived" and "allUsers" in public.detail
    # Public because the organization policy, read, does not block the grant.
    assert public.detail == ("granted to allUsers (iam); publicAccessPrevention is 'inherited' "
                             "and the organization policy storage.publicAccessPrevention is not "
                             "enforced for project t-main")
    assert public.source == ("storage:buckets.getIamPolicy", ORG_OP)
    private = buckets["gm-default"].facts["public_exposure.is_public"]
    assert private.source == ("storage:buckets.getIamPolicy",)  # no grant: the policy is moot
    worm = buckets["object-retention"].facts["immutability.enabled"]
    assert "no bucket retention policy" in worm.detail and "own retention" in worm.detail
    hsm = buckets["cmek-hsm"].facts["key_custody.level"]
    assert hsm.source == ("storage:buckets.list", "cloudkms:cryptoKeys.list")


def test_inventory_is_schema_valid(full_scan):
    collection, _ = full_scan
    document = Inventory([collection.run], collection.resources).to_dict()
    validate("inventory", document, "gcp-inventory")


def test_run_metadata(full_scan):
    collection, requests = full_scan
    run = collection.run
    assert run.provider == "gcp" and run.status == "partial" and run.endpoint_overridden
    assert run.accounts == [MAIN, "t-nostorage", NO_KMS]
    assert {"US-CENTRAL1", "EUROPE-WEST1", "EU", "ASIA", "NAM4"} <= set(run.regions)
    # The ledger counts exactly what the stand-in received.
    assert sum(run.api_calls.values()) == len(requests)
    pages = -(-len(MAIN_BUCKETS) // PAGE_SIZE)
    # t-main pages, t-nokms one page, t-nostorage one refused call (403 is not retried)
    assert run.api_calls["storage:buckets.list"] == pages + 2
    codes = {(e.scope, e.code, e.kind) for e in run.errors}
    # A refused bucket listing is a coverage gap; a refused per-bucket or per-key read is not.
    assert ("projects/t-nostorage", "403 SERVICE_DISABLED", "listing") in codes
    assert ("projects/_/buckets/iam-denied", "403 forbidden", "call") in codes
    # One organization policy read per project (every project has an account resource).
    assert run.api_calls[ORG_OP] == 3
    assert ("projects/t-nokms", "403 IAM_PERMISSION_DENIED", "call") in codes
    assert (key("retired"), "404 NotFound", "call") in codes
