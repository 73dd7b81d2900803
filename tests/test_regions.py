"""The region table: complete against botocore, well-formed, and right where it matters."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import botocore.loaders
import botocore.session
import pytest
import yaml

from auditor import regions
from auditor.regions import Location, combine, locate, normalize_aws_location

# Each adapter ships its own table (auditor/providers/<p>/regions.yaml); read here as one.
PROVIDER_TABLES = {
    provider: yaml.safe_load(
        (Path(regions.__file__).parent / "providers" / provider / "regions.yaml")
        .read_text(encoding="utf-8"))
    for provider in ("aws", "gcp", "alibaba")
}
TABLE = {
    "regions": {p: doc["regions"] for p, doc in PROVIDER_TABLES.items()},
    "sources": {k: v for doc in PROVIDER_TABLES.values() for k, v in doc["sources"].items()},
}
ENTRIES = [
    (provider, code, entry)
    for provider, codes in TABLE["regions"].items()
    for code, entry in codes.items()
]
EU_MEMBERS = set(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)
CODE_PATTERNS = {
    "aws": re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d$"),
    "gcp": re.compile(r"^[A-Z0-9]+(-[A-Z0-9]+)*$"),
    "alibaba": re.compile(r"^oss-[a-z0-9]+(-[a-z0-9]+)*$"),
}
FIELDS = {"country", "jurisdiction", "multi_region", "name", "source"}
OPTIONAL = {"parts", "aliases", "note"}


def expected_jurisdiction(country: str) -> str:
    """The table's rule: EU members share "EU", the United Kingdom is "UK", else the country."""
    if country in EU_MEMBERS:
        return "EU"
    return "UK" if country == "GB" else country


def botocore_regions() -> set[str]:
    endpoints = botocore.loaders.create_loader().load_data("endpoints")
    found = {region for part in endpoints["partitions"] for region in part["regions"]}
    session = botocore.session.get_session()
    for partition in session.get_available_partitions():
        found.update(session.get_available_regions("s3", partition_name=partition))
    return found


def test_every_botocore_region_is_in_the_table() -> None:
    shipped = botocore_regions()
    assert {"us-east-1", "cn-north-1", "us-gov-west-1"} <= shipped  # the loader saw 3 partitions
    missing = sorted(r for r in shipped if not locate("aws", r).known)
    assert missing == [], f"regions botocore ships but the table lacks: {missing}"


@pytest.mark.parametrize(("provider", "code", "entry"), ENTRIES,
                         ids=[f"{p}:{c}" for p, c, _ in ENTRIES])
def test_entry_is_well_formed(provider: str, code: str, entry: dict) -> None:
    assert CODE_PATTERNS[provider].match(code)
    assert FIELDS <= set(entry) <= FIELDS | OPTIONAL
    assert isinstance(entry["multi_region"], bool)
    assert isinstance(entry["name"], str) and entry["name"].strip()
    country, jurisdiction = entry["country"], entry["jurisdiction"]
    # YAML 1.1 would read NO (Norway) as false: every code must stay a string.
    assert country is None or (isinstance(country, str) and re.fullmatch(r"[A-Z]{2}", country))
    assert jurisdiction is None or (
        isinstance(jurisdiction, str) and re.fullmatch(r"[A-Z]{2}", jurisdiction)
    )
    if not entry["multi_region"]:
        assert country is not None, "a single region is in one country"
    if country is not None:
        assert jurisdiction == expected_jurisdiction(country)
    for alias in entry.get("aliases", ()):
        assert isinstance(alias, str) and alias
    # Every entry names its documentation, and every entry has at least one place.
    assert entry["source"] in TABLE["sources"]
    if "parts" not in entry:
        assert country and jurisdiction, "an entry without parts is one place"
    assert regions.places(provider, code).places


def test_every_source_is_used_and_described() -> None:
    used = {e["source"] for _, _, e in ENTRIES}
    assert used == set(TABLE["sources"])
    assert all(isinstance(text, str) and len(text) > 40 for text in TABLE["sources"].values())


@pytest.mark.parametrize(
    ("provider", "code"),
    [(p, c) for p, c, e in ENTRIES if "parts" in e],
)
def test_dual_and_multi_region_agree_with_their_parts(provider: str, code: str) -> None:
    parts = TABLE["regions"][provider][code]["parts"]
    # A dual-region pairs two regions; a multi-region spans more.
    assert len(parts) == 2 or code in ("ASIA", "EU")
    assert len(set(parts)) == len(parts)
    derived = combine(locate(provider, part) for part in parts)
    assert derived.known and derived.multi_region
    assert locate(provider, code) == derived
    assert regions.places(provider, code) == regions.places_of(provider, parts)


def test_codes_and_aliases_are_unique_ignoring_case() -> None:
    for provider, codes in TABLE["regions"].items():
        keys = [k.casefold() for c, e in codes.items() for k in (c, *e.get("aliases", ()))]
        assert len(keys) == len(set(keys)), provider


def test_providers_have_their_locations() -> None:
    assert len(regions.regions("aws")) == len(TABLE["regions"]["aws"]) >= 40
    assert "NAM4" in regions.regions("gcp") and "EU" in regions.regions("gcp")
    assert "oss-cn-hangzhou" in regions.regions("alibaba")
    assert regions.regions("azure") == []


@pytest.mark.parametrize(
    ("provider", "region", "country", "jurisdiction", "multi"),
    [
        ("aws", "eu-west-1", "IE", "EU", False),
        ("aws", "us-east-1", "US", "US", False),
        ("aws", "cn-north-1", "CN", "CN", False),
        ("aws", "eu-west-2", "GB", "UK", False),
        ("aws", "eu-central-2", "CH", "CH", False),
        ("aws", "ap-east-1", "HK", "HK", False),
        ("alibaba", "oss-cn-hangzhou", "CN", "CN", False),
        ("alibaba", "oss-cn-hongkong", "HK", "HK", False),
        ("alibaba", "oss-eu-central-1", "DE", "EU", False),
        ("alibaba", "oss-eu-west-1", "GB", "UK", False),
        ("alibaba", "oss-rg-china-mainland", "CN", "CN", True),
        ("gcp", "europe-west2", "GB", "UK", False),
        ("gcp", "US", "US", "US", True),
        ("gcp", "EU", None, "EU", True),
        ("gcp", "ASIA", None, None, True),
        ("gcp", "NAM4", "US", "US", True),
        ("gcp", "EUR4", None, "EU", True),
        ("gcp", "ASIA1", "JP", "JP", True),
    ],
)
def test_spot_checks(provider: str, region: str, country: str | None,
                     jurisdiction: str | None, multi: bool) -> None:
    assert locate(provider, region) == Location(country, jurisdiction, multi, known=True)


def test_gcs_locations_are_case_insensitive() -> None:
    upper = locate("gcp", "US-CENTRAL1")
    assert upper == locate("gcp", "us-central1") == locate("gcp", "Us-Central1")
    assert upper.country == "US" and not upper.multi_region
    assert locate("gcp", "eu") == locate("gcp", "EU")
    assert locate("GCP", " europe-west3 ").jurisdiction == "EU"


def test_alibaba_region_id_without_oss_prefix() -> None:
    assert locate("alibaba", "cn-hangzhou") == locate("alibaba", "oss-cn-hangzhou")
    assert locate("alibaba", "cn-hongkong").jurisdiction == "HK"
    assert locate("alibaba", "OSS-EU-CENTRAL-1").country == "DE"
    assert regions.canonical("alibaba", "cn-shanghai") == "oss-cn-shanghai"
    # an alias stored without the prefix resolves too
    assert regions.canonical("alibaba", "cn-hangzhou-finance") == "oss-cn-hzfinance"


def test_normalize_aws_location_quirks() -> None:
    assert normalize_aws_location(None) == "us-east-1"
    assert normalize_aws_location("") == "us-east-1"
    assert normalize_aws_location("EU") == "eu-west-1"
    assert normalize_aws_location("eu-central-1") == "eu-central-1"
    assert normalize_aws_location("xx-nowhere-9") == "xx-nowhere-9"  # passed through, not guessed
    assert locate("aws", "EU") == locate("aws", "eu-west-1")


@pytest.mark.parametrize(
    ("provider", "region"),
    [("aws", "mars-north-1"), ("gcp", "EUR99"), ("alibaba", "oss-cn-atlantis"),
     ("azure", "westeurope"), ("aws", None), ("aws", ""), ("gcp", "   "),
     ("alibaba", "oss-"), ("gcp", "oss-cn-hangzhou")],
)
def test_unknown_region_is_not_known_and_never_raises(provider: str, region: str | None) -> None:
    found = locate(provider, region)
    assert found == Location(None, None, False, known=False)
    assert found.known is False


def test_combine_configurable_dual_region() -> None:
    eu_pair = combine(locate("gcp", r) for r in ("EUROPE-WEST1", "EUROPE-WEST4"))
    assert eu_pair == Location(None, "EU", True, known=True)
    de_pair = combine(locate("gcp", r) for r in ("EUROPE-WEST3", "EUROPE-WEST10"))
    assert de_pair == Location("DE", "EU", True, known=True)
    assert combine([locate("gcp", "EUROPE-WEST3"), locate("gcp", "EUROPE-WEST6")]).jurisdiction \
        is None
    assert combine([locate("gcp", "US-EAST1")]) == locate("gcp", "US-EAST1")
    assert combine([locate("gcp", "US-EAST1"), locate("gcp", "NOWHERE1")]).known is False
    assert combine([]).known is False


def test_location_unpacks_as_the_common_tuple() -> None:
    country, jurisdiction, multi = locate("aws", "eu-west-1")
    assert (country, jurisdiction, multi) == ("IE", "EU", False)


def test_jurisdictions_are_sorted_and_cover_the_table() -> None:
    found = regions.jurisdictions()
    assert found == sorted(set(found))
    assert {"EU", "UK", "US", "CN", "HK", "CH", "JP"} <= set(found)
    expected = {e["jurisdiction"] for _, _, e in ENTRIES if e["jurisdiction"]}
    assert set(found) == expected
    assert None not in found and "GB" not in found


def test_table_is_loaded_lazily_and_once() -> None:
    # A fresh interpreter: importing the module reads nothing; many lookups read the file once.
    probe = (
        "import auditor.regions as r\n"
        "before = r._table.cache_info().currsize\n"
        "r.locate('aws', 'us-east-1'); r.locate('gcp', 'EU'); r.jurisdictions()\n"
        "print(before, r._table.cache_info().misses)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["0", "1"]


@pytest.mark.parametrize(
    ("provider", "location"),
    [("aws", "mars-north-1"), ("gcp", "EUR99"), ("alibaba", "oss-cn-atlantis"),
     ("azure", "westeurope"), ("aws", None), ("gcp", "   ")],
)
def test_unknown_location_has_no_places_but_is_named(provider: str, location: str | None) -> None:
    spread = regions.places(provider, location)
    assert not spread.known and not spread.places
    assert spread.unknown and spread.unknown[0]  # named, never an empty answer
    assert spread.jurisdictions == []


def test_places_of_names_every_unknown_location() -> None:
    spread = regions.places_of("gcp", ["EUROPE-WEST1", "EUROPE-WEST99", "MOON1"])
    assert spread.unknown == ("EUROPE-WEST99", "MOON1") and not spread.places
    assert not regions.places_of("gcp", []).known
    pair = regions.places_of("gcp", ["europe-west3", "EUROPE-WEST6"])
    assert pair.jurisdictions == ["CH", "EU"] and pair.countries == ["CH", "DE"]


def test_a_spread_is_either_places_or_unknown() -> None:
    with pytest.raises(ValueError):
        regions.Spread()
    with pytest.raises(ValueError):
        regions.Spread(places=frozenset({regions.Place("US", "US")}), unknown=("X",))


def test_eu_multi_region_leaves_out_london_and_zurich() -> None:
    # Cloud Storage "Bucket locations": EU object data is not stored in EUROPE-WEST2 or -WEST6.
    assert {"EUROPE-WEST2", "EUROPE-WEST6"}.isdisjoint(regions.parts("gcp", "eu"))
    assert regions.places("gcp", "EU").jurisdictions == ["EU"]
    assert regions.parts("gcp", "US") == () and regions.parts("gcp", "nowhere") == ()


@pytest.mark.parametrize(("redundancy", "stays"), [("ZRS", True), ("lrs", True),
                                                   ("GRS", False), (None, False)])
def test_oss_redundancy_types_the_table_knows(redundancy: str | None, stays: bool) -> None:
    # OSS "Zone-redundant storage": ZRS spreads zones of ONE region, no new jurisdiction.
    assert (regions.redundancy_stays("alibaba", redundancy) is not None) is stays
    assert regions.redundancy_stays("aws", "ZRS") is None
