"""The project listing of a multi-project scan (Resource Manager v3 projects.search) judged item
by item (H2), through the real google-cloud-resource-manager client (REST) against the
stand-in, an AnswerProxy adding one odd Project to the first or the second page.

The reference (Project resource): ``projectId`` and ``displayName`` strings, ``name``
``projects/NUMBER``, ``state`` an enum. The scope must be listed whole: a project the listing
could not read (wrong-typed, nameless, no object) might be one to scan, so the accounts hook
fails with a ProviderError naming the call and the item's place, never a target list that
passes over it; an unknown extra field is accepted.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
from answer_proxy import AnswerProxy, edit
from gcp_support import fast_adapter

from auditor.errors import ProviderError
from auditor.providers.base import CollectRequest

SEARCH = "cloudresourcemanager.projects.search"
PROJECTS = [{"id": f"p{i}", "number": f"90000000000{i}", "display_name": f"P {i}"}
            for i in range(3)]


def _odd(change: Any) -> Any:
    def apply(document: dict[str, Any]) -> None:
        item = copy.deepcopy(document["projects"][0])
        item.update(projectId="odd0", name="projects/900000000099", displayName="Odd")
        document["projects"].append(change(item))
    return edit(apply)


def _set(member: str, value: Any) -> Any:
    return lambda item: {**item, member: value}


SHAPES = {
    "identity-type": _set("projectId", 42),
    "nameless": lambda item: {k: v for k, v in item.items() if k != "projectId"},
    "field-type": _set("displayName", ["Odd"]),
    "state-type": _set("state", {"value": "ACTIVE"}),
    "not-object": lambda item: "odd0",
}


def _targets(box: Any, change: Any = None, page: int = 1) -> list[str]:
    proxy = AnswerProxy(box)
    if change is not None:  # that page, however often asked for
        token = "" if page == 1 else base64.urlsafe_b64encode(b"2").decode()
        proxy.on(SEARCH, change, when=lambda r: (r.query.get("pageToken") or [""])[0] == token)
    options = {**{k: proxy.url if k.endswith("_endpoint") else v
                  for k, v in box.listing_options().items()}, "all_projects": True}
    try:
        return [t.account for t in fast_adapter().accounts(CollectRequest(options=options))]
    finally:
        proxy.stop()


@pytest.mark.parametrize("page", [1, 2])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_an_odd_project_fails_the_listing_naming_it(make_sandbox, shape: str,
                                                    page: int) -> None:
    box = make_sandbox({"projects": PROJECTS}, page_size=2)
    assert _targets(box) == ["p0", "p1", "p2"]
    with pytest.raises(ProviderError) as caught:
        _targets(box, _odd(SHAPES[shape]), page)
    message = str(caught.value)
    assert "projects.search" in message and "$.projects[" in message, message
    assert f"page {page}" in message, message
    assert "['Odd']" not in message and "ACTIVE'}" not in message  # no value echoed


@pytest.mark.parametrize("page", [1, 2])
def test_an_unknown_project_field_is_accepted(make_sandbox, page: int) -> None:
    box = make_sandbox({"projects": PROJECTS}, page_size=2)
    found = _targets(box, _odd(_set("futureField", {"x": 1})), page)
    assert found == ["odd0", "p0", "p1", "p2"]


# folders.list (Folder: name folders/N, parent, displayName a string, state an enum) walks an
# organization's tree: a folder it could not read might hold projects to scan.
FOLDERS = "cloudresourcemanager.folders.list"
ORG = "800000000001"
TREE = {"projects": [], "organization": {"id": ORG, "display_name": "example.org",
                         "folders": [{"id": f"1{i}", "display_name": f"F{i}"} for i in range(3)],
                         "projects": [{"id": f"p{i}", "number": f"90000000000{i}",
                                       "parent": f"1{i}"} for i in range(3)]}}


def _odd_folder(change: Any) -> Any:
    def apply(document: dict[str, Any]) -> None:
        item = copy.deepcopy(document["folders"][0])
        item.update(name="folders/99", displayName="Odd")
        document["folders"].append(change(item))
    return edit(apply)


FOLDER_SHAPES = {"identity-type": _set("name", 99),
                 "nameless": lambda item: {k: v for k, v in item.items() if k != "name"},
                 "field-type": _set("displayName", ["Odd"]), "not-object": lambda item: 7}


def _org_targets(box: Any, change: Any = None, page: int = 1) -> list[str]:
    proxy = AnswerProxy(box)
    if change is not None:
        token = "" if page == 1 else base64.urlsafe_b64encode(b"2").decode()
        proxy.on(FOLDERS, change, when=lambda r: (r.query.get("pageToken") or [""])[0] == token
                 and f"organizations/{ORG}" in str(r.query.get("parent")))
    options = {**{k: proxy.url if k.endswith("_endpoint") else v
                  for k, v in box.listing_options().items()}, "organization_id": ORG}
    try:
        return [t.account for t in fast_adapter().accounts(CollectRequest(options=options))]
    finally:
        proxy.stop()


@pytest.mark.parametrize("page", [1, 2])
@pytest.mark.parametrize("shape", sorted(FOLDER_SHAPES))
def test_an_odd_folder_fails_the_walk_naming_it(make_sandbox, shape: str, page: int) -> None:
    box = make_sandbox(TREE, page_size=2)
    assert _org_targets(box) == ["p0", "p1", "p2"]
    with pytest.raises(ProviderError) as caught:
        _org_targets(box, _odd_folder(FOLDER_SHAPES[shape]), page)
    message = str(caught.value)
    assert "folders.list" in message and "$.folders[" in message, message
    assert f"page {page}" in message and "['Odd']" not in message, message
