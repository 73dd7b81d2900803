"""JUnit XML: one testsuite per check, one testcase per finding.

FAIL -> <failure>, UNVERIFIED -> <error> (we could not run the test), OPAQUE, NOT_APPLICABLE
and MUTED -> <skipped message="...">, PASS -> an empty testcase. An account of a multi-account
scan that could not be collected is an <error> testcase of one more suite, "account-collection":
none of its checks could run.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from auditor.model import AccountFailure, Finding, Report, Status
from auditor.reports._common import TOOL_NAME, clean, evidence_text, sort_key

OUTCOME_TAG: dict[Status, str] = {
    Status.FAIL: "failure",
    Status.UNVERIFIED: "error",
    Status.OPAQUE: "skipped",
    Status.NOT_APPLICABLE: "skipped",
    Status.MUTED: "skipped",
}
_COUNTED = {"failure": "failures", "error": "errors", "skipped": "skipped"}
ACCOUNT_SUITE = "account-collection"
# Characters XML 1.0 does not allow at all, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    return _NOT_XML.sub("\ufffd", clean(value))


def _testcase(finding: Finding) -> ET.Element:
    case = ET.Element("testcase", {
        "classname": xml_text(f"{finding.provider}.{finding.check_id}"),
        "name": xml_text(f"{finding.resource_name or finding.resource_id} "
                         f"[{finding.account}/{finding.region}]"),
        "time": "0",
    })
    tag = OUTCOME_TAG.get(finding.status)
    if tag is not None:
        message = finding.message
        if finding.status is Status.MUTED and finding.muted_reason:
            message = f"{message} (muted: {finding.muted_reason})"
        outcome = ET.SubElement(case, tag, {
            "message": xml_text(f"{finding.status.value}: {message}"),
            "type": xml_text(finding.status.value if tag != "failure" else finding.severity)})
        if tag != "skipped":
            body = [f"resource: {finding.resource_id}", *map(evidence_text, finding.evidence)]
            if finding.remediation:
                body.append(f"remediation: {finding.remediation}")
            outcome.text = xml_text("\n".join(body))
    return case


def _suite(check_id: str, findings: list[Finding], timestamp: str) -> ET.Element:
    suite = ET.Element("testsuite", {"name": xml_text(check_id), "timestamp": timestamp})
    counts = {"tests": len(findings), "failures": 0, "errors": 0, "skipped": 0}
    for finding in findings:
        tag = OUTCOME_TAG.get(finding.status)
        if tag is not None:
            counts[_COUNTED[tag]] += 1
        suite.append(_testcase(finding))
    for key, value in counts.items():
        suite.set(key, str(value))
    suite.set("time", "0")
    return suite


def _account_suite(failures: list[AccountFailure], timestamp: str) -> ET.Element:
    suite = ET.Element("testsuite", {"name": ACCOUNT_SUITE, "timestamp": timestamp,
                                     "tests": str(len(failures)), "failures": "0",
                                     "errors": str(len(failures)), "skipped": "0", "time": "0"})
    for failure in failures:
        case = ET.SubElement(suite, "testcase", {
            "classname": xml_text(f"{failure.provider}.{ACCOUNT_SUITE}"),
            "name": xml_text(failure.account), "time": "0"})
        ET.SubElement(case, "error", {"message": xml_text(f"not collected: {failure.reason}"),
                                      "type": "AccountFailure"})
    return suite


def render(report: Report, *, color: bool = False) -> str:
    grouped: dict[str, list[Finding]] = {c.id: [] for c in report.checks}
    for finding in sorted(report.findings, key=sort_key):
        grouped.setdefault(finding.check_id, []).append(finding)
    root = ET.Element("testsuites", {"name": TOOL_NAME})
    timestamp = xml_text(report.generated_at.removesuffix("Z"))
    for check_id, findings in grouped.items():
        root.append(_suite(check_id, findings, timestamp))
    if report.account_failures:
        root.append(_account_suite(report.account_failures, timestamp))
    totals = {key: sum(int(s.get(key, "0")) for s in root)
              for key in ("tests", "failures", "errors", "skipped")}
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
