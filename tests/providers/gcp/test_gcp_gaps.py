"""What the adapter cannot know: failed listings (coverage gaps), key versions that could not
be read, protection levels it does not recognise. None of these may turn into a value.
"""

from __future__ import annotations

from typing import Any

import pytest
from gcp_support import fast_adapter, resources

from auditor.errors import EndpointError, ProviderError
from auditor.model import FactState
from auditor.providers.base import CollectRequest

DENIED, ERROR = FactState.DENIED, FactState.ERROR
CUSTODY = ("key_custody.level", "key_custody.hsm")


def _ring(*keys: dict[str, Any], location: str = "us") -> dict[str, Any]:
    return {"name": "r", "location": location, "keys": list(keys)}


def _key(project: str, name: str, location: str = "us") -> str:
    return f"projects/{project}/locations/{location}/keyRings/r/cryptoKeys/{name}"


def _collect(box, facts: dict[str, frozenset[str]] | None = None):
    return fast_adapter().collect(CollectRequest(options=box.scan_options(), facts=facts))


def _gaps(collection) -> set[tuple[str, str, str, str]]:
    return {(e.scope, e.operation, e.code, e.kind) for e in collection.run.errors}


# --- failed listings ---------------------------------------------------------------


def test_a_refused_bucket_listing_is_a_gap_and_the_other_projects_are_scanned(make_sandbox):
    box = make_sandbox({"projects": [
        {"id": "open", "number": "1", "buckets": [{"name": "seen", "location": "us-central1"}]},
        {"id": "shut", "number": "2", "faults": {"storage.buckets.list": 403},
         "buckets": [{"name": "unseen", "location": "us-central1"}]}]})
    collection = _collect(box, {"storage.bucket": frozenset({"versioning.enabled"})})
    assert list(resources(collection, "storage.bucket")) == ["seen"]
    assert collection.run.status == "partial"
    assert _gaps(collection) == {("projects/shut", "storage:buckets.list", "403 forbidden",
                                  "listing")}


@pytest.mark.parametrize(("status", "code"), [(403, "403 forbidden"),
                                             (503, "503 backendError")])
def test_no_bucket_listing_anywhere_is_a_provider_error(make_sandbox, status, code):
    box = make_sandbox({"projects": [
        {"id": p, "number": n, "faults": {"storage.buckets.list": status},
         "key_rings": [_ring({"name": "k"})],
         "buckets": [{"name": f"b-{p}", "location": "us-central1"}]}
        for p, n in (("p1", "1"), ("p2", "2"))]})
    with pytest.raises(ProviderError) as info:
        _collect(box)
    message = str(info.value)
    assert message.startswith("gcp: no buckets could be listed for any of 2 projects: "
                              f"storage:buckets.list: {code}")
    # Not an EndpointError: the service answered, it only refused or failed.
    assert not isinstance(info.value, EndpointError) and "\n" not in message
    # Nothing was listed, so nothing else was asked (keys included).
    assert {r.action for r in box.requests()} == {"storage.buckets.list"}


def test_one_project_whose_storage_api_is_off_is_a_provider_error(make_sandbox):
    box = make_sandbox({"projects": [{"id": "solo", "number": "7", "disabled": ["storage"],
                                      "buckets": [{"name": "b", "location": "US"}]}]})
    with pytest.raises(ProviderError, match=r"for project solo: .*403 SERVICE_DISABLED"):
        _collect(box, {"storage.bucket": frozenset({"versioning.enabled"})})


def test_failed_kms_listings_are_gaps(make_sandbox):
    box = make_sandbox({"projects": [
        {"id": "no-locations", "number": "1", "faults": {"cloudkms.locations.list": 500},
         "key_rings": [_ring({"name": "k"})]},
        {"id": "no-rings", "number": "2", "faults": {"cloudkms.keyRings.list": 403},
         "key_rings": [_ring({"name": "k"})]},
        {"id": "no-keys", "number": "3", "faults": {"cloudkms.cryptoKeys.list": 403},
         "key_rings": [_ring({"name": "k"})]},
        {"id": "fine", "number": "4", "key_rings": [_ring({"name": "k"})]}]})
    collection = _collect(box, {"kms.key": frozenset({"key.state"})})
    assert list(resources(collection, "kms.key")) == [_key("fine", "k")]
    assert collection.run.status == "partial"
    denied = "403 IAM_PERMISSION_DENIED"
    assert _gaps(collection) == {
        ("projects/no-locations", "cloudkms:locations.list", "500 InternalServerError",
         "listing"),
        # every location of the project: global and the ring's
        ("projects/no-rings/locations/global", "cloudkms:keyRings.list", denied, "listing"),
        ("projects/no-rings/locations/us", "cloudkms:keyRings.list", denied, "listing"),
        ("projects/no-keys/locations/us/keyRings/r", "cloudkms:cryptoKeys.list", denied,
         "listing")}


# --- key versions that could not be read -------------------------------------------


def test_unreadable_versions_leave_custody_unknown(make_sandbox):
    box = make_sandbox({"projects": [{"id": "p", "number": "9", "key_rings": [_ring(
        {"name": "denied", "primary": False,
         "faults": {"cloudkms.cryptoKeyVersions.list": 403}},
        {"name": "failing", "protection": "HSM", "primary": False,
         "faults": {"cloudkms.cryptoKeyVersions.list": 500}},
        {"name": "ext", "protection": "EXTERNAL", "primary": False,
         "faults": {"cloudkms.cryptoKeyVersions.list": 403}},
        {"name": "readable", "primary": False})],
        "buckets": [{"name": "b", "location": "US", "kms_key": "us/r/denied"}]}]})
    collection = _collect(box)
    keys = resources(collection, "kms.key")
    for name, state in (("denied", DENIED), ("failing", ERROR)):
        facts = keys[_key("p", name)].facts
        for path in (*CUSTODY, "key.state"):
            assert facts[path].state is state and facts[path].value is None, (name, path)
        assert "versions could not be read" in facts["key_custody.level"].detail
        assert facts["key_custody.level"].source[0] == "cloudkms:cryptoKeyVersions.list"
    # An external key's custody follows from its protection level alone.
    ext = keys[_key("p", "ext")].facts
    assert (ext["key_custody.level"].value, ext["key.state"].state) == ("external", DENIED)
    readable = keys[_key("p", "readable")].facts["key_custody.level"]
    assert readable.value == "customer_kms"
    assert "cloudkms:cryptoKeyVersions.list" in readable.source
    bucket = resources(collection, "storage.bucket")["b"].facts
    for path in CUSTODY:
        assert bucket[path].state is DENIED and "versions could not be read" in bucket[path].detail
    assert bucket["key_rotation.enabled"].value is False  # the key itself was read
    # A versions read is not a listing of inventory: the gap count stays at zero.
    assert {e.kind for e in collection.run.errors} == {"call"}


def test_custody_facts_alone_still_read_the_versions(make_sandbox):
    box = make_sandbox({"projects": [{"id": "p", "number": "9", "key_rings": [_ring(
        {"name": "k", "protection": "HSM", "primary": False,
         "faults": {"cloudkms.cryptoKeyVersions.list": 403}})]}]})
    collection = _collect(box, {"kms.key": frozenset({"key_custody.hsm"})})
    assert resources(collection, "kms.key")[_key("p", "k")].facts["key_custody.hsm"].state is (
        DENIED)
    assert "cloudkms.cryptoKeyVersions.list" in {r.action for r in box.requests()}


# --- protection levels ---------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Unrecognized ProtectionLevel enum value")
def test_only_known_protection_levels_give_custody(make_sandbox):
    box = make_sandbox({"projects": [{"id": "p", "number": "9", "key_rings": [_ring(
        {"name": "single-tenant", "protection": "HSM_SINGLE_TENANT"},
        {"name": "unspecified", "protection": "PROTECTION_LEVEL_UNSPECIFIED"},
        {"name": "future", "protection": 99},  # an enum number newer than the client
        {"name": "no-template", "version_template": False, "primary": False})],
        "buckets": [{"name": "b", "location": "US", "kms_key": "us/r/unspecified"}]}]})
    collection = _collect(box)
    keys = resources(collection, "kms.key")
    tenant = keys[_key("p", "single-tenant")].facts
    assert (tenant["key_custody.level"].value, tenant["key_custody.hsm"].value) == (
        "customer_kms", True)
    for name, shown in (("unspecified", "'PROTECTION_LEVEL_UNSPECIFIED'"), ("future", "'99'"),
                        ("no-template", "(the answer gives none)")):
        facts = keys[_key("p", name)].facts
        for path in CUSTODY:
            fact = facts[path]
            assert fact.state is ERROR and fact.value is None, (name, path)
            assert fact.detail.startswith(f"unrecognised protection level {shown}"), fact.detail
        assert facts["key.state"].value == "enabled"  # the rest of the key is still read
    bucket = resources(collection, "storage.bucket")["b"].facts
    assert bucket["key_custody.level"].state is ERROR
    assert "unrecognised protection level" in bucket["key_custody.level"].detail
