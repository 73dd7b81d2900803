"""A report made encodable text (auditor.safe_text) without holding its findings whole.

``safe_text.clean`` walks a report's findings when they are a list; a source that says its
findings are clean already (``encodable``: the finding spool cleans what it is given) is kept
as it is; findings kept elsewhere are cleaned one at a time as a writer reads them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from auditor.finding_source import FindingSource, SortKey, ordered
from auditor.model import Finding, Report
from auditor.safe_text import clean


class CleanFindings:
    """``source`` read through ``safe_text.clean``, finding by finding."""

    def __init__(self, source: FindingSource) -> None:
        self.source = source

    def __iter__(self) -> Iterator[Finding]:
        return map(clean, self.source)

    def __len__(self) -> int:
        return len(self.source)

    def ordered(self, key: SortKey) -> Iterator[Finding]:
        return map(clean, ordered(self.source, key))


def cleaned(report: Report) -> Report:
    """``report`` as safe_text.clean makes it; findings not in a list are cleaned as read."""
    report = clean(report)
    findings = report.findings
    if isinstance(findings, list | tuple | CleanFindings) or getattr(findings, "encodable", False):
        return report  # cleaned just now, or clean by construction (auditor.finding_spool)
    return dataclasses.replace(report, findings=CleanFindings(report.findings))
