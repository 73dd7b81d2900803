"""The projects of a multi-project scan, listed with Resource Manager v3 (read-only).

- ``projects.search`` (REST ``GET /v3/projects:search``) answers the projects the caller has
  ``resourcemanager.projects.get`` on that match the query; ``parent:folders/123`` matches a
  project's direct parent only, so a scope of an organization or folder walks the folder
  tree with ``folders.list`` (direct children of a parent, ACTIVE ones unless showDeleted)
  and searches each container of it. ``all_projects`` is one search with no query.
- Only ACTIVE projects are scanned: DELETE_REQUESTED ones (shut down, pending deletion)
  are skipped, each with one warning line (one named with --project is scanned all the
  same). A state the reference does not give a project
  (STATE_UNSPECIFIED, which the client also prints for a value newer than itself, or an
  enum number) is a failed account with the reason: whether it can be scanned is not known.
- A listing that is refused, fails, or stops before its end fails the provider as a whole
  (a ProviderError naming the call): a nightly scan must not pass over projects it could
  not list.
- Each listed item is judged on its own (the Project and Folder resources): a project whose
  projectId is readable but whose other members do not fit is a failed account with the
  reason (ODD_PROJECT: its collect raises it before any call); a project or folder naming
  nothing is a listing gap (PROJECT_GAPS, recorded in one scanned project's run, which is
  then partial). A folder whose name is readable is walked (its name is all the walk uses,
  and folders.list shows ACTIVE folders only), its misfit a listing gap too. Gaps with no
  project scanned to record them fail the provider naming the first.

Both clients use the REST transport, with the endpoint overridable (``--gcp-resourcemanager-
endpoint`` / AUDITOR_GCP_RESOURCEMANAGER_ENDPOINT) as the other Google endpoints are.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from google.api_core.client_options import ClientOptions
from google.cloud import resourcemanager_v3

from auditor.errors import CallError, EndpointError, MalformedAnswer, ProviderError
from auditor.providers._runtime import ApiLedger, RetryPolicy, bounded_map
from auditor.providers._runtime.scrub import Scrubber
from auditor.providers.base import AccountTarget, CollectRequest
from auditor.providers.gcp import _session
from auditor.providers.gcp._answers import (
    Listed,
    OddListed,
    check_item,
    json_object_only,
    pager_listing,
)
from auditor.providers.gcp._errors import Caller
from auditor.providers.gcp._name import PROVIDER
from auditor.providers.gcp._raw_items import RawListing
from auditor.providers.gcp._scope import Scope, scope_of

OP_SEARCH = "cloudresourcemanager:projects.search"
OP_FOLDERS = "cloudresourcemanager:folders.list"
ENDPOINT_ENV = "AUDITOR_GCP_RESOURCEMANAGER_ENDPOINT"
ACTIVE = "ACTIVE"
SKIPPED = frozenset({"DELETE_REQUESTED"})  # documented states that are not scanned
# Target options: why a listed project is not scanned (its item was odd, or its state is not
# one the reference documents), and the listing's gaps (carried by one target, recorded there).
ODD_PROJECT = "gcp_odd_project"
PROJECT_GAPS = "gcp_project_gaps"
GAP_SCOPE = "projects"
LOG = logging.getLogger(__name__)
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


@dataclass(slots=True)
class Found:
    """What the listing gave: the projects that fit, ``odd`` projectId -> why its item does
    not fit (or its state is undocumented), ``gaps``: items naming nothing, and the misfits of
    folders that were still walked."""

    projects: list[ProjectInfo] = field(default_factory=list)
    odd: dict[str, str] = field(default_factory=dict)
    gaps: list[MalformedAnswer] = field(default_factory=list)

    def add(self, other: Found) -> None:
        self.projects += other.projects
        for project, reason in other.odd.items():
            self.odd.setdefault(project, reason)
        self.gaps += other.gaps


def _project(item: dict[str, Any]) -> ProjectInfo:
    return ProjectInfo(item["projectId"], item["name"].removeprefix("projects/"),
                       item.get("displayName") or "", str(item["state"]), item.get("parent") or "")


def _message(name: str) -> Any:
    return lambda: getattr(resourcemanager_v3, name)


def _complete(listed: Listed[Any]) -> Found:
    """A listing of the scope must reach its end: a gap raises (a project it would pass over
    might be one to scan). Its items that name nothing are gaps of the scan."""
    if listed.gap is not None:
        raise listed.gap
    return Found(gaps=list(listed.unnamed))


def _undocumented(state: str) -> str:
    return (f"{OP_SEARCH}: UndocumentedState: project state {state[:40]!r} is not ACTIVE "
            "or DELETE_REQUESTED (the Project resource's states): not known whether it can "
            "be scanned")


def search(call: Caller, client: Any, query: str, timeout: float) -> Found:
    """Every project ``query`` matches, all pages, each item judged on its own (the module);
    a page that fails after the first raises (the listing must be whole)."""
    listed = pager_listing(call, OP_SEARCH, "projects", timeout, lambda token, t: (
        client.search_projects(request={"query": query, "page_token": token}, retry=None,
                               timeout=t)), RawListing(_message("SearchProjectsResponse"),
                                                       "projects"))
    found = _complete(listed)
    for raw in listed.items:
        if isinstance(raw, OddListed):
            found.odd.setdefault(str(raw["projectId"]),
                                 f"{raw.error.operation}: {raw.error.code}: {raw.error.message}")
            continue
        try:
            found.projects.append(_project(check_item(OP_SEARCH, raw)))
        except MalformedAnswer as exc:  # a named item: a failed account of its own
            found.odd.setdefault(str(raw["projectId"]), f"{exc.operation}: {exc.code}: "
                                                        f"{exc.message}")
    return found


def child_folders(call: Caller, client: Any, parent: str,
                  timeout: float) -> tuple[list[str], list[MalformedAnswer]]:
    """The ACTIVE folders directly under ``parent`` (folders/N or organizations/N), and the
    listing's gaps (folders naming nothing; named folders that do not fit, still walked)."""
    listed = pager_listing(call, OP_FOLDERS, "folders", timeout, lambda token, t: (
        client.list_folders(request={"parent": parent, "page_token": token}, retry=None,
                            timeout=t)), RawListing(_message("ListFoldersResponse"), "folders"))
    gaps = _complete(listed).gaps
    names = []
    for raw in listed.items:
        try:
            folder = check_item(OP_FOLDERS, raw)
        except MalformedAnswer as exc:
            gaps.append(MalformedAnswer(exc.operation, exc.code,
                                        f"{exc.message}; its projects are still searched"))
            names.append(str(raw["name"]))
            continue
        if str(folder["state"]) == ACTIVE:
            names.append(folder["name"])
    return names, gaps


def containers_under(call: Caller, client: Any, roots: list[str], workers: int,
                     timeout: float, gaps: list[MalformedAnswer] | None = None) -> list[str]:
    """``roots`` and every ACTIVE folder below them, level by level (each level at once);
    the folder listings' gaps are added to ``gaps``."""
    seen, level = list(dict.fromkeys(roots)), list(dict.fromkeys(roots))
    while level:
        found = bounded_map(lambda p: child_folders(call, client, p, timeout), level, workers)
        level = [f for children, _ in found for f in children if f not in seen]
        seen.extend(level)
        if gaps is not None:
            gaps.extend(g for _, level_gaps in found for g in level_gaps)
    return seen


def listed_projects(scope: Scope, clients: Clients, call: Caller,
                    request: CollectRequest) -> Found:
    workers, timeout = request.max_workers, request.timeout
    if scope.all_projects:
        return search(call, clients.projects, "", timeout)
    out = Found()
    containers = containers_under(call, clients.folders, scope.containers, workers, timeout,
                                  out.gaps)
    for found in bounded_map(lambda c: search(call, clients.projects, f"parent:{c}", timeout),
                             containers, workers):
        out.add(found)
    return out


def targets(scope: Scope, found: Found | list[ProjectInfo]) -> list[AccountTarget]:
    """One target per ACTIVE, not excluded project (and per explicit --project), by id; a
    project listed odd or in an undocumented state is a target whose collect fails with the
    reason; the first target scanned carries the listing's gaps (EndpointError when none is
    scanned: nothing could record them)."""
    found = found if isinstance(found, Found) else Found(list(found))
    chosen: dict[str, AccountTarget] = {}
    odd = dict(found.odd)
    for info in found.projects:
        if info.state not in (ACTIVE, *SKIPPED):
            odd.setdefault(info.project_id, _undocumented(info.state))
    infos = {p.project_id: p for p in found.projects}
    for project in sorted({*infos, *odd}):
        info = infos.get(project)
        if scope.excluded(project, info.number if info else ""):
            continue
        if project in odd:
            chosen[project] = AccountTarget(project, {"project": [project],
                                                      ODD_PROJECT: odd[project]},
                                            (info.display_name if info else "") or project)
        elif info is not None and info.state == ACTIVE:
            chosen[project] = AccountTarget(project, {"project": [project]},
                                            info.display_name or project)
        elif info is not None and project not in scope.projects:  # named: scanned below
            LOG.warning("auditor: gcp: project %s (%s) is %s: not scanned", project,
                        info.display_name or "no name", info.state)
    for project in scope.projects:
        if project not in chosen and not scope.excluded(project):
            chosen[project] = AccountTarget(project, {"project": [project]}, project)
    return _with_gaps(list(chosen.values()), found.gaps)


def _with_gaps(chosen: list[AccountTarget], gaps: list[MalformedAnswer]) -> list[AccountTarget]:
    if not gaps:
        return chosen
    first = next((i for i, t in enumerate(chosen) if ODD_PROJECT not in t.options), None)
    if first is None:
        more = f" (and {len(gaps) - 1} more)" if len(gaps) > 1 else ""
        raise EndpointError(PROVIDER, f"{gaps[0].operation}: {gaps[0].code}: "
                                      f"{gaps[0].message}{more}")
    target = chosen[first]
    chosen[first] = AccountTarget(target.account, {**target.options, PROJECT_GAPS: [
        (g.operation, g.code, g.message) for g in gaps]}, target.label)
    return chosen


def odd_project_error(options: Mapping[str, Any]) -> EndpointError | None:
    """Why this target's project is not collected (its listing item was odd), or None."""
    reason = options.get(ODD_PROJECT)
    return EndpointError(PROVIDER, str(reason)) if reason else None


def project_gaps(options: Mapping[str, Any]) -> list[MalformedAnswer]:
    """The listing's gaps this target's run records."""
    return [MalformedAnswer(*gap) for gap in options.get(PROJECT_GAPS) or ()]


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
        active = sum(1 for p in found.projects if p.state == ACTIVE)
        excluded = ", every one excluded by --exclude-project" if active or found.odd else ""
        raise ProviderError(PROVIDER, f"no project to scan {scope.describe()}: "
                                      f"{len(found.projects) + len(found.odd)} found, "
                                      f"{active} ACTIVE{excluded}")
    return chosen
