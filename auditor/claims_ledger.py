"""The ledger section of a report: each provider's promises set beside this estate's evidence.

Per provider: how many promises a customer can verify from the account (``api``), only
through a named third-party report (``attestation``) or not at all (``none``). An ``api``
promise is judged from the findings of the checks it names, for that provider alone:

- scope ``always`` (the provider says it holds for every resource): ``contradicted`` when any
  finding is FAIL, ``upheld`` when there are findings and all are PASS, else ``undetermined``
  (OPAQUE, UNVERIFIED, or no finding at all);
- scope ``when_used`` (it holds where the customer turns the feature on): a FAIL only shows
  the feature is not used on that resource, so it never contradicts; ``upheld`` when at least
  one finding is PASS (the feature is seen working here), else ``undetermined``.

A muted finding counts with the status the mute replaced: a mute accepts a risk, it does not
change the evidence. NOT_APPLICABLE findings are no evidence either way.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from auditor.claims import METHODS, Claim, load_claims
from auditor.model import Finding, Report, Status

EVIDENCE = (Status.FAIL, Status.UNVERIFIED, Status.OPAQUE, Status.PASS)  # listed in this order
VERDICTS = ("upheld", "contradicted", "undetermined")
LISTED = 20  # findings listed per promise (all are counted); the rest are in the report


def _status(finding: Finding) -> Status:
    if finding.status is Status.MUTED and finding.muted_status is not None:
        return finding.muted_status
    return finding.status


def verdict(counts: Counter[str], scope: str) -> str:
    passed = counts[Status.PASS.value]
    if scope == "when_used":
        return "upheld" if passed else "undetermined"
    if counts[Status.FAIL.value]:
        return "contradicted"
    seen = sum(counts[s.value] for s in EVIDENCE)
    return "upheld" if seen and passed == seen else "undetermined"


def _evidence(findings: list[Finding], scope: str) -> tuple[Counter[str], list[dict[str, str]]]:
    """Counts per status, and the findings listed first that decide the verdict: FAIL first
    for ``always``, PASS (the feature seen working) first for ``when_used``."""
    counts: Counter[str] = Counter()
    order = EVIDENCE[::-1] if scope == "when_used" else EVIDENCE
    ranked = {s: i for i, s in enumerate(order)}
    kept = []
    for f in findings:
        status = _status(f)
        if status in ranked:
            counts[status.value] += 1
            kept.append((ranked[status], f.check_id, f.resource_id, status.value))
    kept.sort()
    return counts, [{"check_id": c, "resource_id": r, "status": s} for _, c, r, s in kept[:LISTED]]


def _about(finding: Finding, where: tuple[tuple[str, tuple[Any, ...]], ...]) -> bool:
    """The finding's evidence holds every ``where`` fact observed with an allowed value."""
    if not where:
        return True
    facts = {e.fact: e for e in finding.evidence}
    return all(path in facts and facts[path].state == "observed" and facts[path].value in values
               for path, values in where)


def _entry(claim: Claim, by_check: dict[str, list[Finding]]) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": claim.id, "topic": claim.topic, "safeguard": claim.safeguard,
                             "scope": claim.scope, "promise": claim.promise, "verification": claim.method,
                             "source": {"url": claim.url, "read": claim.read},
                             "ccm": list(claim.ccm)}
    if claim.method == "attestation":
        entry["attestation"] = claim.attestation
    if claim.note:
        entry["note"] = claim.note
    if claim.method == "api":
        findings = [f for check_id in claim.checks for f in by_check.get(check_id, ())
                    if _about(f, claim.where)]
        counts, listed = _evidence(findings, claim.scope)
        if claim.where:
            entry["where"] = {path: list(values) for path, values in claim.where}
        entry.update({"facts": list(claim.facts), "checks": list(claim.checks),
                      "verdict": verdict(counts, claim.scope),
                      "counts": {s.value: counts[s.value] for s in EVIDENCE},
                      "findings": listed})
    return entry


def ledger_section(report: Report, claims: Sequence[Claim] | None = None) -> dict[str, Any]:
    """``{"providers": {provider: {"promises", "api", "attestation", "none", "upheld",
    "contradicted", "undetermined", "entries"}}}`` for every provider of the report that has
    claims (shipped claims/ unless ``claims`` is given)."""
    claims = load_claims() if claims is None else claims
    providers = {r.provider for r in report.runs} | {f.provider for f in report.findings}
    mine = [c for c in claims if c.provider in providers]
    wanted = {(c.provider, check_id) for c in mine for check_id in c.checks}
    by_check: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in report.findings:  # one pass, whatever the number of promises
        if (f.provider, f.check_id) in wanted:
            by_check[f.provider][f.check_id].append(f)
    out: dict[str, Any] = {}
    for provider in sorted({c.provider for c in mine}):
        entries = [_entry(c, by_check[provider]) for c in mine if c.provider == provider]
        methods = Counter(e["verification"] for e in entries)
        verdicts = Counter(e["verdict"] for e in entries if "verdict" in e)
        out[provider] = {"promises": len(entries), **{m: methods[m] for m in METHODS},
                         **{v: verdicts[v] for v in VERDICTS}, "entries": entries}
    return {"providers": out}
