"""Resource Directory ListAccounts judged entry by entry (H5; the AWS counterpart is
tests/providers/aws/test_h4_org_items.py), through the real OpenAPI client against the
Alibaba stand-in, a proxy rewriting the ListAccounts answer.

Resource Manager 2020-03-31 ListAccounts reference (Accounts.Account[]): AccountId, a string
of digits; DisplayName, Type (CloudAccount | ResourceAccount), FolderId, JoinMethod (invited |
created) strings; Status one of CreateSuccess, InviteSuccess, PromoteVerifying,
PromoteFailed, PromoteExpired, PromoteCancelled, PromoteSuccess (and the CreateVerifying,
CreateFailed, CreateExpired, CreateCancelled of a member being created).
- an entry whose AccountId is readable but which does not fit, or whose Status is not
  documented: a failed account with the entry's reason, no call made for it;
- an entry naming no account: a listing gap in the management account's run (partial), or
  the first scanned member's when the management account is not scanned;
- only such entries and nothing to record them: the provider fails, naming the first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from alibaba_answer_proxy import AnswerProxy
from rd_support import (
    ANALYTICS,
    LOCKED,
    MANAGEMENT,
    NO_ROLE,
    PAYMENTS,
    ROLE,
    VERIFYING,
    adapter,
    collect,
    request,
    seeded,
)

from auditor.errors import EndpointError, ProviderError
from auditor.providers.alibaba._targets import DIRECTORY_GAPS, ODD_MEMBER
from auditor.providers.base import AccountTarget

PARTNER = "2000000000000008"
SCANNED = [MANAGEMENT, PAYMENTS, ANALYTICS, LOCKED, NO_ROLE, PARTNER]


def _entries(change: Callable[[dict[str, Any]], Any],
             who: str = PAYMENTS) -> Callable[[bytes], bytes]:
    """The ListAccounts body with the entry of ``who`` (on whichever page) changed."""
    def rewrite(body: bytes) -> bytes:
        document = json.loads(body)
        entries = document["Accounts"]["Account"]
        document["Accounts"]["Account"] = [change(e) if e.get("AccountId") == who else e
                                           for e in entries]
        return json.dumps(document).encode()
    return rewrite


def _set(member: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda entry: {**entry, member: value}


@pytest.fixture
def rd_box(make_ali_sandbox, monkeypatch):
    return seeded(make_ali_sandbox, monkeypatch)


@pytest.fixture
def listed(rd_box, monkeypatch):
    def run(rewrite: Callable[[bytes], bytes] | None,
            **options: Any) -> tuple[list[AccountTarget], Any]:
        proxy = AnswerProxy(rd_box.resourcemanager_url, "kms:ListAccounts", rewrite)
        with proxy:
            monkeypatch.setenv("AUDITOR_ALIBABA_RESOURCEMANAGER_ENDPOINT", proxy.url)
            base = request(resource_directory=True, role_name=ROLE, **options)
            return adapter().accounts(base), base
    return run


@pytest.mark.parametrize("change", [_set("DisplayName", ["payments"]), _set("Status", 7),
                                    _set("FolderId", {"id": "fd"}),
                                    lambda e: {k: v for k, v in e.items() if k != "Status"}],
                         ids=["display-name-type", "status-type", "folder-type", "no-status"])
def test_an_odd_entry_naming_its_account_is_a_failed_account(rd_box, listed, change):
    targets, base = listed(_entries(change))
    assert [t.account for t in targets] == SCANNED  # listing order kept
    by_id = {t.account: t for t in targets}
    reason = by_id[PAYMENTS].options[ODD_MEMBER]
    assert "resourcemanager:ListAccounts" in reason and "$.Accounts.Account[" in reason, reason
    assert PAYMENTS in reason and "['payments']" not in reason  # no value echoed
    assert all(ODD_MEMBER not in t.options for a, t in by_id.items() if a != PAYMENTS)
    assert all(DIRECTORY_GAPS not in t.options for t in targets)
    rd_box.reset_requests()
    with pytest.raises(EndpointError) as caught:
        collect(by_id[PAYMENTS], base)
    assert "resourcemanager:ListAccounts" in str(caught.value)
    assert rd_box.requests() == []  # no AssumeRole, no read for it
    assert collect(by_id[ANALYTICS], base).run.status == "complete"


def test_an_undocumented_status_is_a_failed_account(listed):
    targets, _ = listed(_entries(_set("Status", "Suspended"), ANALYTICS))
    by_id = {t.account: t for t in targets}
    assert "UndocumentedStatus" in by_id[ANALYTICS].options[ODD_MEMBER]
    assert "Suspended" in by_id[ANALYTICS].options[ODD_MEMBER]


@pytest.mark.parametrize("change", [_set("AccountId", 2000000000000002),
                                    _set("AccountId", "pay-ments"), lambda e: "entry",
                                    lambda e: {k: v for k, v in e.items() if k != "AccountId"}],
                         ids=["id-type", "id-pattern", "not-object", "no-id"])
def test_an_entry_naming_no_account_is_a_gap_of_the_management_run(rd_box, listed, change):
    targets, base = listed(_entries(change))
    assert [t.account for t in targets] == [a for a in SCANNED if a != PAYMENTS]
    (carrier,) = [t for t in targets if DIRECTORY_GAPS in t.options]
    assert carrier.account == MANAGEMENT  # read with the caller's own credentials
    collection = collect(carrier, base)
    assert collection.run.status == "partial"
    (gap,) = [e for e in collection.run.errors if e.scope == "resource-directory"]
    assert gap.kind == "listing" and gap.operation == "resourcemanager:ListAccounts"
    assert "$.Accounts.Account[" in gap.message


def test_without_the_management_account_the_first_member_carries_the_gap(listed):
    targets, _ = listed(_entries(lambda e: "entry"), exclude_account=[MANAGEMENT])
    carriers = [t.account for t in targets if DIRECTORY_GAPS in t.options]
    assert carriers == [targets[0].account] and targets[0].account != MANAGEMENT


def test_gaps_with_nothing_scanned_to_record_them_fail_the_provider(listed):
    def nameless(body: bytes) -> bytes:
        document = json.loads(body)
        document["Accounts"]["Account"] = [{**e, "AccountId": 1}
                                           for e in document["Accounts"]["Account"]]
        return json.dumps(document).encode()
    with pytest.raises(ProviderError) as caught:
        listed(nameless, exclude_account=[MANAGEMENT])
    assert "resourcemanager:ListAccounts" in str(caught.value) and "more" in str(caught.value)


def test_a_member_being_created_is_skipped_with_a_warning(listed, caplog):
    targets, _ = listed(None)
    assert VERIFYING not in [t.account for t in targets]
    assert f"directory member {VERIFYING} (being-created) is CreateVerifying" in caplog.text


def test_an_odd_member_is_not_split_and_the_gaps_go_to_the_first_shard(listed):
    targets, base = listed(_entries(_set("DisplayName", 5)))
    regions = {**base.options, "region": ["cn-hangzhou", "cn-shanghai"]}
    by_id = {t.account: t for t in targets}
    odd = request(**{**regions, **by_id[PAYMENTS].options})
    assert adapter().shards(odd, "region") is None
    gaps_targets, _ = listed(_entries(lambda e: "entry"))
    carrier = next(t for t in gaps_targets if DIRECTORY_GAPS in t.options)
    shards = adapter().shards(request(**{**regions, **carrier.options}), "region")
    assert [bool(s.options.get(DIRECTORY_GAPS, True)) for s in shards] == [True, False]
