"""The legal-reach table reads each finding as it passes and keeps none: a spooled report's
findings are decoded from disk one at a time, and an organization's table must not hold them
all (issue 18: the coordinator's memory). Proved by behaviour: findings handed over once, by a
source that spoils each one as soon as the next is asked for, give the table the findings
held in a list give."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from auditor.checks import compile_check, load_checks
from auditor.legal_reach import legal_reach_section
from auditor.model import Fact, Finding, Inventory, ProviderRun, Resource
from auditor.pipeline import build_report

REGIONS = ("eu-west-1", "ap-southeast-1", "cn-north-1", "us-east-1")
CUSTODY = ("provider_kms", "customer_kms", "provider_managed", "external")


def _bucket(i: int) -> Resource:
    region = REGIONS[i % len(REGIONS)]
    facts = {"data_residency.region": Fact.observed(region, "s3:GetBucketLocation"),
             "key_custody.level": Fact.observed(CUSTODY[i % len(CUSTODY)], "kms:DescribeKey"),
             "data_residency.replication_destinations": Fact.observed([], "s3:GetBucketReplication")}
    if i % 5 == 0:
        facts["key_custody.level"] = Fact.denied("kms:DescribeKey", "AccessDenied")
    return Resource("storage.bucket", "aws", f"acct-{i % 3}", region, f"aws/b{i}", f"b{i}",
                    facts)


def _report():
    checks = [compile_check(c) for c in load_checks()
              if c.id in ("bucket-key-custody", "data-legal-reach", "bucket-encryption")]
    return build_report(Inventory([ProviderRun("aws")], [_bucket(i) for i in range(40)]),
                        checks, lambda provider: None)


class _OncePass:
    """Each finding handed over once; the one before is spoiled (its evidence emptied) when
    the next is asked for: a reader that keeps findings to read later reads spoiled ones."""

    def __init__(self, findings: list[Finding]) -> None:
        self._findings = [replace(f, evidence=list(f.evidence)) for f in findings]
        self.passes = 0

    def __iter__(self) -> Iterator[Finding]:
        self.passes += 1
        for finding in self._findings:
            yield finding
            finding.evidence.clear()

    def __len__(self) -> int:
        return len(self._findings)


def test_the_table_is_the_same_when_each_finding_is_seen_once():
    report = _report()
    held = legal_reach_section(report)
    assert sum(r["resources"] for r in held["providers"]["aws"]) == 40
    assert len({tuple(r["jurisdictions"]) for r in held["providers"]["aws"]}) > 2
    source = _OncePass(list(report.findings))
    report.findings = source
    assert legal_reach_section(report) == held
    assert source.passes == 1
