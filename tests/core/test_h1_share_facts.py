"""Equal facts of a collected inventory become one object before it is evaluated (H1): the
engine then decides each check once per distinct set of facts, as for an inventory read from
a file, with the same findings."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import replace

from auditor._sink import EvaluatingSink
from auditor.engine import evaluate
from auditor.model import Fact, FactState, Inventory, Resource, share_facts
from auditor.pipeline import assemble_report
from tests.spool.spool_support import CHECKS, golden


def _fresh(inventory: Inventory) -> Inventory:
    """Every fact and value its own object, as an adapter builds them."""
    return Inventory(copy.deepcopy(inventory.runs), [
        replace(r, facts={p: Fact(f.state, copy.deepcopy(f.value), f.source, f.detail, f.basis)
                          for p, f in r.facts.items()}) for r in inventory.resources])


def _resource(name: str, **facts: Fact) -> Resource:
    return Resource("bucket", "aws", "1", "us-east-1", name, name, dict(facts))


def test_equal_facts_become_one_object_and_keep_their_order() -> None:
    a = _resource("a", x=Fact.observed({"k": [1, 2]}, "Get"), y=Fact.observed(True, "Get"))
    b = _resource("b", y=Fact.observed(True, "Get"), x=Fact.observed({"k": [1, 2]}, "Get"))
    share_facts([a, b])
    assert a.facts["x"] is b.facts["x"] and a.facts["y"] is b.facts["y"]
    assert list(b.facts) == ["y", "x"]


def test_facts_that_differ_in_type_order_or_anything_else_stay_apart() -> None:
    pairs = [(True, 1), (1, 1.0), (0.0, -0.0), ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
             ([1], (1,)), ("x", None)]
    for left, right in pairs:
        a, b = _resource("a", x=Fact.observed(left, "Get")), _resource("b", x=Fact.observed(right, "Get"))
        share_facts([a, b])
        assert a.facts["x"] is not b.facts["x"], (left, right)
    states = [Fact.observed(None, "Get"), Fact.opaque("why", "Get"),
              Fact.observed(None, "Other"), Fact.observed(None, "Get", detail="d"),
              Fact.observed(None, "Get", basis="derived"), Fact(FactState.ERROR, None, ("Get",))]
    resources = [_resource(str(i), x=f) for i, f in enumerate(states)]
    share_facts(resources)
    assert len({id(r.facts["x"]) for r in resources}) == len(states)


def test_a_value_that_is_not_json_data_keeps_its_own_fact() -> None:
    day = dt.date(2026, 1, 1)
    a, b = _resource("a", x=Fact.observed([day], "Get")), _resource("b", x=Fact.observed([day], "Get"))
    share_facts([a, b])
    assert a.facts["x"] is not b.facts["x"]


def test_the_findings_are_the_same_with_the_facts_shared() -> None:
    before = evaluate(_fresh(golden()), CHECKS)
    shared = _fresh(golden())
    share_facts(shared.resources)
    after = evaluate(shared, CHECKS)
    assert [f.to_dict() for f in after] == [f.to_dict() for f in before]
    assert len({id(f.evidence) for f in after}) < len(after)  # evidence built once each


def test_the_sink_reports_what_a_fresh_inventory_gives() -> None:
    today = dt.date(2026, 1, 1)
    expected = evaluate(_fresh(golden()), CHECKS)
    with EvaluatingSink(CHECKS, today=today) as sink:
        sink.deliver((0,), _fresh(golden()))
        report = assemble_report(sink.runs(), sink.findings, CHECKS, lambda p: None,
                                 today=today)
        assert [f.to_dict() for f in report.findings] == [f.to_dict() for f in expected]
