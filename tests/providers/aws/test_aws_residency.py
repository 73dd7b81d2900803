"""S3 replication targets are places the data is stored: real boto3 against moto.

Rules[].Destination.Bucket is an ARN without a region; the adapter resolves the destination's
region (ListBuckets BucketRegion, else GetBucketLocation) and places it with the region table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_support import by_name, collect, mocked_estate

from auditor.checks import compile_check, load_checks
from auditor.engine import evaluate_one
from auditor.model import FactState, Resource

US, EU = "us-east-1", "eu-west-1"
# A region moto accepts but no AWS partition has: the table cannot place it.
NOWHERE = "xx-nowhere-1"
PATHS = {"data_residency.replication_destinations", "data_residency.replication_jurisdictions",
         "data_residency.jurisdiction"}
# Source of the verdicts: botocore endpoints data (us-east-1 "US East (N. Virginia)",
# eu-west-1 "Europe (Ireland)"); S3 GetBucketReplication, Rules[].Destination.Bucket is an ARN.
ESTATE: dict[str, Any] = {
    "regions": [US, EU],
    "buckets": [
        {"name": "dr-ireland", "region": EU, "versioning": "Enabled"},
        {"name": "dr-nowhere", "region": NOWHERE, "versioning": "Enabled"},
        {"name": "us-to-ireland", "region": US, "versioning": "Enabled",
         "replication": "dr-ireland"},
        {"name": "us-to-nowhere", "region": US, "versioning": "Enabled",
         "replication": "dr-nowhere"},
    ],
}


def _status(resource: Resource, allowed: list[str]) -> str:
    (check,) = [c for c in load_checks() if c.id == "bucket-replication-residency"]
    status, _ = evaluate_one(compile_check(check, {"allowed_jurisdictions": allowed}), resource)
    return status.name


def test_replication_targets_are_placed_or_named_unknown(tmp_path: Path) -> None:
    with mocked_estate(ESTATE, tmp_path):
        collection = collect({"region": [US, EU]}, {"storage.bucket": PATHS})
    buckets = by_name(collection, "storage.bucket")

    abroad = buckets["us-to-ireland"]
    jurisdictions = abroad.facts["data_residency.replication_jurisdictions"]
    assert jurisdictions.state is FactState.OBSERVED and jurisdictions.value == ["EU"]
    assert abroad.facts["data_residency.replication_destinations"].value == [
        {"target": "arn:aws:s3:::dr-ireland", "region": EU, "country": "IE",
         "jurisdiction": "EU"}]
    assert _status(abroad, ["US"]) == "FAIL"
    assert _status(abroad, ["US", "EU"]) == "PASS"

    lost = buckets["us-to-nowhere"]
    for path in ("data_residency.replication_jurisdictions",
                 "data_residency.replication_destinations"):
        fact = lost.facts[path]
        assert fact.state is FactState.ERROR and fact.value is None, (path, fact)
        assert NOWHERE in fact.detail and "dr-nowhere" in fact.detail, fact.detail
    assert _status(lost, ["US", "EU"]) == "UNVERIFIED"


def test_bucket_is_stored_in_its_one_region_jurisdiction(tmp_path: Path) -> None:
    # An S3 bucket's objects stay in the AWS Region it was created in ("Buckets overview",
    # S3 User Guide); botocore endpoints data: eu-west-1 "Europe (Ireland)".
    home = {"data_residency.region", "data_residency.jurisdiction",
            "data_residency.jurisdictions"}
    with mocked_estate(ESTATE, tmp_path):
        collection = collect({"region": [US, EU, NOWHERE]}, {"storage.bucket": home})
    buckets = by_name(collection, "storage.bucket")
    (check,) = [c for c in load_checks() if c.id == "bucket-data-residency"]

    ireland = buckets["dr-ireland"]
    fact = ireland.facts["data_residency.jurisdictions"]
    assert fact.state is FactState.OBSERVED and fact.value == ["EU"], fact
    assert fact.source == ireland.facts["data_residency.jurisdiction"].source
    assert fact.source[0] in ("s3:GetBucketLocation", "s3:ListBuckets"), fact.source
    assert evaluate_one(compile_check(check, {"allowed_jurisdictions": ["EU"]}),
                        ireland)[0].name == "PASS"
    assert evaluate_one(compile_check(check, {"allowed_jurisdictions": ["US"]}),
                        ireland)[0].name == "FAIL"
    assert buckets["us-to-ireland"].facts[
        "data_residency.jurisdictions"].value == ["US"]

    lost = buckets["dr-nowhere"].facts["data_residency.jurisdictions"]
    assert lost.state is FactState.ERROR and lost.value is None and NOWHERE in lost.detail
