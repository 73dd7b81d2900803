"""A multi-project scan whose projects.search answer holds odd items or projects not ACTIVE, end
to end through auditor.cli.main and the multi-account pipeline: the real
google-cloud-resource-manager client (REST) against the stand-in, an AnswerProxy rewriting the
search answer (H5; the AWS ListAccounts counterpart is tests/providers/aws/test_h4_org_items.py).

Resource Manager v3 reference (Project): ``name`` "projects/NUMBER", ``projectId``,
``displayName``, ``parent``, ``state`` one of STATE_UNSPECIFIED, ACTIVE, DELETE_REQUESTED.
- an item whose projectId is readable but which does not fit: a failed account with the
  item's reason, no call made for it; the other projects are scanned;
- an item naming no project: a listing gap in the first scanned project's run (partial);
- only such items: the provider fails, naming the first;
- DELETE_REQUESTED: skipped with one warning line (named with --gcp-project: scanned);
- STATE_UNSPECIFIED (what the client prints for a state newer than itself): a failed account.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from answer_proxy import AnswerProxy, edit

from auditor.cli import main
from auditor.exit_codes import EXIT_NOTHING, EXIT_PARTIAL

SEARCH = "cloudresourcemanager.projects.search"


def _bucket(name: str) -> dict[str, Any]:
    return {"name": name, "location": "EUROPE-WEST1", "public_access_prevention": "enforced"}


PROJECTS = [{"id": f"h5-p{i}", "number": f"91000000000{i}", "display_name": f"H5 {i}",
             "buckets": [_bucket(f"h5-bucket-{i}")]} for i in range(3)]
GONE = {"id": "h5-gone", "number": "910000000009", "display_name": "Gone",
        "state": "DELETE_REQUESTED", "buckets": [_bucket("h5-bucket-gone")]}


def _added(change: Callable[[dict[str, Any]], Any]) -> Any:
    """The search answer with one more item: a copy of its first, renamed, then changed."""
    def apply(document: dict[str, Any]) -> None:
        item = {**document["projects"][0], "projectId": "h5-odd",
                "name": "projects/910000000099", "displayName": "Odd"}
        document["projects"].append(change(item))
    return edit(apply)


def _set(member: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda item: {**item, member: value}


@pytest.fixture
def scan(make_sandbox, tmp_path, monkeypatch, capsys):
    box = make_sandbox({"projects": [*PROJECTS, GONE]})
    proxies: list[AnswerProxy] = []

    def run(*flags: str, change: Any = None) -> tuple[int, dict[str, Any], str]:
        proxy = AnswerProxy(box)
        proxies.append(proxy)
        if change is not None:
            proxy.on(SEARCH, change)
        for name, value in box.environment().items():
            monkeypatch.setenv(name, value.replace(box.url, proxy.url))
        monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
        monkeypatch.setenv("HOME", str(tmp_path))
        out = tmp_path / "out"
        code = main(["scan", "gcp", "--gcp-all-projects", *flags, "--no-history", "-o",
                     str(out), "-f", "json"])
        stderr = capsys.readouterr().err
        report = out / "auditor-report.json"
        return code, json.loads(report.read_text()) if report.exists() else {}, stderr

    yield run
    for proxy in proxies:
        proxy.stop()


def _runs(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {run["accounts"][0]: run for run in report["runs"]}


def _failures(report: dict[str, Any]) -> dict[str, str]:
    return {f["account"]: f["reason"] for f in report["account_failures"]}


def test_the_listing_as_served_scans_the_active_projects(scan, caplog):
    code, report, _ = scan()
    assert sorted(_runs(report)) == ["h5-p0", "h5-p1", "h5-p2"]
    assert not report["account_failures"]
    assert {r["status"] for r in report["runs"]} == {"complete"}, code
    # DELETE_REQUESTED is skipped, said in one warning, and is no failed account.
    assert "project h5-gone (Gone) is DELETE_REQUESTED: not scanned" in caplog.text


@pytest.mark.parametrize("change", [_set("displayName", ["Odd"]), _set("state", {"v": 1}),
                                    _set("name", "projects/not-a-number")],
                         ids=["display-name-type", "state-type", "name-pattern"])
def test_an_odd_named_project_is_a_failed_account(scan, change):
    code, report, _ = scan(change=_added(change))
    assert code == EXIT_PARTIAL
    failures = _failures(report)
    assert set(failures) == {"h5-odd"}
    reason = failures["h5-odd"]
    assert "projects.search" in reason and "$.projects[4]" in reason, reason
    assert "['Odd']" not in reason and "not-a-number" not in reason  # no value echoed
    runs = _runs(report)
    assert runs["h5-odd"]["status"] == "failed" and not runs["h5-odd"]["api_calls"]
    assert {runs[p]["status"] for p in ("h5-p0", "h5-p1", "h5-p2")} == {"complete"}
    buckets = {f["resource_id"].split("/")[-1] for f in report["findings"]
               if "h5-bucket" in f["resource_id"]}
    assert buckets == {"h5-bucket-0", "h5-bucket-1", "h5-bucket-2"}


@pytest.mark.parametrize("change", [_set("projectId", 42), lambda item: "h5-odd",
                                    lambda item: {k: v for k, v in item.items()
                                                  if k != "projectId"}],
                         ids=["id-type", "not-object", "nameless"])
def test_an_item_naming_no_project_is_a_gap_of_the_first_run(scan, change):
    code, report, _ = scan(change=_added(change))
    assert code == EXIT_PARTIAL and not report["account_failures"]
    runs = _runs(report)
    assert sorted(runs) == ["h5-p0", "h5-p1", "h5-p2"]
    assert runs["h5-p0"]["status"] == "partial"
    (gap,) = runs["h5-p0"]["errors"]
    assert gap["kind"] == "listing" and gap["scope"] == "projects"
    assert "projects.search" in gap["operation"] and "$.projects[4]" in gap["message"]
    assert {runs[p]["status"] for p in ("h5-p1", "h5-p2")} == {"complete"}


def test_only_items_naming_no_project_fail_the_provider(scan):
    def nameless(document: dict[str, Any]) -> None:
        document["projects"] = [{k: v for k, v in p.items() if k != "projectId"}
                                for p in document["projects"]]
    code, _, stderr = scan(change=edit(nameless))
    assert code == EXIT_NOTHING
    assert "projects.search" in stderr and "$.projects[0]" in stderr and "more" in stderr


def test_an_undocumented_state_is_a_failed_account(scan):
    # STATE_UNSPECIFIED is also what the client prints for a state value newer than itself.
    def unspecified(document: dict[str, Any]) -> None:
        for project in document["projects"]:
            if project["projectId"] == "h5-p1":
                project["state"] = "STATE_UNSPECIFIED"
    code, report, _ = scan(change=edit(unspecified))
    assert code == EXIT_PARTIAL
    failures = _failures(report)
    assert set(failures) == {"h5-p1"} and "UndocumentedState" in failures["h5-p1"]
    assert "STATE_UNSPECIFIED" in failures["h5-p1"]
    assert not _runs(report)["h5-p1"]["api_calls"]


def test_a_delete_requested_project_named_with_project_is_scanned(scan, caplog):
    _, report, _ = scan("--gcp-project", "h5-gone")
    assert "h5-gone" in _runs(report)  # what --gcp-project names is read, whatever its state
    assert "h5-gone" not in caplog.text


def test_an_excluded_odd_project_is_not_a_failure(scan):
    _, report, _ = scan("--gcp-exclude-project", "h5-odd",
                           change=_added(_set("displayName", ["Odd"])))
    assert not report["account_failures"]
    assert sorted(_runs(report)) == ["h5-p0", "h5-p1", "h5-p2"]
