"""Every GCP listing the adapter reads is judged item by item (H2), through the real
google-cloud clients over HTTP against the GCP stand-in (an AnswerProxy adds one odd item to
a page as served, the first page or the second).

Rows per listing, each an item beside the listing's good ones, built from the REST reference
of the list method (its envelope: ``items``, ``instances``, ``keyRings``, ``cryptoKeys``, the
aggregatedList's map of scopes) and of the resource (field names and JSON types):

- ``identity-type``: the name is a number (the reference: a string);
- ``nameless``: no name;
- ``field-type``: a documented non-identity field of the wrong JSON type;
- ``not-object``: the item is no object at all;
- ``extra``: an unknown field beside the documented ones (accepted: APIs grow).

Expected: every good item's facts as without the odd item; the odd named item a resource whose
facts are all error (UNVERIFIED), save what the provider never shows (OPAQUE); a nameless one
a recorded listing error; the run partial; no PASS/FAIL from a fact not observed.
"""

from __future__ import annotations

import base64
import copy
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from answer_proxy import AnswerProxy, edit
from gcp_support import fast_adapter

from auditor.checks import compile_check, load_checks
from auditor.engine import evaluate
from auditor.model import FactState, Inventory, Status
from auditor.providers.base import CollectRequest, load_exposure_profile

PROJECT = "k"
PAGE = 2  # the stand-in's page size: three seeded items make two pages
_PROFILE = load_exposure_profile(Path(__file__).resolve().parents[3] / "auditor" / "providers"
                                 / "gcp" / "exposure.yaml")
ODD = "odd0"
# The stand-in's page tokens (the offset of the page's first item): page 2 starts at 2.
PAGE_TOKENS = {1: "", 2: base64.urlsafe_b64encode(b"2").decode()}


def _token(request: Any) -> str:
    return (request.query.get("pageToken") or [""])[0]


def _short(name: Any) -> Any:
    return name.rsplit("/", 1)[-1] if isinstance(name, str) else name


def _renamed(name: str) -> str:
    return name.rsplit("/", 1)[0] + "/" + ODD if "/" in name else ODD


# -- where each listing keeps its items ------------------------------------------------

def _flat(key: str) -> Callable[[dict[str, Any]], list[Any]]:
    def items(document: dict[str, Any]) -> list[Any]:
        return document.setdefault(key, [])
    return items


def _scoped(document: dict[str, Any]) -> list[Any]:
    """The disks of the first scope of a disks.aggregatedList page that has any."""
    for _, scoped in sorted(document.get("items", {}).items()):
        if scoped.get("disks"):
            return scoped["disks"]
    raise AssertionError("no scope with disks on the page")


def _with_odd(items_of: Callable[[dict[str, Any]], list[Any]],
              make: Callable[[dict[str, Any]], Any]) -> Any:
    """Add the odd item ``make(copy of the page's first item)`` after the page's items."""
    def apply(document: dict[str, Any]) -> None:
        items = items_of(document)
        odd = copy.deepcopy(items[0])
        odd["name"] = _renamed(odd["name"])
        items.append(make(odd))
    return edit(apply)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    def change(item: dict[str, Any]) -> Any:
        node = item
        *parents, last = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
        return item
    return change


def _drop(member: str) -> Callable[[dict[str, Any]], Any]:
    def change(item: dict[str, Any]) -> Any:
        item.pop(member, None)
        return item
    return change


def _seed(make: Callable[[str], dict[str, Any]]) -> list[dict[str, Any]]:
    """The odd item's own good twin (hidden from every page: its per-resource reads still
    answer) and three good items."""
    return [make(name) for name in (ODD, "x0", "x1", "x2")]


def _hidden(items_of: Callable[[dict[str, Any]], Any]) -> Any:
    """Leave the twin out of every page (every scope of an aggregatedList)."""
    def apply(document: dict[str, Any]) -> None:
        lists = ([s["disks"] for s in document.get("items", {}).values() if "disks" in s]
                 if items_of is _scoped else [items_of(document)])
        for items in lists:
            items[:] = [i for i in items if _short(i.get("name")) != ODD]
    return edit(apply)


RING = f"projects/{PROJECT}/locations/europe-west1/keyRings"

# listing id -> (proxy action, items of a page, kind read, id of the odd resource,
#   the stand-in estate of the project, a wrong-typed documented non-identity field)
LISTINGS: dict[str, tuple[Any, ...]] = {
    # Buckets: list -> items[] of Buckets resources; versioning.enabled is a boolean.
    "buckets": ("storage.buckets.list", _flat("items"), "storage.bucket",
                f"projects/_/buckets/{ODD}",
                {"buckets": _seed(lambda n: {"name": n, "location": "US"})},
                ("versioning.enabled", "yes")),
    # InstancesListResponse.items[] of DatabaseInstance; settings.deletionProtectionEnabled
    # is a boolean.
    "sql": ("sqladmin.instances.list", _flat("items"), "database.instance",
            f"projects/{PROJECT}/instances/{ODD}",
            {"sql_instances": _seed(lambda n: {"name": n})},
            ("settings.deletionProtectionEnabled", "yes")),
    # ListInstancesResponse.instances[] of Instance; kmsKeyName is a string.
    "filestore": ("file.instances.list", _flat("instances"), "storage.filesystem",
                  f"projects/{PROJECT}/locations/us-central1-a/instances/{ODD}",
                  {"filestore_instances": _seed(lambda n: {"name": n,
                                                            "location": "us-central1-a"})},
                  ("kmsKeyName", 7)),
    # DiskAggregatedList.items{scope: DisksScopedList.disks[]}; users[] is an array of URLs.
    "disks": ("compute.disks.aggregatedList", _scoped, "storage.volume",
              f"projects/{PROJECT}/zones/us-central1-a/disks/{ODD}",
              {"disks": _seed(lambda n: {"name": n, "zone": "us-central1-a"})},
              ("users", "vm-1")),
    # SnapshotList.items[]; storageLocations[] is an array of strings.
    "snapshots": ("compute.snapshots.list", _flat("items"), "storage.snapshot",
                  f"projects/{PROJECT}/global/snapshots/{ODD}",
                  {"snapshots": _seed(lambda n: {"name": n})}, ("storageLocations", "eu")),
    # ImageList.items[]; diskSizeGb is an int64 (a JSON string of digits).
    "images": ("compute.images.list", _flat("items"), "storage.snapshot",
               f"projects/{PROJECT}/global/images/{ODD}",
               {"images": _seed(lambda n: {"name": n})}, ("diskSizeGb", "ten")),
    # ListCryptoKeysResponse.cryptoKeys[] of CryptoKey; importOnly is a boolean.
    "crypto-keys": ("cloudkms.cryptoKeys.list", _flat("cryptoKeys"), "kms.key",
                    f"{RING}/ring/cryptoKeys/{ODD}",
                    {"key_rings": [{"name": "ring", "location": "europe-west1", "keys": _seed(
                        lambda n: {"name": n, "protection": "SOFTWARE"})}]},
                    ("importOnly", "yes")),
}
# ListKeyRingsResponse.keyRings[] of KeyRing (name, createTime: a Timestamp string): a ring
# is no resource of its own, its keys are; an odd ring that names itself is still listed.
RINGS = ("cloudkms.keyRings.list", _flat("keyRings"), "kms.key",
         f"{RING}/{ODD}/cryptoKeys/k-{ODD}",
         {"key_rings": [{"name": n, "location": "europe-west1",
                         "keys": [{"name": f"k-{n}", "protection": "SOFTWARE"}]}
                        for n in (ODD, "x0", "x1", "x2")]}, ("createTime", 5))

SHAPES = {
    "identity-type": lambda field: _set("name", 42),
    "nameless": lambda field: _drop("name"),
    "field-type": lambda field: _set(*field),
    "not-object": lambda field: (lambda item: 5),
    "extra": lambda field: _set("futureSetting", {"mode": "NEW", "level": 3}),
}
NAMED = {"field-type"}


def _collect(box: Any, kind: str, action: str, items_of: Any, change: Any = None,
             page: int = 1) -> Any:
    proxy = AnswerProxy(box).on(action, _hidden(items_of))
    if change is not None:  # that page (however often asked) of the place holding the items
        proxy.on(action, change, when=lambda r: _token(r) == PAGE_TOKENS[page] and (
            "/locations/" not in r.path or "/europe-west1/" in r.path
            or "/locations/-/" in r.path))
    try:
        return fast_adapter().collect(CollectRequest(
            options=proxy.scan_options(), facts={kind: frozenset(_PROFILE[kind])}))
    finally:
        proxy.stop()


def _facts(collection: Any, kind: str) -> dict[str, dict[str, tuple[Any, ...]]]:
    return {r.id: {p: (f.state, f.value) for p, f in r.facts.items()}
            for r in collection.resources if r.kind == kind}


@functools.cache
def _checks() -> list[Any]:
    return [compile_check(c) for c in load_checks()]


def _statuses(collection: Any) -> dict[tuple[str, str], Status]:
    """Each finding's status by (resource id, check id)."""
    return {(f.resource_id, f.check_id): f.status for f in evaluate(
        Inventory([collection.run], collection.resources), _checks())}


def _rows() -> list[Any]:
    rows = []
    for listing, spec in [*LISTINGS.items(), ("key-rings", RINGS)]:
        for shape in SHAPES:
            for page in (1, 2):
                rows.append(pytest.param(listing, spec, shape, page,
                                         id=f"{listing}-{shape}-page{page}"))
    return rows


@pytest.mark.parametrize(("listing", "spec", "shape", "page"), _rows())
def test_an_odd_listing_item_spoils_only_itself(make_sandbox, listing: str,
                                                spec: tuple[Any, ...], shape: str,
                                                page: int) -> None:
    action, items_of, kind, odd_id, estate, field = spec
    box = make_sandbox({"projects": [{"id": PROJECT, "number": "5", **estate}]},
                       page_size=PAGE)
    baseline = _collect(box, kind, action, items_of)
    documented = _facts(baseline, kind)
    assert len(documented) == 3, documented
    collection = _collect(box, kind, action, items_of,
                          _with_odd(items_of, SHAPES[shape](field)), page)
    found = _facts(collection, kind)
    extra = set(found) - set(documented)
    for resource_id, facts in documented.items():  # every good item as it was
        assert found.get(resource_id) == facts, resource_id
    before, after = _statuses(baseline), _statuses(collection)
    assert {k: s for k, s in after.items() if k[0] in documented} == before
    if shape in NAMED and listing != "key-rings":  # never a PASS or FAIL from an odd item
        odd_statuses = {s for k, s in after.items() if k[0] == odd_id}
        assert odd_statuses and odd_statuses <= {Status.OPAQUE, Status.UNVERIFIED}
    errors = collection.run.errors
    if shape == "extra":  # an unknown field is no misfit: the item is read as any
        assert errors == [] and collection.run.status == "complete", errors
        assert extra == {odd_id}
        assert not any(state is FactState.ERROR for state, _ in found[odd_id].values())
        return
    assert collection.run.status == "partial"
    assert len(errors) == 1, errors
    error = errors[0]
    assert error.code == "UnexpectedShape", error
    assert f"page {page}" in error.message, error.message
    if shape in NAMED:
        expected_kind = "call"
        assert extra == {odd_id}
        if listing == "key-rings":  # the ring names itself: its keys are listed and read
            assert not any(state is FactState.ERROR for state, _ in found[odd_id].values())
        else:
            opaque = {p for p, e in _PROFILE[kind].items() if e.level == "none"}
            for path, (state, value) in found[odd_id].items():
                want = FactState.OPAQUE if path in opaque else FactState.ERROR
                assert (state, value) == (want, None), (path, state)
        assert ODD in error.message, error.message
    else:  # no name to report it by: missing from the inventory, a recorded gap
        expected_kind = "listing"
        assert extra == set()
    assert error.kind == expected_kind, error
    assert str(field[1]) not in error.message.replace(ODD, "") or shape != "field-type"


# ListCryptoKeyVersionsResponse.cryptoKeyVersions[] of CryptoKeyVersion (name, state an enum,
# createTime a Timestamp), read for a key that shows no primary version: a version not read
# leaves the key's state and custody unknown (the listing is not whole), never a guess.
VERSIONS = "cloudkms.cryptoKeyVersions.list"
KEY_RING = {"key_rings": [{"name": "ring", "location": "europe-west1", "keys": [
    {"name": "nover", "protection": "HSM", "primary": False, "versions": 3},
    {"name": "k", "protection": "SOFTWARE"}]}]}
NOVER = f"{RING}/ring/cryptoKeys/nover"


def _odd_version(make: Callable[[dict[str, Any]], Any]) -> Any:
    def apply(document: dict[str, Any]) -> None:
        items = document["cryptoKeyVersions"]
        odd = copy.deepcopy(items[0])
        odd["name"] = odd["name"].rsplit("/", 1)[0] + "/99"
        items.append(make(odd))
    return edit(apply)


VERSION_SHAPES = {**SHAPES, "field-type": lambda field: _set("createTime", 5)}


@pytest.mark.parametrize("page", [1, 2])
@pytest.mark.parametrize("shape", sorted(VERSION_SHAPES))
def test_an_odd_key_version_leaves_its_key_unknown(make_sandbox, shape: str,
                                                   page: int) -> None:
    box = make_sandbox({"projects": [{"id": PROJECT, "number": "5", **KEY_RING}]},
                       page_size=PAGE)

    def scan(change: Any = None) -> Any:
        proxy = AnswerProxy(box)
        if change is not None:
            proxy.on(VERSIONS, change, when=lambda r: _token(r) == PAGE_TOKENS[page])
        try:
            return fast_adapter().collect(CollectRequest(
                options=proxy.scan_options(), facts={"kms.key": frozenset(_PROFILE["kms.key"])}))
        finally:
            proxy.stop()
    documented = _facts(scan(), "kms.key")
    collection = scan(_odd_version(VERSION_SHAPES[shape](None)))
    found = _facts(collection, "kms.key")
    assert set(found) == set(documented)
    assert found[f"{RING}/ring/cryptoKeys/k"] == documented[f"{RING}/ring/cryptoKeys/k"]
    if shape == "extra":
        assert collection.run.errors == [] and found == documented
        return
    changed = {p for p, fact in found[NOVER].items() if fact != documented[NOVER][p]}
    assert changed, "a version not read changed nothing"
    assert all(found[NOVER][p] == (FactState.ERROR, None) for p in changed), changed
    assert collection.run.status == "partial"
    errors = [(e.scope, e.operation, e.code) for e in collection.run.errors]
    assert errors == [(NOVER, "cloudkms:cryptoKeyVersions.list", "UnexpectedShape")], errors
    assert f"page {page}" in collection.run.errors[0].message


# ListLocationsResponse.locations[] of Location (name, locationId and displayName strings,
# labels a map of strings): a location is no resource, the key rings in it are; an odd
# location that names itself is still listed in (its error recorded), a nameless one is a gap.
LOCATIONS = "cloudkms.locations.list"
SPREAD = {"key_rings": [{"name": "ring", "location": where, "keys": [
    {"name": "k", "protection": "SOFTWARE"}]} for where in ("asia-east1", "europe-west1",
                                                           "us-east1")]}


def _odd_location(make: Callable[[dict[str, Any]], Any]) -> Any:
    def apply(document: dict[str, Any]) -> None:
        items = document["locations"]
        odd = copy.deepcopy(items[0])
        odd.update(name=odd["name"].rsplit("/", 1)[0] + "/" + ODD, locationId=ODD)
        items.append(make(odd))
    return edit(apply)


LOCATION_SHAPES = {**SHAPES, "identity-type": lambda field: _set("locationId", 42),
                   "nameless": lambda field: _drop("locationId"),
                   "field-type": lambda field: _set("displayName", ["x"])}


@pytest.mark.parametrize("page", [1, 2])
@pytest.mark.parametrize("shape", sorted(LOCATION_SHAPES))
def test_an_odd_location_spoils_only_itself(make_sandbox, shape: str, page: int) -> None:
    box = make_sandbox({"projects": [{"id": PROJECT, "number": "5", **SPREAD}]},
                       page_size=PAGE)

    def scan(change: Any = None) -> Any:
        proxy = AnswerProxy(box)
        if change is not None:
            proxy.on(LOCATIONS, change, when=lambda r: _token(r) == PAGE_TOKENS[page])
        try:
            return fast_adapter().collect(CollectRequest(
                options=proxy.scan_options(), facts={"kms.key": frozenset(_PROFILE["kms.key"])}))
        finally:
            proxy.stop()
    documented = _facts(scan(), "kms.key")
    assert len(documented) == 3
    collection = scan(_odd_location(LOCATION_SHAPES[shape](None)))
    assert _facts(collection, "kms.key") == documented  # every key of every good location
    errors = [(e.scope, e.operation, e.code, e.kind) for e in collection.run.errors]
    if shape == "extra":
        assert errors == [] and collection.run.status == "complete"
        return
    kind = "call" if shape == "field-type" else "listing"
    assert errors == [(f"projects/{PROJECT}", "cloudkms:locations.list", "UnexpectedShape",
                       kind)], errors
    assert f"page {page}" in collection.run.errors[0].message
    assert collection.run.status == "partial"
