"""``auditor scan gcp`` over an organization, a folder or every visible project, end to end
through auditor.cli.main and the multi-account pipeline, against the demo estate's
organization on the stand-in (real google-cloud-* clients over HTTP).

The demo organization: acme-retail-prod (Retail), acme-retail-staging (Retail > Retail
Staging), acme-data-eu and acme-data-billing-export (Data > Data EU; every API off in the
latter), acme-shared-tools (directly under the organization), acme-sandbox-legacy
(DELETE_REQUESTED), and jdoe-experiments-42 outside the organization.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.exit_codes import EXIT_NOTHING, EXIT_PARTIAL
from auditor.providers.gcp.sandbox import GcpSandbox, load_demo_section

ORG = "905531727110"
FAILING = "acme-data-billing-export"
IN_ORG = ["acme-data-billing-export", "acme-data-eu", "acme-retail-prod", "acme-retail-staging",
          "acme-shared-tools"]


@pytest.fixture(scope="module")
def demo() -> Iterator[GcpSandbox]:
    box = GcpSandbox()
    box.start()
    box.seed(load_demo_section())
    yield box
    box.stop()


@pytest.fixture
def scan(demo, tmp_path, monkeypatch, capsys):
    for name, value in demo.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)  # the scope names the projects
    monkeypatch.setenv("HOME", str(tmp_path))

    def run(*flags: str) -> tuple[int, dict, str]:
        demo.reset_requests()
        out = tmp_path / "out"
        code = main(["scan", "gcp", *flags, "--no-history", "-o", str(out), "-f", "json"])
        stderr = capsys.readouterr().err
        report_file = Path(out / "auditor-report.json")
        return code, json.loads(report_file.read_text()) if report_file.exists() else {}, stderr

    return run


def accounts(report: dict) -> list[str]:
    return sorted(a for run in report["runs"] for a in run["accounts"])


def test_an_organization_scan_reports_each_project_and_the_failed_one(scan, demo):
    code, report, stderr = scan("--gcp-organization-id", ORG)
    assert code == EXIT_PARTIAL
    assert accounts(report) == IN_ORG  # no DELETE_REQUESTED project, none outside the org
    (failure,) = report["account_failures"]
    assert failure["provider"] == "gcp" and failure["account"] == FAILING
    assert "SERVICE_DISABLED" in failure["reason"]
    assert f"account {FAILING}" in stderr
    status = {run["accounts"][0]: run["status"] for run in report["runs"]}
    assert status[FAILING] == "failed" and status["acme-retail-staging"] == "complete"
    found = {f["account"] for f in report["findings"]}
    assert {"acme-retail-staging", "acme-shared-tools", "acme-data-eu"} <= found
    assert FAILING not in found
    # Only reads reached the stand-in, the listing included.
    assert {r.method for r in demo.requests()} == {"GET"}
    actions = {r.action for r in demo.requests()}
    assert {"cloudresourcemanager.projects.search", "cloudresourcemanager.folders.list"} <= actions


def test_a_folder_scan_with_an_exclusion(scan):
    code, report, _ = scan("--gcp-folder", "301200400502", "--gcp-exclude-project", "*-billing-*")
    assert accounts(report) == ["acme-data-eu"]
    assert report["account_failures"] == []
    assert code != EXIT_NOTHING


def test_every_visible_project_with_the_short_flag(scan):
    code, report, _ = scan("--all-projects", "--gcp-exclude-project", FAILING)
    assert code == EXIT_PARTIAL  # acme-retail-prod holds deliberate denials
    # jdoe-experiments-42 sits outside the organization; the DELETE_REQUESTED one is skipped.
    assert accounts(report) == sorted([p for p in IN_ORG if p != FAILING]
                                      + ["jdoe-experiments-42"])
    assert report["account_failures"] == []


def test_a_refused_listing_fails_the_provider_and_nothing_is_collected(tmp_path, monkeypatch,
                                                                      capsys):
    box = GcpSandbox()
    box.start()
    try:
        box.deny("cloudresourcemanager:projects.search")
        box.seed(load_demo_section())
        for name, value in box.environment().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("HOME", str(tmp_path))
        code = main(["scan", "gcp", "--gcp-organization-id", ORG, "--no-history", "-o",
                     str(tmp_path / "out"), "-f", "json"])
        stderr = capsys.readouterr().err
        sent = [r.action for r in box.requests()]
    finally:
        box.stop()
    assert code == EXIT_NOTHING
    assert "cloudresourcemanager:projects.search: 403" in stderr
    assert "could not be listed" in stderr
    # Nothing was asked of any project once the listing was refused.
    assert "cloudresourcemanager.projects.search" in sent
    assert all(a.startswith("cloudresourcemanager.") for a in sent)
