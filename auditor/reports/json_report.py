"""The JSON report: ``Report.to_dict()``, checked against schemas/report.schema.json.

Written piece by piece: the document without its findings is checked against the schema once,
then each finding against the schema's ``finding`` definition as it is written, one per line
(the schema constrains findings item by item, so the two accept what one whole check accepts).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import IO, Any

from auditor.model import Report
from auditor.reports._stream import to_text
from auditor.schema import own_document_check, write_document_text

_PREFIX = "internal error: "


class ReportSchemaViolation(RuntimeError):
    """The report we built does not fit our own schema: a bug in Safeguard Auditor."""


def skeleton(report: Report) -> dict[str, Any]:
    """``report.to_dict()`` with no findings (its summary still counts them all)."""
    document = dataclasses.replace(report, findings=[]).to_dict()
    document["summary"] = report.counts()
    return document


def _checked_findings(report: Report) -> Iterator[dict[str, Any]]:
    for index, finding in enumerate(report.findings):
        item = finding.to_dict()
        own_document_check(item, "report", ReportSchemaViolation, _PREFIX, "finding",
                           f"$.findings[{index}]")
        yield item


def write(report: Report, out: IO[str], *, color: bool = False) -> None:
    document = skeleton(report)
    own_document_check(document, "report", ReportSchemaViolation, _PREFIX)
    write_document_text(out, document, {"findings": (len(report.findings),
                                                     _checked_findings(report))})
    out.write("\n")


def render(report: Report, *, color: bool = False) -> str:
    return to_text(write, report, color=color)
