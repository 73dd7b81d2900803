"""The projects of a multi-project scan, listed with Resource Manager v3 (read-only).

- ``projects.search`` (REST ``GET /v3/projects:search``) answers the projects the caller has
  ``resourcemanager.projects.get`` on that match the query; ``parent:folders/123`` matches a
  project's direct parent only, so a scope of an organization or folder walks the folder
  tree with ``folders.list`` (direct children of a parent, ACTIVE ones unless showDeleted)
  and searches each container of it. ``all_projects`` is one search with no query.
- Only ACTIVE projects are scanned: DELETE_REQUESTED ones (shut down, pending deletion)
  are skipped.
- A listing that is refused, fails, or stops before its end fails the provider as a whole
  (a ProviderError naming the call): a nightly scan must not pass over projects it could
  not list.

Both clients use the REST transport, with the endpoint overridable (``--gcp-resourcemanager-
endpoint`` / AUDITOR_GCP_RESOURCEMANAGER_ENDPOINT) as the other Google endpoints are.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.api_core.client_options import ClientOptions
from google.cloud import resourcemanager_v3

from auditor.errors import CallError, ProviderError
from auditor.providers._runtime import ApiLedger, RetryPolicy, bounded_map
from auditor.providers._runtime.scrub import Scrubber
from auditor.providers.base import AccountTarget, CollectRequest
from auditor.providers.gcp import _session
from auditor.providers.gcp._answers import Listed, check_item, json_object_only, pager_listing
from auditor.providers.gcp._errors import Caller
from auditor.providers.gcp._name import PROVIDER
from auditor.providers.gcp._raw_items import RawListing
from auditor.providers.gcp._scope import Scope, scope_of

OP_SEARCH = "cloudresourcemanager:projects.search"
OP_FOLDERS = "cloudresourcemanager:folders.list"
ENDPOINT_ENV = "AUDITOR_GCP_RESOURCEMANAGER_ENDPOINT"
ACTIVE = "ACTIVE"
NO_ENDPOINT = ("the projects cannot be listed: the other Google Cloud endpoints are "
               "overridden (calls go unauthenticated) and no Resource Manager endpoint was "
               "given (--gcp-resourcemanager-endpoint / AUDITOR_GCP_RESOURCEMANAGER_ENDPOINT)")


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    """One project as projects.search gives it."""

    project_id: str
    number: str  # from name "projects/NUMBER"
    display_name: str
    state: str
    parent: str


@dataclass
class Clients:
    projects: Any  # resourcemanager_v3.ProjectsClient
    folders: Any  # resourcemanager_v3.FoldersClient

    def close(self) -> None:
        self.projects.transport.close()
        self.folders.transport.close()


def open_clients(options: Mapping[str, Any], max_workers: int, scrubber: Scrubber) -> Clients:
    """Both clients over REST, on the run's credentials (anonymous with an endpoint override)."""
    url = _session._endpoint(options.get("gcp_resourcemanager_endpoint")
                             or os.environ.get(ENDPOINT_ENV))
    others = (options.get("gcs_endpoint") or os.environ.get(_session.GCS_ENDPOINT_ENV),
              options.get("gcp_kms_endpoint") or os.environ.get(_session.KMS_ENDPOINT_ENV),
              options.get("gcp_orgpolicy_endpoint")
              or os.environ.get(_session.ORGPOLICY_ENDPOINT_ENV))
    emulated = bool(url) or any(others)
    if emulated and not url:
        # Anonymous calls to the real Resource Manager could only be refused.
        raise ProviderError(PROVIDER, NO_ENDPOINT)
    creds, _ = _session._credentials(options, emulated, scrubber)
    client_options = ClientOptions(api_endpoint=url) if url else None
    made = []
    for kind in (resourcemanager_v3.ProjectsClient, resourcemanager_v3.FoldersClient):
        client = kind(credentials=creds, transport="rest", client_options=client_options)
        http = getattr(client.transport, "_session", None)
        if http is not None:
            _session._pooled(http, max_workers)
            _session._remember_tokens(http, scrubber)
            http.hooks["response"].append(json_object_only)
        made.append(client)
    return Clients(*made)


def _project(raw: dict[str, Any]) -> ProjectInfo:
    item = check_item(OP_SEARCH, raw)
    return ProjectInfo(item["projectId"], item["name"].removeprefix("projects/"),
                       item.get("displayName") or "", str(item["state"]), item.get("parent") or "")


def _message(name: str) -> Any:
    return lambda: getattr(resourcemanager_v3, name)


def _whole(listed: Listed[Any]) -> None:
    """A listing of the scope must be whole: a gap, or an item that cannot even be named,
    raises (a project it would pass over might be one to scan)."""
    if listed.gap is not None:
        raise listed.gap
    if listed.unnamed:
        raise listed.unnamed[0]


def search(call: Caller, client: Any, query: str, timeout: float) -> list[ProjectInfo]:
    """Every project ``query`` matches, all pages; a gap raises (the listing must be whole)."""
    listed = pager_listing(call, OP_SEARCH, "projects", timeout, lambda token, t: (
        client.search_projects(request={"query": query, "page_token": token}, retry=None,
                               timeout=t)), RawListing(_message("SearchProjectsResponse"),
                                                       "projects"))
    _whole(listed)
    return [_project(raw) for raw in listed.items]  # an odd one raises: its state is unknown


def child_folders(call: Caller, client: Any, parent: str, timeout: float) -> list[str]:
    """The ACTIVE folders directly under ``parent`` (folders/N or organizations/N)."""
    listed = pager_listing(call, OP_FOLDERS, "folders", timeout, lambda token, t: (
        client.list_folders(request={"parent": parent, "page_token": token}, retry=None,
                            timeout=t)), RawListing(_message("ListFoldersResponse"), "folders"))
    _whole(listed)
    folders = [check_item(OP_FOLDERS, raw) for raw in listed.items]
    return [f["name"] for f in folders if str(f["state"]) == ACTIVE]


def containers_under(call: Caller, client: Any, roots: list[str], workers: int,
                     timeout: float) -> list[str]:
    """``roots`` and every ACTIVE folder below them, level by level (each level at once)."""
    seen, level = list(dict.fromkeys(roots)), list(dict.fromkeys(roots))
    while level:
        found = bounded_map(lambda p: child_folders(call, client, p, timeout), level, workers)
        level = [f for children in found for f in children if f not in seen]
        seen.extend(level)
    return seen


def listed_projects(scope: Scope, clients: Clients, call: Caller,
                    request: CollectRequest) -> list[ProjectInfo]:
    workers, timeout = request.max_workers, request.timeout
    if scope.all_projects:
        return search(call, clients.projects, "", timeout)
    containers = containers_under(call, clients.folders, scope.containers, workers, timeout)
    found = bounded_map(lambda c: search(call, clients.projects, f"parent:{c}", timeout),
                        containers, workers)
    return [p for projects in found for p in projects]


def targets(scope: Scope, found: list[ProjectInfo]) -> list[AccountTarget]:
    """One target per ACTIVE, not excluded project (and per explicit --project), by id."""
    chosen: dict[str, AccountTarget] = {}
    for info in sorted(found, key=lambda p: p.project_id):
        if info.state == ACTIVE and not scope.excluded(info.project_id, info.number):
            chosen[info.project_id] = AccountTarget(info.project_id,
                                                    {"project": [info.project_id]},
                                                    info.display_name or info.project_id)
    for project in scope.projects:
        if project not in chosen and not scope.excluded(project):
            chosen[project] = AccountTarget(project, {"project": [project]}, project)
    return list(chosen.values())


def discover(request: CollectRequest, policy: RetryPolicy | None = None) -> list[AccountTarget]:
    """The targets of a multi-project request; ProviderError when they cannot be listed."""
    scope = scope_of(request.options)
    ledger = ApiLedger()
    call = Caller(ledger, policy)
    clients = open_clients(request.options, request.max_workers, ledger.scrubber)
    try:
        found = listed_projects(scope, clients, call, request)
    except CallError as exc:
        raise ProviderError(PROVIDER, f"the projects {scope.describe()} could not be listed: "
                                      f"{ledger.scrubber.line(exc)}") from exc
    finally:
        clients.close()
    chosen = targets(scope, found)
    if not chosen:
        active = sum(1 for p in found if p.state == ACTIVE)
        excluded = ", every one excluded by --exclude-project" if active else ""
        raise ProviderError(PROVIDER, f"no project to scan {scope.describe()}: "
                                      f"{len(found)} found, {active} ACTIVE{excluded}")
    return chosen
