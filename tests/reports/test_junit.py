"""JUnit XML: a testsuite per check, a testcase per finding."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from auditor.model import Report
from auditor.reports import render


def _root(report: Report) -> ET.Element:
    return ET.fromstring(render(report, "junit").encode("utf-8"))


def test_parses_with_one_suite_per_check(report: Report) -> None:
    root = _root(report)
    assert root.tag == "testsuites"
    assert [s.get("name") for s in root] == [c.id for c in report.checks]
    assert sum(len(s) for s in root) == len(report.findings)


def test_outcomes_per_status(report: Report) -> None:
    cases = list(_root(report).iter("testcase"))
    tags = sorted(tuple(c.tag for c in case) for case in cases)
    assert tags == sorted([("failure",)] * 3 + [("error",)] + [("skipped",)] * 3 + [()])
    skipped = [c.find("skipped").get("message") for c in cases if c.find("skipped") is not None]
    assert sorted(m.split(":", 1)[0] for m in skipped) == ["MUTED", "NOT_APPLICABLE", "OPAQUE"]
    muted = next(m for m in skipped if m.startswith("MUTED"))
    assert "muted: FAIL muted: archive bucket, ticket SEC-42" in muted


def test_failure_carries_message_and_evidence(report: Report) -> None:
    root = _root(report)
    failure = next(c.find("failure") for c in root.iter("testcase")
                   if c.get("classname") == "aws.bucket-encryption-enabled")
    assert failure.get("message") == "FAIL: encryption.enabled=false: expected true"
    assert failure.get("type") == "high"
    assert "encryption.enabled=false (observed)" in failure.text
    assert "remediation: Enable default encryption with SSE-KMS." in failure.text
    error = next(c.find("error") for c in root.iter("testcase") if c.find("error") is not None)
    assert "key_rotation.enabled=null (denied)" in error.text


def test_counts_add_up(report: Report) -> None:
    root = _root(report)
    assert (root.get("tests"), root.get("failures"), root.get("errors"),
            root.get("skipped")) == ("8", "3", "1", "3")
    for suite in root:
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
        assert int(suite.get("failures")) == len(suite.findall("testcase/failure"))
        assert int(suite.get("errors")) == len(suite.findall("testcase/error"))
        assert int(suite.get("skipped")) == len(suite.findall("testcase/skipped"))


def test_hostile_names_keep_the_xml_valid(report: Report, hostile) -> None:
    root = _root(report)
    names = [c.get("name") for c in root.iter("testcase")]
    assert any(n.startswith(hostile.html) for n in names)  # round-trips, escaped in XML
    text = render(report, "junit")
    assert "\x1b" not in text and "\x07" not in text
    # Characters XML 1.0 forbids even escaped (NUL, lone surrogates) are replaced.
    report.findings[0].message = "nul\x00 and \ud800 lone surrogate"
    messages = [f.get("message") for f in _root(report).iter("failure")]
    assert "FAIL: nul\ufffd and \ufffd lone surrogate" in messages


def test_empty_report(empty_report: Report) -> None:
    root = _root(empty_report)
    assert root.get("tests") == "0" and len(root) == 0
