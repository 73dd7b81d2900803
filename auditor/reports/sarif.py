"""SARIF 2.1.0: checks become rules; FAIL, UNVERIFIED and OPAQUE findings become results.

SARIF allows a level other than "none" only on results of kind "fail" (SARIF 2.1.0,
result.level). A FAIL is kind "fail" with level error (high, critical), warning (medium, low)
or note (info). UNVERIFIED is kind "review" and OPAQUE kind "informational", both at level
"none": neither is a failure, and our own status is in the result's properties.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import IO, Any

from auditor.model import CheckSummary, Finding, Report, Status
from auditor.reports._common import (
    TOOL_NAME,
    ccm_ids,
    finding_uid,
    run_problems,
    sorted_findings,
)
from auditor.reports._stream import array_mark, to_text, write_indented

SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                "sarif-schema-2.1.0.json")
REPORTED: tuple[Status, ...] = (Status.FAIL, Status.UNVERIFIED, Status.OPAQUE)
FAIL_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "warning",
              "info": "note"}
KIND = {Status.FAIL: "fail", Status.UNVERIFIED: "review", Status.OPAQUE: "informational"}
# GitHub code scanning reads this property to rank security results (0.0 to 10.0).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0",
                     "info": "0.0"}


def _level(finding: Finding) -> str:
    if finding.status is Status.FAIL:
        return FAIL_LEVEL.get(finding.severity, "warning")
    return "none"


def _rule_name(title: str, fallback: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", title)
    return "".join(w[:1].upper() + w[1:] for w in words) or fallback


def _framework_ids(finding: Finding) -> list[str]:
    return sorted(f"{name}:{control}" for name, ids in finding.frameworks.items()
                  for control in ids)


@dataclass(slots=True)
class _RuleFacts:
    """What a rule says about its check's findings, gathered one finding at a time."""

    remediations: set[tuple[str, str]] = field(default_factory=set)
    frameworks: dict[str, set[str]] = field(default_factory=dict)  # provider -> framework ids
    ccm: set[str] = field(default_factory=set)

    def add(self, finding: Finding) -> None:
        if finding.remediation:
            self.remediations.add((finding.provider, finding.remediation))
        if finding.frameworks:
            self.frameworks.setdefault(finding.provider, set()).update(_framework_ids(finding))
            self.ccm.update(ccm_ids(finding.frameworks))


def _rule(check: CheckSummary, facts: _RuleFacts) -> dict[str, Any]:
    # provider -> framework ids: a rule spans providers, and their benchmarks never mix.
    frameworks = {provider: sorted(ids) for provider, ids in sorted(facts.frameworks.items())}
    # CCM ids are the check's own, the same on every provider: one list, and a tag each.
    ccm = sorted(facts.ccm)
    help_text = "\n".join(f"{provider}: {text}" for provider, text in sorted(facts.remediations))
    return {
        "id": check.id,
        "name": _rule_name(check.title, check.id),
        "shortDescription": {"text": check.title or check.id},
        "fullDescription": {"text": f"{check.title} (safeguard {check.safeguard}, "
                                    f"resource kind {', '.join(check.kinds)})"},
        "help": {"text": help_text or "No remediation documented for this check."},
        "defaultConfiguration": {"level": FAIL_LEVEL.get(check.severity, "warning")},
        "properties": {"safeguard": check.safeguard, "severity": check.severity,
                       "kind": check.kind, "kinds": list(check.kinds), "frameworks": frameworks,
                       "ccm": ccm,
                       "tags": ["security", check.safeguard, *(f"CCM:{i}" for i in ccm)],
                       "security-severity": SECURITY_SEVERITY.get(check.severity, "5.5")},
    }


def _checks(report: Report) -> tuple[list[CheckSummary], dict[str, _RuleFacts]]:
    """The report's checks, plus any check a finding names that the list lacks, and what
    each one's findings say (one pass over the findings)."""
    checks = {c.id: c for c in report.checks}
    facts: dict[str, _RuleFacts] = {c.id: _RuleFacts() for c in report.checks}
    for f in report.findings:
        if f.check_id not in checks:
            checks[f.check_id] = CheckSummary(f.check_id, f.title, f.safeguard, f.kind,
                                              f.severity)
            facts[f.check_id] = _RuleFacts()
        facts[f.check_id].add(f)
    return list(checks.values()), facts


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "provider": finding.provider, "account": finding.account, "region": finding.region,
        "status": finding.status.value, "severity": finding.severity,
        "safeguard": finding.safeguard,
        "frameworks": _framework_ids(finding),
        "evidence": [e.to_dict() for e in finding.evidence]}
    return {
        "ruleId": finding.check_id,
        "ruleIndex": rule_index,
        "kind": KIND[finding.status],
        "level": _level(finding),
        "message": {"text": f"{finding.resource_name or finding.resource_id}: "
                            f"{finding.message}"},
        "locations": [{"logicalLocations": [{
            "name": finding.resource_name or finding.resource_id,
            "fullyQualifiedName": finding.resource_id,
            "kind": "resource"}]}],
        "partialFingerprints": {"safeguardAuditorFinding/v1": finding_uid(finding)},
        "properties": properties,
    }


def write(report: Report, out: IO[str], *, color: bool = False) -> None:
    """The log; its results (most urgent first) written one at a time, its rules from one
    pass over the findings before them."""
    checks, facts = _checks(report)
    index = {c.id: i for i, c in enumerate(checks)}
    results = (_result(f, index[f.check_id]) for f in sorted_findings(report)
               if f.status in REPORTED)
    problems = run_problems(report)
    run = {
        "tool": {"driver": {"name": TOOL_NAME, "version": report.tool_version,
                            "rules": [_rule(c, facts[c.id]) for c in checks]}},
        "invocations": [{
            "executionSuccessful": not report.provider_failures
            and not report.account_failures
            and all(r.status != "failed" for r in report.runs),
            "endTimeUtc": report.generated_at,
            "toolExecutionNotifications": [
                {"level": "warning", "message": {"text": line}} for line in problems]}],
        "results": array_mark("results"),
        "properties": {"summary": report.counts()},
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    write_indented(out, log, {"results": results})
    out.write("\n")


def render(report: Report, *, color: bool = False) -> str:
    return to_text(write, report, color=color)
