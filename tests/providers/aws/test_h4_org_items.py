"""organizations:ListAccounts judged entry by entry: boto3 against the 127.0.0.1 answer stand.

The Account data type (AWS Organizations API Reference): Id a string of exactly 12 digits;
Name a string; State one of PENDING_ACTIVATION, ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED;
Status (being retired) one of ACTIVE, SUSPENDED, PENDING_CLOSURE; JoinedMethod INVITED or
CREATED; JoinedTimestamp a timestamp; NextToken while there are more. One odd entry beside
good ones: the good accounts are still scanned; an odd entry whose Id is readable is a failed
account with the entry's reason (no call made for it); an entry naming no account is a
listing gap recorded in the first scanned account's run (partial); nothing is dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from answer_stand import ACCOUNT, as_json, running_stand

from auditor.checks import compile_check, load_checks
from auditor.errors import EndpointError
from auditor.executors.unit import refuse_secrets
from auditor.pipeline import collect as pipeline_collect
from auditor.providers._runtime import RetryPolicy
from auditor.providers.aws import AwsAdapter
from auditor.providers.aws._organization import ODD_ACCOUNT, ORGANIZATION_GAPS
from auditor.providers.base import CollectRequest, ProviderRegistry

RETRY = RetryPolicy(max_attempts=1)
ROLE = "AuditRole"
ODD = "222222222222"


def entry(account_id: Any, name: Any = "member", **changes: Any) -> dict[str, Any]:
    """One Account as the reference documents it, with ``changes`` (None: left out)."""
    out = {"Id": account_id, "Arn": f"arn:aws:organizations::{ACCOUNT}:account/o-exampleorgid/"
           f"{account_id}", "Email": "member@example.com", "Name": name, "State": "ACTIVE",
           "Status": "ACTIVE", "JoinedMethod": "CREATED", "JoinedTimestamp": 1481830215.45,
           **changes}
    return {k: v for k, v in out.items() if v is not None}


def _targets(tmp: Path, *entries: Any) -> list[Any]:
    with running_stand(tmp) as stand:
        stand.answer("organizations:ListAccounts", as_json({"Accounts": list(entries)}))
        listed = AwsAdapter(retry=RETRY).accounts(CollectRequest(
            options={"organization": True, "role_name": ROLE}, timeout=5))
    assert stand.calls["organizations:ListAccounts"] == 1
    return listed


GOOD = entry(ACCOUNT, "management")
# (row id, the odd entry, words of its reason)
NAMED = [
    ("state-unknown", entry(ODD, State="HIBERNATING", Status=None), "State (Id 222222222222)"),
    ("status-unknown", entry(ODD, State=None, Status="BOGUS"), "Status (Id 222222222222)"),
    ("name-number", entry(ODD, name=7), "Name (Id 222222222222): expected string, got int"),
    ("joined-when", entry(ODD, JoinedTimestamp="last spring"), "JoinedTimestamp (Id 2222"),
    ("joined-how", entry(ODD, JoinedMethod="ADOPTED"), "JoinedMethod (Id 222222222222)"),
    ("no-state", entry(ODD, State=None, Status=None), "item $.Accounts[1] (Id 222222222222)"),
]
NAMELESS = [
    ("id-number", entry(222222222222), "item $.Accounts[1].Id"),
    ("id-short", entry("2222"), "item $.Accounts[1].Id"),
    ("no-id", entry(None), "item $.Accounts[1]"),
    ("not-an-object", "222222222222", "item $.Accounts[1]"),
    ("null-entry", None, "item $.Accounts[1]"),
]


@pytest.mark.parametrize(("odd", "words"), [r[1:] for r in NAMED], ids=[r[0] for r in NAMED])
def test_an_odd_named_account_is_a_failed_account_beside_the_good_ones(tmp_path, odd, words):
    listed = _targets(tmp_path, GOOD, odd, entry("333333333333", "after"))
    assert [t.account for t in listed] == [ACCOUNT, ODD, "333333333333"]
    assert ODD_ACCOUNT not in listed[0].options and ODD_ACCOUNT not in listed[2].options
    assert words in listed[1].options[ODD_ACCOUNT]
    assert listed[1].options["role_arn"] is None  # no role is ever assumed for it
    assert listed[2].options["role_arn"].endswith(f"333333333333:role/{ROLE}")
    with pytest.raises(EndpointError) as raised:  # its collect fails before any call
        AwsAdapter(retry=RETRY).collect(CollectRequest(options=dict(listed[1].options)))
    assert "organizations:ListAccounts: UnexpectedShape: item $.Accounts[1]" in raised.value.reason


@pytest.mark.parametrize(("odd", "words"), [r[1:] for r in NAMELESS],
                         ids=[r[0] for r in NAMELESS])
def test_an_entry_naming_no_account_is_a_gap_carried_by_the_first_account(tmp_path, odd, words):
    listed = _targets(tmp_path, GOOD, odd, entry("333333333333", "after"))
    assert [t.account for t in listed] == [ACCOUNT, "333333333333"]
    (gap,) = listed[0].options[ORGANIZATION_GAPS]
    assert gap.startswith(words), gap
    assert ORGANIZATION_GAPS not in listed[1].options
    for target in listed:
        refuse_secrets("aws", target.options)  # still sendable to a Dask worker


def test_only_odd_entries_fail_the_listing_with_the_reason(tmp_path):
    with pytest.raises(EndpointError, match=r"UnexpectedShape: item \$\.Accounts\[0\]\.Id.*"
                                            r"\(and 1 more\)"):
        _targets(tmp_path, entry("12345"), "nobody")


def test_an_excluded_odd_account_is_left_out(tmp_path):
    with running_stand(tmp_path) as stand:
        stand.answer("organizations:ListAccounts", as_json({"Accounts": [
            GOOD, entry(ODD, State="HIBERNATING")]}))
        listed = AwsAdapter(retry=RETRY).accounts(CollectRequest(options={
            "organization": True, "role_name": ROLE, "exclude_account": [ODD]}, timeout=5))
    assert [t.account for t in listed] == [ACCOUNT]


def test_a_scan_reports_the_odd_account_and_the_gap_and_scans_the_good_one(tmp_path):
    checks = [compile_check(c) for c in load_checks()]
    with running_stand(tmp_path) as stand:
        stand.answer("organizations:ListAccounts", as_json({"Accounts": [
            GOOD, entry(ODD, State="HIBERNATING"), {"Name": "nameless", "State": "ACTIVE"}]}))
        outcome = pipeline_collect(
            ProviderRegistry.from_entry_points(), ["aws"],
            {"aws": {"organization": True, "role_name": ROLE, "region": ["eu-west-1"]}},
            checks, max_workers=2, timeout=5)
    (failure,) = outcome.account_failures
    assert failure.account == ODD
    assert "item $.Accounts[1].State (Id 222222222222): does not satisfy enum" in failure.reason
    assert "sts:AssumeRole" not in stand.calls  # the good account is the caller's own
    (own,) = [run for run in outcome.inventory.runs if run.accounts == [ACCOUNT]]
    assert own.status == "partial"
    gaps = [e for e in own.errors if e.operation == "organizations:ListAccounts"]
    assert [(e.kind, e.code, e.message) for e in gaps] == [
        ("listing", "UnexpectedShape", "item $.Accounts[2] (Name nameless): missing Id")]
    assert {r.account for r in outcome.inventory.resources} == {ACCOUNT}
    assert outcome.inventory.resources


def test_the_gap_is_carried_by_the_callers_own_account_when_listed(tmp_path):
    listed = _targets(tmp_path, entry("333333333333", "first"), GOOD, entry("7"))
    assert [t.account for t in listed] == ["333333333333", ACCOUNT]
    assert ORGANIZATION_GAPS not in listed[0].options
    assert listed[1].options[ORGANIZATION_GAPS] == ["item $.Accounts[2].Id (Name member): "
                                                    "does not satisfy pattern"]


def test_a_carrier_that_fails_still_names_the_gap(tmp_path):
    refused = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
               "<Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized</Message>"
               "</Error><RequestId>r</RequestId></ErrorResponse>")
    checks = [compile_check(c) for c in load_checks()]
    with running_stand(tmp_path) as stand:
        stand.answer("organizations:ListAccounts", as_json({"Accounts": [
            entry(ODD, "member"), entry(None, "nameless")]}))
        stand.answer("sts:AssumeRole", (403, "text/xml", refused.encode()))
        outcome = pipeline_collect(
            ProviderRegistry.from_entry_points(), ["aws"],
            {"aws": {"organization": True, "role_name": ROLE, "region": ["eu-west-1"]}},
            checks, max_workers=2, timeout=5)
    (failure,) = outcome.account_failures
    assert failure.account == ODD and "AccessDenied" in failure.reason
    assert ("1 organization entry(ies) named no account: organizations:ListAccounts: "
            "UnexpectedShape: item $.Accounts[1] (Name nameless): missing Id") in failure.reason
