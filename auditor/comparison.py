"""The comparison model: safeguards as rows, providers as columns, built from reports alone.

It sits beside transparency (whose scores fill the cells); renderers in
auditor/reports/comparison.py read it and nothing else. A matrix covers every resource kind
(each row a safeguard over all its kinds), or one kind (``build_matrix(report, kind)``: each
row that safeguard on that kind alone, scored from transparency's ``kinds`` section).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.errors import ReportInputError, UsageError
from auditor.model import AccountFailure, Finding, Report
from auditor.transparency import summarize


@dataclass(slots=True)
class Cell:
    provider: str
    safeguard: str
    exposure: str
    figures: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)  # by resource name; renderers reorder
    kind: str | None = None  # the one resource kind of the cell; None: every kind


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
    kind: str | None = None  # the kind the matrix is filtered to; None: every kind
    kinds: dict[str, int] = field(default_factory=dict)  # kind -> findings in the reports
    ledger: dict[str, Any] = field(default_factory=dict)  # promises per provider (claims_ledger)

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
    # each report's ledger covers its own providers, and no provider is in two reports
    ledgers = {p: v for r in reports for p, v in r.ledger.get("providers", {}).items()}
    merged.ledger = {"providers": dict(sorted(ledgers.items()))} if ledgers else {}
    return merged


def build_matrix(report: Report, kind: str | None = None) -> Matrix:
    """The matrix of every kind, or of ``kind`` alone (a kind without findings in the
    report is a usage error naming the kinds it has)."""
    scores = summarize(report)
    kinds = dict(sorted(Counter(f.kind for f in report.findings).items()))
    rows, provider_scores = scores["safeguards"], scores["providers"]
    if kind is not None:
        if kind not in scores.get("kinds", {}):
            have = ", ".join(kinds) or "none"
            raise UsageError("compare", "--kind", f"no findings of kind {kind!r} in the "
                             f"reports (kinds found: {have})")
        rows = scores["kinds"][kind]["safeguards"]
        # The kind's own figures; the listing failures and custody stay the provider's.
        provider_scores = {p: {**figures, **scores["kinds"][kind]["providers"].get(p, {})}
                           for p, figures in provider_scores.items()}
    providers = sorted(scores["providers"])
    safeguards = sorted(rows)
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    for f in report.findings:
        if kind is None or f.kind == kind:
            by_cell.setdefault((f.safeguard, f.provider), []).append(f)
    cells = {}
    for s in safeguards:
        for p in providers:
            figures = rows[s]["providers"].get(p, {})
            cells[(s, p)] = Cell(p, s, figures.get("exposure", "unknown"), figures,
                                 sorted(by_cell.get((s, p), []),
                                        key=lambda f: (f.resource_name, f.check_id)), kind)
    return Matrix(providers, safeguards, cells, {s: rows[s]["comparable"] for s in safeguards},
                  provider_scores, dict(report.provider_failures),
                  any(r.endpoint_overridden for r in report.runs),
                  list(report.account_failures), kind, kinds, report.ledger)
