"""Resource Manager v3 of the Google Cloud stand-in: projects.search and folders.list.

- ``GET /v3/projects:search?query=&pageSize=&pageToken=`` answers ``{"projects": [Project],
  "nextPageToken"}`` (REST reference, projects.search). Every project of the estate is
  visible to the caller (search returns the projects it may get). The query is the
  documented ``field:value`` list, case insensitive, a trailing ``*`` a prefix, and several
  fields OR'd ("it will return results that match any of the fields"): parent, parent.type,
  parent.id, id / projectId, state / lifecycleState, name / displayName, labels.KEY.
- ``GET /v3/folders?parent=&pageSize=&pageToken=&showDeleted=`` answers ``{"folders":
  [Folder], "nextPageToken"}``: the direct children of ``parent`` only, DELETE_REQUESTED ones
  with ``showDeleted=true`` only (REST reference, folders.list). A parent the estate does not
  have answers 403, as IAM answers for a resource that may not exist.

Faults (``organization.faults`` in the estate, or ``deny``) answer before anything is read.
"""

from __future__ import annotations

import re
from typing import Any

from auditor.providers.gcp.sandbox._estate import Estate
from auditor.providers.gcp.sandbox._replies import disabled, json_reply, page_of, rpc_error
from auditor.sandbox.base import RecordedRequest, Reply

SEARCH = "cloudresourcemanager.projects.search"
FOLDERS = "cloudresourcemanager.folders.list"
SCOPE = "resourcemanager"  # the fault scope of every Resource Manager call
# google/cloud/resourcemanager/v3 Project.State and Folder.State, for enum-encoding=int.
STATE_NUMBERS = {"STATE_UNSPECIFIED": 0, "ACTIVE": 1, "DELETE_REQUESTED": 2}
PERMISSIONS = {SEARCH: "resourcemanager.projects.get", FOLDERS: "resourcemanager.folders.list"}
_PARENT = re.compile(r"^(folders|organizations)/\d+$")
_TERM = re.compile(r"^([A-Za-z.]+):(.+)$")


def _denied(action: str, resource: str) -> Reply:
    """403 PERMISSION_DENIED as IAM answers it (google.rpc.Status with an ErrorInfo)."""
    permission = PERMISSIONS[action]
    full = f"//cloudresourcemanager.googleapis.com/{resource}"
    info = {"reason": "IAM_PERMISSION_DENIED", "domain": "cloudresourcemanager.googleapis.com",
            "metadata": {"permission": permission, "resource": resource}}
    return rpc_error(403, f"Permission '{permission}' denied on resource '{full}' (or it may "
                     "not exist).", action, info)


def _fault(estate: Estate, scope: str, action: str) -> Reply | None:
    fault = estate.faults.take(scope, action)
    if fault is None and scope != SCOPE:
        fault = estate.faults.take(SCOPE, action)
    if fault is None:
        return None
    if fault == "garbage":
        return Reply(200, b"<html>gateway says hello</html>", "text/html",
                     {"x-recorded-action": action})
    if fault == "disabled":  # the API is off in the caller's quota project
        return disabled("cloudresourcemanager", next(iter(estate.projects.values())), action)
    if int(fault) == 403:
        return _denied(action, scope if scope != SCOPE else "projects")
    return rpc_error(int(fault), f"injected {fault} for {action}", action)


def _matches(project: dict[str, Any], term: str) -> bool:
    found = _TERM.match(term)
    if found is None:
        raise ValueError(f"Invalid query term {term!r}: expected field:value")
    key, wanted = found.group(1).casefold(), found.group(2).casefold()
    parent = project.get("parent", "")
    labels = {k.casefold(): v.casefold() for k, v in (project.get("labels") or {}).items()}
    values = {"parent": [parent], "parent.type": [parent.split("/")[0].rstrip("s")],
              "parent.id": [parent.rpartition("/")[2]], "id": [project["projectId"]],
              "projectid": [project["projectId"]], "state": [project["state"]],
              "lifecyclestate": [project["state"]], "name": [project["displayName"]],
              "displayname": [project["displayName"]], "labels": [*labels, *labels.values()]}
    if key.startswith("labels."):
        have = [labels[key[7:]]] if key[7:] in labels else []
    elif key in values:
        have = values[key]
    else:
        raise ValueError(f"Invalid query field {found.group(1)!r}")
    if wanted.endswith("*"):
        return any(v.casefold().startswith(wanted[:-1]) for v in have if v)
    return any(v.casefold() == wanted for v in have if v)


def _ints(items: list[dict[str, Any]], req: RecordedRequest) -> list[dict[str, Any]]:
    if "enum-encoding=int" not in (req.query.get("$alt") or [""])[0]:
        return items
    return [{**item, "state": STATE_NUMBERS.get(item["state"], 0)} for item in items]


def _search(estate: Estate, req: RecordedRequest) -> Reply:
    fault = _fault(estate, SCOPE, SEARCH)
    if fault:
        return fault
    terms = (req.query.get("query") or [""])[0].split()
    projects = sorted((p.resource for p in estate.projects.values()),
                      key=lambda r: r["projectId"])
    try:
        found = [p for p in projects if not terms or any(_matches(p, t) for t in terms)]
    except ValueError as exc:
        return rpc_error(400, str(exc), SEARCH)
    page, token = page_of(found, req.query, "pageSize", estate.page_size)
    body: dict[str, Any] = {"projects": _ints(page, req)} if page else {}
    if token:
        body["nextPageToken"] = token
    return json_reply(200, body, SEARCH)


def _folders(estate: Estate, req: RecordedRequest) -> Reply:
    parent = (req.query.get("parent") or [""])[0]
    if not _PARENT.match(parent):
        return rpc_error(400, f"Invalid parent {parent!r}: expected folders/{{folder_id}} or "
                         "organizations/{org_id}", FOLDERS)
    fault = _fault(estate, parent, FOLDERS)
    if fault:
        return fault
    org = estate.organization
    if not org.knows(parent):
        return _denied(FOLDERS, parent)
    show_deleted = (req.query.get("showDeleted") or ["false"])[0].casefold() == "true"
    children = [f for f in org.children(parent) if show_deleted or f["state"] == "ACTIVE"]
    children.sort(key=lambda f: f["displayName"])  # "sorted ... by display_name"
    page, token = page_of(children, req.query, "pageSize", estate.page_size)
    body: dict[str, Any] = {"folders": _ints(page, req)} if page else {}
    if token:
        body["nextPageToken"] = token
    return json_reply(200, body, FOLDERS)


def resource_manager(estate: Estate, req: RecordedRequest, path: str) -> Reply:
    if path == "/v3/projects:search":
        return _search(estate, req)
    if path == "/v3/folders":
        return _folders(estate, req)
    return rpc_error(404, f"Resource {path[len('/v3/'):]} not found.", "cloudresourcemanager.unknown")
