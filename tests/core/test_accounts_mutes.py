"""build_report hands the resources' observed tags to the mutelist and lists expired rules:
the same from a scan and from a saved inventory (tags travel in the inventory)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from auditor.checks import compile_check, load_checks
from auditor.documents import load_inventory
from auditor.model import Inventory, Status
from auditor.mutelist import MuteRule
from auditor.pipeline import build_report

GOLDEN = Path(__file__).parents[1] / "golden"
CHECKS = [compile_check(c) for c in load_checks()]
TODAY = dt.date(2026, 6, 1)


def _inventory() -> Inventory:
    inventory = load_inventory(GOLDEN / "mixed-inventory.json")
    resources = []
    for r in inventory.resources:
        if r.name == "public-web-assets":
            r = replace(r, tags={"env": "sandbox-7", "owner": "web"})
        elif r.provider == "aws":
            r = replace(r, tags=None)  # not observed
        else:
            r = replace(r, tags={"env": "prod"})
        resources.append(r)
    return Inventory(inventory.runs, resources)


def _muted(report):
    return {(f.provider, f.resource_name, f.check_id) for f in report.findings
            if f.status is Status.MUTED}


def test_a_tag_rule_mutes_only_resources_whose_observed_tags_match():
    rule = MuteRule("sandbox accounts are throw-away", TODAY + dt.timedelta(days=30),
                    tags=(("env", "sandbox-*"),))
    report = build_report(_inventory(), CHECKS, lambda p: None, [rule], today=TODAY)
    muted = _muted(report)
    assert muted and {name for _, name, _ in muted} == {"public-web-assets"}
    # the same rule without the tag condition mutes far more: the tags did the narrowing
    broad = build_report(_inventory(), CHECKS, lambda p: None,
                         [replace(rule, tags=())], today=TODAY)
    assert _muted(broad) > muted
    # a saved inventory keeps the tags, so evaluate mutes the same findings
    saved = Inventory.from_dict(_inventory().to_dict())
    assert _muted(build_report(saved, CHECKS, lambda p: None, [rule], today=TODAY)) == muted


def test_unobserved_tags_never_match_a_tag_rule():
    rule = MuteRule("no owner", TODAY, tags=(("owner", "*"),))
    inventory = _inventory()
    unobserved = Inventory(inventory.runs, [replace(r, tags=None) for r in inventory.resources])
    assert not _muted(build_report(unobserved, CHECKS, lambda p: None, [rule], today=TODAY))


def test_expired_rules_mute_nothing_and_are_listed_with_their_source():
    live = MuteRule("accepted until the migration", TODAY, check="bucket-not-public")
    lapsed = MuteRule("temporary exception", TODAY - dt.timedelta(days=1), check="*")
    report = build_report(_inventory(), CHECKS, lambda p: None, [lapsed, live],
                          mutelist_source="ops/mutelist.yaml", today=TODAY)
    assert [m.to_dict() for m in report.expired_mutes] == [
        {"rule": 0, "reason": "temporary exception", "expires": "2026-05-31",
         "source": "ops/mutelist.yaml"}]
    assert {check for _, _, check in _muted(report)} == {"bucket-not-public"}
    assert report.to_dict()["expired_mutes"][0]["rule"] == 0
    clean = build_report(_inventory(), CHECKS, lambda p: None, [live], today=TODAY)
    assert clean.expired_mutes == []
