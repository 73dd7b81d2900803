"""The JSON report and schemas/report.schema.json."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from auditor.model import Report, Status
from auditor.reports import render
from auditor.reports.json_report import ReportSchemaViolation
from auditor.schema import load_schema


def test_schema_is_a_valid_2020_12_schema_with_its_id() -> None:
    schema = load_schema("report")
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == "https://safeguard-auditor.dev/schemas/report.schema.json"
    # every section is required but those added after reports were first recorded in the
    # history: older reports lack them and must still load (tests/claims/test_ledger_compat.py)
    assert set(schema["properties"]) - set(schema["required"]) == {"ledger", "legal_reach"}


def test_json_is_the_report_dict_and_fits_the_schema(report: Report) -> None:
    doc = json.loads(render(report, "json"))
    assert doc == json.loads(json.dumps(report.to_dict()))
    assert list(Draft202012Validator(load_schema("report")).iter_errors(doc)) == []
    assert doc["summary"] == {"PASS": 1, "FAIL": 3, "OPAQUE": 1, "UNVERIFIED": 1,
                              "NOT_APPLICABLE": 1, "MUTED": 1}
    assert {f["status"] for f in doc["findings"]} == {s.value for s in Status}


def test_json_round_trips_through_the_model(report: Report) -> None:
    doc = json.loads(render(report, "json"))
    again = Report.from_dict(doc)
    assert again.to_dict() == doc


def test_schema_run_matches_the_inventory_run_definition() -> None:
    # The report inlines the inventory's run shape; they must not drift apart.
    inventory_run = load_schema("inventory")["$defs"]["run"]
    assert load_schema("report")["$defs"]["run"] == inventory_run


def test_schema_keys_match_the_model(report: Report) -> None:
    schema = load_schema("report")
    doc = report.to_dict()
    assert set(doc) == set(schema["properties"])
    finding = doc["findings"][0]
    assert set(finding) <= set(schema["$defs"]["finding"]["properties"])
    assert set(doc["checks"][0]) == set(schema["$defs"]["check"]["properties"])
    evidence = doc["findings"][3]["evidence"][0]
    assert set(evidence) == set(schema["$defs"]["evidence"]["properties"])


@pytest.mark.parametrize(("mutate", "where"), [
    (lambda r: setattr(r.findings[0], "severity", "urgent"), "$.findings[0].severity"),
    (lambda r: setattr(r.runs[0], "status", "meh"), "$.runs[0].status"),
    (lambda r: r.exposure["aws"]["storage.bucket"].update({"x.y": "maybe"}),
     "$.exposure.aws.storage.bucket.x.y"),
    (lambda r: r.findings[2].evidence[0].__setattr__("state", "missing"),
     "$.findings[2].evidence[0].state"),
])
def test_a_report_off_schema_is_our_bug_and_says_where(report: Report, mutate, where) -> None:
    mutate(report)
    with pytest.raises(ReportSchemaViolation) as info:
        render(report, "json")
    assert where in str(info.value)
    assert "report.schema.json" in str(info.value)


def test_transparency_stays_open(report: Report) -> None:
    report.transparency = {"anything": {"nested": [1, 2.5, None]}}
    assert json.loads(render(report, "json"))["transparency"]["anything"]["nested"][1] == 2.5


def test_non_ascii_is_kept_readable(report: Report) -> None:
    report.findings[0].resource_name = "données-桶"
    assert "données-桶" in render(report, "json")
