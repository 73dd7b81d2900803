"""The scan page's summary, computed from the Report alone and rendered on the server, so that
it reads with scripts off: the run, counts, transparency scores, the worst failures, coverage
gaps, per-check counts and the charts."""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from auditor.model import SEVERITIES, CheckSummary, Finding, Report, Status
from auditor.reports._common import STATUS_ORDER, one_line, run_problems
from auditor.reports._svg_charts import (
    STATUS_COLOURS,
    Segment,
    ladder_colours,
    stacked_bars,
)

TOP_FAILURES = 10
TOP_GAPS = 12
# The transparency scores shown per provider: (label, key in the provider's figures).
SCORES: tuple[tuple[str, str], ...] = (
    ("verifiability", "verifiability"), ("provider opacity", "provider_opacity"),
    ("access gap", "access_gap"), ("pass rate", "pass_rate"))
_SEVERITY_RANK = {sev: rank for rank, sev in enumerate(reversed(SEVERITIES))}


@dataclass(frozen=True, slots=True)
class RunSummary:
    providers: list[str]
    accounts: dict[str, list[str]]
    regions: dict[str, list[str]]
    started: str
    finished: str
    stand_ins: list[str]  # providers collected through endpoint overrides (local stand-ins)
    real: list[str]  # providers whose runs all used the provider's own endpoints
    unrecorded: list[str]  # providers with findings but no run: where they came from is unknown


@dataclass(frozen=True, slots=True)
class CheckRow:
    check: CheckSummary
    counts: dict[str, int]
    total: int


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def provider_scores(report: Report) -> dict[str, dict[str, Any]]:
    """Per-provider transparency figures: those the report carries, or computed from its
    findings when it carries none (a report built by hand)."""
    carried = report.transparency.get("providers")
    if isinstance(carried, dict) and carried:
        return carried
    from auditor.transparency import summarize

    return summarize(report)["providers"]


def run_summary(report: Report) -> RunSummary:
    accounts: dict[str, list[str]] = defaultdict(list)
    regions: dict[str, list[str]] = defaultdict(list)
    for run in report.runs:
        accounts[run.provider] += [a for a in run.accounts if a not in accounts[run.provider]]
        regions[run.provider] += [r for r in run.regions if r not in regions[run.provider]]
    for f in report.findings:  # a report merged by hand may have findings without a run
        accounts.setdefault(f.provider, [])
    providers = sorted(set(accounts) | set(report.provider_failures))
    stand_ins = sorted({r.provider for r in report.runs if r.endpoint_overridden})
    started = min((r.started_at for r in report.runs if r.started_at), default="")
    finished = max((r.finished_at for r in report.runs if r.finished_at), default="")
    with_runs = {r.provider for r in report.runs}
    return RunSummary(providers, dict(accounts), dict(regions), started, finished, stand_ins,
                      sorted(with_runs - set(stand_ins)),
                      [p for p in providers if p not in with_runs])


def worst_failures(report: Report, limit: int = TOP_FAILURES) -> list[Finding]:
    """The FAIL findings, most severe first (MUTED ones were accepted and are left out)."""
    return heapq.nsmallest(  # as sorted(...)[:limit], holding ``limit`` findings
        limit, (f for f in report.findings if f.status is Status.FAIL),
        key=lambda f: (_SEVERITY_RANK.get(f.severity, len(SEVERITIES)), f.check_id,
                       f.provider, f.resource_name))


def check_rows(report: Report) -> list[CheckRow]:
    """Per check: its counts per status; the checks with most to act on first."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for f in report.findings:
        counts[f.check_id][f.status.value] += 1
    known = {c.id: c for c in report.checks}
    for f in report.findings:  # a finding of a check the report does not list still counts
        known.setdefault(f.check_id, CheckSummary(f.check_id, f.title, f.safeguard, f.kind,
                                                  f.severity))
    rows = [CheckRow(c, {s.value: counts[c.id][s.value] for s in STATUS_ORDER},
                     sum(counts[c.id].values())) for c in known.values()]
    rows.sort(key=lambda r: (-r.counts["FAIL"], -r.counts["UNVERIFIED"],
                             _SEVERITY_RANK.get(r.check.severity, len(SEVERITIES)), r.check.id))
    return rows


def coverage_gaps(report: Report, scores: dict[str, dict[str, Any]]) -> list[str]:
    """What the figures do not cover: failed or partial runs, lost accounts, checks left out,
    failed listings, and the checks with undecided results and their first reason."""
    lines = list(run_problems(report))
    for provider, figures in sorted(scores.items()):
        for gap in figures.get("listing_failures", []):
            lines.append(one_line(f"{provider}: listing {gap['operation']} failed for "
                                  f"{gap['scope']} ({gap['code']}): what it lists is in no figure"))
    undecided: dict[tuple[str, str], int] = defaultdict(int)
    reasons: dict[tuple[str, str], str] = {}  # the first denied or failed call's detail
    for f in report.findings:
        if f.status is Status.UNVERIFIED:
            pair = (f.check_id, f.provider)
            undecided[pair] += 1
            if pair not in reasons:
                reason = next((e.detail for e in f.evidence
                               if e.state in ("denied", "error") and e.detail), "")
                if reason:
                    reasons[pair] = reason
    ranked = sorted(undecided.items(), key=lambda kv: (-kv[1], kv[0]))
    for pair, found in ranked[:TOP_GAPS]:
        reason = reasons.get(pair, "")
        lines.append(one_line(f"{pair[0]} on {pair[1]}: {found} UNVERIFIED"
                              + (f" (first reason: {reason})" if reason else "")))
    if len(ranked) > TOP_GAPS:
        lines.append(f"... and {len(ranked) - TOP_GAPS} more check and provider pairs "
                     "with UNVERIFIED results")
    return lines


def _status_segments(counts: Counter[str]) -> list[Segment]:
    return [Segment(s.value, counts[s.value], STATUS_COLOURS[s.value]) for s in STATUS_ORDER]


def charts(report: Report, scores: dict[str, dict[str, Any]], providers: list[str]) -> list[str]:
    legend = [(s.value, STATUS_COLOURS[s.value]) for s in STATUS_ORDER]
    by_provider: dict[str, Counter[str]] = defaultdict(Counter)
    by_safeguard: dict[str, Counter[str]] = defaultdict(Counter)
    for f in report.findings:
        by_provider[f.provider][f.status.value] += 1
        by_safeguard[f.safeguard][f.status.value] += 1
    out = [stacked_bars("Findings per provider, by status",
                        [(p, _status_segments(by_provider[p])) for p in providers
                         if p in by_provider], legend, css_id="chart-provider"),
           stacked_bars("Findings per safeguard, by status",
                        [(s, _status_segments(c)) for s, c in sorted(by_safeguard.items())],
                        legend, css_id="chart-safeguard")]
    ladders = {p: scores[p].get("custody", {}).get("levels", {}) for p in providers
               if p in scores}
    levels = next((list(levels) for levels in ladders.values() if levels), [])
    if levels and any(sum(v.values()) for v in ladders.values()):
        colours = ladder_colours(levels)
        out.append(stacked_bars(
            "Buckets per key-custody level (lowest customer control first)",
            [(p, [Segment(level, ladder.get(level, 0), colours[level]) for level in levels])
             for p, ladder in ladders.items()],
            [(level, colours[level]) for level in levels], css_id="chart-custody"))
    return [c for c in out if c]


def summary_context(report: Report) -> dict[str, Any]:
    """Everything the summary part of report.html.j2 reads."""
    scores = provider_scores(report)
    run = run_summary(report)
    shown = [p for p in run.providers if p in scores] + [p for p in sorted(scores)
                                                          if p not in run.providers]
    return {"run": run, "scores": {p: scores[p] for p in shown}, "score_rows": SCORES,
            "pct": pct, "worst": worst_failures(report),
            "fail_total": sum(1 for f in report.findings if f.status is Status.FAIL),
            "gaps": coverage_gaps(report, scores), "check_rows": check_rows(report),
            "charts": charts(report, scores, shown)}
