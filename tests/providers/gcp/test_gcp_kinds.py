"""Persistent disks, snapshots and images, Filestore and Cloud SQL instances of the test estate
(gcp_support.KINDS in t-main): every fact, through the real google-cloud-compute and
google-cloud-filestore clients and the Cloud SQL Admin REST session against the stand-in."""

from __future__ import annotations

from typing import Any

import pytest
from gcp_support import HIDDEN_KEY, KINDS, MAIN, assert_facts, key, resources

from auditor.derived_facts import PATHS as CORE_DERIVED  # the core derives these
from auditor.model import FactState
from auditor.schema import fact_catalog

DENIED, ERROR, OPAQUE = FactState.DENIED, FactState.ERROR, FactState.OPAQUE
ROTATION = ("key_rotation.enabled", "key_rotation.period_days", "key_rotation.supported")
GOOGLE = {"encryption.enabled": True, "encryption.key_id": None, "key_custody.level": "provider",
          "key_custody.hsm": OPAQUE, **dict.fromkeys(ROTATION, OPAQUE)}
CSEK = {"encryption.enabled": True, "encryption.key_id": None,
        "key_custody.level": "customer_supplied", "key_custody.hsm": OPAQUE,
        "key_rotation.enabled": False, "key_rotation.period_days": None,
        "key_rotation.supported": False}
US = {"data_residency.country": "US", "data_residency.jurisdiction": "US",
      "data_residency.jurisdictions": ["US"]}
BELGIUM = {"data_residency.country": "BE", "data_residency.jurisdiction": "EU",
           "data_residency.jurisdictions": ["EU"]}


def cmek(name: str, level: str = "customer_kms", hsm: bool = False,
         period: int | None = None, supported: Any = True) -> dict[str, Any]:
    return {"encryption.enabled": True, "encryption.key_id": key(name), "key_custody.level": level,
            "key_custody.hsm": hsm, "key_rotation.enabled": period is not None,
            "key_rotation.period_days": period, "key_rotation.supported": supported}


VOLUMES: dict[str, dict[str, Any]] = {
    "d-google": {**GOOGLE, **US, "attachment.attached": True,
                 "data_residency.region": "US-CENTRAL1"},
    "d-cmek": {**cmek("soft-rot", period=90), **BELGIUM, "attachment.attached": True,
               "data_residency.region": "EUROPE-WEST1"},
    "d-hsm-idle": {**cmek("hsm", hsm=True, period=30), "attachment.attached": False},
    "d-csek": {**CSEK, **US, "attachment.attached": True, "data_residency.region": "US-EAST1"},
    "d-ext": cmek("ext", level="external", supported=False),
    "d-imported": cmek("imported", level="customer_imported"),
    "d-key-gone": {"encryption.key_id": key("retired"), "key_custody.level": ERROR,
                   "key_custody.hsm": ERROR, **dict.fromkeys(ROTATION, ERROR)},
    "d-key-denied": {"encryption.key_id": HIDDEN_KEY, "key_custody.level": DENIED,
                     **dict.fromkeys(ROTATION, DENIED)},
    # A zone whose region the region table does not know: where it is cannot be told.
    "d-nowhere": {**GOOGLE, "data_residency.region": ERROR, "data_residency.country": ERROR,
                  "data_residency.jurisdictions": ERROR},
}
PRIVATE = {"public_exposure.is_public": False, "sharing.accounts": []}
SNAPSHOTS: dict[str, dict[str, Any]] = {
    "s-public": {**GOOGLE, **US, "data_residency.region": "US",
                 "public_exposure.is_public": True, "sharing.accounts": []},
    "s-all-auth": {"public_exposure.is_public": True, "data_residency.region": "EU",
                   "data_residency.country": None, "data_residency.jurisdiction": "EU"},
    # The project's own convenience member is the owner; the other two are shares.
    "s-shared": {**cmek("soft-rot", period=90), **BELGIUM, "public_exposure.is_public": False,
                 "sharing.accounts": ["serviceAccount:dr@t-other.iam.gserviceaccount.com",
                                      "user:partner@example.com"]},
    "s-private": {**CSEK, **PRIVATE},
    "s-iam-denied": {**GOOGLE, "public_exposure.is_public": DENIED,
                     "sharing.accounts": DENIED},
    "i-shared": {**cmek("hsm", hsm=True, period=30), "public_exposure.is_public": False,
                 "sharing.accounts": ["group:eng@example.com"]},
    "i-public": {"public_exposure.is_public": True, "sharing.accounts": []},
}
NO_BACKUPS = {"backup.enabled": False, "backup.retention_days": None, "backup.encrypted": True}
DATABASES: dict[str, dict[str, Any]] = {
    "db-open": {**GOOGLE, **US, **NO_BACKUPS, "public_exposure.is_public": True,
                "tls_enforced.required": False, "deletion_protection.enabled": False},
    "db-public-narrow": {**cmek("hsm", hsm=True, period=30), **BELGIUM,
                         "public_exposure.is_public": False, "tls_enforced.required": True,
                         "deletion_protection.enabled": True, "backup.enabled": True,
                         "backup.retention_days": 7, "backup.encrypted": True},
    "db-private": {**cmek("ext-vpc", level="external", supported=OPAQUE),
                   "public_exposure.is_public": False, "tls_enforced.required": True,
                   "backup.retention_days": 3},
    # An answer with the older requireSsl and no sslMode.
    "db-legacy-ssl": {"tls_enforced.required": True, "backup.retention_days": 30},
}
FILESYSTEMS: dict[str, dict[str, Any]] = {
    "fs-basic": {**GOOGLE, **US, "data_residency.region": "US-CENTRAL1",
                 "tls_enforced.required": OPAQUE},
    "fs-cmek": {**cmek("soft-norot"), **BELGIUM, "data_residency.region": "EUROPE-WEST1",
                "tls_enforced.required": OPAQUE},
}
EXPECTED = {"storage.volume": VOLUMES, "storage.snapshot": SNAPSHOTS,
            "database.instance": DATABASES, "storage.filesystem": FILESYSTEMS}
CASES = [(kind, name) for kind, named in EXPECTED.items() for name in sorted(named)]


def test_every_resource_of_the_estate_has_expectations(full_scan):
    collection, _ = full_scan
    for kind, named in EXPECTED.items():
        assert set(resources(collection, kind)) == set(named), kind
    listed = {len(KINDS["disks"]), len(KINDS["snapshots"]) + len(KINDS["images"]),
              len(KINDS["sql_instances"]), len(KINDS["filestore_instances"])}
    assert listed == {len(v) for v in EXPECTED.values()}


@pytest.mark.parametrize(("kind", "name"), CASES, ids=[f"{k}:{n}" for k, n in CASES])
def test_facts(full_scan, kind, name):
    collection, _ = full_scan
    resource = resources(collection, kind)[name]
    assert resource.account == MAIN and resource.provider == "gcp"
    assert set(resource.facts) == set(fact_catalog()[kind]) - set(CORE_DERIVED)
    assert_facts(resource, EXPECTED[kind][name])


def test_identity_region_and_sources(full_scan):
    collection, _ = full_scan
    volumes = resources(collection, "storage.volume")
    regional = volumes["d-csek"]
    assert (regional.id, regional.region) == ("projects/t-main/regions/us-east1/disks/d-csek",
                                              "US-EAST1")
    assert volumes["d-cmek"].id == "projects/t-main/zones/europe-west1-b/disks/d-cmek"
    assert volumes["d-cmek"].facts["attachment.attached"].detail == "used by vm-2, vm-3"
    # The key's custody is the CryptoKey's, read with the listing of its ring.
    assert volumes["d-cmek"].facts["key_custody.level"].source == (
        "compute:disks.aggregatedList", "cloudkms:cryptoKeys.list")
    snaps = resources(collection, "storage.snapshot")
    assert snaps["i-shared"].id == "projects/t-main/global/images/i-shared"
    shared = snaps["s-shared"].facts["sharing.accounts"]
    assert shared.basis == "derived"
    assert shared.source == ("compute:snapshots.getIamPolicy", "compute:snapshots.list")
    assert snaps["i-public"].facts["public_exposure.is_public"].source[0] == \
        "compute:images.getIamPolicy"
    assert snaps["s-iam-denied"].facts["sharing.accounts"].source[0] == \
        "compute:snapshots.getIamPolicy"
    files = resources(collection, "storage.filesystem")
    assert files["fs-cmek"].id == "projects/t-main/locations/europe-west1/instances/fs-cmek"
    db = resources(collection, "database.instance")["db-open"]
    assert (db.id, db.region) == ("projects/t-main/instances/db-open", "US-CENTRAL1")
    assert "0.0.0.0/0" in db.facts["public_exposure.is_public"].detail
    narrow = resources(collection, "database.instance")["db-public-narrow"]
    assert "1 authorized network(s)" in narrow.facts["public_exposure.is_public"].detail


def test_each_listing_once_per_project_and_iam_once_per_snapshot(full_scan):
    _, requests = full_scan
    sent: dict[str, int] = {}
    for request in requests:
        sent[request.action] = sent.get(request.action, 0) + 1
    projects = 3  # t-main, t-nostorage, t-nokms; their listings are one page each
    for action in ("compute.disks.aggregatedList", "compute.snapshots.list",
                   "compute.images.list", "sqladmin.instances.list", "file.instances.list"):
        assert sent[action] >= projects, action
    assert sent["compute.snapshots.getIamPolicy"] == len(KINDS["snapshots"])
    assert sent["compute.images.getIamPolicy"] == len(KINDS["images"])
    assert all(r.method == "GET" for r in requests)
