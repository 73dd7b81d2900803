"""What the adapter cannot know about disks, snapshots, images, Filestore and Cloud SQL
instances: refused, failed, malformed or incomplete listings, a refused IAM policy, a
service it may not call. None turns into a value; each is a recorded gap or failure. And only
what the wanted facts need is asked for."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from answer_proxy import AnswerProxy, body, edit, in_item
from gcp_support import fast_adapter, resources

from auditor.model import FactState
from auditor.providers.base import CollectRequest

DISKS, SNAPS, IMAGES = ("compute.disks.aggregatedList", "compute.snapshots.list",
                        "compute.images.list")
SQL, FILES = "sqladmin.instances.list", "file.instances.list"
KIND_CALLS = (DISKS, SNAPS, IMAGES, SQL, FILES, "compute.snapshots.getIamPolicy",
              "compute.images.getIamPolicy")
KEY = "projects/k/locations/us/keyRings/r/cryptoKeys/k"


def section(**project: Any) -> dict[str, Any]:
    return {"projects": [{
        "id": "k", "number": "5",
        "key_rings": [{"name": "r", "location": "us", "keys": [{"name": "k", "rotation_days": 90}]}],
        "buckets": [{"name": "b", "location": "us-central1"}],
        "disks": [{"name": f"d{i}", "zone": "us-central1-a", "kms_key": "us/r/k"} for i in range(5)],
        "snapshots": [{"name": f"s{i}", "public": i == 0} for i in range(3)],
        "images": [{"name": "i0"}],
        "sql_instances": [{"name": "db0"}, {"name": "db1", "region": "europe-west1"}],
        "filestore_instances": [{"name": "fs0"}, {"name": "fs1", "location": "us-east1"}],
        **project}]}


def collect(box, facts: dict[str, frozenset[str]] | None = None, options=None):
    return fast_adapter().collect(CollectRequest(options=options or box.scan_options(),
                                                 facts=facts))


def gaps(collection) -> set[tuple[str, str, str]]:
    return {(e.operation, e.code, e.kind) for e in collection.run.errors}


def sent(box) -> Counter[str]:
    return Counter(r.action for r in box.requests())


def test_a_bucket_only_scan_sends_no_compute_sql_or_filestore_call(make_sandbox):
    box = make_sandbox(section())
    collection = collect(box, {"storage.bucket": frozenset({"versioning.enabled"})})
    assert {r.kind for r in collection.resources} == {"storage.bucket"}
    assert not set(sent(box)) & set(KIND_CALLS)


def test_only_the_wanted_facts_are_asked_for(make_sandbox):
    box = make_sandbox(section())
    collection = collect(box, {"storage.volume": frozenset({"attachment.attached"})})
    # One listing for five disks; no key read (no key fact wanted), no other service.
    assert sent(box) == {DISKS: 1}
    volumes = resources(collection, "storage.volume")
    assert len(volumes) == 5
    assert all(set(v.facts) == {"attachment.attached"} for v in volumes.values())
    # Snapshot encryption alone: the two listings, no IAM policy read.
    box.reset_requests()
    collect(box, {"storage.snapshot": frozenset({"encryption.enabled"})})
    assert sent(box) == {SNAPS: 1, IMAGES: 1}


def test_a_cmek_is_read_once_for_all_the_disks_that_name_it(make_sandbox):
    box = make_sandbox(section())
    collection = collect(box, {"storage.volume": frozenset({"key_custody.level"})})
    assert sent(box) == {DISKS: 1, "cloudkms.cryptoKeys.get": 1}
    assert {v.facts["key_custody.level"].value
            for v in resources(collection, "storage.volume").values()} == {"customer_kms"}


def test_paged_listings_are_followed_to_their_end(make_sandbox):
    box = make_sandbox(section(), page_size=2)
    collection = collect(box)
    assert len(resources(collection, "storage.volume")) == 5
    assert len(resources(collection, "storage.snapshot")) == 4
    assert sent(box)[DISKS] == 3 and sent(box)[SNAPS] == 2
    assert not collection.run.errors


@pytest.mark.parametrize(("action", "kind", "fault", "code"), [
    (DISKS, "storage.volume", 403, "403 forbidden"),
    (DISKS, "storage.volume", "disabled", "403 SERVICE_DISABLED"),
    (SQL, "database.instance", 403, "403 forbidden"),
    (FILES, "storage.filesystem", 403, "403 IAM_PERMISSION_DENIED"),
    (SNAPS, "storage.snapshot", 500, "500 backendError"),
    (SQL, "database.instance", "garbage", "UnparsableResponse"),
])
def test_a_failed_listing_is_a_gap_of_its_kind_and_the_rest_is_read(make_sandbox, action,
                                                                    kind, fault, code):
    box = make_sandbox(section(faults={action: fault}))
    collection = collect(box)
    operation = action.replace(".", ":", 1)
    assert (operation, code, "listing") in gaps(collection)
    assert collection.run.status == "partial"
    listed = {r.kind for r in collection.resources}
    assert {"storage.volume", "storage.snapshot", "storage.filesystem",
            "database.instance"} - listed == ({kind} if action != SNAPS else set())
    if action == SNAPS:  # the images are listed on their own
        assert set(resources(collection, kind)) == {"i0"}


def test_a_transient_failure_is_retried(make_sandbox):
    box = make_sandbox(section(faults={DISKS: [503, 429]}))
    collection = collect(box, {"storage.volume": frozenset({"attachment.attached"})})
    assert len(resources(collection, "storage.volume")) == 5
    assert sent(box)[DISKS] == 3 and not collection.run.errors


def test_a_refused_snapshot_policy_is_denied_never_private(make_sandbox):
    snapshots = [{"name": "s0", "faults": {"compute.snapshots.getIamPolicy": 403}},
                 {"name": "s1"}]
    box = make_sandbox(section(snapshots=snapshots, images=[]))
    collection = collect(box, {"storage.snapshot": frozenset({"public_exposure.is_public",
                                                              "sharing.accounts"})})
    found = resources(collection, "storage.snapshot")
    for path in ("public_exposure.is_public", "sharing.accounts"):
        assert found["s0"].facts[path].state is FactState.DENIED
        assert found["s1"].facts[path].value in (False, [])
    assert ("compute:snapshots.getIamPolicy", "403 forbidden", "call") in gaps(collection)


def test_an_unreachable_filestore_location_is_a_gap_and_the_listed_are_kept(make_sandbox):
    box = make_sandbox(section(filestore_unreachable=["asia-east1-a"]))
    collection = collect(box, {"storage.filesystem": frozenset({"encryption.enabled"})})
    assert set(resources(collection, "storage.filesystem")) == {"fs0", "fs1"}
    (gap,) = [e for e in collection.run.errors if e.operation == "file:instances.list"]
    assert (gap.code, gap.kind) == ("Unreachable", "listing") and "asia-east1-a" in gap.message


def test_a_service_without_its_endpoint_is_not_called_and_is_a_gap(make_sandbox):
    box = make_sandbox(section())
    options = {k: v for k, v in box.scan_options().items() if k != "gcp_sqladmin_endpoint"}
    collection = collect(box, options=options)
    assert not resources(collection, "database.instance")
    assert SQL not in sent(box)
    (gap,) = [e for e in collection.run.errors if e.operation == "sqladmin:instances.list"]
    assert (gap.code, gap.kind) == ("NotCalled", "listing")
    assert "--gcp-sqladmin-endpoint" in gap.message
    assert resources(collection, "storage.volume")  # the other services were read


@pytest.mark.parametrize(("action", "kind", "name", "change"), [
    (SQL, "database.instance", "db1", lambda item: item.pop("region")),
    (SQL, "database.instance", "db1",
     lambda item: item["settings"]["ipConfiguration"].update(ipv4Enabled="yes")),
    (DISKS, "storage.volume", "d1", lambda item: item.pop("zone")),
])
def test_a_malformed_item_has_error_facts_and_the_others_are_read(make_sandbox, action, kind,
                                                                  name, change):
    box = make_sandbox(section())
    proxy = AnswerProxy(box)
    if action == DISKS:
        def edit_disk(document):
            for scoped in document["items"].values():
                for disk in scoped.get("disks") or ():
                    if disk["name"] == name:
                        change(disk)
        proxy.on(action, edit(edit_disk))
    else:
        proxy.on(action, in_item(name, change))
    try:
        collection = collect(box, options=proxy.scan_options())
    finally:
        proxy.stop()
    found = resources(collection, kind)
    assert {f.state for f in found[name].facts.values()} <= {FactState.ERROR, FactState.OPAQUE}
    assert FactState.ERROR in {f.state for f in found[name].facts.values()}
    others = [r for n, r in found.items() if n != name]
    assert others and all(r.facts["encryption.enabled"].value is True for r in others)
    (failure,) = collection.run.errors
    assert (failure.scope, failure.operation, failure.code, failure.kind) == (
        found[name].id, action.replace(".", ":", 1), "UnexpectedShape", "call")


def test_a_listing_that_is_not_json_is_an_error(make_sandbox):
    box = make_sandbox(section())
    proxy = AnswerProxy(box).on(FILES, body(b"[]"))
    try:
        collection = collect(box, {"storage.filesystem": frozenset({"encryption.enabled"})},
                             options=proxy.scan_options())
    finally:
        proxy.stop()
    assert not resources(collection, "storage.filesystem")
    assert ("file:instances.list", "UnparsableResponse", "listing") in gaps(collection)


def test_the_stand_in_answers_reads_only(make_sandbox):
    import requests

    box = make_sandbox(section())
    for path in ("/compute/v1/projects/k/global/snapshots",
                 "/v1/projects/k/instances", "/v1/projects/k/locations/-/instances"):
        assert requests.post(box.url + path, json={}, timeout=5).status_code == 405
    missing = requests.get(box.url + "/compute/v1/projects/k/global/snapshots/nope/getIamPolicy",
                           timeout=5)
    assert missing.status_code == 404
    assert missing.json()["error"]["errors"][0]["reason"] == "notFound"


def test_a_disabled_compute_api_answers_as_service_usage_does(make_sandbox):
    import requests

    box = make_sandbox(section(disabled=["compute"]))
    error = requests.get(box.url + "/compute/v1/projects/k/aggregated/disks", timeout=5).json()
    assert error["error"]["code"] == 403
    assert error["error"]["errors"][0]["reason"] == "accessNotConfigured"
    assert error["error"]["details"][0]["reason"] == "SERVICE_DISABLED"
    assert "Compute Engine API has not been used in project 5" in error["error"]["message"]


def test_an_estate_resource_without_a_name_is_refused(make_sandbox):
    from auditor.providers.gcp.sandbox import EstateError

    with pytest.raises(EstateError, match="gcp: sql instance: missing 'name'"):
        make_sandbox(section(sql_instances=[{"region": "us-central1"}]))
