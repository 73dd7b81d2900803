"""The project listing of a multi-project scan (Resource Manager v3 projects.search) judged item
by item (H2), through the real google-cloud-resource-manager client (REST) against the
stand-in, an AnswerProxy adding one odd Project to the first or the second page.

The reference (Project resource): ``projectId`` and ``displayName`` strings, ``name``
``projects/NUMBER``, ``state`` an enum. Each item is judged on its own (H5, as H4 did for AWS
ListAccounts): a project whose projectId is readable but whose other members do not fit is a
target whose collect fails with the item's reason (a failed account, no call made); an item
naming no project (projectId wrong-typed or missing, no object) is a listing gap carried by
the first project scanned; the other projects are listed as ever. An unknown extra field is
accepted. An odd folder: one naming itself is still walked (its misfit a gap), one naming
nothing is a gap.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
from answer_proxy import AnswerProxy, edit
from gcp_support import fast_adapter

from auditor.providers.base import AccountTarget, CollectRequest
from auditor.providers.gcp._projects import ODD_PROJECT, PROJECT_GAPS

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
    return [t.account for t in _listed(box, change, page)]


def _listed(box: Any, change: Any = None, page: int = 1) -> list[AccountTarget]:
    proxy = AnswerProxy(box)
    if change is not None:  # that page, however often asked for
        token = "" if page == 1 else base64.urlsafe_b64encode(b"2").decode()
        proxy.on(SEARCH, change, when=lambda r: (r.query.get("pageToken") or [""])[0] == token)
    options = {**{k: proxy.url if k.endswith("_endpoint") else v
                  for k, v in box.listing_options().items()}, "all_projects": True}
    try:
        return fast_adapter().accounts(CollectRequest(options=options))
    finally:
        proxy.stop()


NAMED = {"field-type", "state-type"}  # projectId readable: a failed account of its own


def _reason(target: AccountTarget) -> str:
    if ODD_PROJECT in target.options:
        return str(target.options[ODD_PROJECT])
    return " ".join(str(m) for gap in target.options[PROJECT_GAPS] for m in gap)


@pytest.mark.parametrize("page", [1, 2])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_an_odd_project_spoils_only_itself(make_sandbox, shape: str, page: int) -> None:
    box = make_sandbox({"projects": PROJECTS}, page_size=2)
    assert _targets(box) == ["p0", "p1", "p2"]
    listed = {t.account: t for t in _listed(box, _odd(SHAPES[shape]), page)}
    good = {"p0", "p1", "p2"}
    if shape in NAMED:  # a target of its own, whose collect fails with the reason
        assert set(listed) == good | {"odd0"}
        carrier = listed["odd0"]
        assert not any(PROJECT_GAPS in listed[p].options for p in good)
    else:  # a listing gap, carried by the first project scanned
        assert set(listed) == good
        carrier = listed["p0"]
        assert not any(PROJECT_GAPS in listed[p].options for p in ("p1", "p2"))
    for project in good:
        assert ODD_PROJECT not in listed[project].options
    message = _reason(carrier)
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


def _odd_folder(change: Any, in_place: bool = False) -> Any:
    """An odd folder added to the page; ``in_place``: the page's first folder made odd (a
    real folder: its project is found only if it is still walked)."""
    def apply(document: dict[str, Any]) -> None:
        if in_place:
            document["folders"][0] = change(document["folders"][0])
            return
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
        return fast_adapter().accounts(CollectRequest(options=options))
    finally:
        proxy.stop()


@pytest.mark.parametrize("page", [1, 2])
@pytest.mark.parametrize("shape", sorted(FOLDER_SHAPES))
def test_an_odd_folder_is_a_gap_of_the_walk(make_sandbox, shape: str, page: int) -> None:
    box = make_sandbox(TREE, page_size=2)
    assert [t.account for t in _org_targets(box)] == ["p0", "p1", "p2"]
    # A folder that names itself is walked: the page's own first folder made odd, so that
    # its project is found only if the walk still enters it.
    listed = _org_targets(box, _odd_folder(FOLDER_SHAPES[shape], shape == "field-type"), page)
    assert [t.account for t in listed] == ["p0", "p1", "p2"]
    assert all(ODD_PROJECT not in t.options for t in listed)
    message = _reason(listed[0])
    assert "folders.list" in message and "$.folders[" in message, message
    assert f"page {page}" in message and "['Odd']" not in message, message
    if shape == "field-type":  # its name readable: walked, its project found
        assert "still searched" in message
