"""The drift as a terminal table, as JSON (schemas/drift.schema.json) and as Markdown (a CI
job summary). Every cell goes through one_line (table) or the Markdown escape: a hostile
resource name carries no escape sequence or table syntax into the output."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tabulate import tabulate

from auditor.drift._changes import (
    CheckChange,
    Drift,
    FailureChange,
    FindingChange,
    ResourceChange,
    RunSide,
    ScoreChange,
)
from auditor.model import Status
from auditor.reports._common import one_line, truncate
from auditor.reports.markdown import escape
from auditor.reports.table import STATUS_COLORS
from auditor.safe_text import clean

DRIFT_FORMATS = ("table", "json", "markdown")
DETAIL_WIDTH = 100
REASON_WIDTH = 240  # a failure's reason is the point of its cell: cut late
_RESET = "\x1b[0m"

TITLES = {
    "new_failures": "New failures",
    "resolved_failures": "Resolved failures",
    "status_changes": "Other status changes",
    "resources_added": "Resources added",
    "resources_removed": "Resources removed",
    "transparency_changes": "Transparency changes",
    "checks_added": "Checks added",
    "checks_removed": "Checks removed",
    "failures_new": "Failed in the new run only",
    "failures_recovered": "Failed in the old run only",
}
CAUSE_TEXT = {
    "resource_added": "new resource",
    "resource_removed": "resource removed",
    "check_added": "new check",
    "check_removed": "check removed",
    "finding_added": "new finding",
    "finding_removed": "finding gone",
    "account_failed": "not observed: the account failed in the new run",
    "provider_failed": "not observed: the provider failed in the new run",
    "listing_failed": "maybe not observed: a listing failed in the new run",
    "account_recovered": "the account failed in the old run",
    "provider_recovered": "the provider failed in the old run",
    "listing_recovered": "a listing failed in the old run",
}


def cause_text(cause: str | None, detail: str | None) -> str:
    if cause is None:
        return ""
    text = CAUSE_TEXT.get(cause, cause)
    return f"{text}: {detail}" if detail else text


def _status(value: str | None, color: bool) -> str:
    if value is None:
        return "(absent)"
    return f"{STATUS_COLORS[Status(value)]}{value}{_RESET}" if color else value


def _score(value: float | str | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1%}" if isinstance(value, float | int) else str(value)


def side_text(side: RunSide) -> str:
    run = f"run {side.id}" if side.id is not None else "report"
    return f"{run} ({side.generated_at}; {', '.join(side.accounts) or 'no account'})"


def _cells(*values: object, width: int = DETAIL_WIDTH) -> list[str]:
    """Each value on one line, without control characters, cut at ``width``."""
    return [truncate(one_line(v), width) for v in values]


# One row builder per category: (headers, cells of one item).
def _finding_rows(color: bool) -> tuple[tuple[str, ...], Callable[[Any], list[str]]]:
    def row(c: FindingChange) -> list[str]:
        # Cleaned before the colour codes go in (one_line would replace them).
        cells = _cells(c.severity, c.check_id, c.provider, c.account,
                       c.resource_name or c.resource_id, c.region)
        change = f"{_status(c.old, color)} → {_status(c.new, color)}"
        return [*cells, change, *_cells(cause_text(c.cause, c.cause_detail), width=REASON_WIDTH)]

    return ("Severity", "Check", "Provider", "Account", "Resource", "Region", "Change",
            "Why"), row


def _resource_row(c: ResourceChange) -> list[str]:
    return [*_cells(c.provider, c.account, c.kind, c.name or c.resource_id),
            *_cells(cause_text(c.cause, c.cause_detail), width=REASON_WIDTH)]


def _score_row(c: ScoreChange) -> list[str]:
    what = f"exposure of {c.safeguard}" if c.safeguard else c.score
    return _cells(c.provider, c.account or "(all)", what, f"{_score(c.old)} → {_score(c.new)}")


def _check_row(c: CheckChange) -> list[str]:
    return _cells(c.id, c.severity, c.title)


def _failure_row(c: FailureChange) -> list[str]:
    return [*_cells(c.provider, c.account or "(whole provider)"),
            *_cells(c.reason, width=REASON_WIDTH)]


def _layout(color: bool) -> dict[str, tuple[tuple[str, ...], Callable[[Any], list[str]]]]:
    findings = _finding_rows(color)
    resources = (("Provider", "Account", "Kind", "Resource", "Why"), _resource_row)
    checks = (("Check", "Severity", "Title"), _check_row)
    failures = (("Provider", "Account", "Reason"), _failure_row)
    return {"new_failures": findings, "resolved_failures": findings,
            "status_changes": findings, "resources_added": resources,
            "resources_removed": resources,
            "transparency_changes": (("Provider", "Account", "Score", "Change"), _score_row),
            "checks_added": checks, "checks_removed": checks,
            "failures_new": failures, "failures_recovered": failures}


def summary_line(drift: Drift) -> str:
    n = drift.counts()
    return (f"drift: {n['new_failures']} new failure(s), {n['resolved_failures']} resolved, "
            f"{n['status_changes']} other status change(s), resources +{n['resources_added']} "
            f"-{n['resources_removed']}, {n['transparency_changes']} score change(s), checks "
            f"+{n['checks_added']} -{n['checks_removed']}, failed +{n['failures_new']} "
            f"-{n['failures_recovered']}")


def render_table(drift: Drift, *, color: bool = False) -> str:
    lines = [one_line(f"Drift from {side_text(drift.old)} to {side_text(drift.new)}")]
    for name, (headers, row) in _layout(color).items():
        items = getattr(drift, name)
        lines += ["", f"{TITLES[name]} ({len(items)})"]
        if not items:
            lines.append("  none")
            continue
        lines.append(tabulate([row(item) for item in items], headers=headers,
                              tablefmt="simple", disable_numparse=True))
    lines += ["", summary_line(drift)]
    return "\n".join(lines) + "\n"


def render_markdown(drift: Drift, *, color: bool = False) -> str:
    lines = ["## Safeguard Auditor drift", "",
             f"From {escape(side_text(drift.old))} to {escape(side_text(drift.new))}.", "",
             f"**{escape(summary_line(drift))}**"]
    for name, (headers, row) in _layout(False).items():
        items = getattr(drift, name)
        lines += ["", f"### {TITLES[name]} ({len(items)})", ""]
        if not items:
            lines.append("none")
            continue
        lines.append("| " + " | ".join(headers) + " |")
        lines.append("|" + "---|" * len(headers))
        lines += ["| " + " | ".join(escape(cell) for cell in row(item)) + " |" for item in items]
    return "\n".join(lines) + "\n"


class DriftSchemaViolation(RuntimeError):
    """The drift document does not fit our own schema: a bug in Safeguard Auditor."""


def render_json(drift: Drift, *, color: bool = False) -> str:
    from auditor.schema import own_document_json

    return own_document_json(clean(drift.to_dict()), "drift", DriftSchemaViolation)


RENDERERS: dict[str, Callable[..., str]] = {"table": render_table, "json": render_json,
                                            "markdown": render_markdown}


def render(drift: Drift, fmt: str, *, color: bool = False) -> str:
    return RENDERERS[fmt](drift, color=color)
