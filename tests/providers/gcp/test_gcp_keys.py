"""Cloud KMS keys: enumeration, custody ladder, rotation, state, key IAM, missing and denied keys."""

from __future__ import annotations

from typing import Any

import pytest
from gcp_support import key, resources

from auditor.model import FactState
from auditor.schema import fact_catalog

DENIED, ERROR, OPAQUE = FactState.DENIED, FactState.ERROR, FactState.OPAQUE
HIDDEN = "projects/t-hidden/locations/europe-west1/keyRings/r/cryptoKeys/k"
NOKMS = "projects/t-nokms/locations/europe-west1/keyRings/ring/cryptoKeys/k"


def ok(level: str, hsm: bool, period: int | None, state: str = "enabled",
       public: bool = False, supported: bool | FactState = True) -> dict[str, Any]:
    return {"key.manager": "customer", "key.state": state, "key_custody.level": level,
            "key_custody.hsm": hsm, "key_rotation.enabled": period is not None,
            "key_rotation.period_days": period, "key_rotation.supported": supported,
            "key_exposure.is_public": public}


EXPECTED: dict[str, dict[str, Any]] = {
    key("soft-rot"): ok("customer_kms", False, 90),
    key("soft-norot"): ok("customer_kms", False, None),
    key("hsm"): ok("customer_kms", True, 30),
    key("ext"): ok("external", False, None, supported=False),
    # Told by the EKM connection's key management mode, which is not read.
    key("ext-vpc"): ok("external", False, None, supported=OPAQUE),
    key("ext-vpc-coord"): ok("external", False, 30),
    key("imported"): ok("customer_imported", False, None),
    key("asym-sign"): ok("customer_kms", True, None, supported=False),
    key("pending-import"): ok("customer_imported", True, None, state="pending_import"),
    key("destroyed"): ok("customer_kms", False, None, state="destroyed"),
    key("public"): ok("customer_kms", False, None, public=True),
    key("iam-hidden"): {**ok("customer_kms", False, None), "key_exposure.is_public": DENIED},
    key("retired"): {"key.state": "missing", "key.manager": ERROR, "key_custody.level": ERROR,
                     "key_rotation.supported": ERROR, "key_exposure.is_public": ERROR},
    HIDDEN: dict.fromkeys(fact_catalog()["kms.key"], DENIED),
    NOKMS: dict.fromkeys(fact_catalog()["kms.key"], DENIED),
}


def test_keys_found_are_the_enumerated_and_the_named(full_scan):
    collection, _ = full_scan
    assert set(resources(collection, "kms.key")) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_key_facts(full_scan, name):
    collection, _ = full_scan
    resource = resources(collection, "kms.key")[name]
    parts = name.split("/")
    assert (resource.account, resource.region, resource.name) == (
        parts[1], parts[3].upper(), parts[-1])  # the region table's spelling, as for buckets
    assert set(resource.facts) == set(fact_catalog()["kms.key"])
    for path, want in EXPECTED[name].items():
        fact = resource.facts[path]
        if isinstance(want, FactState):
            assert fact.state is want and fact.detail, (path, fact)
        else:
            assert fact.state is FactState.OBSERVED and fact.value == want, (path, fact)


def test_missing_key_names_its_buckets(full_scan):
    collection, _ = full_scan
    state = resources(collection, "kms.key")[key("retired")].facts["key.state"]
    assert "404" in state.detail and "key-gone" in state.detail
    assert state.source == ("cloudkms:cryptoKeys.get",)


def test_disabled_kms_api_is_denied_with_that_reason(full_scan):
    collection, _ = full_scan
    fact = resources(collection, "kms.key")[NOKMS].facts["key_custody.level"]
    assert "SERVICE_DISABLED" in fact.detail and "disabled" in fact.detail
    codes = {(e.scope, e.operation, e.code, e.kind) for e in collection.run.errors}
    assert ("projects/t-nokms", "cloudkms:locations.list", "403 SERVICE_DISABLED",
            "listing") in codes


def test_state_without_primary_comes_from_the_versions(full_scan):
    collection, requests = full_scan
    state = resources(collection, "kms.key")[key("asym-sign")].facts["key.state"]
    assert "cloudkms:cryptoKeyVersions.list" in state.source
    listed = {r.path for r in requests if r.action == "cloudkms.cryptoKeyVersions.list"}
    # Only keys without a primary version need their versions read.
    assert listed == {f"/v1/{key('asym-sign')}/cryptoKeyVersions",
                      f"/v1/{key('pending-import')}/cryptoKeyVersions"}


def test_enumerated_keys_are_not_fetched_again(full_scan):
    _, requests = full_scan
    fetched = sorted(r.path for r in requests if r.action == "cloudkms.cryptoKeys.get")
    # Only the keys that buckets name and that no listing returned.
    assert fetched == sorted(f"/v1/{n}" for n in (key("retired"), HIDDEN, NOKMS))


def test_kms_client_asks_for_enums_as_integers(full_scan):
    _, requests = full_scan
    kms = [r for r in requests if r.action.startswith("cloudkms.cryptoKeys.")
           and not r.action.endswith("getIamPolicy")]
    assert kms and all(r.query.get("$alt") == ["json;enum-encoding=int"] for r in kms)


def test_key_listing_follows_page_tokens(full_scan):
    _, requests = full_scan
    pages = [r.query.get("pageToken") for r in requests
             if r.action == "cloudkms.cryptoKeys.list"]
    # 12 keys in the one t-main ring, 4 per page (the stand-in's cap in these tests).
    assert len(pages) == 3 and pages[0] is None and None not in pages[1:]


def test_rotation_support_says_why(full_scan):
    collection, _ = full_scan
    keys = resources(collection, "kms.key")
    asym = keys[key("asym-sign")].facts["key_rotation.supported"]
    assert "ASYMMETRIC_SIGN" in asym.detail and asym.source == ("cloudkms:cryptoKeys.list",)
    assert "EXTERNAL" in keys[key("ext")].facts["key_rotation.supported"].detail
    vpc = keys[key("ext-vpc")].facts["key_rotation.supported"]
    assert "projects/t-main/locations/europe-west1/ekmConnections/ekm-1" in vpc.detail
    assert keys[key("soft-norot")].facts["key_rotation.supported"].detail == (
        "ENCRYPT_DECRYPT, protectionLevel SOFTWARE")
