"""The finding spool gives the findings the whole-inventory evaluation gives, in its order,
whatever order the units arrive in; it sorts in bounded runs; its files are private and gone
once it is closed."""

from __future__ import annotations

import copy
import os
import stat

import pytest
from spool_support import CHECKS, accounts

from auditor._sink import EvaluatingSink
from auditor.engine import evaluate
from auditor.finding_source import ordered
from auditor.finding_spool import FindingSpool
from auditor.model import Inventory
from auditor.run_failures import ACCOUNT_SCOPE, failed
from auditor.safe_text import clean


def _merged(parts: list[Inventory]) -> Inventory:
    out = Inventory()
    for part in parts:
        out = out.merge(part)
    return out


def _dicts(findings) -> list[dict]:
    return [f.to_dict() for f in findings]


# findings held in memory before segments go to disk: none, some (mixed), all
LIMITS = [0, 150, 1_000_000]


@pytest.mark.parametrize("memory_limit", LIMITS)
def test_units_arriving_out_of_order_give_the_merged_inventory_findings_in_its_order(
        memory_limit):
    parts = accounts(7)
    expected = _dicts(evaluate(_merged(copy.deepcopy(parts)), CHECKS))
    with EvaluatingSink(CHECKS, run_size=50, memory_limit=memory_limit) as sink:
        for index in (3, 0, 6, 1, 5, 2, 4):  # the order they "finished" in
            sink.deliver((0, index, 0), parts[index])
        report_findings = sink.report(lambda provider: None).findings
        assert len(report_findings) == len(expected) > 200
        assert _dicts(report_findings) == expected
        assert _dicts(report_findings) == expected  # a second pass gives the same
        assert next(r.accounts for r in sink.runs()) == ["acct-0000"]
        assert all(not p.resources for p in parts)  # dropped once evaluated
        report = sink.report(lambda provider: None)
        assert clean(report).findings is report.findings  # clean by construction: not read


@pytest.mark.parametrize("memory_limit", LIMITS)
def test_ordered_merges_sorted_runs_stably_as_sorted_does(memory_limit):
    parts = accounts(3)
    findings = evaluate(_merged(copy.deepcopy(parts)), CHECKS)
    key = lambda f: (f.severity, f.provider)  # noqa: E731 - many ties: stability shows
    with FindingSpool([c.check.id for c in CHECKS], run_size=17,
                      memory_limit=memory_limit) as spool:
        spool.add_segment((0, 0, 0), findings[:40])  # the first segment is always held
        spool.add_segment((0, 1, 0), findings[40:])
        assert len(spool) == len(findings)
        assert _dicts(ordered(spool, key)) == _dicts(sorted(findings, key=key))
        runs = [p for p in spool.directory.iterdir() if p.name.startswith("run-")]
        assert runs == []  # each sorted run is removed once merged


def test_spool_files_are_owner_only_and_removed_on_close():
    with EvaluatingSink(CHECKS, save_inventory=True) as sink:
        sink.deliver((0, 0, 0), accounts(1)[0])
        folder = sink.directory
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
        files = list(folder.iterdir())
        assert {p.name for p in files} == {"findings.jsonl", "resources.jsonl"}
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    assert not folder.exists()
    with pytest.raises(ValueError, match="closed"):
        list(sink.findings)


def test_a_failed_unit_keeps_its_run_and_gives_no_finding():
    result = failed("aws", "t", {}, "AccessDenied", "role refused", ACCOUNT_SCOPE)
    result.run.accounts = ["acct-0001"]
    with EvaluatingSink(CHECKS) as sink:
        sink.deliver((0, 1, 0), result)
        sink.deliver((0, 0, 0), accounts(1)[0])
        assert [r.accounts for r in sink.runs()][-1] == ["acct-0001"]
        report = sink.report(lambda provider: None)
        assert [(a.account, a.reason) for a in report.account_failures] == [
            ("acct-0001", "role refused")]
        assert {f.account for f in report.findings} == {"acct-0000"}


def test_equal_requested_facts_are_one_object():
    with EvaluatingSink(CHECKS) as sink:
        for index, part in enumerate(accounts(3)):
            sink.deliver((0, index, 0), part)
        asked = [run.facts_requested for run in sink.runs() if run.provider == "aws"]
        assert len(asked) == 3 and all(a is asked[0] for a in asked)


@pytest.mark.parametrize("value", ["lots", "-3", "1.5"])
def test_a_bad_spool_memory_setting_is_one_line_naming_it(monkeypatch, value):
    from auditor.errors import UsageError

    monkeypatch.setenv("AUDITOR_SPOOL_MEMORY", value)
    with pytest.raises(UsageError) as caught:
        FindingSpool([c.check.id for c in CHECKS])
    assert str(caught.value).startswith("AUDITOR_SPOOL_MEMORY")
    assert "\n" not in str(caught.value) and "whole number" in str(caught.value)


def test_the_spool_memory_setting_sends_segments_to_disk(monkeypatch):
    monkeypatch.setenv("AUDITOR_SPOOL_MEMORY", "0")
    findings = evaluate(_merged(copy.deepcopy(accounts(2))), CHECKS)
    with FindingSpool([c.check.id for c in CHECKS]) as spool:
        spool.add_segment((0, 0, 0), findings[:10])  # the first is held all the same
        assert spool.path.stat().st_size == 0
        spool.add_segment((0, 1, 0), findings[10:])
        spool._file.flush()
        assert spool.path.stat().st_size > 0
        assert _dicts(spool) == _dicts(findings)
