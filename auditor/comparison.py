"""The comparison model: safeguards as rows, providers as columns, built from reports alone.

It sits beside transparency (whose scores fill the cells); renderers in
auditor/reports/comparison.py read it and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.errors import ReportInputError
from auditor.model import AccountFailure, Finding, Report
from auditor.transparency import summarize


@dataclass(slots=True)
class Cell:
    provider: str
    safeguard: str
    exposure: str
    figures: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)  # by resource name; renderers reorder


@dataclass(slots=True)
class Matrix:
    providers: list[str]
    safeguards: list[str]
    cells: dict[tuple[str, str], Cell]
    comparable: dict[str, bool]
    provider_scores: dict[str, dict[str, Any]]
    failures: dict[str, str]
    sandbox: bool = False
    # accounts of a multi-account scan not collected: in no cell, listed apart
    account_failures: list[AccountFailure] = field(default_factory=list)

    def cell(self, safeguard: str, provider: str) -> Cell:
        return self.cells[(safeguard, provider)]


def merge_reports(reports: Sequence[Report], sources: Sequence[str]) -> Report:
    """One report from several; a provider may appear in only one of them."""
    if len(reports) == 1:
        return reports[0]
    seen: dict[str, str] = {}
    for report, source in zip(reports, sources, strict=True):
        for provider in {r.provider for r in report.runs} | {f.provider for f in report.findings}:
            if provider in seen:
                raise ReportInputError(source, "$.runs",
                                       f"provider {provider!r} is also in {seen[provider]}")
            seen[provider] = source
    first = reports[0]
    checks = {c.id: c for r in reports for c in r.checks}
    merged = Report(first.tool_version, max(r.generated_at for r in reports),
                    [run for r in reports for run in r.runs], list(checks.values()),
                    [f for r in reports for f in r.findings],
                    {p: e for r in reports for p, e in r.exposure.items()}, {},
                    {p: why for r in reports for p, why in r.provider_failures.items()},
                    account_failures=[a for r in reports for a in r.account_failures])
    merged.transparency = summarize(merged)
    return merged


def build_matrix(report: Report) -> Matrix:
    scores = summarize(report)
    providers = sorted(scores["providers"])
    safeguards = sorted(scores["safeguards"])
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    for f in report.findings:
        by_cell.setdefault((f.safeguard, f.provider), []).append(f)
    cells = {}
    for s in safeguards:
        for p in providers:
            figures = scores["safeguards"][s]["providers"].get(p, {})
            cells[(s, p)] = Cell(p, s, figures.get("exposure", "unknown"), figures,
                                 sorted(by_cell.get((s, p), []),
                                        key=lambda f: (f.resource_name, f.check_id)))
    return Matrix(providers, safeguards, cells,
                  {s: scores["safeguards"][s]["comparable"] for s in safeguards},
                  scores["providers"], dict(report.provider_failures),
                  any(r.endpoint_overridden for r in report.runs),
                  list(report.account_failures))
