"""A compact posture table: one row per check, status counts across the estate."""

from __future__ import annotations

from collections import Counter

from tabulate import tabulate

from auditor.model import Report, Status

COLUMNS = (Status.PASS, Status.FAIL, Status.OPAQUE, Status.UNVERIFIED, Status.NOT_APPLICABLE,
           Status.MUTED)


def render_posture(report: Report) -> str:
    counts: dict[str, Counter[Status]] = {c.id: Counter() for c in report.checks}
    for f in report.findings:
        counts.setdefault(f.check_id, Counter())[f.status] += 1
    severity = {c.id: c.severity for c in report.checks}
    rows = [[check_id, severity.get(check_id, ""), *[tally[s] for s in COLUMNS]]
            for check_id, tally in counts.items()]
    total = report.counts()
    summary = " · ".join(f"{s.value} {total[s.value]}" for s in COLUMNS)
    return (tabulate(rows, headers=["check", "severity", *[s.value for s in COLUMNS]])
            + f"\n{summary}")
