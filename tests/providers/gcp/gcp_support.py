"""Shared data for the Google Cloud adapter tests: an estate that covers every branch the
adapter normalizes, and small helpers. Fixtures live in conftest.py.
"""

from __future__ import annotations

from typing import Any

from auditor.providers.base import Collection
from auditor.providers.gcp import GcpAdapter

MAIN, NO_STORAGE, NO_KMS = "t-main", "t-nostorage", "t-nokms"
RING = "projects/t-main/locations/europe-west1/keyRings/ring"
PAGE_SIZE = 4


def key(name: str) -> str:
    return f"{RING}/cryptoKeys/{name}"


HIDDEN_KEY = "projects/t-hidden/locations/europe-west1/keyRings/r/cryptoKeys/k"
# Disks, snapshots and images, Cloud SQL and Filestore instances of t-main: every key kind
# (Google's, CMEK software / HSM / external / imported, CSEK, a key gone, a key denied).
KINDS: dict[str, Any] = {
    "disks": [
        {"name": "d-google", "zone": "us-central1-a", "users": ["vm-1"]},
        {"name": "d-cmek", "zone": "europe-west1-b", "kms_key": "europe-west1/ring/soft-rot",
         "users": ["vm-2", "vm-3"]},
        {"name": "d-hsm-idle", "zone": "europe-west1-c", "kms_key": "europe-west1/ring/hsm"},
        {"name": "d-csek", "region": "us-east1", "csek": True, "users": ["vm-4"]},
        {"name": "d-ext", "zone": "europe-west1-b", "kms_key": "europe-west1/ring/ext"},
        {"name": "d-imported", "zone": "europe-west1-b", "kms_key": "europe-west1/ring/imported"},
        {"name": "d-key-gone", "zone": "europe-west1-b", "kms_key": "europe-west1/ring/retired"},
        {"name": "d-key-denied", "zone": "europe-west1-b", "kms_key": HIDDEN_KEY},
        {"name": "d-nowhere", "zone": "mars-north1-a"},
    ],
    "snapshots": [
        {"name": "s-public", "public": "allUsers"},
        {"name": "s-all-auth", "public": "allAuthenticatedUsers", "storage_location": "eu"},
        {"name": "s-shared", "storage_location": "europe-west1",
         "kms_key": "europe-west1/ring/soft-rot",
         "iam": [{"role": "roles/compute.storageAdmin",
                  "members": ["user:partner@example.com", "projectOwner:t-main",
                              "serviceAccount:dr@t-other.iam.gserviceaccount.com"]}]},
        {"name": "s-private", "csek": True},
        {"name": "s-iam-denied", "faults": {"compute.snapshots.getIamPolicy": 403}},
    ],
    "images": [
        {"name": "i-shared", "family": "base", "kms_key": "europe-west1/ring/hsm",
         "iam": [{"role": "roles/compute.imageUser", "members": ["group:eng@example.com"]}]},
        {"name": "i-public", "public": "allAuthenticatedUsers"},
    ],
    "sql_instances": [
        {"name": "db-open", "public_ip": True, "authorized_networks": ["10.1.0.0/16", "0.0.0.0/0"]},
        {"name": "db-public-narrow", "public_ip": True, "region": "europe-west1",
         "authorized_networks": ["203.0.113.0/24"], "ssl_mode": "ENCRYPTED_ONLY",
         "deletion_protection": True, "backups": {"enabled": True, "retained": 7},
         "kms_key": "europe-west1/ring/hsm"},
        {"name": "db-private", "ssl_mode": "TRUSTED_CLIENT_CERTIFICATE_REQUIRED",
         "backups": {"enabled": True, "retained": 3}, "kms_key": "europe-west1/ring/ext-vpc"},
        {"name": "db-legacy-ssl", "ssl_mode": False, "require_ssl": True,
         "backups": {"enabled": True, "retained": 30}},
    ],
    "filestore_instances": [
        {"name": "fs-basic", "location": "us-central1-a"},
        {"name": "fs-cmek", "location": "europe-west1", "tier": "ENTERPRISE",
         "kms_key": "europe-west1/ring/soft-norot"},
    ],
}

# Organization policy storage.publicAccessPrevention: t-main has none (the default, not
# enforced), t-nostorage enforces it, t-nokms refuses to show it (403).
ESTATE: dict[str, Any] = {"projects": [
    {"id": MAIN, "number": "700000000001",
     "key_rings": [{"name": "ring", "location": "europe-west1", "keys": [
         {"name": "soft-rot", "protection": "SOFTWARE", "rotation_days": 90, "versions": 2},
         {"name": "soft-norot", "protection": "SOFTWARE"},
         {"name": "hsm", "protection": "HSM", "rotation_days": 30},
         {"name": "ext", "protection": "EXTERNAL"},
         {"name": "ext-vpc", "protection": "EXTERNAL_VPC"},
         # A rotation schedule on an EXTERNAL_VPC key: its EKM connection is CLOUD_KMS-managed.
         {"name": "ext-vpc-coord", "protection": "EXTERNAL_VPC", "rotation_days": 30},
         {"name": "imported", "protection": "SOFTWARE", "imported": True},
         {"name": "asym-sign", "protection": "HSM", "purpose": "ASYMMETRIC_SIGN"},
         {"name": "pending-import", "protection": "HSM", "imported": True, "primary": False,
          "state": "PENDING_IMPORT"},
         {"name": "destroyed", "protection": "SOFTWARE", "state": "DESTROYED"},
         {"name": "public", "protection": "SOFTWARE", "public": "allUsers"},
         {"name": "iam-hidden", "protection": "SOFTWARE",
          "faults": {"cloudkms.cryptoKeys.getIamPolicy": 403}},
     ]}],
     "buckets": [
         {"name": "gm-default", "location": "us-central1"},
         {"name": "cmek-software-rot", "location": "europe-west1",
          "kms_key": "europe-west1/ring/soft-rot"},
         {"name": "cmek-software-norot", "location": "europe-west1",
          "kms_key": "europe-west1/ring/soft-norot"},
         {"name": "cmek-hsm", "location": "europe-west1", "kms_key": "europe-west1/ring/hsm"},
         {"name": "cmek-external", "location": "europe-west1", "kms_key": "europe-west1/ring/ext"},
         {"name": "cmek-external-vpc", "location": "europe-west1",
          "kms_key": "europe-west1/ring/ext-vpc"},
         {"name": "cmek-imported", "location": "europe-west1",
          "kms_key": "europe-west1/ring/imported"},
         {"name": "pap-enforced", "location": "us-east1", "public_access_prevention": "enforced",
          "iam": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]},
         {"name": "iam-all-users", "location": "us-central1",
          "iam": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]},
         {"name": "iam-all-auth", "location": "us-central1",
          "iam": [{"role": "roles/storage.objectViewer", "members": ["allAuthenticatedUsers"]}]},
         {"name": "acl-public", "location": "us-central1", "uniform_access": False,
          "acl": [{"entity": "project-owners-700000000001", "role": "OWNER"},
                  {"entity": "allUsers", "role": "READER"}]},
         {"name": "acl-private", "location": "us-central1", "uniform_access": False},
         {"name": "acl-default-object-public", "location": "us-central1",
          "uniform_access": False,
          "default_object_acl": [{"entity": "allAuthenticatedUsers", "role": "READER"}]},
         {"name": "retention-locked", "location": "us-central1",
          "retention": {"days": 30, "locked": True}, "versioning": True},
         {"name": "retention-unlocked", "location": "us-central1",
          "retention": {"days": 7, "locked": False}, "event_based_hold": True},
         {"name": "object-retention", "location": "us-central1", "object_retention": True},
         {"name": "soft-delete-off", "location": "us-central1", "soft_delete_days": 0},
         {"name": "soft-delete-30", "location": "us-central1", "soft_delete_days": 30,
          "logging": {"bucket": "log-sink", "prefix": "sd30/"}},
         {"name": "dual-custom", "location": "EU", "rpo": "ASYNC_TURBO",
          "data_locations": ["EUROPE-WEST1", "EUROPE-WEST4"]},
         {"name": "dual-nam4", "location": "NAM4"},
         {"name": "multi-asia", "location": "ASIA"},
         {"name": "multi-eu", "location": "EU"},
         {"name": "iam-denied", "location": "us-central1",
          "faults": {"storage.buckets.getIamPolicy": 403}},
         {"name": "acl-partly-denied", "location": "us-central1", "uniform_access": False,
          "acl": [{"entity": "allUsers", "role": "READER"}],
          "faults": {"storage.defaultObjectAccessControls.list": 403}},
         {"name": "key-gone", "location": "europe-west1",
          "kms_key": "europe-west1/ring/retired"},
         {"name": "key-denied", "location": "europe-west1",
          "kms_key": "projects/t-hidden/locations/europe-west1/keyRings/r/cryptoKeys/k"},
     ],
     **KINDS},
    {"id": NO_STORAGE, "number": "700000000002", "disabled": ["storage"],
     "org_policy": {"public_access_prevention": True},
     "buckets": [{"name": "never-listed", "location": "us-central1"}]},
    {"id": NO_KMS, "number": "700000000003", "disabled": ["cloudkms"],
     "org_policy": {"public_access_prevention": "denied"},
     "key_rings": [{"name": "ring", "location": "europe-west1",
                    "keys": [{"name": "k", "protection": "HSM"}]}],
     "buckets": [{"name": "nokms-cmek", "location": "europe-west1",
                  "kms_key": "europe-west1/ring/k"}]},
]}

MAIN_BUCKETS = [b["name"] for b in ESTATE["projects"][0]["buckets"]]


def assert_facts(resource: Any, expected: dict[str, Any]) -> None:
    """Each expected fact: a FactState (with no value and a detail saying why) or the
    observed value."""
    from auditor.model import FactState

    for path, want in expected.items():
        fact = resource.facts[path]
        if isinstance(want, FactState):
            assert fact.state is want, (path, fact)
            assert fact.value is None and fact.detail, (path, fact)
        else:
            assert fact.state is FactState.OBSERVED, (path, fact)
            assert fact.value == want, (path, fact.value)


def fast_adapter() -> GcpAdapter:
    """The adapter with a short backoff, so retry tests stay fast."""
    return GcpAdapter(base_delay=0.005)


def resources(collection: Collection, kind: str) -> dict[str, Any]:
    """Resources of one kind by bucket name (kms.key: by key name)."""
    return {r.name if kind != "kms.key" else r.id: r for r in collection.resources
            if r.kind == kind}
