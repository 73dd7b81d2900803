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


class _Tally:
    """One promise's evidence, taken one finding at a time (a report's findings are never
    held: a spooled report decodes each from disk): counts per status, and the findings
    listed first that decide the verdict: FAIL first for ``always``, PASS (the feature seen
    working) first for ``when_used``."""

    __slots__ = ("counts", "kept", "ranked")

    def __init__(self, scope: str) -> None:
        order = EVIDENCE[::-1] if scope == "when_used" else EVIDENCE
        self.ranked = {s: i for i, s in enumerate(order)}
        self.counts: Counter[str] = Counter()
        self.kept: list[tuple[int, str, str, str]] = []

    def take(self, finding: Finding) -> None:
        status = _status(finding)
        rank = self.ranked.get(status)
        if rank is None:
            return
        self.counts[status.value] += 1
        self.kept.append((rank, finding.check_id, finding.resource_id, status.value))
        if len(self.kept) >= 4 * LISTED:  # only the first LISTED in order are ever listed
            self.kept.sort()
            del self.kept[LISTED:]

    def listed(self) -> list[dict[str, str]]:
        self.kept.sort()
        return [{"check_id": c, "resource_id": r, "status": s} for _, c, r, s in self.kept[:LISTED]]


def _about(finding: Finding, where: tuple[tuple[str, tuple[Any, ...]], ...]) -> bool:
    """The finding's evidence holds every ``where`` fact observed with an allowed value."""
    if not where:
        return True
    facts = {e.fact: e for e in finding.evidence}
    return all(path in facts and facts[path].state == "observed" and facts[path].value in values
               for path, values in where)


def _entry(claim: Claim, tally: _Tally) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": claim.id, "topic": claim.topic, "safeguard": claim.safeguard,
                             "scope": claim.scope, "promise": claim.promise, "verification": claim.method,
                             "source": {"url": claim.url, "read": claim.read},
                             "ccm": list(claim.ccm)}
    if claim.method == "attestation":
        entry["attestation"] = claim.attestation
    if claim.note:
        entry["note"] = claim.note
    if claim.method == "api":
        counts, listed = tally.counts, tally.listed()
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
    tallies = [_Tally(c.scope) for c in claims]
    judged: dict[tuple[str, str], list[tuple[Claim, _Tally]]] = defaultdict(list)
    for claim, tally in zip(claims, tallies, strict=True):
        if claim.method == "api":
            for check_id in dict.fromkeys(claim.checks):
                judged[(claim.provider, check_id)].append((claim, tally))
    providers = {r.provider for r in report.runs}
    for f in report.findings:  # one pass, whatever the number of promises
        providers.add(f.provider)
        for claim, tally in judged.get((f.provider, f.check_id), ()):
            if _about(f, claim.where):
                tally.take(f)
    mine = [(c, t) for c, t in zip(claims, tallies, strict=True) if c.provider in providers]
    out: dict[str, Any] = {}
    for provider in sorted({c.provider for c, _ in mine}):
        entries = [_entry(c, t) for c, t in mine if c.provider == provider]
        methods = Counter(e["verification"] for e in entries)
        verdicts = Counter(e["verdict"] for e in entries if "verdict" in e)
        out[provider] = {"promises": len(entries), **{m: methods[m] for m in METHODS},
                         **{v: verdicts[v] for v in VERDICTS}, "entries": entries}
    return {"providers": out}
