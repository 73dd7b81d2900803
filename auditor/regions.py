"""Where a bucket's data lives: provider location code -> country, jurisdiction, places.

The table is data: each provider adapter ships its own regions.yaml (format:
schemas/regions.schema.json, a source named per entry), found through the adapter registry's
entry points, so this module never imports a provider package. It loads the tables once, on
first use, and answers lookups. Lookups never raise: an unknown provider or
region gives a Location with known=False, or a Spread that names it as unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from auditor.provider_data import load_data_file, registered_data_files

TABLE_FILE = "regions.yaml"  # the data file of each adapter holding its region table


@dataclass(frozen=True)
class Location:
    """Residency of one location; country/jurisdiction are None when not one place."""

    country: str | None = None
    jurisdiction: str | None = None
    multi_region: bool = False
    known: bool = False

    def __iter__(self) -> Iterator[Any]:
        # COMMON.md describes locate() as a (country, jurisdiction, multi_region) tuple.
        return iter((self.country, self.jurisdiction, self.multi_region))


UNKNOWN = Location()


@dataclass(frozen=True, order=True)
class Place:
    """One country and its jurisdiction where data may be stored."""

    country: str
    jurisdiction: str


@dataclass(frozen=True)
class Spread:
    """Every place a location's data may be stored in, or the locations nobody could place.

    Exactly one of ``places`` and ``unknown`` is non-empty: an unknown location is never
    dropped and never reads as "nowhere".
    """

    places: frozenset[Place] = frozenset()
    unknown: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if bool(self.places) == bool(self.unknown):
            raise ValueError("a Spread has either places or unknown locations")

    @property
    def known(self) -> bool:
        return not self.unknown

    @property
    def jurisdictions(self) -> list[str]:
        return sorted({p.jurisdiction for p in self.places})

    @property
    def countries(self) -> list[str]:
        return sorted({p.country for p in self.places})


class RegionTableError(ValueError):
    """The shipped table contradicts its own rules (a packaging bug, not user input)."""


@dataclass(frozen=True)
class _Provider:
    codes: tuple[str, ...]  # canonical codes, in file order
    index: dict[str, tuple[str, Location]]  # casefolded code or alias -> (code, location)
    optional_prefix: str
    places: dict[str, frozenset[Place]]  # canonical code -> where its data may be stored
    parts: dict[str, tuple[str, ...]]  # canonical code -> member regions (dual/multi-regions)
    redundancy: dict[str, str]  # redundancy type -> why it stays in the region's places


def _entry_location(entry: dict[str, Any]) -> Location:
    return Location(
        country=entry.get("country"),
        jurisdiction=entry.get("jurisdiction"),
        multi_region=bool(entry.get("multi_region", False)),
        known=True,
    )


@cache
def _table() -> dict[str, _Provider]:
    """Every registered provider's table, each file schema-checked (PluginError if not)."""
    return {provider.casefold(): _provider_table(provider, load_data_file(path))
            for provider, path in registered_data_files(TABLE_FILE).items()}


def _provider_table(provider: str, doc: dict[str, Any]) -> _Provider:
    entries: dict[str, Any] = doc["regions"]
    index: dict[str, tuple[str, Location]] = {}
    for code, entry in entries.items():
        found = (code, _entry_location(entry))
        for key in (code, *entry.get("aliases", ())):
            index[str(key).casefold()] = found
    options = doc.get("lookup") or {}
    parts = {code: tuple(e["parts"]) for code, e in entries.items() if e.get("parts")}
    return _Provider(
        tuple(entries), index, str(options.get("optional_prefix", "")).casefold(),
        _places(provider, entries), parts, dict(options.get("redundancy") or {}))


def _places(provider: str, entries: dict[str, Any]) -> dict[str, frozenset[Place]]:
    """Each entry's places: its own country and jurisdiction, or its parts' places."""
    out: dict[str, frozenset[Place]] = {}
    for code, entry in entries.items():
        if entry.get("parts"):
            continue
        country, jurisdiction = entry.get("country"), entry.get("jurisdiction")
        if not (country and jurisdiction):
            raise RegionTableError(f"{provider} {code}: no parts, so country and jurisdiction "
                                   "must both be set")
        out[code] = frozenset({Place(country, jurisdiction)})
    for code, entry in entries.items():
        if entry.get("parts"):
            missing = [p for p in entry["parts"] if p not in out]
            if missing:  # parts are plain regions: one level, no cycles
                raise RegionTableError(f"{provider} {code}: parts {missing} are not regions "
                                       "with a place of their own")
            out[code] = frozenset().union(*(out[p] for p in entry["parts"]))
    return out


def _resolve(provider: str, region: str | None) -> tuple[str, Location] | None:
    table = _provider(provider)
    if table is None or not isinstance(region, str):
        return None
    key = region.strip().casefold()
    if not key:
        return None
    hit = table.index.get(key)
    if hit is None and table.optional_prefix and not key.startswith(table.optional_prefix):
        hit = table.index.get(table.optional_prefix + key)
    return hit


def _provider(provider: str) -> _Provider | None:
    if not isinstance(provider, str):
        return None
    return _table().get(provider.strip().casefold())


def locate(provider: str, region: str | None) -> Location:
    """Residency of ``region`` for ``provider`` ("aws", "gcp", "alibaba"); case-insensitive."""
    hit = _resolve(provider, region)
    return hit[1] if hit else UNKNOWN


def canonical(provider: str, region: str | None) -> str | None:
    """The table's code for ``region`` (resolving aliases and case), or None if unknown."""
    hit = _resolve(provider, region)
    return hit[0] if hit else None


def normalize_aws_location(value: str | None) -> str:
    """S3 GetBucketLocation LocationConstraint -> region: None/"" is us-east-1, "EU" eu-west-1."""
    if value is None or not value.strip():
        return "us-east-1"
    return canonical("aws", value) or value.strip()


def combine(locations: Iterable[Location]) -> Location:
    """One Location for data spread over several (e.g. GCS customPlacementConfig regions)."""
    parts = list(locations)
    if not parts or not all(p.known for p in parts):
        return UNKNOWN
    countries = {p.country for p in parts}
    jurisdictions = {p.jurisdiction for p in parts}
    return Location(
        country=countries.pop() if len(countries) == 1 else None,
        jurisdiction=jurisdictions.pop() if len(jurisdictions) == 1 else None,
        multi_region=len(parts) > 1 or any(p.multi_region for p in parts),
        known=True,
    )


def places(provider: str, location: str | None) -> Spread:
    """Where data in ``location`` may be stored; an unknown location is named as unknown."""
    hit = _resolve(provider, location)
    table = _provider(provider)
    if hit is None or table is None:
        return Spread(unknown=(_shown(location),))
    return Spread(places=table.places[hit[0]])


def places_of(provider: str, locations: Iterable[str | None]) -> Spread:
    """Where data spread over ``locations`` (e.g. GCS dataLocations) may be stored, together.

    Any unknown location makes the whole spread unknown, naming every unknown one.
    """
    spreads = [places(provider, loc) for loc in locations]
    if not spreads:
        return Spread(unknown=("(no location)",))
    unknown = tuple(name for s in spreads for name in s.unknown)
    if unknown:
        return Spread(unknown=unknown)
    return Spread(places=frozenset().union(*(s.places for s in spreads)))


def parts(provider: str, location: str | None) -> tuple[str, ...]:
    """Member regions of a dual- or multi-region location (empty for a region or unknown)."""
    hit = _resolve(provider, location)
    table = _provider(provider)
    return table.parts.get(hit[0], ()) if hit and table else ()


def redundancy_stays(provider: str, redundancy: str | None) -> str | None:
    """Why a storage redundancy type keeps data in its region's places; None if not known."""
    table = _provider(provider)
    if table is None or not isinstance(redundancy, str):
        return None
    return table.redundancy.get(redundancy.strip().upper())


def _shown(location: str | None) -> str:
    return location.strip() if isinstance(location, str) and location.strip() else repr(location)


def regions(provider: str) -> list[str]:
    """Canonical location codes of ``provider`` (empty for an unknown provider)."""
    table = _provider(provider)
    return list(table.codes) if table else []


def jurisdictions() -> list[str]:
    """Sorted jurisdiction codes used anywhere in the table."""
    found = {
        loc.jurisdiction
        for table in _table().values()
        for _, loc in table.index.values()
        if loc.jurisdiction
    }
    return sorted(found)
