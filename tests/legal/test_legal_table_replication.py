"""The report's legal-reach table agrees with the check data-legal-reach on replicated data:
a bucket's row counts its replication destinations (the derived legal_reach.jurisdictions
the check read), and a destination not read makes the row's reach unknown, never narrower.

Worked by hand from auditor/data/jurisdictions.yaml and the region tables: AWS operates its
eu-west-1 (Ireland, EU) and ap-southeast-1 (Singapore, SG) itself, home US.
"""

from __future__ import annotations

from typing import Any

import pytest

from auditor.checks import compile_check, load_checks
from auditor.model import Fact, Inventory, ProviderRun, Resource, Status
from auditor.pipeline import build_report
from auditor.reports.legal import legal_reach_rows

OP = "s3:GetBucketReplication"
TO_SINGAPORE = [{"target": "arn:aws:s3:::dr-sg", "region": "ap-southeast-1", "country": "SG",
                 "jurisdiction": "SG"}]


def _bucket(name: str, replicas: Fact | None, custody: str = "provider_kms") -> Resource:
    facts = {"data_residency.region": Fact.observed("eu-west-1", "s3:GetBucketLocation"),
             "data_residency.jurisdictions": Fact.observed(["EU"], "s3:GetBucketLocation"),
             "key_custody.level": Fact.observed(custody, "kms:DescribeKey")}
    if replicas is not None:
        facts["data_residency.replication_destinations"] = replicas
    return Resource("storage.bucket", "aws", "acct-1", "eu-west-1", f"aws/{name}", name,
                    facts)


def _report(*buckets: Resource):
    checks = [compile_check(c) for c in load_checks()
              if c.id in ("bucket-key-custody", "data-legal-reach")]
    return build_report(Inventory([ProviderRun("aws")], list(buckets)), checks,
                        lambda provider: None)


def _check_reach(report, name: str) -> tuple[Status, Any]:
    (f,) = [f for f in report.findings
            if f.check_id == "data-legal-reach" and f.resource_id == f"aws/{name}"]
    (e,) = [e for e in f.evidence if e.fact == "legal_reach.jurisdictions"]
    return f.status, (e.value if e.state == "observed" else e.state)


def _rows(report) -> list[tuple[list[str], bool | None, int]]:
    return [(r["jurisdictions"], r["key_external"], r["resources"])
            for r in report.legal_reach["providers"]["aws"]]


def test_a_replicated_bucket_has_the_checks_reach_in_the_table():
    report = _report(_bucket("replicated", Fact.observed(TO_SINGAPORE, OP)),
                     _bucket("local", Fact.observed([], OP)),
                     _bucket("saved-before", None))  # replication not collected
    assert _check_reach(report, "replicated") == (Status.FAIL, ["EU", "SG", "US"])
    assert _check_reach(report, "local") == (Status.PASS, ["EU", "US"])
    # one row per reach: the unreplicated buckets share theirs, collected or not
    assert _rows(report) == [(["EU", "SG", "US"], False, 1), (["EU", "US"], False, 2)]
    assert {law["jurisdiction"] for law in report.legal_reach["laws"]} == {"US"}
    (first, second) = legal_reach_rows(report)["aws"]
    assert first[4] == "EU, SG, US" and second[4] == "EU, US"


def test_a_destination_not_read_is_an_unknown_reach_never_a_narrower_one():
    report = _report(_bucket("denied", Fact.denied("AccessDenied: no", OP)),
                     _bucket("error", Fact.error("replication: timed out", OP)),
                     _bucket("local", Fact.observed([], OP)))
    assert _check_reach(report, "denied") == (Status.UNVERIFIED, "denied")
    assert _check_reach(report, "error") == (Status.UNVERIFIED, "error")
    rows = report.legal_reach["providers"]["aws"]
    assert _rows(report) == [([], False, 2), (["EU", "US"], False, 1)]
    assert legal_reach_rows(report)["aws"][0][4] == "unknown"
    # the laws of what is known to be in reach stay named (US: the provider's home)
    assert rows[0]["laws"] == rows[1]["laws"] != []


@pytest.mark.parametrize("custody, rows", [
    ("external", [(["EU", "SG", "US"], False, 1), (["EU", "SG", "US"], True, 1)]),
    ("provider_kms", [(["EU", "SG", "US"], False, 2)])])
def test_the_key_still_splits_rows_of_one_reach(custody: str, rows: list[Any]):
    report = _report(_bucket("a", Fact.observed(TO_SINGAPORE, OP), custody),
                     _bucket("b", Fact.observed(TO_SINGAPORE, OP), "provider_kms"))
    assert _rows(report) == rows
