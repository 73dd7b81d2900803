"""organizations:ListAccounts and AssumeRole against the 127.0.0.1 answer stand: pages,
account states, a refused or failing or malformed listing, and an account that times out.

The stand answers each call with the sample its API reference documents unless a test
scripts another; boto3 is real and talks to it over HTTP.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
from answer_stand import ACCOUNT, JSON, as_json, running_stand, xml

from auditor.checks import compile_check, load_checks
from auditor.errors import CredentialsError, EndpointError, ProviderError
from auditor.pipeline import collect as pipeline_collect
from auditor.providers._runtime import RetryPolicy
from auditor.providers.aws import AwsAdapter
from auditor.providers.base import CollectRequest, ProviderRegistry

RETRY = RetryPolicy(max_attempts=1)
ROLE = "AuditRole"
MEMBER = "222222222222"


def account(account_id: str, name: str, state: str | None = "ACTIVE",
            status: str | None = "ACTIVE") -> dict:
    """One Account as the ListAccounts reference documents it (Status is being retired)."""
    out = {"Id": account_id, "Arn": f"arn:aws:organizations::{ACCOUNT}:account/o-exampleorgid/"
           f"{account_id}", "Email": f"{name}@example.com", "Name": name,
           "JoinedMethod": "CREATED", "JoinedTimestamp": 1481830215.45}
    if state is not None:
        out["State"] = state
    if status is not None:
        out["Status"] = status
    return out


def pages(*bodies: dict):
    """A ListAccounts script: page n+1 when NextToken names it (t1, t2, ...)."""
    def script(params: dict[str, list[str]]):
        token = (params.get("NextToken") or ["t0"])[0]
        return as_json(bodies[int(token[1:])])
    return script


def assume_role_answer(account_id: str) -> tuple[int, str, bytes]:
    """The AWS STS API Reference AssumeRole sample (Response Syntax), expiring far ahead."""
    return xml(
        '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        "<AssumeRoleResult><AssumedRoleUser>"
        f"<Arn>arn:aws:sts::{account_id}:assumed-role/{ROLE}/safeguard-auditor</Arn>"
        "<AssumedRoleId>ARO123EXAMPLE123:safeguard-auditor</AssumedRoleId></AssumedRoleUser>"
        "<Credentials><AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>"
        "<SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>"
        "<SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW"
        "</SessionToken><Expiration>2099-11-09T13:34:41Z</Expiration></Credentials>"
        "<PackedPolicySize>6</PackedPolicySize></AssumeRoleResult>"
        "<ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>"
        "</ResponseMetadata></AssumeRoleResponse>")


def targets(**options):
    return AwsAdapter(retry=RETRY).accounts(CollectRequest(
        options={"organization": True, "role_name": ROLE, **options}, timeout=5))


def test_every_page_is_listed_and_only_active_accounts_are_scanned(tmp_path: Path, caplog):
    with running_stand(tmp_path) as stand:
        stand.scripts["organizations:ListAccounts"] = pages(
            {"Accounts": [account(ACCOUNT, "management"), account(MEMBER, "prod")],
             "NextToken": "t1"},
            {"Accounts": [account("333333333333", "closed", "SUSPENDED", "SUSPENDED"),
                          account("444444444444", "closing", "PENDING_CLOSURE",
                                  "PENDING_CLOSURE"),
                          account("555555555555", "new", "PENDING_ACTIVATION", None),
                          account("666666666666", "old-sdk-answer", None, "ACTIVE"),
                          account("777777777777", "gone", "CLOSED", "SUSPENDED")]})
        with caplog.at_level(logging.WARNING):
            listed = targets()
    assert [t.account for t in listed] == [ACCOUNT, MEMBER, "666666666666"]
    assert [t.label for t in listed] == ["management", "prod", "old-sdk-answer"]
    assert stand.calls["organizations:ListAccounts"] == 2
    skipped = " ".join(r.getMessage() for r in caplog.records)
    for account_id, state in (("333333333333", "SUSPENDED"), ("444444444444", "PENDING_CLOSURE"),
                              ("555555555555", "PENDING_ACTIVATION"), ("777777777777", "CLOSED")):
        assert f"{account_id} " in skipped and state in skipped
    assert listed[0].options == {"role_arn": None}  # the caller's own account (the sample's)


def test_a_repeated_page_token_fails_the_listing(tmp_path: Path):
    page = {"Accounts": [account(MEMBER, "prod")], "NextToken": "t0"}
    with running_stand(tmp_path) as stand:
        stand.scripts["organizations:ListAccounts"] = pages(page)
        with pytest.raises(EndpointError, match="RepeatedMarker"):
            targets()
    assert stand.calls["organizations:ListAccounts"] == 2


@pytest.mark.parametrize(("reply", "error", "code"), [
    (as_json({"__type": "AccessDeniedException", "Message": "You don't have permissions to "
              "access this resource."}, 400), CredentialsError, "AccessDeniedException"),
    (as_json({"__type": "AWSOrganizationsNotInUseException", "Message": "Your account is not "
              "a member of an organization."}, 400), EndpointError,
     "AWSOrganizationsNotInUseException"),
    (as_json({"__type": "ServiceException", "Message": "boom"}, 500), EndpointError,
     "ServiceException"),
    (as_json({"Accounts": [{"Id": "12345", "Name": "short", "State": "ACTIVE"}]}),
     EndpointError, "UnexpectedShape"),
    ((200, JSON, b"<html>not json</html>"), EndpointError, "UnparsableAnswer"),
], ids=["denied", "no-organization", "5xx", "bad-id", "not-json"])
def test_a_listing_that_fails_fails_the_provider_with_its_code(tmp_path, reply, error, code):
    with running_stand(tmp_path) as stand:
        stand.answer("organizations:ListAccounts", reply)
        with pytest.raises(error) as raised:
            targets()
    assert code in raised.value.reason and "organizations:ListAccounts" in raised.value.reason
    assert "sts:AssumeRole" not in stand.calls  # no account is tried without the list


def test_a_refused_assume_role_is_a_credentials_failure_with_the_sts_code(tmp_path: Path):
    error = xml('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
                "<Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::"
                f"{ACCOUNT}:user/Alice is not authorized to perform: sts:AssumeRole on "
                f"resource: arn:aws:iam::{MEMBER}:role/{ROLE}</Message></Error>"
                "<RequestId>r</RequestId></ErrorResponse>", 403)
    with running_stand(tmp_path) as stand:
        stand.answer("sts:AssumeRole", error)
        with pytest.raises(CredentialsError) as raised:
            AwsAdapter(retry=RETRY).collect(CollectRequest(options={
                "region": ["eu-west-1"], "role_arn": f"arn:aws:iam::{MEMBER}:role/{ROLE}"}))
    assert MEMBER in raised.value.reason and "AccessDenied" in raised.value.reason
    assert stand.calls["sts:AssumeRole"] == 1
    assert "s3:ListBuckets" not in stand.calls


@pytest.mark.parametrize("silent", ["sts:AssumeRole", "sts:GetCallerIdentity"])
def test_an_account_that_does_not_answer_fails_within_the_timeout(tmp_path, silent):
    """AssumeRole, then the first identity call, each bounded by CollectRequest.timeout."""
    def slow(_: dict[str, list[str]]):
        time.sleep(30)
        return as_json({})

    with running_stand(tmp_path) as stand:
        stand.answer("sts:AssumeRole", assume_role_answer(MEMBER))
        stand.scripts[silent] = slow
        started = time.monotonic()
        with pytest.raises(ProviderError) as raised:
            AwsAdapter(retry=RETRY).collect(CollectRequest(options={
                "region": ["eu-west-1"], "role_arn": f"arn:aws:iam::{MEMBER}:role/{ROLE}"},
                timeout=0.5))
        elapsed = time.monotonic() - started
    assert elapsed < 15, elapsed  # gave up at 0.5 s per attempt, long before an answer
    assert silent in raised.value.reason and "timeout" in raised.value.reason.lower()
    assert stand.calls[silent] == 1  # RETRY: one attempt


def test_a_silent_member_fails_that_account_while_the_own_one_finishes(tmp_path: Path):
    def slow(_: dict[str, list[str]]):
        time.sleep(60)
        return assume_role_answer(MEMBER)

    checks = [compile_check(c) for c in load_checks()]
    with running_stand(tmp_path) as stand:
        stand.answer("organizations:ListAccounts", as_json({"Accounts": [
            account(ACCOUNT, "management"), account(MEMBER, "prod")]}))
        stand.scripts["sts:AssumeRole"] = slow
        started = time.monotonic()
        outcome = pipeline_collect(
            ProviderRegistry.from_entry_points(), ["aws"],
            {"aws": {"organization": True, "role_name": ROLE, "region": ["eu-west-1"]}},
            checks, max_workers=2, timeout=0.5)
        elapsed = time.monotonic() - started
    assert elapsed < 40, elapsed  # the default policy's attempts, each bounded
    (failure,) = outcome.account_failures
    assert failure.account == MEMBER and "ReadTimeoutError" in failure.reason
    collected = [run for run in outcome.inventory.runs if run.status != "failed"]
    assert [run.accounts for run in collected] == [[ACCOUNT]]
    assert {r.account for r in outcome.inventory.resources} == {ACCOUNT}


def test_the_sample_answers_parse(tmp_path: Path):
    # The scripted samples above are what the references document: the adapter reads them.
    with running_stand(tmp_path) as stand:
        stand.answer("organizations:ListAccounts", as_json({"Accounts": [
            account(MEMBER, "prod")]}))
        stand.answer("sts:AssumeRole", assume_role_answer(MEMBER))
        (target,) = targets()
        collection = AwsAdapter(retry=RETRY).collect(CollectRequest(options={
            "region": ["eu-west-1"], **target.options}))
    assert json.loads(json.dumps(target.options))["role_arn"].endswith(f"{MEMBER}:role/{ROLE}")
    assert collection.run.api_calls["sts:AssumeRole"] == 1
    assert collection.resources
