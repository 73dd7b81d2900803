"""Report sections read each finding as it passes and keep none (issue 18: the coordinator's
memory). A spooled report's findings are decoded from disk one at a time; a section that kept
them to read later would hold every finding of an organization at once (the legal-reach table
did: 23 MiB at 300 accounts, the coordinator's peak).

Proved by behaviour: a source that hands each finding over once and spoils it (evidence
emptied, status changed) as soon as the next is asked for gives each section what the findings
held in a list give. A section that kept findings reads spoiled ones. Over the golden mixed
inventory (every provider, every check) and over a made-up one with many regions and
custody levels for the legal-reach table."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from auditor.checks import compile_check, load_checks
from auditor.claims_ledger import ledger_section
from auditor.documents import load_inventory
from auditor.legal_reach import legal_reach_section
from auditor.model import Fact, Finding, Inventory, ProviderRun, Report, Resource, Status
from auditor.pipeline import build_report

REGIONS = ("eu-west-1", "ap-southeast-1", "cn-north-1", "us-east-1")
CUSTODY = ("provider_kms", "customer_kms", "provider_managed", "external")
SECTIONS: dict[str, Callable[[Report], Any]] = {"ledger": ledger_section,
                                                "legal_reach": legal_reach_section}


class _OncePass:
    """Each finding handed over once; the one before is spoiled when the next is asked for."""

    def __init__(self, findings: list[Finding]) -> None:
        self._findings = [replace(f, evidence=list(f.evidence)) for f in findings]
        self.passes = 0

    def __iter__(self) -> Iterator[Finding]:
        self.passes += 1
        for finding in self._findings:
            yield finding
            finding.evidence.clear()
            finding.status = Status.NOT_APPLICABLE
            finding.muted_status = None

    def __len__(self) -> int:
        return len(self._findings)


def _bucket(i: int) -> Resource:
    region = REGIONS[i % len(REGIONS)]
    facts = {"data_residency.region": Fact.observed(region, "s3:GetBucketLocation"),
             "key_custody.level": Fact.observed(CUSTODY[i % len(CUSTODY)], "kms:DescribeKey"),
             "data_residency.replication_destinations": Fact.observed(
                 [], "s3:GetBucketReplication")}
    if i % 5 == 0:
        facts["key_custody.level"] = Fact.denied("kms:DescribeKey", "AccessDenied")
    return Resource("storage.bucket", "aws", f"acct-{i % 3}", region, f"aws/b{i}", f"b{i}",
                    facts)


def _golden_report(golden) -> Report:
    inventory = load_inventory(golden / "mixed-inventory.json")
    return build_report(inventory, [compile_check(c) for c in load_checks()],
                        lambda provider: None)


def _buckets_report() -> Report:
    checks = [compile_check(c) for c in load_checks()
              if c.id in ("bucket-key-custody", "data-legal-reach", "bucket-encryption")]
    return build_report(Inventory([ProviderRun("aws")], [_bucket(i) for i in range(40)]),
                        checks, lambda provider: None)


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_a_section_is_the_same_when_each_golden_finding_is_seen_once(golden, name):
    report = _golden_report(golden)
    held = SECTIONS[name](report)
    assert held["providers"], "the golden inventory gives the section something to show"
    report.findings = source = _OncePass(list(report.findings))
    assert SECTIONS[name](report) == held
    assert source.passes == 1


def test_the_legal_reach_table_of_many_regions_and_custody_levels_is_the_same():
    report = _buckets_report()
    held = legal_reach_section(report)
    assert sum(r["resources"] for r in held["providers"]["aws"]) == 40
    assert len({tuple(r["jurisdictions"]) for r in held["providers"]["aws"]}) > 2
    report.findings = _OncePass(list(report.findings))
    assert legal_reach_section(report) == held


def test_a_ledger_entry_lists_its_first_findings_whatever_their_number(golden):
    report = _golden_report(golden)
    many = [replace(f, resource_id=f"{f.resource_id}#{n}", evidence=list(f.evidence))
            for n in range(30) for f in report.findings]
    report.findings = many
    held = ledger_section(report)
    listed = [e for p in held["providers"].values() for e in p["entries"] if "findings" in e]
    assert max(len(e["findings"]) for e in listed) == 20  # LISTED, from more than 80 taken
    assert any(sum(e["counts"].values()) > 80 for e in listed)
    report.findings = _OncePass(many)
    assert ledger_section(report) == held


class _Tracked(Finding):
    """A finding whose copies can be counted while alive (Finding has no weakref slot)."""

    __slots__ = ("__weakref__",)


class _FreshEachPass:
    """A spool's way of handing findings over: every pass (and ``ordered``) decodes fresh
    copies. ``most_alive`` is the most copies alive at once: what readers kept."""

    encodable = True  # cleaned once here, as the spool cleans what it is given

    def __init__(self, findings: list[Finding]) -> None:
        from auditor.safe_text import clean

        self._rows = [f.to_dict() for f in clean(list(findings))]
        self._alive: dict[int, weakref.ref] = {}  # findings are unhashable: refs by id
        self.most_alive = 0

    def _copies(self, rows: list[dict[str, Any]]) -> Iterator[Finding]:
        for row in rows:
            copy = _Tracked.from_dict(row)
            ref = weakref.ref(copy, lambda r: self._alive.pop(id(r), None))
            self._alive[id(ref)] = ref
            self.most_alive = max(self.most_alive, len(self._alive))
            yield copy
            del copy

    def __iter__(self) -> Iterator[Finding]:
        return self._copies(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def ordered(self, key: Callable[[Finding], Any]) -> Iterator[Finding]:
        keys = [key(Finding.from_dict(row)) for row in self._rows]
        return self._copies([self._rows[i] for i in sorted(range(len(keys)),
                                                           key=keys.__getitem__)])


KEPT_AT_MOST = 64  # a reader may keep a bounded few (the HTML page's 20 worst failures)


def test_no_report_reader_keeps_more_than_a_few_findings(golden):
    """The whole report (summary, transparency, ledger, legal-reach sections) and every
    format rendered from it: from findings held in a list, and from a source of 30 times the
    golden findings that counts the copies alive. The same text (generated_at aside), and
    never more than KEPT_AT_MOST findings alive at once, whatever their number."""
    import re

    from auditor.pipeline import assemble_report
    from auditor.reports import FORMATS, render

    inventory = load_inventory(golden / "mixed-inventory.json")
    checks = [compile_check(c) for c in load_checks()]
    found = list(_golden_report(golden).findings)
    many = [replace(f, resource_id=f"{f.resource_id}#{n}", resource_name=f"{f.resource_name}#{n}")
            for n in range(30) for f in found]
    providers = {r.provider for r in inventory.resources}

    def report(findings) -> Report:
        return assemble_report(inventory.runs, findings, checks, lambda provider: None,
                               providers=providers)

    source = _FreshEachPass(many)
    held, passing = report(many), report(source)
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
    for fmt in FORMATS:
        want, got = (stamp.sub("T", render(r, fmt)) for r in (held, passing))
        assert got == want, fmt
    assert len(many) > 9000
    assert source.most_alive <= KEPT_AT_MOST, source.most_alive
