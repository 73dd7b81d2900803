"""CSA CCM ids reach SARIF (rule properties and tags), OCSF (unmapped compliance) and CSV/HTML,
next to the provider's CIS ids, on a report of the shipped checks over the mixed golden."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.checks import CCM_FRAMEWORK, compile_check, load_checks
from auditor.documents import load_inventory
from auditor.pipeline import build_report
from auditor.reports import render

GOLDEN = Path(__file__).parents[1] / "golden"
CHECKS = {c.id: c for c in load_checks()}
AWS_CIS = "CIS AWS Foundations v7.0.0"


@pytest.fixture(scope="module")
def report():
    return build_report(load_inventory(GOLDEN / "mixed-inventory.json"),
                        [compile_check(c) for c in CHECKS.values()], lambda provider: None)


def test_sarif_rules_carry_the_checks_ccm_ids_and_tags(report):
    rules = json.loads(render(report, "sarif"))["runs"][0]["tool"]["driver"]["rules"]
    assert rules and all(r["properties"]["ccm"] == sorted(CHECKS[r["id"]].ccm) for r in rules)
    rotation = next(r for r in rules if r["id"] == "bucket-key-rotation")
    assert "CCM:CEK-12" in rotation["properties"]["tags"]
    tls = next(r for r in rules if r["id"] == "bucket-tls-enforced")
    assert f"{AWS_CIS}:3.1.1" in tls["properties"]["frameworks"]["aws"]
    assert f"{CCM_FRAMEWORK}:CEK-03" in tls["properties"]["frameworks"]["aws"]


def test_ocsf_events_carry_ccm_first_then_cis(report):
    events = json.loads(render(report, "ocsf"))
    for event in events:
        compliance = event["unmapped"]["compliance"]
        check = CHECKS[event["unmapped"]["check_id"]]
        assert compliance["standards"][0] == CCM_FRAMEWORK
        assert [r for r in compliance["requirements"] if r.startswith(CCM_FRAMEWORK)] == [
            f"{CCM_FRAMEWORK}:{i}" for i in check.ccm]
    aws_tls = [e for e in events if e["unmapped"]["check_id"] == "bucket-tls-enforced"
               and e["cloud"]["provider"] == "aws"]
    assert aws_tls and all(e["unmapped"]["compliance"]["standards"] == [CCM_FRAMEWORK, AWS_CIS]
                           for e in aws_tls)


@pytest.mark.parametrize("fmt", ["csv", "html"])
def test_finding_tables_show_ccm_ids(report, fmt):
    assert f"{CCM_FRAMEWORK}" in render(report, fmt) and "DSP-19" in render(report, fmt)
