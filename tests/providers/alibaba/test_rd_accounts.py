"""Resource Directory scans through the real OpenAPI client against the stand-in: the
member listing (paged), inactive members skipped, a role assumed in each member, a refused
AssumeRole failing that account alone, explicit ids, exclusions, the management account on
its own credentials, and a directory that cannot be listed."""

from __future__ import annotations

import copy
import json

import pytest
from rd_support import (
    ANALYTICS,
    DIRECTORY_ESTATE,
    LOCKED,
    MANAGEMENT,
    NO_ROLE,
    PAYMENTS,
    REMOVED,
    ROLE,
    VERIFYING,
    actions,
    adapter,
    collect,
    request,
    seeded,
)

from auditor.errors import CredentialsError, ProviderError

PARTNER = "2000000000000008"


@pytest.fixture
def rd_box(make_ali_sandbox, monkeypatch):
    return seeded(make_ali_sandbox, monkeypatch)


def test_no_multi_account_option_means_one_account_and_no_call(rd_box):
    assert adapter().accounts(request()) is None
    assert rd_box.requests() == []


def test_directory_listing_follows_every_page_and_skips_inactive_members(rd_box):
    targets = adapter().accounts(request(resource_directory=True, role_name=ROLE))
    accounts = [t.account for t in targets]
    assert accounts == [MANAGEMENT, PAYMENTS, ANALYTICS, LOCKED, NO_ROLE, PARTNER]
    assert VERIFYING not in accounts and REMOVED not in accounts
    pages = [r for r in rd_box.requests() if r.action == "resourcemanager:ListAccounts"]
    assert len(pages) == 4  # 8 entries in pages of 2
    assert {t.account: t.label for t in targets}[PAYMENTS] == "payments-prod"


def test_management_account_is_scanned_with_the_callers_credentials(rd_box):
    base = request(resource_directory=True, role_name=ROLE)
    management = adapter().accounts(base)[0]
    assert management.account == MANAGEMENT and "target_account" not in management.options
    rd_box.reset_requests()
    collection = collect(management, base)
    assert collection.run.accounts == [MANAGEMENT]
    assert "sts:AssumeRole" not in actions(rd_box)
    assert {r.name for r in collection.resources if r.kind == "storage.bucket"} == \
        {"mgmt-audit-logs"}


def test_member_is_read_through_the_assumed_role_as_its_own_account(rd_box):
    base = request(resource_directory=True, role_name=ROLE)
    payments = next(t for t in adapter().accounts(base) if t.account == PAYMENTS)
    rd_box.reset_requests()
    collection = collect(payments, base)
    assert collection.run.accounts == [PAYMENTS] and collection.run.status == "complete"
    buckets = [r for r in collection.resources if r.kind == "storage.bucket"]
    assert [(b.name, b.account) for b in buckets] == [("pay-ledger", PAYMENTS)]
    keys = [r for r in collection.resources if r.kind == "kms.key"]
    assert [k.name for k in keys] == ["key-pay-1"]
    assume = [r for r in rd_box.requests() if r.action == "sts:AssumeRole"]
    assert len(assume) == 1
    assert collection.run.api_calls["sts:AssumeRole"] == 1
    # Every later call is signed with the issued key, none with the management key.
    issued = set(rd_box.directory.issued)
    later = [r for r in rd_box.requests() if r.action not in ("sts:AssumeRole", "")]
    assert later and all(any(k in r.headers.get("authorization", "") for k in issued)
                         for r in later)


@pytest.mark.parametrize(("account", "code"), [(LOCKED, "NoPermission"),
                                               (NO_ROLE, "EntityNotExist.Role")])
def test_refused_assume_fails_that_account_with_its_code(rd_box, account, code):
    base = request(resource_directory=True, role_name=ROLE)
    target = next(t for t in adapter().accounts(base) if t.account == account)
    rd_box.reset_requests()
    with pytest.raises(CredentialsError) as failed:
        collect(target, base)
    assert account in failed.value.reason and f"({code})" in failed.value.reason
    assert f"acs:ram::{account}:role/{ROLE}" in failed.value.reason
    assert actions(rd_box) == ["sts:AssumeRole"]  # nothing else was tried in that account


def test_one_refused_account_leaves_the_others_whole(rd_box):
    base = request(resource_directory=True, role_name=ROLE)
    outcomes = {}
    for target in adapter().accounts(base):
        try:
            outcomes[target.account] = collect(target, base).run.status
        except ProviderError as exc:
            outcomes[target.account] = type(exc).__name__
    assert outcomes == {MANAGEMENT: "complete", PAYMENTS: "complete", ANALYTICS: "complete",
                        LOCKED: "CredentialsError", NO_ROLE: "CredentialsError",
                        PARTNER: "CredentialsError"}  # partner wants an ExternalId


def test_external_id_is_sent_when_given(rd_box):
    base = request(role_name=ROLE, account=[PARTNER], external_id="ext-7781")
    [target] = adapter().accounts(base)
    collection = collect(target, base)
    assert [r.name for r in collection.resources if r.kind == "storage.bucket"] == \
        ["partner-share"]
    [assume] = [r for r in rd_box.requests() if r.action == "sts:AssumeRole"]
    assert "ext-7781" in (assume.body.decode() + json.dumps(assume.query))


def test_explicit_accounts_need_no_listing(rd_box):
    targets = adapter().accounts(request(role_name=ROLE, account=[PAYMENTS, LOCKED, PAYMENTS]))
    assert [t.account for t in targets] == [PAYMENTS, LOCKED]
    assert "resourcemanager:ListAccounts" not in actions(rd_box)
    assert actions(rd_box) == ["sts:GetCallerIdentity"]


def test_explicit_accounts_filter_the_directory(rd_box):
    targets = adapter().accounts(request(resource_directory=True, role_name=ROLE, account=[ANALYTICS]))
    assert [t.account for t in targets] == [ANALYTICS]


def test_exclusions_apply_to_the_directory_and_the_management_account(rd_box):
    targets = adapter().accounts(request(resource_directory=True, role_name=ROLE,
                                         exclude_account=[MANAGEMENT, LOCKED]))
    assert [t.account for t in targets] == [PAYMENTS, ANALYTICS, NO_ROLE, PARTNER]


def test_a_denied_listing_fails_the_provider_with_its_code(make_ali_sandbox, monkeypatch):
    estate = copy.deepcopy(DIRECTORY_ESTATE)
    estate["directory"]["faults"] = {"ListAccounts": "NoPermission"}
    seeded(make_ali_sandbox, monkeypatch, estate)
    with pytest.raises(ProviderError) as failed:
        adapter().accounts(request(resource_directory=True, role_name=ROLE))
    assert "NoPermission" in failed.value.reason and "Resource Directory" in failed.value.reason


def test_no_directory_fails_the_provider(make_ali_sandbox, monkeypatch):
    seeded(make_ali_sandbox, monkeypatch, {"account": MANAGEMENT})
    with pytest.raises(ProviderError, match=r"EntityNotExists\.ResourceDirectory"):
        adapter().accounts(request(resource_directory=True, role_name=ROLE))


def test_no_issued_credential_reaches_the_collection_or_a_reason(rd_box):
    base = request(resource_directory=True, role_name=ROLE)
    texts = []
    for target in adapter().accounts(base):
        try:
            collection = collect(target, base)
            texts.append(json.dumps([collection.run.to_dict(),
                                     [r.to_dict() for r in collection.resources]]))
        except ProviderError as exc:
            texts.append(exc.reason)
    issued = rd_box.directory.issued
    assert issued  # roles were assumed
    secrets = {v for key, (_, _, secret, token) in issued.items() for v in (key, secret, token)}
    secrets |= {"sandbox-fake-secret-not-a-credential"}
    joined = "\n".join(texts)
    assert not [s for s in secrets if s in joined]
