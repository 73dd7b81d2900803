"""The JSON report: ``Report.to_dict()``, checked against schemas/report.schema.json."""

from __future__ import annotations

from auditor.model import Report
from auditor.schema import own_document_json


class ReportSchemaViolation(RuntimeError):
    """The report we built does not fit our own schema: a bug in Safeguard Auditor."""


def render(report: Report, *, color: bool = False) -> str:
    return own_document_json(report.to_dict(), "report", ReportSchemaViolation,
                             prefix="internal error: ")
