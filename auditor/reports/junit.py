"""JUnit XML: one testsuite per check, one testcase per finding.

FAIL -> <failure>, UNVERIFIED -> <error> (we could not run the test), OPAQUE, NOT_APPLICABLE
and MUTED -> <skipped message="...">, PASS -> an empty testcase. An account of a multi-account
scan that could not be collected is an <error> testcase of one more suite, "account-collection":
none of its checks could run.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import IO, Any

from auditor.finding_source import ordered
from auditor.model import AccountFailure, Finding, Report, Status
from auditor.reports._common import TOOL_NAME, clean, evidence_text, sort_key
from auditor.reports._stream import to_text

OUTCOME_TAG: dict[Status, str] = {
    Status.FAIL: "failure",
    Status.UNVERIFIED: "error",
    Status.OPAQUE: "skipped",
    Status.NOT_APPLICABLE: "skipped",
    Status.MUTED: "skipped",
}
_COUNTED = {"failure": "failures", "error": "errors", "skipped": "skipped"}
ACCOUNT_SUITE = "account-collection"
COUNT_KEYS = ("tests", "failures", "errors", "skipped")
DECLARATION = "<?xml version='1.0' encoding='utf-8'?>\n"
_INDENT = "  "
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


def _open_tag(tag: str, attributes: dict[str, str]) -> str:
    """``<tag a="...">``, attributes escaped as ElementTree writes them."""
    shell = ET.Element(tag, attributes)
    shell.text = "x"
    return ET.tostring(shell, encoding="unicode").removesuffix(f"x</{tag}>")


def _element(element: ET.Element, level: int) -> str:
    """``element`` as ElementTree writes it at ``level`` of an indented document (no tail)."""
    ET.indent(element, space=_INDENT, level=level)
    return ET.tostring(element, encoding="unicode")


def _tally(report: Report) -> tuple[list[str], dict[str, dict[str, int]]]:
    """The suites in order (the report's checks, then any other check a finding names, in
    the order its first finding sorts) and each one's counts: one pass over the findings."""
    listed = list(dict.fromkeys(c.id for c in report.checks))
    known = set(listed)
    counts: dict[str, dict[str, int]] = {cid: dict.fromkeys(COUNT_KEYS, 0) for cid in listed}
    first: dict[str, tuple[Any, ...]] = {}  # a check the list lacks: its first finding's key
    for finding in report.findings:
        cid = finding.check_id
        if cid not in known:
            key = sort_key(finding)
            if cid not in first or key < first[cid]:
                first[cid] = key
        tally = counts.setdefault(cid, dict.fromkeys(COUNT_KEYS, 0))
        tally["tests"] += 1
        tag = OUTCOME_TAG.get(finding.status)
        if tag is not None:
            tally[_COUNTED[tag]] += 1
    return listed + sorted(first, key=first.__getitem__), counts


def _suite_attributes(check_id: str, timestamp: str, tally: dict[str, int]) -> dict[str, str]:
    return {"name": xml_text(check_id), "timestamp": timestamp,
            **{key: str(tally[key]) for key in COUNT_KEYS}, "time": "0"}


def _cases(report: Report, order: list[str]) -> Iterator[Finding]:
    """The findings suite by suite, each suite's most urgent first."""
    position = {check_id: i for i, check_id in enumerate(order)}
    return ordered(report.findings, key=lambda f: (position[f.check_id], sort_key(f)))


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


def write(report: Report, out: IO[str], *, color: bool = False) -> None:
    """The document ElementTree would indent and write, a testcase at a time: the counts of
    every suite (and the totals before them) come from a first pass over the findings."""
    order, counts = _tally(report)
    timestamp = xml_text(report.generated_at.removesuffix("Z"))
    failures = report.account_failures
    account = _account_suite(failures, timestamp) if failures else None
    totals = {key: sum(tally[key] for tally in counts.values())
              + (int(account.get(key, "0")) if account is not None else 0)
              for key in COUNT_KEYS}
    root = {"name": TOOL_NAME, **{key: str(value) for key, value in totals.items()},
            "time": "0"}
    out.write(DECLARATION)
    if not order and account is None:
        out.write(_element(ET.Element("testsuites", root), 0) + "\n")
        return
    out.write(_open_tag("testsuites", root))
    cases = _cases(report, order)
    pending = next(cases, None)
    for check_id in order:
        attributes = _suite_attributes(check_id, timestamp, counts[check_id])
        out.write("\n" + _INDENT)
        if not counts[check_id]["tests"]:
            out.write(_element(ET.Element("testsuite", attributes), 1))
            continue
        out.write(_open_tag("testsuite", attributes))
        while pending is not None and pending.check_id == check_id:
            out.write("\n" + _INDENT * 2 + _element(_testcase(pending), 2))
            pending = next(cases, None)
        out.write("\n" + _INDENT + "</testsuite>")
    if account is not None:
        out.write("\n" + _INDENT + _element(account, 1))
    out.write("\n</testsuites>\n")


def render(report: Report, *, color: bool = False) -> str:
    return to_text(write, report, color=color)
