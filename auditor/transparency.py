"""Transparency and comparability scores, computed from a Report alone.

Formulas (also carried in every JSON report under ``transparency.formulas``):
- applicable = PASS + FAIL + OPAQUE + UNVERIFIED (NOT_APPLICABLE and MUTED left out)
- verifiability = (PASS + FAIL) / applicable: the share of the estate we could decide
- provider_opacity = OPAQUE / applicable: the share the provider exposes no API for
- access_gap = UNVERIFIED / applicable: the share our credentials or the API let us down on
- pass_rate = PASS / (PASS + FAIL)
- exposure of a safeguard = api when every catalog fact of that safeguard is read from an API
  field, derived when some are derived from a policy and none is hidden, partial when some are
  not exposed, none when none is exposed
- a safeguard is comparable across the compared providers when none of them has exposure none
- accounts: every per-provider figure but exposure again per account of that provider
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from auditor.model import CUSTODY_LADDER, Finding, Report, ResourceKind, Status
from auditor.schema import fact_catalog

FORMULAS = {
    "applicable": "PASS + FAIL + OPAQUE + UNVERIFIED (NOT_APPLICABLE and unsupported excluded; "
                  "a MUTED finding counts under the status it had before the mute)",
    "verifiability": "(PASS + FAIL) / applicable",
    "provider_opacity": "OPAQUE / applicable",
    "unsupported": "OPAQUE findings whose hidden facts the provider's exposure profile marks "
                   "absent (no such feature): counted apart and left out of applicable, so a "
                   "missing feature is not scored as a hidden one",
    "access_gap": "UNVERIFIED / applicable",
    "pass_rate": "PASS / (PASS + FAIL)",
    "exposure": "api if every fact of the safeguard is read from an API field; derived if some "
                "are derived from a policy and none is hidden; partial if some are not exposed, "
                "or if some findings of this estate were OPAQUE; none if none is exposed",
    "comparable": "no compared provider has exposure none or absent for the safeguard",
    "listing_failures": "listings (buckets, keys, regions) that failed: what they would have "
                        "listed is in no figure, so every other score covers only what was listed",
    "accounts": "the per-provider figures (exposure aside: it is the provider's) again per "
                "account (project) of that provider, from its findings and runs; status is "
                "the account's run status (failed: not collected, every count 0)",
}
DECIDED = (Status.PASS, Status.FAIL)
APPLICABLE = (Status.PASS, Status.FAIL, Status.OPAQUE, Status.UNVERIFIED)


def ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


Absent = Callable[[Finding], bool]


def _never(finding: Finding) -> bool:
    return False


def absent_lookup(exposure: dict[str, dict[str, dict[str, str]]]) -> Absent:
    """True for an OPAQUE finding whose every hidden fact is a feature the provider lacks."""

    def absent(finding: Finding) -> bool:
        levels = exposure.get(finding.provider, {}).get(finding.kind, {})
        hidden = [e.fact for e in finding.evidence if e.state == "opaque"]
        return bool(hidden) and all(levels.get(fact) == "absent" for fact in hidden)

    return absent


def tally(findings: list[Finding], absent: Absent = _never) -> dict[str, Any]:
    """Status counts; a muted finding counts under the status it had (a user's accepted risk
    does not change what the provider lets them verify), and once more under ``muted``."""
    counts = Counter(f.muted_status or f.status for f in findings)
    counts[Status.MUTED] = sum(1 for f in findings if f.status is Status.MUTED)
    unsupported = sum(1 for f in findings
                      if (f.muted_status or f.status) is Status.OPAQUE and absent(f))
    counts[Status.OPAQUE] -= unsupported
    applicable = sum(counts[s] for s in APPLICABLE)
    decided = sum(counts[s] for s in DECIDED)
    return {
        "pass": counts[Status.PASS], "fail": counts[Status.FAIL],
        "opaque": counts[Status.OPAQUE], "unverified": counts[Status.UNVERIFIED],
        "not_applicable": counts[Status.NOT_APPLICABLE], "muted": counts[Status.MUTED],
        "unsupported": unsupported,
        "applicable": applicable, "decided": decided,
        "verifiability": ratio(decided, applicable),
        "provider_opacity": ratio(counts[Status.OPAQUE], applicable),
        "access_gap": ratio(counts[Status.UNVERIFIED], applicable),
        "pass_rate": ratio(counts[Status.PASS], decided),
    }


def safeguard_exposure(levels: dict[str, dict[str, str]]) -> dict[str, str]:
    """safeguard -> api | derived | partial | none, from a provider's fact-level exposure."""
    per_safeguard: dict[str, list[str]] = defaultdict(list)
    for kind, facts in fact_catalog().items():
        for path, safeguard in facts.items():
            per_safeguard[safeguard].append(levels.get(kind, {}).get(path, "none"))
    out = {}
    for safeguard, found in sorted(per_safeguard.items()):
        hidden = found.count("none") + found.count("absent")
        if found.count("absent") == len(found):
            out[safeguard] = "absent"
        elif hidden == len(found):
            out[safeguard] = "none"
        elif hidden:
            out[safeguard] = "partial"
        else:
            out[safeguard] = "derived" if "derived" in found else "api"
    return out


def _evidence_values(findings: list[Finding], fact: str) -> list[Any]:
    """One observed value per resource of ``fact`` across the findings' evidence."""
    seen: dict[str, Any] = {}
    for f in findings:
        for e in f.evidence:
            if e.fact == fact and e.state == "observed" and f.kind == ResourceKind.BUCKET:
                seen.setdefault(f.resource_id, e.value)
    return list(seen.values())


def custody_summary(findings: list[Finding]) -> dict[str, Any]:
    """Buckets per custody level; the HSM share among encrypted buckets whose HSM backing
    was observed."""
    levels = Counter(_evidence_values(findings, "key_custody.level"))
    hsm: dict[str, Any] = {}
    level_of: dict[str, Any] = {}
    for f in findings:
        if f.kind != ResourceKind.BUCKET:
            continue
        for e in f.evidence:
            if e.state == "observed" and e.fact == "key_custody.hsm":
                hsm.setdefault(f.resource_id, e.value)
            if e.state == "observed" and e.fact == "key_custody.level":
                level_of.setdefault(f.resource_id, e.value)
    encrypted = [v for rid, v in hsm.items() if level_of.get(rid, "none") != "none"]
    return {"levels": {level: levels.get(level, 0) for level in CUSTODY_LADDER},
            "hsm_share": ratio(sum(1 for v in encrypted if v is True), len(encrypted))}


def residency_summary(findings: list[Finding]) -> dict[str, Any]:
    home: dict[str, str | None] = {}
    replicas: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for f in findings:
        if f.kind != ResourceKind.BUCKET:
            continue
        names[f.resource_id] = f.resource_name
        for e in f.evidence:
            if e.state != "observed":
                continue
            if e.fact == "data_residency.jurisdiction":
                home.setdefault(f.resource_id, e.value)
            elif e.fact == "data_residency.jurisdictions":
                # One jurisdiction is the bucket's home; a location spanning several has none.
                spread = list(e.value or [])
                home.setdefault(f.resource_id, spread[0] if len(spread) == 1 else None)
            elif e.fact == "data_residency.replication_jurisdictions":
                replicas.setdefault(f.resource_id, list(e.value or []))
    buckets = Counter(j or "unknown" for j in home.values())
    crossing = [{"bucket": names[rid], "from": home.get(rid), "to": sorted(set(js))}
                for rid, js in sorted(replicas.items())
                if any(j != home.get(rid) for j in js)]
    return {"buckets_per_jurisdiction": dict(sorted(buckets.items())),
            "cross_border_replication": crossing}


def summarize(report: Report) -> dict[str, Any]:
    by_provider: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_provider[f.provider].append(f)
    providers = sorted(set(by_provider) | set(report.exposure) | {r.provider for r in report.runs})
    exposure = {p: safeguard_exposure(report.exposure[p]) for p in providers
                if p in report.exposure}
    absent = absent_lookup(report.exposure)
    safeguards: dict[str, Any] = {}
    for safeguard in sorted({s for kinds in fact_catalog().values() for s in kinds.values()}):
        cells = {}
        for p in providers:
            cell = tally([f for f in by_provider[p] if f.safeguard == safeguard], absent)
            level = exposure.get(p, {}).get(safeguard, "unknown")
            if level in ("api", "derived") and cell["opaque"]:
                level = "partial"  # exposed in general, hidden for some resources here
            cell["exposure"] = level
            cells[p] = cell
        safeguards[safeguard] = {
            "comparable": bool(cells) and all(c["exposure"] not in ("none", "absent", "unknown")
                                              for c in cells.values()),
            "providers": cells}
    gaps: dict[str, list[dict[str, str]]] = defaultdict(list)
    for run in report.runs:
        gaps[run.provider] += _listing_failures(run)
    return {
        "formulas": FORMULAS,
        "providers": {p: {**tally(by_provider[p], absent), "exposure": exposure.get(p, {}),
                          "listing_failures": gaps[p],
                          "custody": custody_summary(by_provider[p]),
                          "residency": residency_summary(by_provider[p])}
                      for p in providers},
        "safeguards": safeguards,
        "comparable_safeguards": [s for s, v in safeguards.items() if v["comparable"]],
        "accounts": account_summaries(report, absent),
    }


def _listing_failures(run: Any) -> list[dict[str, str]]:
    return [{"scope": e.scope, "operation": e.operation, "code": e.code}
            for e in run.errors if e.kind == "listing"]


def account_summaries(report: Report, absent: Absent = _never) -> dict[str, dict[str, Any]]:
    """provider -> account -> the provider's figures for that account alone (and its run
    status). Every account of a run is listed, even one without a finding."""
    findings: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in report.findings:
        findings[(f.provider, f.account)].append(f)
    status: dict[tuple[str, str], str] = {}
    gaps: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    unnamed: dict[str, str] = {}  # provider -> status of its runs that name no account
    for run in report.runs:
        if not run.accounts:
            unnamed[run.provider] = _worse(unnamed.get(run.provider), run.status)
        for account in run.accounts:
            status[(run.provider, account)] = _worse(status.get((run.provider, account)),
                                                     run.status)
            # A run of several accounts (projects) cannot say whose listing failed: each.
            gaps[(run.provider, account)] += _listing_failures(run)
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    for key in sorted(set(findings) | set(status)):
        provider, account = key
        out[provider][account] = {**tally(findings[key], absent),
                                  "status": status.get(key) or unnamed.get(provider, "unknown"),
                                  "listing_failures": gaps[key],
                                  "custody": custody_summary(findings[key]),
                                  "residency": residency_summary(findings[key])}
    return dict(out)


_STATUS_RANK = {"complete": 0, "partial": 1, "failed": 2}


def _worse(current: str | None, new: str) -> str:
    """Of two run statuses of one account, the less complete."""
    if current is None:
        return new
    return max(current, new, key=lambda s: _STATUS_RANK.get(s, 1))
