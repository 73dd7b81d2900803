"""Legal reach: which jurisdictions' authorities can compel access to data, from data alone.

For data in a provider's region the reach is the union of three jurisdictions: where the
data is stored (the region table, auditor/regions.py), the company operating the region
(auditor/data/jurisdictions.yaml ``operators``; the provider itself unless listed), and the
provider's home (``providers``), with the laws of each that compel a company to hand over
data it holds whatever the data's location (``laws``). The key held outside the provider's
control (custody level ``external``: AWS XKS, Google Cloud EKM) is the one technical
safeguard against compelled provider access. Nothing here depends on an adapter: a new
provider or region is a data line. Facts and sources only, never legal advice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.errors import InputError
from auditor.regions import locate, places

if TYPE_CHECKING:
    from auditor.model import Finding, Report

DATA_FILE = Path(__file__).resolve().parent / "data" / "jurisdictions.yaml"
SCHEMA = "jurisdictions.schema.json"
EXTERNAL = "external"  # the custody ladder's level of a key the provider cannot use alone
# The resources whose reach is tabled: those holding data, and the keys protecting it.
DATA_KINDS = ("storage.bucket", "storage.volume", "storage.snapshot", "storage.filesystem",
              "database.instance", "kms.key")
CUSTODY_FACT = "key_custody.level"
KEY_EXTERNAL_FACT = "legal_reach.key_external"  # derived by auditor.derived_facts
# What data-legal-reach read (derived by auditor.derived_facts): every jurisdiction in reach,
# replication destinations included
JURISDICTIONS_FACT = "legal_reach.jurisdictions"
NOT_EXTERNAL = "not_external"  # a key known to be held by the provider, its level not read


UNREAD: tuple[str, ...] = ("(not read)",)  # Reach.derived: the derived reach was not observed


class LegalDataError(InputError):
    """auditor/data/jurisdictions.yaml contradicts its schema (a packaging bug)."""


@dataclass(frozen=True)
class Law:
    id: str
    jurisdiction: str
    name: str
    year: int
    summary: str
    source: str


@dataclass(frozen=True)
class Reach:
    """The legal reach of data in one provider region; None where a part is not known."""

    provider: str
    region: str | None
    location: str | None  # jurisdiction of the data's location (None: region not placed)
    operator: str | None  # the company operating the region
    operator_jurisdiction: str | None
    home: str | None  # the provider's home jurisdiction
    laws: tuple[Law, ...]  # compelled-access laws of every jurisdiction in reach
    key_external: bool | None  # None: the key's custody was not observed
    # Every jurisdiction the data may be stored in (all places of a dual- or multi-region,
    # as data_residency.jurisdictions); empty when the region is not placed.
    stored_in: tuple[str, ...] = ()
    # The check data-legal-reach's legal_reach.jurisdictions where a report has it (it counts
    # replication destinations, which the region alone does not): None when not read at all,
    # UNREAD when it was read and not observed (denied, error, opaque).
    derived: tuple[str, ...] | None = None

    @property
    def known(self) -> bool:
        return (self.derived != UNREAD and bool(self.stored_in)
                and None not in (self.operator_jurisdiction, self.home))

    @property
    def jurisdictions(self) -> list[str]:
        """Every jurisdiction in reach (only the known ones when ``known`` is False; none
        when the derived reach was not read: a replication destination may be anywhere, so
        a partial list would be narrower than the truth)."""
        if self.derived == UNREAD:
            return []
        return sorted({j for j in (self.location, *self.stored_in, self.operator_jurisdiction,
                                   self.home, *(self.derived or ())) if j})

    def outside(self, allowed: Iterable[str]) -> list[str]:
        return sorted(set(self.jurisdictions) - set(allowed))

    def verdict(self, allowed: Iterable[str]) -> str:
        """PASS, FAIL or UNVERIFIED against the jurisdictions a user allows, as the check
        data-legal-reach decides over the derived facts (auditor/derived_facts.py): data
        reachable by another one fails unless its key is held externally. Both its inputs
        decide, as the engine has it: a region not placed, a provider without data or a
        custody not observed is UNVERIFIED, never PASS or FAIL, even where the other input
        alone would settle it."""
        if not self.known or self.key_external is None:
            return "UNVERIFIED"
        if self.key_external or not self.outside(allowed):
            return "PASS"
        return "FAIL"


@cache
def legal_data() -> dict[str, Any]:
    """The shipped data file, checked against its schema once."""
    import yaml
    from jsonschema import Draft202012Validator

    from auditor._data_dirs import data_dir
    from auditor.schema import best_error, json_path

    # The shipped file (package data, never user input): PyYAML's C SafeLoader when built.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc = yaml.load(DATA_FILE.read_text(encoding="utf-8"), Loader=loader)
    import json

    schema = json.loads((data_dir("schemas") / SCHEMA).read_text(encoding="utf-8"))
    errors = list(Draft202012Validator(schema).iter_errors(doc))
    if errors:
        err = best_error(errors)
        raise LegalDataError(str(DATA_FILE), json_path(err), err.message)
    return doc


def laws() -> list[Law]:
    return list(_laws())


@cache
def _laws() -> tuple[Law, ...]:
    return tuple(Law(**entry) for entry in legal_data()["laws"])


def custody_external(level: str | None) -> bool | None:
    """Whether a key custody level keeps the key outside the provider (None: not observed)."""
    return None if level is None else level == EXTERNAL


def holders(provider: str, region: str | None) -> tuple[str | None, str | None, str | None]:
    """(the company operating ``provider``'s ``region``, its jurisdiction, the provider's
    home jurisdiction); the provider operates its own regions unless ``operators`` names
    another company; all None for a provider the data file does not name."""
    data = legal_data()
    company = data["providers"].get(provider)
    if company is None:
        return None, None, None
    operated = data["operators"].get(provider, {}).get(region or "")
    if operated:
        return operated["company"], operated["jurisdiction"], company["home"]
    return company["company"], company["home"], company["home"]


def reach(provider: str, region: str | None, custody_level: str | None,
          derived: tuple[str, ...] | None = None) -> Reach:
    """The legal reach of data in ``provider``'s ``region`` under a key of ``custody_level``
    (``key_custody.level``; None when it was not observed), widened by ``derived`` (the
    derived legal_reach.jurisdictions, or UNREAD; None: not read)."""
    place, spread = locate(provider, region), places(provider, region)
    location = place.jurisdiction if place.known else None
    stored_in = tuple(spread.jurisdictions) if spread.known else ()
    operator, operator_jurisdiction, home = holders(provider, region)
    reaching = {location, *stored_in, operator_jurisdiction, home}
    if derived is not None and derived != UNREAD:
        # only what the region does not give: equal reaches are one row, read or not
        derived = tuple(sorted(set(derived) - reaching)) or None
        reaching.update(derived or ())
    # an unread reach still names the laws of the parts known to be in it
    return Reach(provider, region, location, operator, operator_jurisdiction, home,
                 tuple(law for law in _laws() if law.jurisdiction in reaching),
                 custody_external(custody_level), stored_in, derived)


class _Read:
    """What the findings of one data resource read, taken one finding at a time in report
    order (so a report's findings are never held: the section keeps this per resource):
    the region of its first finding; the custody level a custody check read first, else
    what data-legal-reach read of it (its derived legal_reach.key_external: external or
    not); the legal_reach.jurisdictions data-legal-reach read first: the list, UNREAD."""

    __slots__ = ("custody", "derived", "jurisdictions", "region")

    def __init__(self, region: str | None) -> None:
        self.region = region
        self.custody: str | None = None
        self.derived: str | None = None
        self.jurisdictions: tuple[str, ...] | None = None

    def take(self, finding: Finding) -> None:
        if self.custody is not None and self.jurisdictions is not None:
            return  # both read: what later findings say changes nothing
        for e in finding.evidence:
            fact = e.fact
            if fact == JURISDICTIONS_FACT:
                if self.jurisdictions is None:
                    ok = e.state == "observed" and isinstance(e.value, list)
                    self.jurisdictions = tuple(e.value) if ok else UNREAD
            elif e.state != "observed":
                continue
            elif fact == CUSTODY_FACT and isinstance(e.value, str):
                self.custody = self.custody or e.value
            elif fact == KEY_EXTERNAL_FACT and isinstance(e.value, bool):
                self.derived = EXTERNAL if e.value else NOT_EXTERNAL

    def key(self, provider: str) -> tuple[str, str | None, str | None,
                                          tuple[str, ...] | None]:
        return provider, self.region, self.custody or self.derived, self.jurisdictions


def _row(found: Reach, resources: int) -> dict[str, Any]:
    return {"region": found.region, "location": found.location, "operator": found.operator,
            "operator_jurisdiction": found.operator_jurisdiction, "home": found.home,
            "jurisdictions": found.jurisdictions, "key_external": found.key_external,
            "laws": [law.id for law in found.laws], "resources": resources}


def legal_reach_section(report: Report) -> dict[str, Any]:
    """The report's legal-reach table, from its findings alone (each data resource's region,
    and the ``key_custody.level`` a custody check read, or the legal-reach check's
    ``legal_reach.key_external``): provider -> rows, one per region and
    key held externally or not, resources counted once each; and the laws the rows name."""
    by_resource: dict[tuple[str, str, str, str], _Read] = {}
    for f in report.findings:  # one pass; a spooled report's findings are read, then dropped
        if f.kind in DATA_KINDS:
            key = (f.provider, f.account, f.kind, f.resource_id)
            read = by_resource.get(key)
            if read is None:
                read = by_resource[key] = _Read(f.region or None)
            read.take(f)
    # Custody levels that differ only below "external" give one row: the reach is the same.
    # One reach per (provider, region, custody level), not per resource: it depends on those
    # alone (and on tables read once), and a report has thousands of resources in few regions.
    # The derived jurisdictions (replication destinations) are part of the key: the table
    # agrees with the check, a destination not read makes the row's reach unknown.
    memo: dict[tuple[str, str | None, str | None, tuple[str, ...] | None], Reach] = {}
    counts: Counter[Reach] = Counter()
    for (provider, *_), read in by_resource.items():
        key = read.key(provider)
        if key not in memo:
            memo[key] = reach(*key)
        counts[memo[key]] += 1
    providers: dict[str, list[dict[str, Any]]] = {}
    named: set[str] = set()
    for found, n in sorted(counts.items(), key=lambda kv: (
            kv[0].provider, kv[0].region or "", str(kv[0].key_external),
            kv[0].jurisdictions)):
        providers.setdefault(found.provider, []).append(_row(found, n))
        named.update(law.id for law in found.laws)
    return {"providers": providers,
            "laws": [asdict(law) for law in _laws() if law.id in named]}
