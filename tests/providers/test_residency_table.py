"""A location spread over several places is a replication: every place counts, none is dropped.

Table-driven from the providers' location documentation; the Cloud Storage and OSS cases run
the real SDK clients against the project's stand-ins (auditor.providers.gcp.sandbox / .alibaba).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from auditor.checks import compile_check, load_checks
from auditor.engine import evaluate_one, finding_for
from auditor.model import FactState, Resource
from auditor.providers.alibaba import AlibabaAdapter
from auditor.providers.alibaba.sandbox import AlibabaSandbox
from auditor.providers.base import CollectRequest
from auditor.providers.gcp import GcpAdapter
from auditor.providers.gcp.sandbox import GcpSandbox
from auditor.regions import Place, places
from auditor.transparency import residency_summary

BUCKET = "storage.bucket"
RESIDENCY = frozenset({"data_residency.region", "data_residency.country",
                       "data_residency.jurisdiction", "data_residency.jurisdictions",
                       "data_residency.multi_region",
                       "data_residency.replication_destinations",
                       "data_residency.replication_jurisdictions"})
GCS_PAGE = "Cloud Storage 'Bucket locations', https://cloud.google.com/storage/docs/locations"
GCS_UNVERIFIED = GCS_PAGE + " (pairing UNVERIFIED: see source gcs-dual-unverified)"
OSS_ZRS = "OSS 'Zone-redundant storage': ZRS keeps data in several zones of one region"

# location -> (documented places, source). Predefined dual-regions pair two regions; the EU
# multi-region stays in EU member states (never EUROPE-WEST2 London or EUROPE-WEST6 Zurich);
# ASIA is "Data centers in Asia": every Asian country Cloud Storage has a region in.
GCS_LOCATIONS: dict[str, tuple[set[tuple[str, str]], str]] = {
    "ASIA1": ({("JP", "JP")}, GCS_PAGE + ": Tokyo and Osaka"),
    "EUR4": ({("FI", "EU"), ("NL", "EU")}, GCS_PAGE + ": EUROPE-NORTH1 and EUROPE-WEST4"),
    "NAM4": ({("US", "US")}, GCS_PAGE + ": US-CENTRAL1 and US-EAST1"),
    "EUR5": ({("BE", "EU"), ("GB", "UK")}, GCS_UNVERIFIED + ": Belgium and London"),
    "EUR7": ({("GB", "UK"), ("DE", "EU")}, GCS_UNVERIFIED + ": London and Frankfurt"),
    "EUR8": ({("DE", "EU"), ("CH", "CH")}, GCS_UNVERIFIED + ": Frankfurt and Zurich"),
    "US": ({("US", "US")}, GCS_PAGE + ": Data centers in the United States"),
    "EU": ({("PL", "EU"), ("FI", "EU"), ("SE", "EU"), ("ES", "EU"), ("BE", "EU"), ("DE", "EU"),
            ("NL", "EU"), ("IT", "EU"), ("FR", "EU")},
           GCS_PAGE + ": Data centers within member states of the European Union"),
    "ASIA": ({("TW", "TW"), ("HK", "HK"), ("JP", "JP"), ("KR", "KR"), ("IN", "IN"),
              ("SG", "SG"), ("ID", "ID"), ("TH", "TH")}, GCS_PAGE + ": Data centers in Asia"),
}

# bucket -> (location spec, check verdicts {allowed jurisdictions: status}, source)
GCS_VERDICTS: dict[str, tuple[dict[str, Any], dict[tuple[str, ...], str], str]] = {
    "multi-us": ({"location": "US"}, {("EU",): "FAIL", ("US",): "PASS"},
                 GCS_PAGE + ": US multi-region, data centers in the United States"),
    "multi-eu": ({"location": "EU"}, {("EU",): "PASS", ("US",): "FAIL"},
                 GCS_PAGE + ": EU multi-region, EU member states only"),
    "multi-asia": ({"location": "ASIA"}, {("JP",): "FAIL"},
                   GCS_PAGE + ": ASIA multi-region, data centers in Asia (not only Japan)"),
    "dual-eur8": ({"location": "EUR8"}, {("EU",): "FAIL", ("EU", "CH"): "PASS"},
                  GCS_UNVERIFIED + ": Frankfurt and Zurich"),
    "dual-asia1": ({"location": "ASIA1"}, {("JP",): "PASS"}, GCS_PAGE + ": Tokyo and Osaka"),
    "region-london": ({"location": "europe-west2"}, {("EU",): "PASS"},
                      GCS_PAGE + ": a region keeps its copies in its own zones"),
}

# bucket -> (bucket-data-residency verdicts {allowed jurisdictions: status}, source). The
# bucket's own data is in every place of its location, so each place must be allowed.
GCS_HOME_VERDICTS: dict[str, tuple[dict[tuple[str, ...], str], str]] = {
    "multi-asia": ({("HK", "ID", "IN", "JP", "KR", "SG", "TH", "TW"): "PASS", ("JP",): "FAIL"},
                   GCS_PAGE + ": ASIA multi-region, data centers in Asia"),
    "loc-eur4": ({("EU",): "PASS", ("US",): "FAIL"},
                 GCS_PAGE + ": EUR4 is EUROPE-NORTH1 (Finland) and EUROPE-WEST4 (Netherlands)"),
    "dual-eur8": ({("EU",): "FAIL", ("CH", "EU"): "PASS"},
                  GCS_UNVERIFIED + ": Frankfurt and Zurich"),
    "region-london": ({("UK",): "PASS", ("EU",): "FAIL"},
                      GCS_PAGE + ": EUROPE-WEST2 is London"),
}

# bucket -> (location spec, the location the error must name)
GCS_UNKNOWN: dict[str, tuple[dict[str, Any], str]] = {
    "dual-unknown": ({"location": "EUR99", "location_type": "dual-region"}, "EUR99"),
    "multi-unknown": ({"location": "MARS", "location_type": "multi-region"}, "MARS"),
    "custom-unknown-part": ({"location": "EU",
                             "data_locations": ["EUROPE-WEST1", "EUROPE-WEST99"]},
                            "EUROPE-WEST99"),
}


def _gcs_estate() -> dict[str, Any]:
    buckets = [{"name": f"loc-{code.lower()}", "location": code} for code in GCS_LOCATIONS]
    buckets += [{"name": name, **spec} for name, (spec, _, _) in GCS_VERDICTS.items()]
    buckets += [{"name": name, **spec} for name, (spec, _) in GCS_UNKNOWN.items()]
    return {"projects": [{"id": "t-residency", "number": "700000000099", "buckets": buckets}]}


@pytest.fixture(scope="module")
def gcs_buckets() -> Iterator[dict[str, Resource]]:
    box = GcpSandbox()
    box.start()
    try:
        box.seed(_gcs_estate())
        collection = GcpAdapter(base_delay=0.005).collect(CollectRequest(
            options=box.scan_options(), facts={BUCKET: RESIDENCY}, max_workers=4))
    finally:
        box.stop()
    yield {r.name: r for r in collection.resources if r.kind == BUCKET}


def _status(resource: Resource, check_id: str, allowed: list[str]) -> str:
    (check,) = [c for c in load_checks() if c.id == check_id]
    status, _ = evaluate_one(compile_check(check, {"allowed_jurisdictions": allowed}), resource)
    return status.name


def _observed(resource: Resource, path: str) -> Any:
    fact = resource.facts[path]
    assert fact.state is FactState.OBSERVED, (resource.name, path, fact)
    return fact.value


@pytest.mark.parametrize("code", sorted(GCS_LOCATIONS))
def test_gcs_location_has_its_documented_places(code: str) -> None:
    want, _source = GCS_LOCATIONS[code]
    spread = places("gcp", code)
    assert spread.known
    assert spread.places == {Place(c, j) for c, j in want}


@pytest.mark.parametrize("code", sorted(GCS_LOCATIONS))
def test_gcs_bucket_in_a_spread_location_replicates_to_every_place(
        gcs_buckets: dict[str, Resource], code: str) -> None:
    want, _source = GCS_LOCATIONS[code]
    bucket = gcs_buckets[f"loc-{code.lower()}"]
    assert _observed(bucket, "data_residency.multi_region") is True
    assert _observed(bucket, "data_residency.replication_jurisdictions") == sorted(
        {j for _, j in want})
    destinations = _observed(bucket, "data_residency.replication_destinations")
    assert {(d["country"], d["jurisdiction"]) for d in destinations} == want


@pytest.mark.parametrize(("name", "allowed"),
                         [(n, a) for n, (_, verdicts, _) in GCS_VERDICTS.items() for a in verdicts])
def test_gcs_replication_residency_verdict(gcs_buckets: dict[str, Resource], name: str,
                                           allowed: tuple[str, ...]) -> None:
    _spec, verdicts, _source = GCS_VERDICTS[name]
    status = _status(gcs_buckets[name], "bucket-replication-residency", list(allowed))
    assert status == verdicts[allowed], (name, allowed, gcs_buckets[name].facts[
        "data_residency.replication_jurisdictions"])


@pytest.mark.parametrize("code", sorted(GCS_LOCATIONS))
def test_gcs_bucket_is_stored_in_every_jurisdiction_of_its_location(
        gcs_buckets: dict[str, Resource], code: str) -> None:
    want, _source = GCS_LOCATIONS[code]
    bucket = gcs_buckets[f"loc-{code.lower()}"]
    assert _observed(bucket, "data_residency.jurisdictions") == sorted({j for _, j in want})


def test_gcs_single_region_bucket_has_its_one_jurisdiction(
        gcs_buckets: dict[str, Resource]) -> None:
    # GCS_PAGE: EUROPE-WEST2 is London; a region keeps its copies in its own zones.
    bucket = gcs_buckets["region-london"]
    assert _observed(bucket, "data_residency.jurisdictions") == ["UK"]
    assert _observed(bucket, "data_residency.jurisdiction") == "UK"


@pytest.mark.parametrize(("name", "allowed"),
                         [(n, a) for n, (verdicts, _) in GCS_HOME_VERDICTS.items() for a in verdicts])
def test_gcs_data_residency_verdict(gcs_buckets: dict[str, Resource], name: str,
                                    allowed: tuple[str, ...]) -> None:
    verdicts, _source = GCS_HOME_VERDICTS[name]
    status = _status(gcs_buckets[name], "bucket-data-residency", list(allowed))
    assert status == verdicts[allowed], (name, allowed, gcs_buckets[name].facts[
        "data_residency.jurisdictions"])


def test_gcs_residency_summary_counts_a_spread_location_as_no_single_home(
        gcs_buckets: dict[str, Resource]) -> None:
    (check,) = [c for c in load_checks() if c.id == "bucket-data-residency"]
    compiled = compile_check(check)
    findings = [finding_for(compiled, gcs_buckets[n])
                for n in ("loc-eur4", "region-london", "multi-asia")]
    assert residency_summary(findings)["buckets_per_jurisdiction"] == {
        "EU": 1, "UK": 1, "unknown": 1}


@pytest.mark.parametrize("name", sorted(GCS_UNKNOWN))
def test_gcs_unknown_place_is_an_error_naming_it(gcs_buckets: dict[str, Resource],
                                                 name: str) -> None:
    _spec, unknown = GCS_UNKNOWN[name]
    bucket = gcs_buckets[name]
    for path in ("data_residency.replication_jurisdictions",
                 "data_residency.replication_destinations", "data_residency.jurisdiction",
                 "data_residency.jurisdictions"):
        fact = bucket.facts[path]
        assert fact.state is FactState.ERROR and fact.value is None, (path, fact)
        assert unknown in fact.detail, (path, fact.detail)
    assert _status(bucket, "bucket-replication-residency", ["EU"]) == "UNVERIFIED"
    assert _status(bucket, "bucket-data-residency", ["EU"]) == "UNVERIFIED"


# --- Alibaba Cloud OSS ------------------------------------------------------------------

OSS_BUCKETS: list[dict[str, Any]] = [
    # OSS_ZRS: zone-redundant storage stays in the region, so its places are the region's.
    {"name": "zrs-hangzhou", "region": "oss-cn-hangzhou", "redundancy": "ZRS"},
    {"name": "lrs-hangzhou", "region": "oss-cn-hangzhou", "redundancy": "LRS"},
    # OSS "Regions and endpoints": oss-eu-central-1 is Germany (Frankfurt).
    {"name": "crr-frankfurt", "region": "oss-cn-hangzhou",
     "replication": [{"bucket": "dr-frankfurt", "region": "oss-eu-central-1"}]},
    {"name": "crr-nowhere", "region": "oss-cn-hangzhou",
     "replication": [{"bucket": "dr-nowhere", "region": "oss-xx-atlantis-1"}]},
]


@pytest.fixture(scope="module")
def oss_buckets() -> Iterator[dict[str, Resource]]:
    box = AlibabaSandbox()
    box.start()
    try:
        box.seed({"account": "1122334455667788", "buckets": OSS_BUCKETS})
        with pytest.MonkeyPatch.context() as mp:
            for name, value in box.environment().items():
                mp.setenv(name, value)
            collection = AlibabaAdapter(retry_attempts=2, retry_base_delay=0.001,
                                        retry_max_delay=0.005).collect(CollectRequest(
                options=box.scan_options(), max_workers=4))  # all facts: GetBucketInfo too
    finally:
        box.stop()
    yield {r.name: r for r in collection.resources if r.kind == BUCKET}


@pytest.mark.parametrize("name", ["zrs-hangzhou", "lrs-hangzhou"])
def test_oss_redundancy_stays_in_the_region(oss_buckets: dict[str, Resource], name: str) -> None:
    bucket = oss_buckets[name]
    assert _observed(bucket, "data_residency.country") == "CN"
    assert _observed(bucket, "data_residency.jurisdiction") == "CN"
    assert _observed(bucket, "data_residency.jurisdictions") == ["CN"]
    assert _observed(bucket, "data_residency.multi_region") is False
    detail = bucket.facts["data_residency.multi_region"].detail
    assert f"DataRedundancyType {name[:3].upper()}" in detail and "region" in detail
    assert _observed(bucket, "data_residency.replication_jurisdictions") == []
    assert _status(bucket, "bucket-data-residency", ["CN"]) == "PASS"
    assert _status(bucket, "bucket-replication-residency", ["CN"]) == "PASS"


def test_oss_replication_target_counts(oss_buckets: dict[str, Resource]) -> None:
    bucket = oss_buckets["crr-frankfurt"]
    assert _observed(bucket, "data_residency.replication_jurisdictions") == ["EU"]
    assert _observed(bucket, "data_residency.replication_destinations") == [
        {"target": "dr-frankfurt", "region": "oss-eu-central-1", "country": "DE",
         "jurisdiction": "EU"}]
    assert _status(bucket, "bucket-replication-residency", ["CN"]) == "FAIL"


def test_oss_unknown_replication_target_is_an_error_naming_it(
        oss_buckets: dict[str, Resource]) -> None:
    bucket = oss_buckets["crr-nowhere"]
    for path in ("data_residency.replication_jurisdictions",
                 "data_residency.replication_destinations"):
        fact = bucket.facts[path]
        assert fact.state is FactState.ERROR and fact.value is None, (path, fact)
        assert "oss-xx-atlantis-1" in fact.detail and "dr-nowhere" in fact.detail
    assert _status(bucket, "bucket-replication-residency", ["CN", "EU"]) == "UNVERIFIED"
