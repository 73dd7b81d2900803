"""Where a bucket's data lives: provider region code -> country, jurisdiction, multi-region.

The table is data (auditor/data/regions.yaml, sources named in its header); this module only
loads it once, on first use, and answers lookups. Lookups never raise: an unknown provider or
region gives a Location with known=False.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

_TABLE_PATH = Path(__file__).resolve().parent / "data" / "regions.yaml"


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


@dataclass(frozen=True)
class _Provider:
    codes: tuple[str, ...]  # canonical codes, in file order
    index: dict[str, tuple[str, Location]]  # casefolded code or alias -> (code, location)
    optional_prefix: str


def _entry_location(entry: dict[str, Any]) -> Location:
    return Location(
        country=entry.get("country"),
        jurisdiction=entry.get("jurisdiction"),
        multi_region=bool(entry.get("multi_region", False)),
        known=True,
    )


@cache
def _table() -> dict[str, _Provider]:
    with open(_TABLE_PATH, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    lookup = doc.get("lookup") or {}
    table: dict[str, _Provider] = {}
    for provider, entries in doc["regions"].items():
        index: dict[str, tuple[str, Location]] = {}
        for code, entry in entries.items():
            found = (code, _entry_location(entry))
            for key in (code, *entry.get("aliases", ())):
                index[str(key).casefold()] = found
        prefix = (lookup.get(provider) or {}).get("optional_prefix", "")
        table[provider.casefold()] = _Provider(tuple(entries), index, prefix.casefold())
    return table


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
