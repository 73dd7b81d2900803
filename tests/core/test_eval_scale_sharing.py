"""What the fast evaluation shares stays invisible in the results (issue 14, part 4).

- The engine builds findings from decisions shared per (check, provider, facts): each finding
  equals one built field by field from ``evaluate_one`` and the resource.
- ``transparency.summarize`` digests the findings in one pass, working out each shared
  evidence list once: its figures equal the per-group definition (``tally``,
  ``custody_summary``, ``residency_summary`` over the filtered findings), and equal what it
  gives when no finding shares anything.
- ``gc_paused`` restores the collector's state.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import gc
import json
from pathlib import Path

import pytest

from auditor import documents
from auditor.checks import compile_check, load_checks
from auditor.engine import _evidence, evaluate, evaluate_one, finding_for
from auditor.gc_pause import gc_paused
from auditor.model import Finding, Status
from auditor.mutelist import MuteRule
from auditor.pipeline import build_report, registry_exposure
from auditor.providers.base import ProviderRegistry
from auditor.schema import fact_catalog
from auditor.transparency import (
    absent_lookup,
    custody_summary,
    residency_summary,
    summarize,
    tally,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "mixed-inventory.json"
CHECKS = [compile_check(c) for c in load_checks()]
TODAY = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    """The golden inventory three times over, streamed (equal facts shared); every other
    copy in a second account, so account figures differ from the provider's."""
    base = json.loads(GOLDEN.read_text(encoding="utf-8"))
    resources = [{**r, "id": f"{r['id']}-{k}", "name": f"{r['name']}-{k}",
                  **({"account": f"{r['account']}-b"} if k % 2 else {})}
                 for k in range(3) for r in base["resources"]]
    path = tmp_path_factory.mktemp("inv") / "inventory.json"
    path.write_text(json.dumps({**base, "resources": resources}), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(documents, "STREAM_FROM", 0)
        return documents.load_inventory(path)


def _exposure_with_an_absent_feature():
    """The registered profiles, with every fact an OPAQUE finding hides on AWS buckets marked
    absent (so some OPAQUE findings are unsupported, the others not)."""
    lookup = registry_exposure(ProviderRegistry.from_entry_points())

    def exposure(provider):
        levels = lookup(provider)
        if levels is not None and provider == "aws":
            for kind in levels.values():
                for path, level in kind.items():
                    if level == "none":
                        kind[path] = "absent"
        return levels

    return exposure


@pytest.fixture(scope="module")
def report(inventory):
    mutes = [MuteRule("accepted", check="bucket-*", resource="*-1"),
             MuteRule("accepted too", provider="gcp", account="*-b")]
    return build_report(inventory, CHECKS, _exposure_with_an_absent_feature(), mutes,
                        today=TODAY)


def test_every_shared_finding_equals_one_built_field_by_field(inventory):
    findings = evaluate(inventory, CHECKS)
    by_pair = {(f.check_id, f.provider, f.resource_id): f for f in findings}
    built = 0
    for compiled in CHECKS:
        check = compiled.check
        for resource in inventory.resources:
            found = by_pair.get((check.id, resource.provider, resource.id))
            if found is None:
                continue
            status, message = evaluate_one(compiled, resource)
            fresh = finding_for(compiled, resource)  # remediation and mappings as decided
            expected = Finding(
                check.id, check.title, check.safeguard, check.severity, status, message,
                resource.kind, resource.provider, resource.account, resource.region,
                resource.id, resource.name, _evidence(compiled, resource),
                fresh.remediation, fresh.frameworks)
            assert found == expected
            built += 1
    assert built == len(findings) > len(inventory.resources)
    # decisions are shared: far fewer distinct evidence lists than findings
    assert len({id(f.evidence) for f in findings}) < len(findings) / 2


def test_summary_equals_the_per_group_definition(report):
    absent = absent_lookup(report.exposure)
    summary = summarize(report)
    findings = report.findings
    statuses = {f.status for f in findings} | {f.muted_status for f in findings}
    assert statuses >= {Status.PASS, Status.FAIL, Status.OPAQUE, Status.UNVERIFIED,
                        Status.MUTED}
    providers = sorted({f.provider for f in findings})
    assert sorted(summary["providers"]) == providers
    unsupported = 0
    for p in providers:
        mine = [f for f in findings if f.provider == p]
        figures = summary["providers"][p]
        assert {k: figures[k] for k in tally(mine)} == tally(mine, absent)
        assert figures["custody"] == custody_summary(mine)
        assert figures["residency"] == residency_summary(mine)
        unsupported += figures["unsupported"]
        for safeguard in {s for kinds in fact_catalog().values() for s in kinds.values()}:
            cell = summary["safeguards"][safeguard]["providers"][p]
            wanted = tally([f for f in mine if f.safeguard == safeguard], absent)
            assert {k: cell[k] for k in wanted} == wanted
        for account, figures in summary["accounts"][p].items():
            theirs = [f for f in mine if f.account == account]
            assert {k: figures[k] for k in tally(theirs)} == tally(theirs, absent)
            assert figures["custody"] == custody_summary(theirs)
            assert figures["residency"] == residency_summary(theirs)
    assert unsupported > 0  # the absent features were met
    accounts = summary["accounts"]["aws"]
    assert any(a.endswith("-b") for a in accounts) and any(not a.endswith("-b") for a in accounts)


def test_summary_is_the_same_when_no_finding_shares_its_evidence(report):
    alone = dataclasses.replace(report, findings=[
        dataclasses.replace(f, evidence=copy.deepcopy(f.evidence)) for f in report.findings])
    assert len({id(f.evidence) for f in alone.findings}) == len(alone.findings)
    assert summarize(alone) == summarize(report)


def test_shared_evidence_is_judged_per_provider_and_kind(report):
    """Two findings with one evidence list but different providers: each provider's exposure
    profile decides whether its OPAQUE finding is unsupported."""
    opaque = next(f for f in report.findings if f.provider == "aws"
                  and f.status is Status.OPAQUE and absent_lookup(report.exposure)(f))
    twin = dataclasses.replace(opaque, provider="gcp", account="p")
    both = dataclasses.replace(report, findings=[opaque, twin], runs=[])
    summary = summarize(both)
    assert summary["providers"]["aws"]["unsupported"] == 1
    assert summary["providers"]["gcp"]["unsupported"] == 0
    assert summary["providers"]["gcp"]["opaque"] == 1


def test_gc_paused_restores_the_collector_state():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block keeps the outer pause
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # not enabled by a block that found it disabled
    finally:
        gc.enable()


def test_a_streamed_inventory_shares_its_names_and_facts(inventory):
    """Fact paths, kinds, providers, accounts and regions are one str object each, equal
    facts one Fact; ids and names stay each resource's own."""
    paths: dict[str, int] = {}
    for resource in inventory.resources:
        for path in resource.facts:
            paths.setdefault(path, id(path))
            assert id(path) == paths[path]
    for field in ("kind", "provider", "account", "region"):
        values = [getattr(r, field) for r in inventory.resources]
        assert len({id(v) for v in values}) == len(set(values))
    assert len({id(r.name) for r in inventory.resources}) == len(inventory.resources)
    facts = [f for r in inventory.resources for f in r.facts.values()]
    distinct = {json.dumps(f.to_dict(), sort_keys=True) for f in facts}
    assert len({id(f) for f in facts}) == len(distinct) < len(facts) / 2


@pytest.mark.parametrize(("opening", "closing"), [
    ("[\n  " * 120, "]" * 120),
    ('[ {"a": ' + "[\n" * 110, "]" * 110 + "}]"),
])
def test_deep_runs_split_by_whitespace_still_decline_the_fast_path(tmp_path, opening, closing):
    from auditor.inventory_stream import load_streamed

    text = '{"schema_version": "1.0", "runs": [], "resources": [' + opening + closing + "]}"
    json.loads(text)  # valid JSON: only its depth is wrong
    path = tmp_path / "inventory.json"
    path.write_text(text, encoding="utf-8")
    calls = []
    assert load_streamed(path, lambda node, start: calls.append(start)) is None
    assert not calls  # declined while reading the skeleton, before any depth walk


def test_a_nested_fact_value_is_still_depth_checked(tmp_path):
    """A list of scalars needs no walk; a list holding lists or maps still gets one."""
    from auditor.inventory_stream import _bounded

    walked = []
    resource = {"facts": {"a.b": {"value": ["x", 1, None]}, "c.d": {"value": [["x"]]},
                          "e.f": {"value": {"k": 1}}, "g.h": {"value": "s"}}}
    _bounded(resource, lambda node, start: walked.append((node, start)))
    assert walked == [([["x"]], 6), ({"k": 1}, 6)]
