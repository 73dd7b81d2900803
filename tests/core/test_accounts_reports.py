"""Every renderer shows a multi-account scan: each account's run (status, resources, calls)
and each account that could not be collected with its reason; a single-account report stays
as it was (no account section)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.checks import compile_check, load_checks
from auditor.comparison import build_matrix, merge_reports
from auditor.documents import load_inventory
from auditor.model import Inventory, ProviderRun, Report, RunError
from auditor.pipeline import build_report
from auditor.reports import FORMATS, render, render_comparison

GOLDEN = Path(__file__).parents[1] / "golden"
CHECKS = [compile_check(c) for c in load_checks()]
REASON = "sts:AssumeRole AccessDenied for role AuditRole <b>&"
LOST = "222222222222"


def _org_report() -> tuple[Report, dict[str, int], dict[str, int]]:
    """Two collected accounts of aws and one lost; returns the report and, per account, the
    resources and calls its run was given."""
    golden = [r for r in load_inventory(GOLDEN / "mixed-inventory.json").resources
              if r.provider == "aws"]
    shares = {"111111111111": golden[:3], "333333333333": golden[3:8]}
    resources, runs = [], []
    calls = {}
    for account, share in shares.items():
        resources += [replace(r, account=account, id=f"{r.id}#{account}") for r in share]
        calls[account] = 10 + len(share)
        runs.append(ProviderRun("aws", [account], status="complete",
                                api_calls={"s3:ListBuckets": 1, "s3:Get": calls[account] - 1}))
    runs.insert(1, ProviderRun("aws", [LOST], status="failed",
                               errors=[RunError("account", "collect", "ProviderError", REASON)]))
    report = build_report(Inventory(runs, resources), CHECKS, lambda p: None)
    return report, {a: len(s) for a, s in shares.items()}, calls


def _single_report() -> Report:
    inventory = load_inventory(GOLDEN / "mixed-inventory.json")
    return build_report(inventory, CHECKS, lambda p: None)


def test_the_report_names_the_lost_account_not_a_lost_provider():
    report, _, _ = _org_report()
    assert report.provider_failures == {}
    assert [(a.provider, a.account, a.reason) for a in report.account_failures] == [
        ("aws", LOST, REASON)]


@pytest.mark.parametrize("fmt", ["table", "markdown", "html"])
def test_text_reports_list_each_account_run_and_the_lost_account(fmt):
    report, resources, calls = _org_report()
    text = render(report, fmt)
    assert "Resources" in text  # the account table's column, absent from a single account
    for account in resources:
        row = next(line for line in text.splitlines()
                   if account in line and "complete" in line and "aws" in line)
        assert str(resources[account]) in row and str(calls[account]) in row
    lost = [line for line in text.splitlines() if LOST in line and "not collected" in line]
    assert lost, text
    assert "AssumeRole AccessDenied" in lost[0]
    if fmt != "table":  # markup in the reason is escaped, never live
        assert "<b>" not in text


def test_sarif_execution_is_unsuccessful_and_notifies_the_lost_account():
    report, _, _ = _org_report()
    invocation = json.loads(render(report, "sarif"))["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = [n["message"]["text"] for n in invocation["toolExecutionNotifications"]]
    assert any(LOST in n and "not collected" in n for n in notes)
    # the account failure alone (say in a report edited by hand) is enough
    only = replace(report, runs=[r for r in report.runs if r.status != "failed"])
    invocation = json.loads(render(only, "sarif"))["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False


def test_junit_has_an_error_case_per_lost_account():
    report, _, _ = _org_report()
    root = ET.fromstring(render(report, "junit").encode())
    suite = next(s for s in root if s.get("name") == "account-collection")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [LOST]
    assert cases[0].find("error").get("message").startswith("not collected: sts:AssumeRole")
    assert suite.get("errors") == "1"
    findings_errors = sum(1 for f in report.findings if f.status.value == "UNVERIFIED")
    assert root.get("errors") == str(findings_errors + 1)


def test_json_carries_account_failures_and_per_account_scores():
    report, resources, _ = _org_report()
    doc = json.loads(render(report, "json"))
    assert doc["account_failures"] == [{"provider": "aws", "account": LOST, "reason": REASON}]
    assert set(doc["transparency"]["accounts"]["aws"]) == {LOST, *resources}


def test_a_single_account_report_has_no_account_section():
    report = _single_report()
    assert not report.account_failures
    for fmt in ("table", "markdown", "html"):
        text = render(report, fmt)
        assert "Resources" not in text  # the account table's column
    root = ET.fromstring(render(report, "junit").encode())
    assert "account-collection" not in {s.get("name") for s in root}


def test_every_format_renders_a_multi_account_report():
    report, _, _ = _org_report()
    for fmt in FORMATS:
        assert render(report, fmt)


def test_compare_lists_the_lost_account():
    report, _, _ = _org_report()
    matrix = build_matrix(merge_reports([report, _gcp_only()], ["a.json", "b.json"]))
    assert [(a.account, a.reason) for a in matrix.account_failures] == [(LOST, REASON)]
    for fmt in ("table", "markdown", "html"):
        text = render_comparison(matrix, fmt)
        assert LOST in text and "not collected" in text


def _gcp_only() -> Report:
    inventory = load_inventory(GOLDEN / "mixed-inventory.json")
    runs = [r for r in inventory.runs if r.provider == "gcp"]
    return build_report(Inventory(runs, [r for r in inventory.resources if r.provider == "gcp"]),
                        CHECKS, lambda p: None)


def test_a_partial_account_run_is_named_by_its_account():
    report, _, _ = _org_report()
    runs = list(report.runs)
    runs[0] = replace(runs[0], status="partial",
                      errors=[RunError("bucket", "s3:GetBucketPolicy", "AccessDenied")])
    lines = [line for line in render(replace(report, runs=runs), "table").splitlines()
             if "partial" in line and "error(s)" in line]
    assert lines == ["aws: account 111111111111: partial (1 error(s); first: bucket "
                     "s3:GetBucketPolicy AccessDenied)"]
    # a provider with one run keeps the line it always had
    single = _single_report()
    assert any(line.startswith("aws: partial") for line in render(single, "table").splitlines())
