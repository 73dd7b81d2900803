"""Compute Engine v1, Cloud SQL Admin v1 and Filestore v1 routes of the Google Cloud stand-in.

- ``GET /compute/v1/projects/P/aggregated/disks?maxResults=&pageToken=``: a
  ``compute#diskAggregatedList`` whose ``items`` map each scope (``zones/Z``, ``regions/R``)
  to ``{"disks": [...]}``, or to a ``NO_RESULTS_ON_PAGE`` warning when the scope has none.
- ``GET /compute/v1/projects/P/global/snapshots`` and ``/global/images``: ``compute#...List``
  with ``items`` (absent when empty) and ``nextPageToken``.
- ``GET /compute/v1/projects/P/global/{snapshots|images}/N/getIamPolicy``: a Policy.
- ``GET /v1/projects/P/instances``: ``sql#instancesList`` (Cloud SQL Admin).
- ``GET /v1/projects/P/locations/L/instances`` (``L`` may be ``-``): ListInstancesResponse
  (Filestore), enums as numbers when the client asks for ``enum-encoding=int``.
Compute Engine and Cloud SQL answer errors in the legacy shape (``errors[]`` with a reason),
Filestore as google.rpc.Status. Reads only; every answer names its action.
"""

from __future__ import annotations

import re
from typing import Any

from auditor.providers.gcp.sandbox import _replies
from auditor.providers.gcp.sandbox._estate import Estate, Project
from auditor.sandbox.base import RecordedRequest, Reply

_COMPUTE = re.compile(r"^/compute/v1/projects/([^/]+)/(aggregated/disks|global/snapshots|"
                      r"global/images)(?:/([^/]+)/(getIamPolicy))?$")
SQL_PATH = re.compile(r"^/v1/projects/([^/]+)/instances$")
FILESTORE_PATH = re.compile(r"^/v1/projects/([^/]+)/locations/([^/]+)/instances$")
# Filestore v1 enums (google/cloud/filestore/v1/cloud_filestore_service.proto).
_FILE_ENUMS = {"tier": {"TIER_UNSPECIFIED": 0, "STANDARD": 1, "PREMIUM": 2, "BASIC_HDD": 3,
                        "BASIC_SSD": 4, "HIGH_SCALE_SSD": 5, "ENTERPRISE": 6, "ZONAL": 7,
                        "REGIONAL": 8},
               "state": {"STATE_UNSPECIFIED": 0, "CREATING": 1, "READY": 2, "REPAIRING": 3,
                         "DELETING": 4, "ERROR": 6},
               "modes": {"ADDRESS_MODE_UNSPECIFIED": 0, "MODE_IPV4": 1},
               "connectMode": {"CONNECT_MODE_UNSPECIFIED": 0, "DIRECT_PEERING": 1,
                               "PRIVATE_SERVICE_ACCESS": 2}}
_EMPTY_ZONES = ("zones/us-central1-a", "zones/us-east1-b", "zones/europe-west1-b")


def _project(estate: Estate, ref: str) -> Project | None:
    return estate.projects.get(ref) or next(
        (p for p in estate.projects.values() if p.number == ref), None)


def _guard(estate: Estate, ref: str, action: str, service: str,
           scope: str | None = None) -> tuple[Project | None, Reply | None]:
    """The project, or the reply that stands in the way (unknown, disabled, a fault)."""
    project = _project(estate, ref)
    if project is None:
        message = f"Permission denied on resource project {ref}."
        return None, (_replies.gcs_error(403, message, action) if service != "file"
                      else _replies.rpc_error(403, message, action))
    if service in project.disabled:
        return None, _replies.disabled(service, project, action)
    fault = _replies.fault_reply(estate, scope or f"projects/{project.id}", action, service)
    return project, fault


def _aggregated(project: Project, req: RecordedRequest, estate: Estate) -> dict[str, Any]:
    page, token = _replies.page_of(project.kinds.disks, req.query, "maxResults", estate.page_size)
    items: dict[str, Any] = {}
    for scope, disk in page:
        items.setdefault(scope, {"disks": []})["disks"].append(disk)
    if not (req.query.get("pageToken") or [""])[0]:
        for scope in _EMPTY_ZONES:
            items.setdefault(scope, {"warning": {
                "code": "NO_RESULTS_ON_PAGE", "message": "There are no results for scope "
                f"'{scope}' on this page.", "data": [{"key": "scope", "value": scope}]}})
    body: dict[str, Any] = {"kind": "compute#diskAggregatedList",
                            "id": f"projects/{project.id}/aggregated/disks", "items": items,
                            "selfLink": f"projects/{project.id}/aggregated/disks"}
    if token:
        body["nextPageToken"] = token
    return body


def compute(estate: Estate, req: RecordedRequest, path: str) -> Reply:
    match = _COMPUTE.match(path)
    if match is None:
        return _replies.gcs_error(404, f"The requested URL {path} was not found.", "compute.unknown",
                         "notFound")
    ref, collection, name, iam = match.groups()
    resource = collection.split("/")[1]
    method = "getIamPolicy" if iam else (
        "aggregatedList" if collection.startswith("aggregated") else "list")
    action = f"compute.{resource}.{method}"
    scope = f"projects/{ref}/{collection}/{name}" if iam else None
    project, stop = _guard(estate, ref, action, "compute", scope)
    if stop is not None or project is None:
        return stop  # type: ignore[return-value]
    if iam:
        policy = project.kinds.policies.get(f"projects/{project.id}/{collection}/{name}")
        if policy is None:
            return _replies.gcs_error(404, f"The resource 'projects/{project.id}/{collection}/{name}' "
                             "was not found", action, "notFound")
        return _replies.json_reply(200, policy, action)
    if resource == "disks":
        return _replies.json_reply(200, _aggregated(project, req, estate), action)
    found = project.kinds.snapshots if resource == "snapshots" else project.kinds.images
    page, token = _replies.page_of(found, req.query, "maxResults", estate.page_size)
    kind = "compute#snapshotList" if resource == "snapshots" else "compute#imageList"
    body: dict[str, Any] = {"kind": kind, "id": f"projects/{project.id}/{collection}",
                            "selfLink": f"projects/{project.id}/{collection}"}
    if page:
        body["items"] = page
    if token:
        body["nextPageToken"] = token
    return _replies.json_reply(200, body, action)


def sqladmin(estate: Estate, req: RecordedRequest, ref: str) -> Reply:
    action = "sqladmin.instances.list"
    project, stop = _guard(estate, ref, action, "sqladmin")
    if stop is not None or project is None:
        return stop  # type: ignore[return-value]
    page, token = _replies.page_of(project.kinds.sql, req.query, "maxResults", estate.page_size)
    body: dict[str, Any] = {"kind": "sql#instancesList", "items": page}
    if token:
        body["nextPageToken"] = token
    return _replies.json_reply(200, body, action)


def _enums_as_int(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _enums_as_int(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_enums_as_int(v, key) for v in value]
    if key in _FILE_ENUMS and isinstance(value, str):
        return _FILE_ENUMS[key].get(value, 0)
    return value


def filestore(estate: Estate, req: RecordedRequest, ref: str, location: str) -> Reply:
    action = "file.instances.list"
    project, stop = _guard(estate, ref, action, "file")
    if stop is not None or project is None:
        return stop  # type: ignore[return-value]
    found = [i for i in project.kinds.filestore
             if location == "-" or i["name"].split("/")[3] == location]
    page, token = _replies.page_of(found, req.query, "pageSize", estate.page_size)
    body: dict[str, Any] = {"instances": page} if page else {}
    if token:
        body["nextPageToken"] = token
    if project.kinds.unreachable:
        body["unreachable"] = list(project.kinds.unreachable)
    if "enum-encoding=int" in (req.query.get("$alt") or [""])[0]:
        body = _enums_as_int(body)
    return _replies.json_reply(200, body, action)
