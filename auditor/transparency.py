"""Transparency and comparability scores, computed from a Report alone.

Formulas (also carried in every JSON report under ``transparency.formulas``):
- applicable = PASS + FAIL + OPAQUE + UNVERIFIED (NOT_APPLICABLE and MUTED left out)
- verifiability = (PASS + FAIL) / applicable: the share of the estate we could decide
- provider_opacity = OPAQUE / applicable: the share the provider exposes no API for
- access_gap = UNVERIFIED / applicable: the share our credentials or the API let us down on
- pass_rate = PASS / (PASS + FAIL)
- exposure of a safeguard = api when every catalog fact of that safeguard is read from an API
  field, derived when some are derived from a policy and none is hidden, partial when some are
  not exposed, none when none is exposed; over the kinds the provider's findings cover
- a safeguard is comparable across the compared providers when none of them has exposure none
- accounts: every per-provider figure but exposure again per account of that provider
- kinds: the safeguard rows again per resource kind with findings, exposure from that kind's
  facts alone
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection
from typing import Any

from auditor.finding_source import FindingSource
from auditor.model import Finding, Report, Status
from auditor.schema import fact_catalog
from auditor.transparency_places import PLACE_KINDS, Places, observed_places, ratio
from auditor.transparency_places import custody_summary as custody_summary  # re-exported
from auditor.transparency_places import residency_summary as residency_summary

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
                "or if some findings of this estate were OPAQUE; none if none is exposed; over "
                "the resource kinds of the provider's findings (every kind its profile names "
                "when it has none)",
    "comparable": "no compared provider has exposure none or absent for the safeguard",
    "listing_failures": "listings (buckets, keys, regions) that failed: what they would have "
                        "listed is in no figure, so every other score covers only what was listed",
    "accounts": "the per-provider figures (exposure aside: it is the provider's) again per "
                "account (project) of that provider, from its findings and runs; status is "
                "the account's run status (failed: not collected, every count 0)",
    "kinds": "per resource kind with findings: the provider figures and the safeguard rows of "
             "that kind's findings alone, exposure from that kind's facts; unknown where the "
             "provider's profile names no such kind (it does not collect it)",
}
DECIDED = (Status.PASS, Status.FAIL)
APPLICABLE = (Status.PASS, Status.FAIL, Status.OPAQUE, Status.UNVERIFIED)


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


# One group's status counts: (status it counts under, muted, unsupported) -> findings.
Combos = Counter[tuple[Status, bool, bool]]


def _combo(finding: Finding, absent: Absent) -> tuple[Status, bool, bool]:
    """How ``tally`` counts one finding: a muted finding counts under the status it had (a
    user's accepted risk does not change what the provider lets them verify), and once more
    under ``muted``; an OPAQUE one whose hidden facts the provider lacks is unsupported."""
    status = finding.muted_status or finding.status
    return (status, finding.status is Status.MUTED,
            status is Status.OPAQUE and absent(finding))


def _figures(combos: Combos) -> dict[str, Any]:
    counts: Counter[Status] = Counter()
    muted = unsupported = 0
    for (status, is_muted, is_unsupported), n in combos.items():
        counts[status] += n
        muted += n if is_muted else 0
        unsupported += n if is_unsupported else 0
    counts[Status.MUTED] = muted
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


def tally(findings: list[Finding], absent: Absent = _never) -> dict[str, Any]:
    """Status counts (see ``_combo`` for how a muted or unsupported finding counts)."""
    return _figures(Counter(_combo(f, absent) for f in findings))


def safeguard_exposure(levels: dict[str, dict[str, str]],
                       kinds: Collection[str] | None = None) -> dict[str, str]:
    """safeguard -> api | derived | partial | none | absent, from a provider's fact-level
    exposure over ``kinds`` (None: all), leaving out a kind its profile does not name (one
    its adapter does not collect)."""
    per_safeguard: dict[str, list[str]] = defaultdict(list)
    for kind, facts in fact_catalog().items():
        if kind not in levels or (kinds is not None and kind not in kinds):
            continue
        for path, safeguard in facts.items():
            per_safeguard[safeguard].append(levels[kind].get(path, "none"))
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


class _Forgetful(dict):
    """A cache that keeps nothing (findings of a spool share no evidence list)."""

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


class _Digest:
    """Everything summarize reports, from one pass over the findings: status combos per
    (provider, account, kind, safeguard), custody and residency per provider and per account.

    Findings of a list share their evidence (engine._Decisions), so what a finding's evidence
    says is worked out once per evidence list (by identity: every finding of a list is alive
    meanwhile). Findings read from a spool are made afresh one by one, and a freed evidence
    list's id is soon another's: each is worked out on its own."""

    def __init__(self, findings: FindingSource, absent: Absent) -> None:
        # (provider, account) -> (kind, safeguard, combo) -> count: an account's figures walk
        # its own counts, not every account's (which made the accounts section quadratic)
        self.by_account: dict[tuple[str, str], Counter[tuple[str, str, Any]]] = defaultdict(
            Counter)
        self.places: dict[tuple[str, ...], Places] = defaultdict(Places)
        absent_of: dict[tuple[str, str, int], bool] = {}
        observed_of: dict[int, tuple[tuple[str, Any], ...]] = {}
        if not (isinstance(findings, list | tuple) or getattr(findings, "alive", False)):
            # findings made afresh one by one (read from disk): nothing shared
            absent_of, observed_of = _Forgetful(), _Forgetful()
        for f in findings:
            status = f.muted_status or f.status
            unsupported = False
            if status is Status.OPAQUE:
                key = (f.provider, f.kind, id(f.evidence))
                unsupported = absent_of.get(key)  # type: ignore[assignment]
                if unsupported is None:
                    unsupported = absent_of[key] = absent(f)
            self.by_account[(f.provider, f.account)][
                (f.kind, f.safeguard, (status, f.status is Status.MUTED, unsupported))] += 1
            if f.kind in PLACE_KINDS:
                observed = observed_of.get(id(f.evidence))
                if observed is None:
                    observed = observed_of[id(f.evidence)] = observed_places(f)
                self.places[(f.provider,)].add(f, observed)
                self.places[(f.provider, f.account)].add(f, observed)
        # The same counts without the account: what every figure of a provider, kind or
        # safeguard sums (many accounts would otherwise be walked once per row and kind).
        self.totals: Counter[tuple[str, str, str, tuple[Status, bool, bool]]] = Counter()
        for (p, _), counts in self.by_account.items():
            for (k, s, combo), n in counts.items():
                self.totals[(p, k, s, combo)] += n

    def figures(self, provider: str, account: str | None = None,
                safeguard: str | None = None, kind: str | None = None) -> dict[str, Any]:
        """tally's figures of the findings of ``provider`` (and ``account``, ``safeguard``,
        ``kind``)."""
        selected: Combos = Counter()
        if account is None:
            for (p, k, s, combo), n in self.totals.items():
                if p == provider and safeguard in (None, s) and kind in (None, k):
                    selected[combo] += n
            return _figures(selected)
        for (k, s, combo), n in self.by_account.get((provider, account), {}).items():
            if safeguard in (None, s) and kind in (None, k):
                selected[combo] += n
        return _figures(selected)

    def kinds(self, provider: str | None = None) -> set[str]:
        """The kinds of the findings (of ``provider``)."""
        return {k for p, k, *_ in self.totals if provider in (None, p)}

    def row(self, providers: list[str], exposure: dict[str, dict[str, str]], safeguard: str,
            kind: str | None = None) -> dict[str, Any]:
        """One safeguard's row (of one kind's findings, or every kind's): per provider its
        figures and exposure, and whether the providers compare."""
        cells = {}
        for p in providers:
            cell = self.figures(p, safeguard=safeguard, kind=kind)
            level = exposure.get(p, {}).get(safeguard, "unknown")
            if level in ("api", "derived") and cell["opaque"]:
                level = "partial"  # exposed in general, hidden for some resources here
            cell["exposure"] = level
            cells[p] = cell
        return {"comparable": bool(cells) and all(
                    c["exposure"] not in ("none", "absent", "unknown") for c in cells.values()),
                "providers": cells}

    def group_places(self, *group: str) -> Places:
        return self.places.get(group) or Places()


def summarize(report: Report) -> dict[str, Any]:
    absent = absent_lookup(report.exposure)
    digest = _Digest(report.findings, absent)
    providers = sorted({p for p, _ in digest.by_account} | set(report.exposure)
                       | {r.provider for r in report.runs})
    exposure = {p: safeguard_exposure(report.exposure[p], digest.kinds(p) or None)
                for p in providers if p in report.exposure}
    safeguards = {s: digest.row(providers, exposure, s)
                  for s in sorted({s for kinds in fact_catalog().values() for s in kinds.values()})}
    gaps: dict[str, list[dict[str, str]]] = defaultdict(list)
    for run in report.runs:
        gaps[run.provider] += _listing_failures(run)
    return {
        "formulas": FORMULAS,
        "providers": {p: {**digest.figures(p), "exposure": exposure.get(p, {}),
                          "listing_failures": gaps[p],
                          "custody": digest.group_places(p).custody(),
                          "residency": digest.group_places(p).residency()}
                      for p in providers},
        "safeguards": safeguards,
        "comparable_safeguards": [s for s, v in safeguards.items() if v["comparable"]],
        "accounts": account_summaries(report, absent, digest),
        "kinds": kind_summaries(report, digest, providers),
    }


def kind_summaries(report: Report, digest: _Digest, providers: list[str]
                   ) -> dict[str, dict[str, Any]]:
    """kind -> {"providers": provider -> figures, "safeguards": safeguard -> row}, for every
    kind of the catalog with findings; a row's exposure is from that kind's facts alone."""
    catalog = fact_catalog()
    out: dict[str, dict[str, Any]] = {}
    for kind in sorted(digest.kinds() & set(catalog)):
        exposure = {p: safeguard_exposure(report.exposure[p], (kind,)) for p in providers
                    if kind in report.exposure.get(p, {})}
        out[kind] = {"providers": {p: digest.figures(p, kind=kind) for p in providers},
                     "safeguards": {s: digest.row(providers, exposure, s, kind)
                                    for s in sorted(set(catalog[kind].values()))}}
    return out


def _listing_failures(run: Any) -> list[dict[str, str]]:
    return [{"scope": e.scope, "operation": e.operation, "code": e.code}
            for e in run.errors if e.kind == "listing"]


def account_summaries(report: Report, absent: Absent = _never,
                      digest: _Digest | None = None) -> dict[str, dict[str, Any]]:
    """provider -> account -> the provider's figures for that account alone (and its run
    status). Every account of a run is listed, even one without a finding. ``digest``: the
    findings' digest when the caller has made it already (with the same ``absent``)."""
    digest = digest or _Digest(report.findings, absent)
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
    for key in sorted(set(digest.by_account) | set(status)):
        provider, account = key
        places = digest.group_places(provider, account)
        out[provider][account] = {**digest.figures(provider, account),
                                  "status": status.get(key) or unnamed.get(provider, "unknown"),
                                  "listing_failures": gaps[key],
                                  "custody": places.custody(),
                                  "residency": places.residency()}
    return dict(out)


_STATUS_RANK = {"complete": 0, "partial": 1, "failed": 2}


def _worse(current: str | None, new: str) -> str:
    """Of two run statuses of one account, the less complete."""
    if current is None:
        return new
    return max(current, new, key=lambda s: _STATUS_RANK.get(s, 1))
