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


# The answers a failing buckets.list can give (Cloud Storage JSON API, "HTTP status and
# error codes"; Service Usage, "API not enabled"): each is a gap of the bucket kind, the
# code as the adapter records it.
LISTING_FAILURES = [
    (403, "403 forbidden"),                      # the caller may not list buckets
    ("disabled", "403 SERVICE_DISABLED"),        # the Cloud Storage API is off
    (404, "404 notFound"),                       # the project is not found
    (429, "429 rateLimitExceeded"),              # throttled on every retry
    (500, "500 backendError"),
    (503, "503 backendError"),
    ("garbage", "UnparsableResponse"),           # a 200 whose body is not JSON
]
TWO_PROJECTS = (("p1", "1"), ("p2", "2"))


# The listings of disks, snapshots, images, Cloud SQL and Filestore instances.
KIND_LISTINGS = ("compute.disks.aggregatedList", "compute.snapshots.list", "compute.images.list",
                 "sqladmin.instances.list", "file.instances.list")


def _unlisted_everywhere(fault: Any) -> dict[str, Any]:
    return {"projects": [
        {"id": p, "number": n, "faults": {"storage.buckets.list": fault},
         "key_rings": [_ring({"name": "k", "rotation_days": 90})],
         "buckets": [{"name": f"b-{p}", "location": "us-central1", "kms_key": "us/r/k"}]}
        for p, n in TWO_PROJECTS]}


@pytest.mark.parametrize(("fault", "code"), LISTING_FAILURES,
                         ids=[str(f) for f, _ in LISTING_FAILURES])
def test_no_bucket_listing_anywhere_is_a_gap_and_the_rest_is_reported(make_sandbox, fault,
                                                                       code):
    box = make_sandbox(_unlisted_everywhere(fault))
    collection = _collect(box)
    assert resources(collection, "storage.bucket") == {}
    assert collection.run.status == "partial"
    assert {g for g in _gaps(collection) if g[1] == "storage:buckets.list"} == {
        (f"projects/{p}", "storage:buckets.list", code, "listing") for p, _ in TWO_PROJECTS}
    # Nothing else failed: the keys and the projects were read as in a clean run.
    assert {g[1] for g in _gaps(collection)} == {"storage:buckets.list"}
    keys = resources(collection, "kms.key")
    assert sorted(keys) == [_key(p, "k") for p, _ in TWO_PROJECTS]
    for key in keys.values():
        for path in ("key.state", "key_rotation.enabled", "key_custody.level"):
            assert key.facts[path].state is FactState.OBSERVED, path
        assert key.facts["key_rotation.enabled"].value is True
    accounts = {r.id: r for r in collection.resources if r.kind == "account"}
    assert sorted(accounts) == ["p1", "p2"]
    for account in accounts.values():
        fact = account.facts["public_access_block.enabled"]
        assert fact.state is FactState.OBSERVED and fact.value is False
    assert collection.run.accounts == ["p1", "p2"]
    assert collection.run.regions == ["US"]  # the keys' location, canonical
    asked = {r.action for r in box.requests()}
    assert {"cloudkms.cryptoKeys.list", "orgpolicy.policies.getEffectivePolicy"} <= asked
    # No bucket read follows a listing that named no bucket.
    assert not {a for a in asked if a.startswith("storage.") and a != "storage.buckets.list"}


@pytest.mark.parametrize(("fault", "code"), [(403, "403 forbidden"),
                                             (503, "503 backendError")])
def test_nothing_answered_at_all_is_a_provider_error(make_sandbox, fault, code):
    section = _unlisted_everywhere(fault)
    for project in section["projects"]:
        project["faults"].update({action: fault for action in (
            "cloudkms.locations.list", "orgpolicy.policies.getEffectivePolicy", *KIND_LISTINGS)})
    box = make_sandbox(section)
    with pytest.raises(ProviderError) as info:
        _collect(box)
    message = str(info.value)
    assert message.startswith("gcp: no buckets could be listed for any of 2 projects: "
                              f"storage:buckets.list: {code}")
    # Not an EndpointError: the service answered, it only refused or failed.
    assert not isinstance(info.value, EndpointError) and "\n" not in message
    # Every read was tried before the run was given up.
    assert {r.action for r in box.requests()} == {
        "storage.buckets.list", "cloudkms.locations.list",
        "orgpolicy.policies.getEffectivePolicy", *KIND_LISTINGS}


def test_a_refused_listing_with_only_bucket_facts_wanted_is_a_provider_error(make_sandbox):
    box = make_sandbox(_unlisted_everywhere(403))
    with pytest.raises(ProviderError, match="no buckets could be listed for any of 2 "):
        _collect(box, {"storage.bucket": frozenset({"versioning.enabled"})})
    # Nothing but the listing was wanted, so nothing else was asked.
    assert {r.action for r in box.requests()} == {"storage.buckets.list"}


def test_one_project_unlisted_keeps_the_other_projects_buckets_and_its_own_keys(make_sandbox):
    box = make_sandbox({"projects": [
        {"id": "shut", "number": "1", "faults": {"storage.buckets.list": 500},
         "key_rings": [_ring({"name": "k"})],
         "buckets": [{"name": "unseen", "location": "us-central1", "kms_key": "us/r/k"}]},
        {"id": "open", "number": "2",
         "buckets": [{"name": "seen", "location": "us-central1"}]}]})
    collection = _collect(box)
    assert list(resources(collection, "storage.bucket")) == ["seen"]
    assert list(resources(collection, "kms.key")) == [_key("shut", "k")]
    assert _gaps(collection) == {("projects/shut", "storage:buckets.list",
                                  "500 backendError", "listing")}


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
