"""Custody and residency of a group of findings: per resource, the first observed value of
each fact that says who holds the key and where the data lives (transparency's custody and
residency figures)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from auditor.model import CUSTODY_LADDER, Finding, ResourceKind


def ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _first(value: Any) -> Any:
    return value


def _home(jurisdictions: Any) -> str | None:
    # One jurisdiction is the bucket's home; a location spanning several has none.
    spread = list(jurisdictions or [])
    return spread[0] if len(spread) == 1 else None


def _listed(value: Any) -> list[Any]:
    return list(value or [])


# fact -> (the Places map it fills, what of its value is kept); the first observed value of
# each resource is kept, in findings then evidence order.
PLACE_FACTS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "key_custody.level": ("level", _first),
    "key_custody.hsm": ("hsm", _first),
    "data_residency.jurisdiction": ("home", _first),
    "data_residency.jurisdictions": ("home", _home),
    "data_residency.replication_jurisdictions": ("replicas", _listed),
}
PLACE_KINDS = frozenset({ResourceKind.BUCKET})  # custody and residency are the buckets'


class Places:
    """Per resource id, what custody_summary and residency_summary report on, gathered from a
    group's findings in one pass."""

    __slots__ = ("home", "hsm", "level", "names", "replicas")

    def __init__(self) -> None:
        self.level: dict[str, Any] = {}
        self.hsm: dict[str, Any] = {}
        self.home: dict[str, Any] = {}
        self.replicas: dict[str, list[Any]] = {}
        self.names: dict[str, str] = {}

    def add(self, finding: Finding, observed: tuple[tuple[str, Any], ...]) -> None:
        """``observed``: the finding's (fact, value) pairs in ``PLACE_FACTS``, observed."""
        rid = finding.resource_id
        self.names[rid] = finding.resource_name
        for fact, value in observed:
            slot, keep = PLACE_FACTS[fact]
            seen = getattr(self, slot)
            if rid not in seen:
                seen[rid] = keep(value)

    def custody(self) -> dict[str, Any]:
        """Buckets per custody level; the HSM share among encrypted buckets whose HSM backing
        was observed."""
        levels = Counter(self.level.values())
        encrypted = [v for rid, v in self.hsm.items() if self.level.get(rid, "none") != "none"]
        return {"levels": {level: levels.get(level, 0) for level in CUSTODY_LADDER},
                "hsm_share": ratio(sum(1 for v in encrypted if v is True), len(encrypted))}

    def residency(self) -> dict[str, Any]:
        home = self.home
        buckets = Counter(j or "unknown" for j in home.values())
        crossing = [{"bucket": self.names[rid], "from": home.get(rid), "to": sorted(set(js))}
                    for rid, js in sorted(self.replicas.items())
                    if any(j != home.get(rid) for j in js)]
        return {"buckets_per_jurisdiction": dict(sorted(buckets.items())),
                "cross_border_replication": crossing}


def observed_places(finding: Finding) -> tuple[tuple[str, Any], ...]:
    return tuple((e.fact, e.value) for e in finding.evidence
                 if e.state == "observed" and e.fact in PLACE_FACTS)


def _places(findings: list[Finding]) -> Places:
    places = Places()
    for f in findings:
        if f.kind in PLACE_KINDS:
            places.add(f, observed_places(f))
    return places


def custody_summary(findings: list[Finding]) -> dict[str, Any]:
    """Buckets per custody level; the HSM share among encrypted buckets whose HSM backing
    was observed."""
    return _places(findings).custody()


def residency_summary(findings: list[Finding]) -> dict[str, Any]:
    return _places(findings).residency()
