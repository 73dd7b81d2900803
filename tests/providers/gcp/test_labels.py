"""Labels as Resource.tags, read only when a mutelist rule needs them (CollectRequest.tags):
bucket labels from the bucket listing, CryptoKey labels from the key that was read. Neither
costs a call, so the requests are the same either way; without tags every resource keeps
tags None (not observed).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from gcp_support import fast_adapter

from auditor.providers.base import CollectRequest

RING = "projects/l-main/locations/europe-west1/keyRings/ring"
SHARED = "projects/l-keys/locations/europe-west1/keyRings/central/cryptoKeys/shared"
SECTION: dict[str, Any] = {"projects": [{
    "id": "l-main", "number": "710000000001",
    "key_rings": [{"name": "ring", "location": "europe-west1", "keys": [
        {"name": "labelled", "protection": "HSM", "labels": {"env": "prod", "owner": "sec"}},
        {"name": "plain", "protection": "SOFTWARE"},
    ]}],
    "buckets": [
        {"name": "l-labelled", "location": "EUROPE-WEST1",
         "labels": {"env": "prod", "team": "payments"}, "kms_key": "europe-west1/ring/labelled"},
        {"name": "l-plain", "location": "EUROPE-WEST1"},
        # Its key is in a project these credentials cannot read: the key is not observed.
        {"name": "l-foreign-key", "location": "EUROPE-WEST1",
         "kms_key": "projects/l-other/locations/europe-west1/keyRings/r/cryptoKeys/k"},
        {"name": "l-central-key", "location": "EUROPE-WEST1", "kms_key": SHARED},
    ],
}, {
    "id": "l-keys", "number": "710000000002",
    "key_rings": [{"name": "central", "location": "europe-west1", "keys": [
        {"name": "shared", "protection": "HSM", "labels": {"custody": "central"}}]}],
}]}


def scan(box, tags: bool, facts=None):
    box.reset_requests()
    collection = fast_adapter().collect(CollectRequest(options=box.scan_options(), tags=tags,
                                                       facts=facts, max_workers=4))
    return collection, Counter((r.action, r.path) for r in box.requests())


def by_id(collection) -> dict[str, Any]:
    return {r.id: r for r in collection.resources}


@pytest.fixture
def box(make_sandbox):
    return make_sandbox(SECTION)


def test_without_tags_nothing_is_tagged_and_the_calls_are_the_same(box):
    untagged, sent_without = scan(box, tags=False)
    tagged, sent_with = scan(box, tags=True)
    assert all(r.tags is None for r in untagged.resources)
    assert sent_without == sent_with  # labels cost no call of their own
    assert untagged.run.api_calls == tagged.run.api_calls
    assert any(r.tags for r in tagged.resources)


def test_bucket_and_key_labels_are_the_tags(box):
    collection, _ = scan(box, tags=True)
    res = by_id(collection)
    assert res["projects/_/buckets/l-labelled"].tags == {"env": "prod", "team": "payments"}
    assert res["projects/_/buckets/l-plain"].tags == {}  # observed: no labels
    assert res[f"{RING}/cryptoKeys/labelled"].tags == {"env": "prod", "owner": "sec"}
    assert res[f"{RING}/cryptoKeys/plain"].tags == {}
    # The project (account) resource: its labels would need projects.get, never called.
    assert res["l-main"].tags is None
    assert "tags" in res["projects/_/buckets/l-labelled"].to_dict()


def test_a_key_that_could_not_be_read_has_no_tags(box):
    collection, _ = scan(box, tags=True)
    foreign = by_id(collection)["projects/l-other/locations/europe-west1/keyRings/r/cryptoKeys/k"]
    assert foreign.tags is None
    assert foreign.facts["key_custody.level"].state.value == "denied"


def test_a_key_read_with_get_carries_its_labels(box):
    # A key of another project (not scanned) that a bucket names is read with cryptoKeys.get.
    box.reset_requests()
    options = {**box.scan_options(), "project": ["l-main"]}
    collection = fast_adapter().collect(CollectRequest(options=options, tags=True))
    key = by_id(collection)[SHARED]
    assert key.tags == {"custody": "central"}
    assert "cloudkms:cryptoKeys.get" in collection.run.api_calls


def test_malformed_labels_are_not_observed_and_recorded(make_sandbox):
    box = make_sandbox(SECTION)
    # A bucket answer whose labels are not a map of strings: served through the stand-in's
    # estate, so the real client reads it from the wire.
    box._estate.projects["l-main"].buckets["l-plain"]["labels"] = {"env": 3}
    collection, _ = scan(box, tags=True)
    plain = by_id(collection)["projects/_/buckets/l-plain"]
    assert plain.tags is None
    assert any(e.code == "MalformedLabels" and "l-plain" in e.scope
               for e in collection.run.errors)
    # Its facts are unaffected: labels are not a safeguard.
    assert plain.facts["versioning.enabled"].state.value == "observed"
    untagged, _ = scan(box, tags=False)
    assert not any(e.code == "MalformedLabels" for e in untagged.run.errors)
