"""A 200 answer that is not what the API reference documents is an error, never a guess.

Table-driven per operation the adapter reads: the answer is emptied, replaced by non-JSON,
cut short, turned into another JSON type, or stripped of a field the reference always
gives (answers.yaml). The facts that answer feeds become ``error`` (a listing becomes a
recorded gap that keeps what it listed); every other fact of the scan is what it was.
Real google-cloud-storage / google-cloud-kms clients over HTTP to the stand-in, through
the rewriting proxy of answer_proxy.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from answer_proxy import AnswerProxy, Change, When, body, edit, in_item, truncated
from gcp_support import fast_adapter

from auditor.model import FactState
from auditor.providers.base import CollectRequest
from auditor.providers.gcp import GcpAdapter
from auditor.providers.gcp._answers import SHAPES

EXPOSURE = ("public_exposure.is_public", "public_exposure.reasons")
CUSTODY_STATE = ("key.state", "key_custody.level", "key_custody.hsm")
P_BUCKETS = ("a", "pub", "fine", "enf", "cmek")
INHERITING = ("a", "pub", "fine", "cmek")
UNREAD_KEYS = ("k2", "nover")  # listed keys no bucket names (k is fetched for its bucket)
ESTATE: dict[str, Any] = {"projects": [
    {"id": "p", "number": "11", "org_policy": {"public_access_prevention": False},
     "key_rings": [{"name": "r", "location": "us", "keys": [
         {"name": "k", "protection": "HSM", "rotation_days": 90},
         {"name": "k2", "protection": "SOFTWARE"},
         {"name": "nover", "protection": "SOFTWARE", "primary": False}]}],
     "buckets": [
         {"name": "a", "location": "us-central1"},
         {"name": "pub", "location": "us-central1",
          "iam": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]},
         {"name": "fine", "location": "us-central1", "uniform_access": False},
         {"name": "enf", "location": "us-east1", "public_access_prevention": "enforced"},
         {"name": "cmek", "location": "US", "kms_key": "us/r/k"}]},
    {"id": "q", "number": "12", "buckets": [{"name": "q-b", "location": "EU"}]}]}

# What no API shows stays opaque whatever an answer says; every other fact of a resource
# whose answer is malformed is error.
NO_API = frozenset(p for kind in GcpAdapter().exposure_profile().values()
                   for p, entry in kind.items() if entry.level == "none")
Snapshot = dict[tuple[str, str], tuple[FactState, Any]]
Affected = tuple[tuple[str, tuple[str, ...] | None], ...]  # (resource, paths; None: all)


def path_has(part: str) -> When:
    return lambda request: part in request.path


def project_is(project: str) -> When:
    return lambda request: request.query.get("project") == [project]


def pop(*keys: str) -> Callable[[dict[str, Any]], None]:
    def apply(item: dict[str, Any]) -> None:
        target = item
        for key in keys[:-1]:
            target = target[key]
        target.pop(keys[-1])
    return apply


def put(value: Any, *keys: str) -> Callable[[dict[str, Any]], None]:
    def apply(item: dict[str, Any]) -> None:
        target = item
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = value
    return apply


@dataclass(frozen=True)
class Row:
    id: str
    action: str
    change: Change
    when: When | None
    operation: str  # the adapter's operation the failure is recorded under
    affected: Affected = ()
    missing: tuple[str, ...] = ()  # resources no longer listed
    gap: str | None = None  # the scope of the recorded listing gap


BROKEN = [("empty", body(b"")), ("not-json", body(b"<html>gateway</html>")),
          ("truncated", truncated), ("json-array", body(b"[]"))]


def _rows() -> list[Row]:
    rows: list[Row] = []
    add = rows.append
    iam_a = ("storage.buckets.getIamPolicy", path_has("/b/a/iam"),
             "storage:buckets.getIamPolicy", (("a", EXPOSURE),))
    for name, change in [*BROKEN, ("no-etag", edit(lambda d: {"bindings": d["bindings"]})),
                         ("bindings-not-list", edit(put("allUsers", "bindings"))),
                         ("members-not-list", edit(lambda d: d["bindings"][0].update(
                             members="allUsers")))]:
        add(Row(f"bucket-iam-{name}", iam_a[0], change, *iam_a[1:]))
    for action, part, op in (
            ("storage.bucketAccessControls.list", "/b/fine/acl",
             "storage:bucketAccessControls.list"),
            ("storage.defaultObjectAccessControls.list", "/b/fine/defaultObjectAcl",
             "storage:defaultObjectAccessControls.list")):
        for name, change in [*BROKEN, ("no-kind", edit(pop("kind"))),
                             ("entry-without-entity", edit(lambda d: d["items"][0].pop(
                                 "entity")))]:
            add(Row(f"{op.split(':')[1]}-{name}", action, change, path_has(part), op,
                    (("fine", EXPOSURE),)))
    for name, fn in (("no-location", pop("location")),
                     ("no-iam-configuration", pop("iamConfiguration")),
                     ("no-public-access-prevention",
                      pop("iamConfiguration", "publicAccessPrevention")),
                     ("ubla-not-boolean", put("true", "iamConfiguration",
                                              "uniformBucketLevelAccess", "enabled")),
                     ("retention-not-a-number", put({"retentionPeriod": "ten days"},
                                                    "retentionPolicy")),
                     ("versioning-not-boolean", put({"enabled": "yes"}, "versioning")),
                     ("soft-delete-negative", put("-1", "softDeletePolicy",
                                                  "retentionDurationSeconds"))):
        add(Row(f"bucket-resource-{name}", "storage.buckets.list", in_item("a", fn),
                project_is("p"), "storage:buckets.list", (("a", None),)))
    for name, change in [*BROKEN, ("no-kind", edit(pop("kind"))),
                         ("items-not-list", edit(put({"name": "a"}, "items")))]:
        add(Row(f"bucket-list-{name}", "storage.buckets.list", change, project_is("p"),
                "storage:buckets.list", missing=P_BUCKETS, gap="projects/p"))
    # A nameless item spoils only itself (H8): the other buckets of the page are read.
    add(Row("bucket-list-item-without-name", "storage.buckets.list",
            in_item("a", pop("name")), project_is("p"), "storage:buckets.list",
            missing=("a",)))
    org_affected: Affected = (("p", ("public_access_block.enabled",)), ("pub", EXPOSURE),
                              *((b, ("public_access_block.account",)) for b in P_BUCKETS),
                              *((b, ("public_access_block.effective",)) for b in INHERITING))
    for name, change in [*BROKEN, ("no-name", edit(pop("name"))),
                         ("enforce-not-boolean", edit(put([{"enforce": "yes"}], "spec",
                                                          "rules")))]:
        add(Row(f"org-policy-{name}", "orgpolicy.policies.getEffectivePolicy", change,
                path_has("/projects/p/"), "orgpolicy:policies.getEffectivePolicy",
                org_affected))
    kms_lists = (("locations", "cloudkms.locations.list", path_has("/projects/p/locations"),
                  "cloudkms:locations.list", "projects/p",
                  edit(lambda d: {"locations": [{"name": "projects/p/locations/us"}]})),
                 ("key-rings", "cloudkms.keyRings.list", path_has("/locations/us/keyRings"),
                  "cloudkms:keyRings.list", "projects/p/locations/us",
                  edit(lambda d: {"keyRings": [{"name": "r"}]})),
                 ("keys", "cloudkms.cryptoKeys.list", path_has("/keyRings/r/cryptoKeys"),
                  "cloudkms:cryptoKeys.list", "projects/p/locations/us/keyRings/r",
                  in_item("k2", put("k2", "name"), key="cryptoKeys")))
    for what, action, when, op, scope, odd in kms_lists:
        for name, change in [*BROKEN, ("unnamed-item", odd)]:
            # A key named off its documented pattern spoils only itself (H2): the ring's
            # other keys are read.
            missing = ("k2",) if (what, name) == ("keys", "unnamed-item") else UNREAD_KEYS
            add(Row(f"kms-{what}-{name}", action, change, when, op, missing=missing,
                    gap=scope))
    add(Row("kms-key-primary-unnamed", "cloudkms.cryptoKeys.list",
            in_item("k2", pop("primary", "name"), key="cryptoKeys"),
            path_has("/keyRings/r/cryptoKeys"), "cloudkms:cryptoKeys.list", (("k2", None),)))
    for name, change in [*BROKEN, ("version-unnamed", edit(lambda d: d["cryptoKeyVersions"][0]
                                                           .pop("name")))]:
        add(Row(f"kms-versions-{name}", "cloudkms.cryptoKeyVersions.list", change,
                path_has("/cryptoKeys/nover/"), "cloudkms:cryptoKeyVersions.list",
                (("nover", CUSTODY_STATE),)))
    for name, change in [*BROKEN, ("no-etag", edit(pop("etag"))),
                         ("empty-object", body(b"{}"))]:
        add(Row(f"kms-key-iam-{name}", "cloudkms.cryptoKeys.getIamPolicy", change,
                path_has("/cryptoKeys/k2:"), "cloudkms:cryptoKeys.getIamPolicy",
                (("k2", ("key_exposure.is_public",)),)))
    return rows


ROWS = _rows()


def snapshot(collection) -> Snapshot:
    return {(r.name if r.kind != "kms.key" else r.id.rsplit("/", 1)[1], path):
            (fact.state, fact.value)
            for r in collection.resources for path, fact in r.facts.items()}


@pytest.fixture(scope="module")
def proxied(make_sandbox_module):
    box = make_sandbox_module(ESTATE)
    proxy = AnswerProxy(box)
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def make_sandbox_module():
    from auditor.providers.gcp.sandbox import GcpSandbox

    boxes: list[GcpSandbox] = []

    def make(section: dict[str, Any]) -> GcpSandbox:
        box = GcpSandbox()
        box.start()
        box.seed(section)
        boxes.append(box)
        return box
    yield make
    for box in boxes:
        box.stop()


def scan(proxy: AnswerProxy):
    return fast_adapter().collect(CollectRequest(options=proxy.scan_options(), max_workers=4))


@pytest.fixture(scope="module")
def baseline(proxied) -> Snapshot:
    facts = snapshot(scan(proxied))
    # The estate reads as the checks would have it before anything is changed.
    assert facts[("pub", "public_exposure.is_public")] == (FactState.OBSERVED, True)
    assert facts[("a", "public_exposure.is_public")] == (FactState.OBSERVED, False)
    assert facts[("k2", "key_exposure.is_public")] == (FactState.OBSERVED, False)
    assert facts[("nover", "key.state")] == (FactState.OBSERVED, "enabled")
    return facts


def test_every_operation_read_has_a_documented_shape():
    from auditor.providers.gcp import (
        _compute,
        _filestore,
        _kms,
        _orgpolicy,
        _projects,
        _sqladmin,
        _storage,
    )

    listings = {_compute.OP_DISKS, _compute.OP_SNAPSHOTS, _compute.OP_IMAGES,
                _sqladmin.OP_INSTANCES, _filestore.OP_INSTANCES}
    read = {_storage.OP_LIST, _storage.OP_IAM, _storage.OP_ACL, _storage.OP_DEFAULT_ACL,
            _orgpolicy.OP_EFFECTIVE, _kms.OP_LOCATIONS, _kms.OP_RINGS, _kms.OP_KEYS,
            _kms.OP_GET_KEY, _kms.OP_VERSIONS, _kms.OP_KEY_IAM, _projects.OP_SEARCH,
            _projects.OP_FOLDERS, _compute.OP_SNAPSHOT_IAM, _compute.OP_IMAGE_IAM} | listings
    assert read <= SHAPES.operations
    assert {f"{op}.item" for op in {_storage.OP_LIST, _kms.OP_KEYS} | listings} \
        <= SHAPES.operations
    assert {op.split(".item")[0] for op in SHAPES.operations} == read


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_an_answer_off_its_documented_shape_is_an_error(proxied, baseline, row: Row):
    proxy = AnswerProxy(proxied.box).on(row.action, row.change, when=row.when)
    try:
        collection = scan(proxy)
    finally:
        proxy.stop()
    facts = snapshot(collection)
    affected = set()
    for name, paths in row.affected:
        for resource, path in baseline:
            if resource == name and (path in paths if paths else path not in NO_API):
                affected.add((resource, path))
    assert affected or row.missing, "the row names nothing it changes"
    for key in affected:
        state, value = facts[key]
        assert (state, value) == (FactState.ERROR, None), (key, state, value)
    for key, was in baseline.items():
        if key in affected:
            continue
        if key[0] in row.missing:
            assert key not in facts, key  # a listing that failed lists nothing it did not read
            continue
        assert facts[key] == was, (key, facts[key], was)
    errors = {(e.scope, e.operation, e.kind) for e in collection.run.errors
              if e.code in ("UnexpectedShape", "UnparsableResponse")}
    assert any(op == row.operation for _, op, _ in errors), collection.run.errors
    if row.gap:
        assert (row.gap, row.operation, "listing") in errors
    assert collection.run.status == "partial"
    # Nothing asked twice: an odd answer is not retried.
    assert sum(1 for r in proxy.requests() if r.action == row.action and (
        row.when is None or row.when(r))) == 1
