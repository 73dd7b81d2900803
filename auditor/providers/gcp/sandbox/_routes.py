"""Request routing of the Google Cloud stand-in: Cloud Storage JSON API and Cloud KMS REST here,
the Org Policy API v2 in ``_orgpolicy``, Resource Manager v3 in ``_resourcemanager``, Compute
Engine, Cloud SQL Admin and Filestore in ``_kinds_routes``.

Reads only (the RecordingServer answers 405 to anything else). Each answer names its
operation (the IAM permission style name, e.g. ``storage.buckets.getIamPolicy``) so the
request record can be counted per operation.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from auditor.providers.gcp.sandbox._estate import Estate, Project
from auditor.providers.gcp.sandbox._kinds_routes import (
    FILESTORE_PATH,
    SQL_PATH,
    compute,
    filestore,
    sqladmin,
)
from auditor.providers.gcp.sandbox._orgpolicy import effective_policy
from auditor.providers.gcp.sandbox._replies import (
    disabled,
    fault_reply,
    gcs_error,
    json_reply,
    page_of,
    rpc_error,
)
from auditor.providers.gcp.sandbox._resourcemanager import resource_manager
from auditor.sandbox.base import RecordedRequest, Reply

# Cloud KMS enum values (google/cloud/kms/v1/resources.proto), for enum-encoding=int.
_ENUMS: dict[str, dict[str, int]] = {
    "protectionLevel": {"PROTECTION_LEVEL_UNSPECIFIED": 0, "SOFTWARE": 1, "HSM": 2,
                        "EXTERNAL": 3, "EXTERNAL_VPC": 4, "HSM_SINGLE_TENANT": 5},
    "state": {"CRYPTO_KEY_VERSION_STATE_UNSPECIFIED": 0, "ENABLED": 1, "DISABLED": 2,
              "DESTROYED": 3, "DESTROY_SCHEDULED": 4, "PENDING_GENERATION": 5,
              "PENDING_IMPORT": 6, "IMPORT_FAILED": 7, "GENERATION_FAILED": 8,
              "PENDING_EXTERNAL_DESTRUCTION": 9, "EXTERNAL_DESTRUCTION_FAILED": 10},
    "purpose": {"CRYPTO_KEY_PURPOSE_UNSPECIFIED": 0, "ENCRYPT_DECRYPT": 1,
                "ASYMMETRIC_SIGN": 5, "ASYMMETRIC_DECRYPT": 6, "RAW_ENCRYPT_DECRYPT": 7,
                "MAC": 9, "KEY_ENCAPSULATION": 10, "AES_WRAPPING": 11},
    "algorithm": {"CRYPTO_KEY_VERSION_ALGORITHM_UNSPECIFIED": 0,
                  "GOOGLE_SYMMETRIC_ENCRYPTION": 1, "RSA_SIGN_PSS_2048_SHA256": 2,
                  "EC_SIGN_P256_SHA256": 12, "EC_SIGN_P384_SHA384": 13,
                  "EXTERNAL_SYMMETRIC_ENCRYPTION": 18, "AES_256_GCM": 19},
}
_KMS = "/v1/projects/"
_RING = r"projects/[^/]+/locations/[^/]+/keyRings/[^/:]+"
_KEY = _RING + r"/cryptoKeys/[^/:]+"
_KMS_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(projects/[^/]+)/locations$"), "cloudkms.locations.list"),
    (re.compile(r"^(projects/[^/]+/locations/[^/]+)$"), "cloudkms.locations.get"),
    (re.compile(r"^(projects/[^/]+/locations/[^/]+)/keyRings$"), "cloudkms.keyRings.list"),
    (re.compile(rf"^({_RING})$"), "cloudkms.keyRings.get"),
    (re.compile(rf"^({_RING}):getIamPolicy$"), "cloudkms.keyRings.getIamPolicy"),
    (re.compile(rf"^({_RING})/cryptoKeys$"), "cloudkms.cryptoKeys.list"),
    (re.compile(rf"^({_KEY})$"), "cloudkms.cryptoKeys.get"),
    (re.compile(rf"^({_KEY}):getIamPolicy$"), "cloudkms.cryptoKeys.getIamPolicy"),
    (re.compile(rf"^({_KEY})/cryptoKeyVersions$"), "cloudkms.cryptoKeyVersions.list"),
    (re.compile(rf"^({_KEY}/cryptoKeyVersions/[^/:]+)$"), "cloudkms.cryptoKeyVersions.get"),
]


# --- Cloud Storage JSON API ------------------------------------------------------------


def _no_acl(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if k not in ("acl", "defaultObjectAcl", "owner")}


def _storage(estate: Estate, req: RecordedRequest, path: str) -> Reply:
    parts = path[len("/storage/v1/"):].split("/")
    if parts == ["b"]:
        action = "storage.buckets.list"
        project_id = (req.query.get("project") or [""])[0]
        project = estate.projects.get(project_id) or next(
            (p for p in estate.projects.values() if p.number == project_id), None)
        if project is None:
            return gcs_error(400, f"Unknown project id: {project_id}", action, "invalid")
        if "storage" in project.disabled:
            return disabled("storage", project, action)
        fault = fault_reply(estate, f"projects/{project.id}", action, "storage")
        if fault:
            return fault
        names = sorted(project.buckets)
        prefix = (req.query.get("prefix") or [""])[0]
        names = [n for n in names if n.startswith(prefix)]
        page, token = page_of(names, req.query, "maxResults", estate.page_size)
        full = (req.query.get("projection") or ["noAcl"])[0] == "full"
        items = [project.buckets[n] if full else _no_acl(project.buckets[n]) for n in page]
        body: dict[str, Any] = {"kind": "storage#buckets", "items": items}
        if token:
            body["nextPageToken"] = token
        return json_reply(200, body, action)
    if len(parts) < 2 or parts[0] != "b" or len(parts) > 3:
        return gcs_error(404, "Not Found", "storage.unknown")
    name, sub = parts[1], (parts[2] if len(parts) == 3 else "")
    action = {"": "storage.buckets.get", "iam": "storage.buckets.getIamPolicy",
              "acl": "storage.bucketAccessControls.list",
              "defaultObjectAcl": "storage.defaultObjectAccessControls.list"}.get(sub)
    if action is None:
        return gcs_error(404, "Not Found", "storage.unknown")
    found = estate.bucket(name)
    if found is None:
        return gcs_error(404, "The specified bucket does not exist.", action)
    project, resource = found
    if "storage" in project.disabled:
        return disabled("storage", project, action)
    fault = fault_reply(estate, f"b/{name}", action, "storage")
    if fault:
        return fault
    if sub == "":
        full = (req.query.get("projection") or ["noAcl"])[0] == "full"
        return json_reply(200, resource if full else _no_acl(resource), action)
    if sub == "iam":
        return json_reply(200, project.bucket_policies[name], action)
    if "acl" not in resource:
        return gcs_error(400, "Cannot get legacy ACL for a bucket that has uniform bucket-level "
                         "access. Read more at https://cloud.google.com/storage/docs/"
                         "uniform-bucket-level-access", action, "invalid")
    if sub == "acl":
        return json_reply(200, {"kind": "storage#bucketAccessControls",
                                "items": resource["acl"]}, action)
    return json_reply(200, {"kind": "storage#objectAccessControls",
                            "items": resource["defaultObjectAcl"]}, action)


# --- Cloud KMS REST -------------------------------------------------------------------


def _enums_as_int(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (_ENUMS[k].get(v, 0) if k in _ENUMS and isinstance(v, str)
                    else _enums_as_int(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_enums_as_int(v) for v in value]
    return value


def _location(name: str, location: str) -> dict[str, Any]:
    return {"name": f"{name}/locations/{location}", "locationId": location,
            "displayName": location,
            "metadata": {"@type": "type.googleapis.com/google.cloud.kms.v1.LocationMetadata",
                         "hsmAvailable": True, "ekmAvailable": location != "global"}}


def _kms_list(items: list[Any], field: str, req: RecordedRequest, estate: Estate) -> Any:
    page, token = page_of(items, req.query, "pageSize", estate.page_size)
    body: dict[str, Any] = {field: page} if page else {}
    if token:
        body["nextPageToken"] = token
    if field != "locations":
        body["totalSize"] = len(items)
    return body


def _kms_body(estate: Estate, project: Project, action: str, name: str,
              req: RecordedRequest) -> tuple[int, Any]:
    if action == "cloudkms.locations.list":
        return 200, _kms_list([_location(name, loc) for loc in project.locations],
                              "locations", req, estate)
    if action == "cloudkms.locations.get":
        location = name.rsplit("/", 1)[1]
        if location in project.locations:
            return 200, _location(name.rsplit("/locations/", 1)[0], location)
        return 404, f"Location {name} not found."
    if action == "cloudkms.keyRings.list":
        rings = [r for n, r in sorted(project.rings.items()) if n.startswith(name + "/")]
        return 200, _kms_list(rings, "keyRings", req, estate)
    if action in ("cloudkms.keyRings.get", "cloudkms.keyRings.getIamPolicy"):
        if name not in project.rings:
            return 404, f"KeyRing {name} not found."
        if action.endswith("getIamPolicy"):
            return 200, {"version": 1, "etag": "ACAB"}
        return 200, project.rings[name]
    if action == "cloudkms.cryptoKeys.list":
        if name not in project.rings:
            return 404, f"KeyRing {name} not found."
        keys = [k.resource for n, k in sorted(project.keys.items())
                if n.startswith(name + "/cryptoKeys/")]
        return 200, _kms_list(keys, "cryptoKeys", req, estate)
    key_name = name.split("/cryptoKeyVersions/")[0]
    key = project.keys.get(key_name)
    if key is None:
        return 404, f"CryptoKey {key_name} not found."
    if action == "cloudkms.cryptoKeys.get":
        return 200, key.resource
    if action == "cloudkms.cryptoKeys.getIamPolicy":
        return 200, key.policy
    if action == "cloudkms.cryptoKeyVersions.list":
        return 200, _kms_list(key.versions, "cryptoKeyVersions", req, estate)
    version = next((v for v in key.versions if v["name"] == name), None)
    return (200, version) if version else (404, f"CryptoKeyVersion {name} not found.")


def _kms(estate: Estate, req: RecordedRequest, path: str) -> Reply:
    name = path[len("/v1/"):]
    found = next(((m, a) for pattern, a in _KMS_ROUTES if (m := pattern.match(name))), None)
    if found is None:
        return rpc_error(404, f"Resource {name} not found.", "cloudkms.unknown")
    name, action = found[0].group(1), found[1]
    project = estate.project_of(name)
    if project is None:
        # A project these credentials cannot see answers as IAM does: 403, not 404.
        info = {"reason": "IAM_PERMISSION_DENIED", "domain": "cloudkms.googleapis.com",
                "metadata": {"permission": action, "resource": name}}
        return rpc_error(403, f"Permission '{action}' denied on resource '{name}' (or it may "
                         "not exist).", action, info)
    if "cloudkms" in project.disabled:
        return disabled("cloudkms", project, action)
    in_key = "/cryptoKeys/" in name
    scope = name.split("/cryptoKeyVersions/")[0] if in_key else f"projects/{project.id}"
    fault = fault_reply(estate, scope, action, "cloudkms")
    if fault:
        return fault
    status, body = _kms_body(estate, project, action, name, req)
    if status != 200:
        return rpc_error(status, body, action)
    if "enum-encoding=int" in (req.query.get("$alt") or [""])[0]:
        body = _enums_as_int(body)
    return json_reply(200, body, action)


def handle(estate: Estate, req: RecordedRequest) -> Reply:
    path = unquote(req.path)
    if path.startswith("/storage/v1/"):
        return _storage(estate, req, path)
    if path.startswith("/compute/v1/"):
        return compute(estate, req, path)
    if req.method == "GET" and (found := SQL_PATH.match(path)):
        return sqladmin(estate, req, found.group(1))
    if req.method == "GET" and (found := FILESTORE_PATH.match(path)):
        return filestore(estate, req, found.group(1), found.group(2))
    if path.startswith(_KMS):
        return _kms(estate, req, path)
    if path.startswith("/v2/"):
        return effective_policy(estate, path)
    if path.startswith("/v3/"):
        return resource_manager(estate, req, path)
    return json_reply(404, {"error": {"code": 404, "message": f"no route for {path}"}}, "unknown")
