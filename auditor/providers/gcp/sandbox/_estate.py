"""Build Cloud Storage and Cloud KMS REST resources (and, in ``_hierarchy``, the Resource
Manager ones) from the estate's ``gcp:`` section.

Resources are shaped as the Cloud Storage JSON API v1 (``storage#bucket``,
``storage#bucketAccessControl``, ``storage#policy``) and the Cloud KMS v1 REST reference
(KeyRing, CryptoKey, CryptoKeyVersion, Policy) show them. Enums are kept as names here;
the router turns them into integers when a client asks for ``enum-encoding=int``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from auditor.providers.gcp.sandbox._hierarchy import (
    EstateError,
    Organization,
    organization,
    project_resource,
)
from auditor.providers.gcp.sandbox._kinds_estate import KindsEstate, build_kinds

CREATED = "2024-03-04T09:15:27.418Z"
UPDATED = "2025-06-18T14:02:11.036Z"
NEXT_ROTATION = "2026-09-01T00:00:00Z"
DAY = 86400
MULTI_REGIONS = frozenset({"US", "EU", "ASIA"})
PREDEFINED_DUAL = frozenset({"NAM4", "EUR4", "EUR5", "EUR7", "EUR8", "ASIA1"})


class Faults:
    """Injected failures: scope -> action -> HTTP status (always) or list (one per request)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._book: dict[tuple[str, str], int | str | list[int | str]] = {}
        self._everywhere: dict[str, int | str] = {}  # action -> fault in every scope

    def add_everywhere(self, action: str, fault: int | str) -> None:
        """``fault`` for every call of ``action`` that no scoped fault answers."""
        self._everywhere[action] = fault

    def add(self, scope: str, faults: dict[str, Any] | None) -> None:
        for action, value in (faults or {}).items():
            self._book[(scope, action)] = list(value) if isinstance(value, list) else value

    def take(self, scope: str, action: str) -> int | str | None:
        with self._lock:
            value = self._book.get((scope, action))
            if isinstance(value, list):
                return value.pop(0) if value else self._everywhere.get(action)
            return value if value is not None else self._everywhere.get(action)


@dataclass
class Key:
    resource: dict[str, Any]
    versions: list[dict[str, Any]]
    policy: dict[str, Any]


@dataclass
class Project:
    id: str
    number: str
    # "storage", "cloudkms", "orgpolicy", "compute", "sqladmin", "file"
    disabled: set[str] = field(default_factory=set)
    org_policy: bool | str | None = None  # storage.publicAccessPrevention: bool, "denied", None
    buckets: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> full resource
    bucket_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    rings: dict[str, dict[str, Any]] = field(default_factory=dict)  # ring name -> KeyRing
    keys: dict[str, Key] = field(default_factory=dict)  # key name -> Key
    locations: list[str] = field(default_factory=list)
    # The Resource Manager v3 Project resource (parent, state, displayName, ...).
    resource: dict[str, Any] = field(default_factory=dict)
    # Disks, snapshots, images, Cloud SQL and Filestore instances (_kinds_estate).
    kinds: KindsEstate = field(default_factory=KindsEstate)
    # False for the organization's extra projects: found by a Resource Manager search only,
    # not in the stand-in's default project list (the demo's scan).
    listed: bool = True


@dataclass
class Estate:
    projects: dict[str, Project] = field(default_factory=dict)
    organization: Organization = field(default_factory=Organization)
    faults: Faults = field(default_factory=Faults)
    page_size: int = 1000

    def bucket(self, name: str) -> tuple[Project, dict[str, Any]] | None:
        for project in self.projects.values():
            if name in project.buckets:
                return project, project.buckets[name]
        return None

    def project_of(self, resource_name: str) -> Project | None:
        """The project named by a KMS resource name ``projects/P/...``."""
        parts = resource_name.split("/")
        if len(parts) < 2 or parts[0] != "projects":
            return None
        return self.projects.get(parts[1])


def _require(spec: dict[str, Any], key: str, where: str) -> Any:
    if key not in spec:
        raise EstateError(f"gcp: {where}: missing {key!r}")
    return spec[key]


def location_type(location: str, data_locations: list[str] | None) -> str:
    loc = location.upper()
    if data_locations or loc in PREDEFINED_DUAL:
        return "dual-region"
    return "multi-region" if loc in MULTI_REGIONS else "region"


def _acl_entry(kind: str, bucket: str, entity: str, role: str, number: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": kind, "id": f"{bucket}/{entity}", "bucket": bucket,
                             "entity": entity, "role": role, "etag": "CAE="}
    for team in ("owners", "editors", "viewers"):
        if entity == f"project-{team}-{number}":
            entry["projectTeam"] = {"projectNumber": number, "team": team}
    return entry


def _default_acl(number: str) -> list[dict[str, str]]:
    return [{"entity": f"project-owners-{number}", "role": "OWNER"},
            {"entity": f"project-editors-{number}", "role": "OWNER"},
            {"entity": f"project-viewers-{number}", "role": "READER"}]


def bucket_resource(spec: dict[str, Any], project: Project, kms_key: str | None,
                    base_url: str) -> dict[str, Any]:
    name = _require(spec, "name", "bucket")
    location = str(_require(spec, "location", f"bucket {name}")).upper()
    data_locations = [str(d).upper() for d in spec.get("data_locations") or []]
    ltype = spec.get("location_type") or location_type(location, data_locations)
    uniform = bool(spec.get("uniform_access", True))
    res: dict[str, Any] = {
        "kind": "storage#bucket", "selfLink": f"{base_url}/storage/v1/b/{name}", "id": name,
        "name": name, "projectNumber": project.number, "generation": "1709543727418392",
        "metageneration": "3", "location": location, "locationType": ltype,
        "storageClass": spec.get("storage_class", "STANDARD"), "etag": "CAM=",
        "timeCreated": CREATED, "updated": UPDATED,
        "iamConfiguration": {
            "bucketPolicyOnly": {"enabled": uniform},
            "uniformBucketLevelAccess": {"enabled": uniform},
            "publicAccessPrevention": spec.get("public_access_prevention", "inherited"),
        },
        "owner": {"entity": f"project-owners-{project.number}"},
    }
    if uniform:
        for part in ("bucketPolicyOnly", "uniformBucketLevelAccess"):
            res["iamConfiguration"][part]["lockedTime"] = "2024-06-02T09:15:27.418Z"
    if ltype != "region":
        res["rpo"] = spec.get("rpo", "DEFAULT")
    if data_locations:
        res["customPlacementConfig"] = {"dataLocations": data_locations}
    if kms_key:
        res["encryption"] = {"defaultKmsKeyName": kms_key}
    if "versioning" in spec:
        res["versioning"] = {"enabled": bool(spec["versioning"])}
    retention = spec.get("retention")
    if retention:
        res["retentionPolicy"] = {"retentionPeriod": str(int(retention["days"] * DAY)),
                                  "effectiveTime": CREATED,
                                  "isLocked": bool(retention.get("locked", False))}
    if spec.get("object_retention"):
        res["objectRetention"] = {"mode": "Enabled"}
    if "event_based_hold" in spec:
        res["defaultEventBasedHold"] = bool(spec["event_based_hold"])
    soft_days = spec.get("soft_delete_days", 7)
    if soft_days is not None:
        res["softDeletePolicy"] = {"retentionDurationSeconds": str(int(soft_days * DAY))}
        if soft_days:
            res["softDeletePolicy"]["effectiveTime"] = CREATED
    if spec.get("logging"):
        res["logging"] = {"logBucket": spec["logging"]["bucket"],
                          "logObjectPrefix": spec["logging"].get("prefix", name)}
    if spec.get("labels"):
        res["labels"] = dict(spec["labels"])
    if not uniform:
        acl = spec.get("acl") or _default_acl(project.number)
        default_acl = spec.get("default_object_acl") or _default_acl(project.number)
        res["acl"] = [_acl_entry("storage#bucketAccessControl", name, a["entity"], a["role"],
                                 project.number) for a in acl]
        res["defaultObjectAcl"] = [
            {k: v for k, v in _acl_entry("storage#objectAccessControl", name, a["entity"],
                                         a["role"], project.number).items() if k != "id"}
            for a in default_acl]
    return res


def bucket_policy(spec: dict[str, Any], project: Project) -> dict[str, Any]:
    bindings = [
        {"role": "roles/storage.legacyBucketOwner",
         "members": [f"projectEditor:{project.id}", f"projectOwner:{project.id}"]},
        {"role": "roles/storage.legacyBucketReader", "members": [f"projectViewer:{project.id}"]},
    ]
    bindings += [dict(b) for b in spec.get("iam") or []]
    version = 3 if any("condition" in b for b in bindings) else 1
    return {"kind": "storage#policy", "resourceId": f"projects/_/buckets/{spec['name']}",
            "version": version, "etag": "CAM=", "bindings": bindings}


def _version(key_name: str, number: int, spec: dict[str, Any], state: str) -> dict[str, Any]:
    protection = spec.get("protection", "SOFTWARE")
    version: dict[str, Any] = {
        "name": f"{key_name}/cryptoKeyVersions/{number}", "state": state,
        "protectionLevel": protection, "algorithm": _algorithm(spec),
        "createTime": CREATED}
    if state not in ("PENDING_IMPORT", "PENDING_GENERATION"):
        version["generateTime"] = CREATED
    if spec.get("imported"):
        ring = key_name.rsplit("/cryptoKeys/", 1)[0]
        version["importJob"] = f"{ring}/importJobs/{spec.get('import_job', 'byok-import')}"
        version["importTime"] = CREATED
        version["reimportEligible"] = True
    if protection == "EXTERNAL":
        version["externalProtectionLevelOptions"] = {
            "externalKeyUri": spec.get("external_key_uri",
                                       "https://ekm.example.net/v0/keys/" + key_name[-12:])}
    elif protection == "EXTERNAL_VPC":
        version["externalProtectionLevelOptions"] = {"ekmConnectionKeyPath": "keys/" + key_name[-8:]}
    if state in ("DESTROYED", "DESTROY_SCHEDULED"):
        version["destroyTime"] = UPDATED
        if state == "DESTROYED":
            version["destroyEventTime"] = UPDATED
    return version


def _algorithm(spec: dict[str, Any]) -> str:
    if spec.get("algorithm"):
        return str(spec["algorithm"])
    if spec.get("purpose", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
        return "EC_SIGN_P256_SHA256"
    if spec.get("protection", "SOFTWARE") in ("EXTERNAL", "EXTERNAL_VPC"):
        return "EXTERNAL_SYMMETRIC_ENCRYPTION"
    return "GOOGLE_SYMMETRIC_ENCRYPTION"


def crypto_key(spec: dict[str, Any], ring_name: str, project: Project) -> Key:
    name = f"{ring_name}/cryptoKeys/{_require(spec, 'name', 'key')}"
    purpose = spec.get("purpose", "ENCRYPT_DECRYPT")
    count = int(spec.get("versions", 1))
    state = spec.get("state", "ENABLED")
    versions = [_version(name, n, spec, "ENABLED" if n < count else state)
                for n in range(1, count + 1)]
    res: dict[str, Any] = {
        "name": name, "purpose": purpose, "createTime": CREATED,
        "versionTemplate": {"protectionLevel": spec.get("protection", "SOFTWARE"),
                            "algorithm": _algorithm(spec)},
        "destroyScheduledDuration": "2592000s"}
    if spec.get("version_template") is False:  # an answer that leaves the template out
        del res["versionTemplate"]
    if purpose == "ENCRYPT_DECRYPT" and versions and spec.get("primary", True):
        res["primary"] = dict(versions[-1])
    if spec.get("rotation_days"):
        res["rotationPeriod"] = f"{int(spec['rotation_days'] * DAY)}s"
        res["nextRotationTime"] = NEXT_ROTATION
    if spec.get("imported") or spec.get("import_only"):
        res["importOnly"] = True
    if spec.get("protection") == "EXTERNAL_VPC":
        location = name.split("/")[3]
        res["cryptoKeyBackend"] = f"projects/{project.id}/locations/{location}/ekmConnections/ekm-1"
    if spec.get("labels"):
        res["labels"] = dict(spec["labels"])
    bindings = [{"role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
                 "members": [f"serviceAccount:service-{project.number}"
                             "@gs-project-accounts.iam.gserviceaccount.com"]}]
    if spec.get("public"):
        bindings.append({"role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
                         "members": [spec["public"] if isinstance(spec["public"], str)
                                     else "allUsers"]})
    bindings += [dict(b) for b in spec.get("iam") or []]
    policy = {"version": 1, "etag": "BwYkR2vLhWs=", "bindings": bindings}
    return Key(res, versions, policy)


def key_name(ref: str, project: Project) -> str:
    """``ring-location/ring/key`` shorthand or a full ``projects/...`` name."""
    if ref.startswith("projects/"):
        return ref
    location, ring, key = ref.split("/")
    return f"projects/{project.id}/locations/{location}/keyRings/{ring}/cryptoKeys/{key}"


def _org_policy(pspec: dict[str, Any], project: Project) -> None:
    value = (pspec.get("org_policy") or {}).get("public_access_prevention")
    if value is None:
        return
    if not (isinstance(value, bool) or value in ("denied", "disabled")):
        raise EstateError(f"gcp: project {project.id}: org_policy.public_access_prevention "
                          f"must be true, false, denied or disabled, not {value!r}")
    if value == "disabled":
        project.disabled.add("orgpolicy")
    else:
        project.org_policy = value


def build(section: dict[str, Any], base_url: str) -> Estate:
    if not isinstance(section, dict) or "projects" not in section:
        raise EstateError("gcp: expected a mapping with 'projects'")
    estate = Estate(page_size=int(section.get("page_size", 1000)),
                    organization=organization(section.get("organization")))
    org_spec = section.get("organization") or {}
    estate.faults.add("resourcemanager", org_spec.get("faults"))  # every Resource Manager call
    for fspec in org_spec.get("folders") or []:
        estate.faults.add(f"folders/{fspec['id']}", fspec.get("faults"))
    extra = org_spec.get("projects") or []
    for pspec, listed in [(p, True) for p in section["projects"]] + [(p, False) for p in extra]:
        project = Project(str(_require(pspec, "id", "project")),
                          str(pspec.get("number", "100000000001")),
                          set(pspec.get("disabled") or []), listed=listed)
        project.resource = project_resource(pspec, project.number, estate.organization)
        estate.faults.add(f"projects/{project.id}", pspec.get("faults"))
        _org_policy(pspec, project)
        for rspec in pspec.get("key_rings") or []:
            location = _require(rspec, "location", "key ring")
            ring = f"projects/{project.id}/locations/{location}/keyRings/{rspec['name']}"
            project.rings[ring] = {"name": ring, "createTime": CREATED}
            for kspec in rspec.get("keys") or []:
                key = crypto_key(kspec, ring, project)
                project.keys[key.resource["name"]] = key
                estate.faults.add(key.resource["name"], kspec.get("faults"))
        for bspec in pspec.get("buckets") or []:
            ref = bspec.get("kms_key")
            res = bucket_resource(bspec, project, key_name(ref, project) if ref else None,
                                  base_url)
            project.buckets[res["name"]] = res
            project.bucket_policies[res["name"]] = bucket_policy(bspec, project)
            estate.faults.add(f"b/{res['name']}", bspec.get("faults"))
        project.kinds = build_kinds(pspec, project.id, base_url,
                                    lambda ref, p=project: key_name(ref, p), estate.faults.add)
        ring_locations = {r.split("/")[3] for r in project.rings}
        project.locations = sorted(set(pspec.get("kms_locations") or []) | ring_locations
                                   | {"global"})
        estate.projects[project.id] = project
    return estate
