"""OCSF 1.3.0 Detection Finding, checked against the class definition in tests/reports/data.

The data file is the OCSF 1.3.0 schema export trimmed to the Detection Finding class and the
objects we emit. The checks below apply its rules: required attributes (profile attributes only
when the profile is declared), no attribute outside the class or object, types, enum values,
and "at least one of" constraints.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from auditor.model import Report, Status
from auditor.reports import render
from auditor.reports.ocsf import epoch_ms

DEFINITION = Path(__file__).parent / "data" / "ocsf-1.3.0-detection_finding.json"
PY_TYPES = {"string_t": str, "integer_t": int, "long_t": int, "boolean_t": bool,
            "float_t": (int, float), "object_t": dict}


@cache
def _definition() -> dict[str, Any]:
    return json.loads(DEFINITION.read_text(encoding="utf-8"))


def _check_value(value: Any, spec: dict[str, Any], where: str, errors: list[str]) -> None:
    if spec.get("is_array"):
        if not isinstance(value, list):
            errors.append(f"{where}: expected an array")
            return
        for i, item in enumerate(value):
            _check_value(item, {**spec, "is_array": False}, f"{where}[{i}]", errors)
        return
    base = _definition()["types"].get(spec["type"], spec["type"])
    if base == "json_t":
        return
    expected = PY_TYPES[base]
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        errors.append(f"{where}: expected {spec['type']}, got {type(value).__name__}")
        return
    if "enum" in spec and str(value) not in spec["enum"]:
        errors.append(f"{where}: {value!r} is not in the enum")
    object_type = spec.get("object_type")
    if object_type in _definition()["objects"]:
        _check_object(value, _definition()["objects"][object_type], [], where, errors)


def _check_object(obj: dict[str, Any], definition: dict[str, Any], profiles: list[str],
                  where: str, errors: list[str]) -> None:
    attributes = definition["attributes"]
    for name, spec in attributes.items():
        profile = spec.get("profile")
        if spec["requirement"] == "required" and (profile is None or profile in profiles) \
                and name not in obj:
            errors.append(f"{where}.{name}: required attribute missing")
    for name, value in obj.items():
        if name not in attributes:
            errors.append(f"{where}.{name}: not an attribute of this class/object")
        else:
            _check_value(value, attributes[name], f"{where}.{name}", errors)
    at_least_one = definition.get("constraints", {}).get("at_least_one")
    if at_least_one and not any(name in obj for name in at_least_one):
        errors.append(f"{where}: needs at least one of {at_least_one}")


def ocsf_errors(event: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    profiles = event.get("metadata", {}).get("profiles", [])
    unknown = set(profiles) - set(_definition()["class"]["profiles"])
    if unknown:
        errors.append(f"unknown profiles {sorted(unknown)}")
    _check_object(event, _definition()["class"], profiles, "$", errors)
    return errors


def _events(report: Report) -> list[dict[str, Any]]:
    return json.loads(render(report, "ocsf"))


def test_definition_is_detection_finding_1_3_0() -> None:
    d = _definition()
    assert d["version"] == "1.3.0" and d["class"]["uid"] == 2004
    required = sorted(n for n, s in d["class"]["attributes"].items()
                      if s["requirement"] == "required" and "profile" not in s)
    assert required == ["activity_id", "category_uid", "class_uid", "finding_info", "metadata",
                        "severity_id", "time", "type_uid"]


def test_one_event_per_finding_each_valid(report: Report) -> None:
    events = _events(report)
    assert len(events) == len(report.findings)
    for event in events:
        assert ocsf_errors(event) == []


def test_the_checker_catches_missing_and_foreign_attributes(report: Report) -> None:
    event = _events(report)[0]
    del event["finding_info"]["title"]
    event["cloud"].pop("provider")
    event["bogus"] = 1
    event["severity_id"] = 7
    errors = ocsf_errors(event)
    assert "$.finding_info.title: required attribute missing" in errors
    assert "$.cloud.provider: required attribute missing" in errors
    assert "$.bogus: not an attribute of this class/object" in errors
    assert "$.severity_id: 7 is not in the enum" in errors


def test_class_identity(report: Report) -> None:
    for event in _events(report):
        assert (event["class_uid"], event["category_uid"], event["activity_id"],
                event["type_uid"]) == (2004, 2, 1, 200401)
        assert event["metadata"]["version"] == "1.3.0"
        assert event["metadata"]["product"]["name"] == "Safeguard Auditor"
        assert event["metadata"]["product"]["version"] == "0.1.0"
        assert event["time"] == 1735689606000  # 2025-01-01T00:00:06Z


def test_status_and_severity_mapping(report: Report) -> None:
    by_status = {e["status_code"]: e for e in _events(report)}
    assert set(by_status) == {s.value for s in Status}
    assert by_status["MUTED"]["status"] == "Suppressed" and by_status["MUTED"]["status_id"] == 3
    assert by_status["MUTED"]["status_detail"] == "FAIL muted: archive bucket, ticket SEC-42"
    assert all(e["status"] == "New" for k, e in by_status.items() if k != "MUTED")
    fail_critical = next(e for e in _events(report) if e["unmapped"]["check_severity"]
                         == "critical")
    assert (fail_critical["severity_id"], fail_critical["severity"]) == (5, "Critical")
    assert by_status["UNVERIFIED"]["severity_id"] == 3
    # A PASS is not an alert: informational, the check's severity kept aside.
    assert (by_status["PASS"]["severity_id"], by_status["PASS"]["severity"]) == (
        1, "Informational")
    assert by_status["PASS"]["unmapped"]["check_severity"] == "high"


def test_cloud_resource_remediation_and_evidence(report: Report, hostile) -> None:
    event = next(e for e in _events(report) if e["unmapped"]["check_id"] == "bucket-not-public")
    assert event["cloud"] == {"provider": "gcp", "region": "EU",
                              "account": {"uid": "analytics-prod"}}
    assert event["resources"] == [{"uid": f"projects/_/buckets/{hostile.html}",
                                   "name": hostile.html, "type": "storage.bucket",
                                   "region": "EU"}]
    assert event["remediation"] == {"desc": "Remove allUsers bindings."}
    assert event["unmapped"]["evidence"][1]["value"] == ["iam:allUsers"]
    assert event["finding_info"]["title"] == "Bucket is not public"
    assert event["finding_info"]["analytic"]["uid"] == "bucket-not-public"
    no_fix = next(e for e in _events(report) if e["status_code"] == "OPAQUE")
    assert "remediation" not in no_fix  # its desc would be required: omitted when empty


def test_finding_uids_are_stable_and_unique(report: Report) -> None:
    uids = [e["finding_info"]["uid"] for e in _events(report)]
    assert uids == [e["finding_info"]["uid"] for e in _events(report)]
    assert len(set(uids)) == len(uids)


@pytest.mark.parametrize(("stamp", "expected"), [
    ("2025-01-01T00:00:06Z", 1735689606000),
    ("2025-01-01T01:00:06+01:00", 1735689606000),
    ("2025-01-01T00:00:06.250Z", 1735689606250),
    ("2025-01-01T00:00:06", 1735689606000),
])
def test_epoch_ms(stamp: str, expected: int) -> None:
    assert epoch_ms(stamp) == expected


def test_empty_report_is_an_empty_array(empty_report: Report) -> None:
    assert _events(empty_report) == []
