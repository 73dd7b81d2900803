"""The legal-reach table of a report (``report.legal_reach``, built by auditor/legal_reach.py):
per provider, the data resources by region with the jurisdictions that can compel access and
whether their key is held externally. The HTML report takes :func:`legal_reach_rows`;
Markdown takes :func:`markdown_lines`. Facts and sources only, no legal advice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auditor.model import Report

HEADERS = ("Region", "Stored in", "Operated by", "Provider home", "Jurisdictions in reach",
           "Key held externally", "Data resources")
NOTE = ("Facts and sources only, no legal advice. A key held outside the provider (custody "
        "level external) is the one technical safeguard against compelled provider access.")
_EXTERNAL = {True: "yes", False: "no", None: "not observed"}


def cells(row: dict[str, Any]) -> tuple[str, ...]:
    return (row["region"] or "unknown", row["location"] or "unknown",
            f"{row['operator'] or 'unknown'} ({row['operator_jurisdiction'] or '?'})",
            row["home"] or "unknown", ", ".join(row["jurisdictions"]) or "unknown",
            _EXTERNAL[row["key_external"]], str(row["resources"]))


def legal_reach_rows(report: Report) -> dict[str, list[tuple[str, ...]]]:
    """provider -> the table's rows as display cells (HEADERS order)."""
    section = report.legal_reach or {}
    return {provider: [cells(row) for row in rows]
            for provider, rows in section.get("providers", {}).items()}


def laws(report: Report) -> list[dict[str, Any]]:
    """The compelled-access laws the table names: id, jurisdiction, name, summary, source."""
    return list((report.legal_reach or {}).get("laws", []))


def markdown_lines(report: Report, escape: Callable[[object], str]) -> list[str]:
    rows = legal_reach_rows(report)
    if not rows:
        return []
    lines = ["## Legal reach", "", NOTE, ""]
    for provider, provider_rows in rows.items():
        lines += [f"### {escape(provider)}", "", "| " + " | ".join(HEADERS) + " |",
                  "|---|---|---|---|---|---|---:|"]
        lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in provider_rows]
        lines.append("")
    lines += ["Laws in reach:", ""]
    lines += [f"- {escape(law['jurisdiction'])}: {escape(law['name'])}: "
              f"{escape(law['summary'])} ({escape(law['source'])})" for law in laws(report)]
    return lines
