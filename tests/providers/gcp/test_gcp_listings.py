"""Listings are complete or recorded as gaps: a page token that repeats, or a later page that
fails, stops the listing after a bounded number of requests, keeps what was listed, and
records the listing as incomplete (the run is partial). Real clients over HTTP to the
stand-in (paged at two items) through the rewriting proxy.
"""

from __future__ import annotations

from typing import Any

import pytest
from answer_proxy import AnswerProxy, edit, status
from gcp_support import fast_adapter, resources

from auditor.providers.base import CollectRequest
from auditor.providers.gcp.sandbox import GcpSandbox

RING = "projects/p/locations/us/keyRings/r"
ESTATE: dict[str, Any] = {"projects": [
    {"id": "p", "number": "11",
     "key_rings": [{"name": "r", "location": "us",
                    "keys": [{"name": f"k{i}"} for i in range(5)]}],
     "buckets": [{"name": f"b{i}", "location": "us-central1"} for i in range(5)]},
    {"id": "q", "number": "12", "buckets": [{"name": "q-b", "location": "EU"}]}]}
# (action, the adapter's operation, the gap's scope, resource kind, listed names)
LISTINGS = [
    ("storage.buckets.list", "storage:buckets.list", "projects/p", "storage.bucket",
     [f"b{i}" for i in range(5)]),
    ("cloudkms.cryptoKeys.list", "cloudkms:cryptoKeys.list", RING, "kms.key",
     [f"{RING}/cryptoKeys/k{i}" for i in range(5)]),
]
FACTS = {"storage.bucket": frozenset({"versioning.enabled"}),
         "kms.key": frozenset({"key_rotation.enabled"})}


@pytest.fixture(scope="module")
def box():
    sandbox = GcpSandbox(page_size=2)
    sandbox.start()
    sandbox.seed(ESTATE)
    yield sandbox
    sandbox.stop()


def scan(proxy: AnswerProxy):
    return fast_adapter().collect(CollectRequest(options=proxy.scan_options(), facts=FACTS,
                                                 max_workers=2))


def of_p(request) -> bool:
    return request.query.get("project", ["p"]) == ["p"] and "/projects/q" not in request.path


def listed(collection, kind: str) -> list[str]:
    return sorted(n for n in resources(collection, kind) if n != "q-b")


def gaps(collection) -> set[tuple[str, str, str, str]]:
    return {(e.scope, e.operation, e.code, e.kind) for e in collection.run.errors}


@pytest.mark.parametrize(("action", "operation", "scope", "kind", "names"), LISTINGS,
                         ids=["buckets", "keys"])
def test_a_complete_listing_follows_every_page(box, action, operation, scope, kind, names):
    proxy = AnswerProxy(box)
    try:
        collection = scan(proxy)
    finally:
        proxy.stop()
    assert listed(collection, kind) == names
    assert sum(1 for r in proxy.requests() if r.action == action and of_p(r)) == 3
    assert collection.run.status == "complete"


@pytest.mark.parametrize("repeat", ["same-token-every-page", "back-to-the-first"])
@pytest.mark.parametrize(("action", "operation", "scope", "kind", "names"), LISTINGS,
                         ids=["buckets", "keys"])
def test_a_repeated_page_token_stops_the_listing(box, action, operation, scope, kind, names,
                                                 repeat):
    proxy = AnswerProxy(box)
    if repeat == "same-token-every-page":
        # Every page names the second page (the stand-in's token for offset 2) as next.
        proxy.on(action, edit(lambda d: d.update(nextPageToken="Mg==")), when=of_p)
    else:  # the second page points back at the second page
        first: dict[str, str] = {}

        def loop(document: dict[str, Any]) -> None:
            if "token" not in first:
                first["token"] = document["nextPageToken"]
            else:
                document["nextPageToken"] = first["token"]
        proxy.on(action, edit(loop), when=of_p)
    try:
        collection = scan(proxy)
    finally:
        proxy.stop()
    # Two pages were read, then the token came back: what they listed is kept.
    assert listed(collection, kind) == names[:4]
    assert sum(1 for r in proxy.requests() if r.action == action and of_p(r)) == 2
    assert gaps(collection) == {(scope, operation, "RepeatedMarker", "listing")}
    assert collection.run.status == "partial"
    assert "q-b" in resources(collection, "storage.bucket")  # the other project is whole


@pytest.mark.parametrize(("action", "operation", "scope", "kind", "names"), LISTINGS,
                         ids=["buckets", "keys"])
def test_a_later_page_that_fails_keeps_the_first(box, action, operation, scope, kind, names):
    proxy = AnswerProxy(box).on(action, status(503), when=lambda r: of_p(r) and (
        "pageToken" in r.query))
    try:
        collection = scan(proxy)
    finally:
        proxy.stop()
    assert listed(collection, kind) == names[:2]
    # The second page: the first try and three retries, then the listing stops.
    assert sum(1 for r in proxy.requests() if r.action == action and of_p(r)) == 1 + 4
    found = gaps(collection)
    assert len(found) == 1
    (gap_scope, gap_operation, code, gap_kind), = found
    assert (gap_scope, gap_operation, gap_kind) == (scope, operation, "listing")
    assert code.startswith("503")
    assert collection.run.status == "partial"


@pytest.mark.parametrize(("action", "operation", "scope", "kind", "names"), LISTINGS,
                         ids=["buckets", "keys"])
def test_a_later_page_off_its_shape_keeps_the_first(box, action, operation, scope, kind,
                                                    names):
    proxy = AnswerProxy(box).on(action, edit(lambda d: []), when=of_p, nth=2)
    try:
        collection = scan(proxy)
    finally:
        proxy.stop()
    assert listed(collection, kind) == names[:2]
    assert sum(1 for r in proxy.requests() if r.action == action and of_p(r)) == 2
    assert gaps(collection) == {(scope, operation, "UnparsableResponse", "listing")} or (
        gaps(collection) == {(scope, operation, "UnexpectedShape", "listing")})
