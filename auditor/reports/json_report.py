"""The JSON report: ``Report.to_dict()``, checked against schemas/report.schema.json.

Written piece by piece: the document without its runs and findings is checked against the
schema once, then each run and each finding against the schema's ``run`` and ``finding``
definitions as it is written, one per line (the schema constrains both item by item, so the
pieces accept what one whole check accepts).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import IO, Any

from auditor.model import Report
from auditor.reports._stream import to_text
from auditor.schema import own_document_check, write_document_text

_PREFIX = "internal error: "


class ReportSchemaViolation(RuntimeError):
    """The report we built does not fit our own schema: a bug in Safeguard Auditor."""


def skeleton(report: Report) -> dict[str, Any]:
    """``report.to_dict()`` with no runs and no findings (its summary still counts them
    all): an organization's report has a run per account, written one at a time too."""
    document = dataclasses.replace(report, findings=[], runs=[]).to_dict()
    document["summary"] = report.counts()
    return document


def _checked(items: Iterable[Any], definition: str, member: str) -> Iterator[dict[str, Any]]:
    for index, item in enumerate(items):
        row = item.to_dict()
        own_document_check(row, "report", ReportSchemaViolation, _PREFIX, definition,
                           f"$.{member}[{index}]")
        yield row


def write(report: Report, out: IO[str], *, color: bool = False) -> None:
    document = skeleton(report)
    own_document_check(document, "report", ReportSchemaViolation, _PREFIX)
    write_document_text(out, document, {
        "runs": (len(report.runs), _checked(report.runs, "run", "runs")),
        "findings": (len(report.findings), _checked(report.findings, "finding", "findings"))})
    out.write("\n")


def render(report: Report, *, color: bool = False) -> str:
    return to_text(write, report, color=color)
