"""The accounts hook of the Google Cloud adapter: every visible project, or those under an
organization or folder (the whole folder tree), with exclusions, through the real
google-cloud-resource-manager clients (REST) against the stand-in's Resource Manager v3.
"""

from __future__ import annotations

from typing import Any

import pytest
from gcp_support import fast_adapter

from auditor.errors import ProviderError
from auditor.permissions import derive_policy
from auditor.providers.base import CollectRequest
from auditor.providers.gcp import GcpAdapter
from auditor.providers.gcp._scope import Scope, exclude_pattern, folder_id, organization_id
from auditor.providers.gcp.sandbox import GcpSandbox

ORG = "800000000001"
SEARCH, FOLDERS = "cloudresourcemanager.projects.search", "cloudresourcemanager.folders.list"


def bucket(name: str) -> dict[str, Any]:
    return {"name": name, "location": "EUROPE-WEST1", "public_access_prevention": "enforced"}


# organizations/800000000001
#   p-org-top                   (directly under the organization)
#   folders/11 Prod
#     p-prod-a, p-prod-b
#     folders/12 Prod EU
#       p-prod-eu
#       folders/13 Prod EU Berlin
#         p-prod-berlin
#   folders/21 Dev
#     p-dev-a, p-dev-gone (DELETE_REQUESTED)
# p-lonely                      (no organization)
SECTION: dict[str, Any] = {
    "organization": {
        "id": ORG, "display_name": "example.org",
        "folders": [{"id": "11", "display_name": "Prod"},
                    {"id": "12", "display_name": "Prod EU", "parent": "11"},
                    {"id": "13", "display_name": "Prod EU Berlin", "parent": "12"},
                    {"id": "21", "display_name": "Dev"}],
        "projects": [
            {"id": "p-prod-b", "number": "900000000012", "parent": "11",
             "display_name": "Prod B", "buckets": [bucket("prod-b-data")]},
            {"id": "p-prod-eu", "number": "900000000013", "parent": "12",
             "display_name": "Prod EU", "buckets": [bucket("prod-eu-data")]},
            {"id": "p-prod-berlin", "number": "900000000014", "parent": "13",
             "display_name": "Prod Berlin", "buckets": [bucket("prod-berlin-data")]},
            {"id": "p-dev-a", "number": "900000000021", "parent": "21",
             "display_name": "Dev A", "buckets": [bucket("dev-a-data")]},
            {"id": "p-dev-gone", "number": "900000000022", "parent": "21",
             "display_name": "Dev Gone", "state": "DELETE_REQUESTED"},
            {"id": "p-lonely", "number": "900000000031", "display_name": "Lonely",
             "buckets": [bucket("lonely-data")]},
            {"id": "p-dark", "number": "900000000041", "parent": "21",
             "display_name": "Dark",
             "disabled": ["storage", "cloudkms", "orgpolicy", "compute", "sqladmin", "file"]},
        ]},
    "projects": [
        {"id": "p-prod-a", "number": "900000000011", "parent": "11", "display_name": "Prod A",
         "buckets": [bucket("prod-a-data")]},
        {"id": "p-org-top", "number": "900000000001", "parent": "organization",
         "display_name": "Org Top", "buckets": [bucket("org-top-data")]},
    ],
}
UNDER_ORG = ["p-dark", "p-dev-a", "p-org-top", "p-prod-a", "p-prod-b", "p-prod-berlin",
             "p-prod-eu"]


def _endpoints(box: GcpSandbox) -> dict[str, Any]:
    return box.listing_options()


def targets(box: GcpSandbox, adapter: GcpAdapter | None = None, **options: Any):
    request = CollectRequest(options={**_endpoints(box), **options}, max_workers=4)
    return (adapter or fast_adapter()).accounts(request)


def actions(box: GcpSandbox) -> list[str]:
    return [r.action for r in box.requests()]


@pytest.fixture
def box(make_sandbox) -> GcpSandbox:
    return make_sandbox(SECTION)


def test_no_scope_option_means_one_collect_and_no_listing(box):
    assert targets(box, project=["p-prod-a"]) is None
    assert targets(box, project=["p-prod-a"], exclude_project=["p-x*"]) is None
    assert actions(box) == []


def test_all_projects_is_every_active_visible_project(box):
    found = targets(box, all_projects=True)
    ids = [t.account for t in found]
    # DELETE_REQUESTED p-dev-gone is skipped; p-lonely (no organization) is visible.
    assert ids == sorted([*UNDER_ORG, "p-lonely"])
    by_id = {t.account: t for t in found}
    assert by_id["p-prod-berlin"].label == "Prod Berlin"
    assert by_id["p-prod-berlin"].options == {"project": ["p-prod-berlin"]}
    # One search with no query; no folder walk.
    assert actions(box) == [SEARCH]
    assert box.requests()[0].query.get("query", [""]) == [""]


def test_organization_reaches_every_descendant_folder(box):
    ids = [t.account for t in targets(box, organization_id=ORG)]
    assert ids == UNDER_ORG  # p-prod-berlin sits three folders down
    queries = sorted(r.query["query"][0] for r in box.requests() if r.action == SEARCH)
    assert queries == sorted([f"parent:organizations/{ORG}", "parent:folders/11",
                              "parent:folders/12", "parent:folders/13", "parent:folders/21"])
    walked = sorted(r.query["parent"][0] for r in box.requests() if r.action == FOLDERS)
    assert walked == sorted([f"organizations/{ORG}", "folders/11", "folders/12",
                             "folders/13", "folders/21"])


def test_folder_reaches_its_descendants_only(box):
    assert [t.account for t in targets(box, folder=["12"])] == ["p-prod-berlin", "p-prod-eu"]
    box.reset_requests()
    both = [t.account for t in targets(box, folder=["folders/13", "21"])]
    assert both == ["p-dark", "p-dev-a", "p-prod-berlin"]


def test_exclusions_take_ids_numbers_and_globs(box):
    found = targets(box, organization_id=ORG,
                    exclude_project=["p-prod-*", "900000000021", "p-dar?"])
    assert [t.account for t in found] == ["p-org-top"]


def test_explicit_projects_join_the_scope_and_exclusions_apply_to_them(box):
    found = [t.account for t in targets(box, folder=["13"], project=["p-lonely", "p-dev-a"],
                                        exclude_project=["p-dev-*"])]
    assert found == ["p-prod-berlin", "p-lonely"]


def test_search_and_folder_listing_follow_every_page(make_sandbox):
    box = make_sandbox(SECTION, page_size=2)
    assert [t.account for t in targets(box, all_projects=True)] == sorted([*UNDER_ORG,
                                                                           "p-lonely"])
    # 9 projects (the DELETE_REQUESTED one included) in pages of 2: five pages.
    searches = [r for r in box.requests() if r.action == SEARCH]
    assert len(searches) == 5 and not searches[0].query.get("pageToken")
    assert all(r.query.get("pageToken") for r in searches[1:])
    box.reset_requests()
    assert [t.account for t in targets(box, organization_id=ORG)] == UNDER_ORG
    # The organization has two child folders: one page of two, so one folders.list call.
    top = [r for r in box.requests() if r.action == FOLDERS
           and r.query["parent"] == [f"organizations/{ORG}"]]
    assert len(top) == 1


def test_a_denied_search_fails_the_provider_with_its_reason(make_sandbox):
    section = {**SECTION, "organization": {**SECTION["organization"],
                                           "faults": {SEARCH: 403}}}
    box = make_sandbox(section)
    with pytest.raises(ProviderError) as caught:
        targets(box, all_projects=True)
    reason = caught.value.reason
    assert "visible to the credentials could not be listed" in reason
    assert "cloudresourcemanager:projects.search" in reason and "403" in reason
    assert "IAM_PERMISSION_DENIED" in reason
    assert actions(box) == [SEARCH]  # a refusal is not retried


def test_a_denied_folder_listing_fails_the_provider(make_sandbox):
    folders = [dict(f) for f in SECTION["organization"]["folders"]]
    folders[1]["faults"] = {FOLDERS: 403}  # Prod EU
    box = make_sandbox({**SECTION, "organization": {**SECTION["organization"],
                                                    "folders": folders}})
    with pytest.raises(ProviderError) as caught:
        targets(box, organization_id=ORG)
    assert "cloudresourcemanager:folders.list: 403" in caught.value.reason
    assert "resourcemanager.folders.list" in caught.value.reason
    assert f"under organizations/{ORG}" in caught.value.reason


def test_an_unknown_folder_is_refused_not_empty(box):
    with pytest.raises(ProviderError) as caught:
        targets(box, folder=["99"])
    assert "folders/99" in caught.value.reason and "403" in caught.value.reason


def test_a_later_page_that_fails_fails_the_provider(make_sandbox):
    # The first search page answers, every later one 503 (after the retries).
    section = {**SECTION, "organization": {**SECTION["organization"],
                                           "faults": {SEARCH: [None] + [503] * 10}}}
    box = make_sandbox(section, page_size=2)
    with pytest.raises(ProviderError) as caught:
        targets(box, GcpAdapter(max_attempts=2, base_delay=0.001), all_projects=True)
    assert "503" in caught.value.reason
    assert len([a for a in actions(box) if a == SEARCH]) == 3  # page 1, page 2 twice


def test_a_garbled_search_answer_fails_the_provider(make_sandbox):
    section = {**SECTION, "organization": {**SECTION["organization"],
                                           "faults": {SEARCH: "garbage"}}}
    with pytest.raises(ProviderError) as caught:
        targets(make_sandbox(section), all_projects=True)
    assert "UnparsableResponse" in caught.value.reason


def test_nothing_left_to_scan_is_a_provider_failure(box):
    with pytest.raises(ProviderError) as caught:
        targets(box, folder=["13"], exclude_project=["*"])
    assert "no project to scan" in caught.value.reason and "1 ACTIVE" in caught.value.reason


def test_overridden_endpoints_without_a_resource_manager_one_send_nothing(box, monkeypatch):
    monkeypatch.delenv("AUDITOR_GCP_RESOURCEMANAGER_ENDPOINT", raising=False)
    options = {k: v for k, v in _endpoints(box).items() if k != "gcp_resourcemanager_endpoint"}
    with pytest.raises(ProviderError) as caught:
        fast_adapter().accounts(CollectRequest(options={**options, "all_projects": True}))
    assert "--gcp-resourcemanager-endpoint" in caught.value.reason
    assert actions(box) == []


def test_the_endpoint_comes_from_the_environment_too(box, monkeypatch):
    monkeypatch.setenv("AUDITOR_GCP_RESOURCEMANAGER_ENDPOINT", box.url)
    options = {k: v for k, v in _endpoints(box).items() if k != "gcp_resourcemanager_endpoint"}
    found = fast_adapter().accounts(CollectRequest(options={**options, "folder": ["13"]}))
    assert [t.account for t in found] == ["p-prod-berlin"]


def test_each_target_collects_its_own_project(box):
    (target,) = targets(box, folder=["13"])
    options = {**_endpoints(box), "folder": ["13"], **target.options}
    collection = fast_adapter().collect(CollectRequest(options=options, max_workers=4))
    assert collection.run.accounts == ["p-prod-berlin"]
    assert {r.name for r in collection.resources if r.kind == "storage.bucket"} == {
        "prod-berlin-data"}
    assert {r.account for r in collection.resources} == {"p-prod-berlin"}


def test_a_project_whose_every_api_is_off_fails_on_its_own(box):
    found = {t.account: t for t in targets(box, folder=["21"])}
    assert sorted(found) == ["p-dark", "p-dev-a"]
    with pytest.raises(ProviderError) as caught:
        fast_adapter().collect(CollectRequest(options={**_endpoints(box),
                                                       **found["p-dark"].options}))
    assert "p-dark" in caught.value.reason
    fine = fast_adapter().collect(CollectRequest(options={**_endpoints(box),
                                                          **found["p-dev-a"].options}))
    assert {r.name for r in fine.resources if r.kind == "storage.bucket"} == {"dev-a-data"}


def test_exclusions_apply_to_a_plain_project_list(box):
    options = {**_endpoints(box), "project": ["p-prod-a", "p-org-top"],
               "exclude_project": ["p-prod-*"]}
    collection = fast_adapter().collect(CollectRequest(options=options))
    assert collection.run.accounts == ["p-org-top"]
    with pytest.raises(ProviderError, match="excluded by --exclude-project"):
        fast_adapter().collect(CollectRequest(options={**options, "exclude_project": ["*"]}))


@pytest.mark.parametrize(("check", "typed", "value"), [
    (organization_id, "organizations/905531727110", "905531727110"),
    (organization_id, " 42 ", "42"),
    (folder_id, "folders/301200400501", "301200400501"),
    (exclude_pattern, "acme-sandbox-*", "acme-sandbox-*"),
    (exclude_pattern, "p-[ab]?", "p-[ab]?"),
])
def test_option_values(check, typed, value):
    assert check(typed) == value


@pytest.mark.parametrize(("check", "typed"), [
    (organization_id, "acme.example"), (organization_id, "folders/12"),
    (folder_id, "organizations/1"), (folder_id, ""), (exclude_pattern, "Acme Prod"),
    (exclude_pattern, "p/*"),
])
def test_bad_option_values_say_why(check, typed):
    with pytest.raises(ValueError, match="not a"):
        check(typed)


def test_scope_of_a_config_file_is_checked_too():
    # Values that bypass the flag checks (a config file) are read by the same rules.
    assert Scope.from_options({"organization_id": "organizations/7", "folder": "1,2"}).containers \
        == ["organizations/7", "folders/1", "folders/2"]
    with pytest.raises(ValueError):
        Scope.from_options({"folder": ["acme"]})
    # Through the hook it is the provider's failure with the reason, before any call.
    with pytest.raises(ProviderError, match="project scope: not a Google Cloud folder id 'acme'"):
        fast_adapter().accounts(CollectRequest(options={"folder": ["acme"]}))


def test_listing_permissions_are_derived_for_a_scope_only(box):
    adapter = fast_adapter()
    plain = derive_policy(adapter, [], given_options={"project"}).operations
    assert not [op for op in plain if op.startswith("cloudresourcemanager:")]
    by_org = derive_policy(adapter, [], given_options={"organization_id"})
    assert {"cloudresourcemanager:projects.search",
            "cloudresourcemanager:folders.list"} <= set(by_org.operations)
    assert {"resourcemanager.projects.get", "resourcemanager.folders.list"} <= set(
        by_org.actions)
    every = derive_policy(adapter, [], given_options={"all_projects"}).operations
    assert "cloudresourcemanager:projects.search" in every
    assert "cloudresourcemanager:folders.list" not in every
    # What the listing sends is what the policy grants for it.
    targets(box, organization_id=ORG)
    sent = {a.replace(".", ":", 1) for a in actions(box)}
    assert sent == {op for op in by_org.operations if op.startswith("cloudresourcemanager:")}


def test_a_project_answer_out_of_its_documented_shape_is_a_failed_project(make_sandbox):
    # Project.name is "projects/NUMBER": a non-numeric one is not the documented resource.
    # Its projectId is readable: a target of its own whose collect fails with the reason (H5).
    odd = {"id": "p-odd", "number": "not-a-number", "parent": "11", "display_name": "Odd"}
    section = {**SECTION, "organization": {**SECTION["organization"], "projects": [
        *SECTION["organization"]["projects"], odd]}}
    by_id = {t.account: t for t in targets(make_sandbox(section), folder=["11"])}
    reason = by_id["p-odd"].options["gcp_odd_project"]
    assert "cloudresourcemanager:projects.search" in reason and "$.projects[" in reason
    assert "not-a-number" not in reason  # no value echoed
    assert all("gcp_odd_project" not in t.options for a, t in by_id.items() if a != "p-odd")


def test_the_scope_options_as_the_cli_builds_them():
    options = {o.name: o for o in GcpAdapter.options}
    assert options["all_projects"].flag and not options["organization_id"].multiple
    assert options["folder"].multiple and options["exclude_project"].multiple
    assert options["gcp_resourcemanager_endpoint"].env == "AUDITOR_GCP_RESOURCEMANAGER_ENDPOINT"
