"""The JSON report: ``Report.to_dict()``, checked against schemas/report.schema.json."""

from __future__ import annotations

import json

from auditor.model import Report
from auditor.schema import best_error, json_path, validator


class ReportSchemaViolation(RuntimeError):
    """The report we built does not fit our own schema: a bug in Safeguard Auditor."""


def render(report: Report, *, color: bool = False) -> str:
    document = report.to_dict()
    errors = list(validator("report").iter_errors(document))
    if errors:
        err = best_error(errors)
        raise ReportSchemaViolation(
            f"internal error: the report does not fit schemas/report.schema.json at "
            f"{json_path(err)}: {err.message[:300]} (please report this bug)")
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
