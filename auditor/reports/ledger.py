"""The promise ledger in text and Markdown, read from a report's ``ledger`` section alone
(auditor/claims_ledger.py computes it; the HTML has its own partial, _ledger.html.j2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SUMMARY_HEADERS = ("Provider", "Promises", "Verifiable from the account", "Only by attestation",
                   "Not verifiable", "Upheld", "Contradicted", "Undetermined")
SUMMARY_KEYS = ("promises", "api", "attestation", "none", "upheld", "contradicted",
                "undetermined")
INTRO = ("What each provider promises about storage and keys (claims/, docs/claims.md), how a "
         "customer can verify it, and whether this estate's findings uphold the promises "
         "verifiable from the account.")


def providers(ledger: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return (ledger or {}).get("providers", {})


def summary_rows(ledger: dict[str, Any]) -> list[list[str]]:
    return [[name, *(str(figures[k]) for k in SUMMARY_KEYS)]
            for name, figures in providers(ledger).items()]


def evidence_text(entry: dict[str, Any]) -> str:
    """``FAIL 1, PASS 3: FAIL bucket-x (bucket-encryption-enabled), ...``; ``no findings``.

    For a ``when_used`` promise a FAIL means the feature is not in use there: said so, and
    the resources where it is seen working (PASS) are the ones named."""
    counts = {s: n for s, n in entry.get("counts", {}).items() if n}
    if not counts:
        return "no findings"
    used = entry.get("scope") == "when_used"
    head = ", ".join(f"{s} {n}" + (" (not in use here)" if used and s == "FAIL" else "")
                     for s, n in counts.items())
    named = {"PASS"} if used else {"FAIL", "UNVERIFIED", "OPAQUE"}
    shown = [f for f in entry.get("findings", []) if f["status"] in named][:3]
    tail = "; ".join(f"{f['status']} {f['resource_id']} ({f['check_id']})" for f in shown)
    return f"{head}: {tail}" if tail else head


def text_lines(ledger: dict[str, Any], title: str = "Promises you can verify") -> list[str]:
    """The plain-text section (compare table, the text report): one line per provider, one
    per promise it can verify."""
    rows = providers(ledger)
    if not rows:
        return []
    lines = [f"{title} (the promise ledger, docs/claims.md):"]
    for name, figures in rows.items():
        lines.append(f"  {name}: {figures['promises']} promises: {figures['api']} verifiable "
                     f"from the account ({figures['upheld']} upheld, {figures['contradicted']} "
                     f"contradicted, {figures['undetermined']} undetermined), "
                     f"{figures['attestation']} only by attestation, {figures['none']} not at all")
        for entry in figures["entries"]:
            if entry["verification"] == "api":
                lines.append(f"    {entry['verdict']:<12} {entry['id']}: {evidence_text(entry)}")
    return lines


def markdown_lines(ledger: dict[str, Any], escape: Callable[[object], str], level: int = 2,
                   title: str = "Promise ledger") -> list[str]:
    """The ledger as a Markdown section whose heading is of ``level`` (providers one below)."""
    rows = providers(ledger)
    if not rows:
        return []
    lines = ["#" * level + " " + title, "", INTRO, "", "| " + " | ".join(SUMMARY_HEADERS) + " |",
             "|---|" + "---:|" * (len(SUMMARY_HEADERS) - 1)]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in summary_rows(ledger)]
    for name, figures in rows.items():
        lines += ["", "#" * (level + 1) + " " + escape(name), "",
                  "| Promise | Verify by | Verdict | Evidence | Source |", "|---|---|---|---|---|"]
        for e in figures["entries"]:
            how = {"api": ", ".join(e.get("checks", [])), "attestation": e.get("attestation", ""),
                   "none": e.get("note", "")}[e["verification"]]
            lines.append("| " + " | ".join(escape(c) for c in (
                f"{e['id']}: {e['promise']}", f"{e['verification']}: {how}",
                e.get("verdict", "-"), evidence_text(e) if "verdict" in e else "-",
                f"{e['source']['url']} ({e['source']['read']})")) + " |")
    return lines
