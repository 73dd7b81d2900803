"""SARIF 2.1.0, validated against the official OASIS schema (tests/reports/data)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

from auditor.model import Report, Status
from auditor.reports import render

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@cache
def _validator() -> Draft4Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


def _log(report: Report) -> dict[str, Any]:
    return json.loads(render(report, "sarif"))


def test_official_schema_is_the_oasis_2_1_0_one() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")


def test_log_fits_the_official_schema(report: Report, empty_report: Report) -> None:
    for rep in (report, empty_report):
        errors = sorted(_validator().iter_errors(_log(rep)), key=str)
        assert errors == []


def test_one_run_with_the_driver_and_rules(report: Report) -> None:
    log = _log(report)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "Safeguard Auditor" and driver["version"] == "0.1.0"
    assert [r["id"] for r in driver["rules"]] == [c.id for c in report.checks]
    enc = driver["rules"][0]
    assert enc["name"] == "BucketEncryptionAtRestIsEnabled"
    assert enc["shortDescription"]["text"] == "Bucket encryption at rest is enabled"
    assert "aws: Enable default encryption with SSE-KMS." in enc["help"]["text"]
    assert enc["properties"]["safeguard"] == "encryption_at_rest"
    assert enc["properties"]["severity"] == "high"
    pub = driver["rules"][3]
    assert pub["properties"]["frameworks"] == {"gcp": ["cis_gcp:5.1"]}


def test_rule_mappings_never_mix_providers(report: Report) -> None:
    # The same check on two providers: the rule keeps each provider's ids apart, and each
    # result carries only its own finding's ids.
    report.findings[4].frameworks = {"cis_alibaba": ["5.8"]}
    log = _log(report)
    enc = log["runs"][0]["tool"]["driver"]["rules"][0]
    assert enc["properties"]["frameworks"] == {"alibaba": ["cis_alibaba:5.8"],
                                               "aws": ["cis_aws:2.1.1"]}
    by_provider = {r["properties"]["provider"]: r["properties"]["frameworks"]
                   for r in log["runs"][0]["results"] if r["ruleId"] == enc["id"]}
    assert by_provider == {"aws": ["cis_aws:2.1.1"]}  # the alibaba finding PASSed: no result
    assert sorted(_validator().iter_errors(log), key=str) == []


def test_results_only_for_fail_unverified_opaque(report: Report) -> None:
    results = _log(report)["runs"][0]["results"]
    statuses = [r["properties"]["status"] for r in results]
    assert sorted(statuses) == sorted(["FAIL", "FAIL", "FAIL", "UNVERIFIED", "OPAQUE"])
    assert not {"PASS", "NOT_APPLICABLE", "MUTED"} & set(statuses)


def test_levels_and_kinds(report: Report) -> None:
    results = _log(report)["runs"][0]["results"]
    seen = {(r["properties"]["status"], r["properties"]["severity"]): (r["kind"], r["level"])
            for r in results}
    assert seen[("FAIL", "critical")] == ("fail", "error")
    assert seen[("FAIL", "high")] == ("fail", "error")
    assert seen[("FAIL", "medium")] == ("fail", "warning")
    assert seen[("UNVERIFIED", "medium")] == ("review", "none")
    assert seen[("OPAQUE", "medium")] == ("informational", "none")
    # SARIF 2.1.0: a level other than "none" requires kind "fail".
    assert all(r["kind"] == "fail" for r in results if r["level"] != "none")


def test_low_and_info_fails(report: Report) -> None:
    report.findings[0].severity = "low"
    report.findings[7].severity = "info"
    levels = {r["properties"]["severity"]: r["level"]
              for r in _log(report)["runs"][0]["results"] if r["kind"] == "fail"}
    assert levels["low"] == "warning" and levels["info"] == "note"


def test_result_locations_properties_and_rule_index(report: Report, hostile) -> None:
    log = _log(report)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    results = log["runs"][0]["results"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["partialFingerprints"]["safeguardAuditorFinding/v1"]
    public = next(r for r in results if r["ruleId"] == "bucket-not-public")
    location = public["locations"][0]["logicalLocations"][0]
    assert location["fullyQualifiedName"] == f"projects/_/buckets/{hostile.html}"
    assert location["name"] == hostile.html
    assert public["properties"]["provider"] == "gcp"
    assert public["properties"]["evidence"][0] == {
        "fact": "public_exposure.is_public", "state": "observed", "value": True,
        "source": ["storage.buckets.getIamPolicy"]}
    denied = next(r for r in results if r["properties"]["status"] == "UNVERIFIED")
    assert denied["properties"]["evidence"][0]["detail"] == "Forbidden: not allowed"


def test_fingerprints_are_stable_and_distinct(report: Report) -> None:
    first = [r["partialFingerprints"] for r in _log(report)["runs"][0]["results"]]
    second = [r["partialFingerprints"] for r in _log(report)["runs"][0]["results"]]
    assert first == second
    assert len({json.dumps(f) for f in first}) == len(first)


def test_provider_problems_become_notifications(report: Report) -> None:
    invocation = _log(report)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    texts = [n["message"]["text"] for n in invocation["toolExecutionNotifications"]]
    assert any(t.startswith("gcp: partial") for t in texts)
    assert any(t.startswith("alibaba: failed") for t in texts)


def test_rule_for_a_check_missing_from_the_list(report: Report) -> None:
    report.checks = report.checks[1:]  # the encryption check is no longer listed
    log = _log(report)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert "bucket-encryption-enabled" in [r["id"] for r in rules]
    assert list(_validator().iter_errors(log)) == []


def test_summary_counts_in_run_properties(report: Report) -> None:
    counts = _log(report)["runs"][0]["properties"]["summary"]
    assert counts == {s.value: n for s, n in zip(Status, (1, 3, 1, 1, 1, 1), strict=True)}
