"""Golden inventory in, findings out: every check has PASS, FAIL, OPAQUE and UNVERIFIED."""

from __future__ import annotations

import json
from collections import defaultdict

from auditor.checks import compile_check, load_checks
from auditor.documents import load_inventory
from auditor.engine import evaluate
from auditor.model import Status


def _findings(golden):
    inventory = load_inventory(golden / "mixed-inventory.json")
    return evaluate(inventory, [compile_check(c) for c in load_checks()])


def test_findings_match_golden(golden):
    expected = json.loads((golden / "mixed-findings.json").read_text())
    got = [{"check_id": f.check_id, "resource_id": f.resource_id, "status": f.status.value,
            "message": f.message} for f in _findings(golden)]
    assert got == expected


def test_every_check_has_every_decisive_status(golden):
    statuses = defaultdict(set)
    for f in _findings(golden):
        statuses[f.check_id].add(f.status)
    wanted = {Status.PASS, Status.FAIL, Status.OPAQUE, Status.UNVERIFIED}
    assert {c.id for c in load_checks()} == set(statuses)
    missing = {cid: sorted(wanted - got) for cid, got in statuses.items() if wanted - got}
    assert not missing


def test_unreadable_facts_never_pass_or_fail(golden):
    reads = {c.id: set(c.reads) for c in load_checks()}
    for f in _findings(golden):
        states = {e.state for e in f.evidence if e.fact in reads[f.check_id]}
        if states & {"denied", "error"} and "opaque" not in states:
            assert f.status in (Status.UNVERIFIED, Status.NOT_APPLICABLE), f
        if "opaque" in states:
            assert f.status is Status.OPAQUE, f


def test_fail_message_names_fact_and_value(golden):
    fails = [f for f in _findings(golden) if f.status is Status.FAIL]
    assert fails
    for f in fails:
        path, _, rest = f.message.partition("=")
        assert path.split(".")[0] in {e.fact.split(".")[0] for e in f.evidence}
        assert "expected" in rest
