"""The resource hierarchy of the Google Cloud stand-in: one organization, its folder tree, and
where each project sits, shaped as the Resource Manager v3 REST reference documents them.

- Folder (https://cloud.google.com/resource-manager/reference/rest/v3/folders):
  name "folders/ID", parent "folders/ID" or "organizations/ID", displayName, state
  (ACTIVE, DELETE_REQUESTED), createTime, updateTime, etag.
- Project (https://cloud.google.com/resource-manager/reference/rest/v3/projects):
  name "projects/NUMBER", parent, projectId, state, displayName, createTime, updateTime,
  etag, labels; deleteTime once DELETE_REQUESTED. A project outside any organization has no
  parent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CREATED = "2023-11-20T08:12:44.310Z"
UPDATED = "2025-02-03T17:40:09.551Z"
STATES = ("ACTIVE", "DELETE_REQUESTED")


class EstateError(ValueError):
    """The gcp section of an estate description is malformed."""


@dataclass
class Organization:
    id: str = ""
    display_name: str = ""
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)  # "folders/ID" -> Folder

    @property
    def name(self) -> str:
        return f"organizations/{self.id}" if self.id else ""

    def children(self, parent: str) -> list[dict[str, Any]]:
        """The folders whose parent is ``parent`` (direct children only, as folders.list)."""
        return [f for f in self.folders.values() if f["parent"] == parent]

    def knows(self, parent: str) -> bool:
        return parent == self.name or parent in self.folders


def _parent(value: Any, org: Organization, where: str) -> str:
    """A folder id, "folders/ID", "organizations/ID" or "organization" as a resource name."""
    text = str(value)
    if text == "organization":
        text = org.name
    elif text.isdigit():
        text = f"folders/{text}"
    if not org.knows(text):
        raise EstateError(f"gcp: organization: {where}: parent {value!r} is not the "
                             "organization or one of its folders")
    return text


def organization(spec: dict[str, Any] | None) -> Organization:
    """The organization section: {id, display_name, folders: [{id, display_name, parent,
    state}]}; a folder's parent is the organization unless it names an earlier folder."""
    if not spec:
        return Organization()
    if not isinstance(spec, dict) or not str(spec.get("id", "")).isdigit():
        raise EstateError("gcp: organization: expected a mapping with a numeric 'id'")
    org = Organization(str(spec["id"]), str(spec.get("display_name", spec["id"])))
    for fspec in spec.get("folders") or []:
        folder_id = str(fspec.get("id", ""))
        if not folder_id.isdigit():
            raise EstateError(f"gcp: organization: folder {fspec!r}: a numeric 'id' is needed")
        state = fspec.get("state", "ACTIVE")
        if state not in STATES:
            raise EstateError(f"gcp: organization: folder {folder_id}: state {state!r} is "
                                 f"not one of {', '.join(STATES)}")
        name = f"folders/{folder_id}"
        org.folders[name] = {
            "name": name, "parent": _parent(fspec.get("parent", "organization"), org, name),
            "displayName": str(fspec.get("display_name", folder_id)), "state": state,
            "createTime": CREATED, "updateTime": UPDATED, "etag": "W/\"bf8a0c\""}
    return org


def project_resource(spec: dict[str, Any], number: str, org: Organization) -> dict[str, Any]:
    """The v3 Project resource of one estate project (``parent``, ``display_name``,
    ``state``, ``labels`` in its spec)."""
    project_id = str(spec["id"])
    state = spec.get("state", "ACTIVE")
    if state not in STATES:
        raise EstateError(f"gcp: project {project_id}: state {state!r} is not one of "
                             f"{', '.join(STATES)}")
    res: dict[str, Any] = {
        "name": f"projects/{number}", "projectId": project_id, "state": state,
        "displayName": str(spec.get("display_name", project_id)), "createTime": CREATED,
        "updateTime": UPDATED, "etag": "W/\"3c1f9e\""}
    if spec.get("parent") is not None:
        res["parent"] = _parent(spec["parent"], org, f"project {project_id}")
    if state == "DELETE_REQUESTED":
        res["deleteTime"] = UPDATED
    if spec.get("project_labels"):
        res["labels"] = {str(k): str(v) for k, v in spec["project_labels"].items()}
    return res
