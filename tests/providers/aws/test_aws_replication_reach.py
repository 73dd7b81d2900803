"""An S3 bucket replicating to another region puts its data in that region's legal reach:
real boto3 against moto, the core deriving legal_reach.jurisdictions from the collected
data_residency.replication_destinations (auditor/derived_facts.py), the shipped
data-legal-reach check deciding on it.

Worked by hand (auditor/data/jurisdictions.yaml: AWS operates these regions, home US; the
region table: eu-west-1 EU, ap-southeast-1 SG): eu-alone [EU, US]; eu-to-eu [EU, US];
eu-to-sg [EU, SG, US], FAIL against the default EU/US/UK/CH; eu-to-sg-denied, whose
GetBucketReplication the scanner may not call, is denied (never the narrower [EU, US]).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_support import by_name, collect, mocked_estate

from auditor.checks import compile_check, load_checks
from auditor.derived_facts import JURISDICTIONS, derive_inventory, with_inputs
from auditor.engine import evaluate_one
from auditor.model import Inventory

EU, SG = "eu-west-1", "ap-southeast-1"
ESTATE: dict[str, Any] = {
    "regions": [EU, SG],
    # moto authorizes GET ?replication as s3:ListBucket (its ACTION_MAP names no replication
    # action; IAM's is s3:GetReplicationConfiguration): deny it as moto checks it. Encryption
    # is denied with it (same mapping), which is no input of legal_reach.jurisdictions.
    "scanner": {"deny": [{"action": "s3:ListBucket", "bucket": "eu-to-sg-denied"}]},
    "buckets": [
        {"name": "dr-sg", "region": SG, "versioning": "Enabled"},
        {"name": "dr-eu", "region": EU, "versioning": "Enabled"},
        {"name": "eu-alone", "region": EU, "versioning": "Enabled"},
        {"name": "eu-to-eu", "region": EU, "versioning": "Enabled", "replication": "dr-eu"},
        {"name": "eu-to-sg", "region": EU, "versioning": "Enabled", "replication": "dr-sg"},
        {"name": "eu-to-sg-denied", "region": EU, "versioning": "Enabled",
         "replication": "dr-sg"},
    ],
}
# bucket -> (state of legal_reach.jurisdictions, its value, data-legal-reach's status)
EXPECTED = {
    "eu-alone": ("observed", ["EU", "US"], "PASS"),
    "eu-to-eu": ("observed", ["EU", "US"], "PASS"),
    "eu-to-sg": ("observed", ["EU", "SG", "US"], "FAIL"),
    "eu-to-sg-denied": ("denied", None, "UNVERIFIED"),
}


def test_a_replication_destination_is_in_the_legal_reach(tmp_path: Path) -> None:
    (check,) = [compile_check(c) for c in load_checks() if c.id == "data-legal-reach"]
    facts = with_inputs({"storage.bucket": frozenset(check.check.reads)})
    assert "data_residency.replication_destinations" in facts["storage.bucket"]
    with mocked_estate(ESTATE, tmp_path):
        collection = collect({"region": [EU, SG]}, {k: set(v) for k, v in facts.items()})
    buckets = by_name(collection, "storage.bucket")
    derive_inventory(Inventory([], list(buckets.values())))
    got = {name: (buckets[name].facts[JURISDICTIONS].state.value,
                  buckets[name].facts[JURISDICTIONS].value,
                  evaluate_one(check, buckets[name])[0].value) for name in EXPECTED}
    assert got == EXPECTED
    assert "GetBucketReplication" in " ".join(buckets["eu-to-sg-denied"].facts[JURISDICTIONS]
                                              .source)
