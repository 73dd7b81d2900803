"""OCSF 1.3.0 Detection Finding (class_uid 2004): a JSON array, one event per finding.

The cloud profile is applied (so ``cloud`` is present). ``status_code`` carries our status;
the OCSF finding status is New, or Suppressed for MUTED. PASS and NOT_APPLICABLE are reported
at severity Informational so that a SIEM does not alert on them; the check's own severity is
kept in ``unmapped.check_severity``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import IO, Any

from auditor.model import Finding, Report, Status
from auditor.reports._common import CCM_PREFIX, TOOL_NAME, finding_uid
from auditor.reports._stream import to_text, write_array

OCSF_VERSION = "1.3.0"
CLASS = {"category_uid": 2, "category_name": "Findings", "class_uid": 2004,
         "class_name": "Detection Finding", "activity_id": 1, "activity_name": "Create",
         "type_uid": 200401, "type_name": "Detection Finding: Create"}
SEVERITY_IDS = {"info": (1, "Informational"), "low": (2, "Low"), "medium": (3, "Medium"),
                "high": (4, "High"), "critical": (5, "Critical")}
UNKNOWN_SEVERITY = (0, "Unknown")
INFORMATIONAL_STATUSES = (Status.PASS, Status.NOT_APPLICABLE)
STATUS_IDS = {Status.MUTED: (3, "Suppressed")}
NEW = (1, "New")
ANALYTIC_RULE = 1  # finding_info.analytic.type_id: Rule


def epoch_ms(timestamp: str) -> int:
    """An RFC 3339 timestamp as OCSF timestamp_t (milliseconds since the epoch, UTC)."""
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _severity(finding: Finding) -> tuple[int, str]:
    if finding.status in INFORMATIONAL_STATUSES:
        return SEVERITY_IDS["info"]
    return SEVERITY_IDS.get(finding.severity, UNKNOWN_SEVERITY)


def _compliance(finding: Finding) -> dict[str, list[str]]:
    """The finding's benchmarks in the shape of OCSF's compliance object (standards and
    requirements); Detection Finding has no compliance attribute in 1.3.0, so it is unmapped.
    The CSA CCM standard comes first: it is the same for every provider."""
    names = sorted(finding.frameworks, key=lambda n: (not n.startswith(CCM_PREFIX), n))
    return {"standards": names,
            "requirements": [f"{name}:{i}" for name in names for i in finding.frameworks[name]]}


def _event(finding: Finding, report: Report, time_ms: int) -> dict[str, Any]:
    severity_id, severity = _severity(finding)
    status_id, status = STATUS_IDS.get(finding.status, NEW)
    event: dict[str, Any] = {
        **CLASS,
        "time": time_ms,
        "severity_id": severity_id, "severity": severity,
        "status_id": status_id, "status": status,
        "status_code": finding.status.value,
        "message": finding.message,
        "finding_info": {
            "uid": finding_uid(finding), "title": finding.title or finding.check_id,
            "desc": finding.message, "types": [finding.safeguard],
            "analytic": {"uid": finding.check_id, "name": finding.title or finding.check_id,
                         "type_id": ANALYTIC_RULE, "type": "Rule"}},
        "metadata": {"version": OCSF_VERSION, "profiles": ["cloud"],
                     "product": {"name": TOOL_NAME, "vendor_name": TOOL_NAME,
                                 "version": report.tool_version}},
        "cloud": {"provider": finding.provider, "region": finding.region,
                  "account": {"uid": finding.account}},
        "resources": [{"uid": finding.resource_id, "name": finding.resource_name,
                       "type": finding.kind, "region": finding.region}],
        "unmapped": {"check_id": finding.check_id, "safeguard": finding.safeguard,
                     "check_severity": finding.severity,
                     "evidence": [e.to_dict() for e in finding.evidence],
                     "frameworks": finding.frameworks,
                     "compliance": _compliance(finding)},
    }
    if finding.remediation:  # remediation.desc is required whenever remediation is present
        event["remediation"] = {"desc": finding.remediation}
    if finding.muted_reason is not None:
        event["status_detail"] = finding.muted_reason
    return event


def write(report: Report, out: IO[str], *, color: bool = False) -> None:
    """The events array, one event written at a time."""
    time_ms = epoch_ms(report.generated_at)
    write_array(out, (_event(f, report, time_ms) for f in report.findings), 0)
    out.write("\n")


def render(report: Report, *, color: bool = False) -> str:
    return to_text(write, report, color=color)
