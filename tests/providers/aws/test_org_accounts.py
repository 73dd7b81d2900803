"""Whole-organization scans against moto (server mode on 127.0.0.1, IAM enforced).

The Organization of org_support: the management account (the scanner's own), ``plain``,
``denied`` (its AuditRole may not GetBucketVersioning) and ``refusing`` (the scanner may not
assume its AuditRole). The real boto3 clients talk to moto over HTTP; every denial is moto's
own AccessDenied answer.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from aws_support import aws_environment
from org_support import MANAGEMENT, ROLE, US, Organization, organization

from auditor.checks import compile_check, load_checks
from auditor.cli import main
from auditor.errors import CredentialsError, ProviderError
from auditor.exit_codes import EXIT_INPUT, EXIT_PARTIAL
from auditor.model import FactState, ResourceKind, Status
from auditor.permissions import derive_policy
from auditor.pipeline import build_report, collect, registry_exposure
from auditor.providers._runtime import RetryPolicy
from auditor.providers.aws import AwsAdapter
from auditor.providers.base import CollectRequest, ProviderRegistry

CHECKS = [compile_check(c) for c in load_checks()]
RETRY = RetryPolicy(max_attempts=1)
ORG = {"organization": True, "role_name": ROLE, "region": [US]}
READ_VERBS = ("Get", "List", "Describe")


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Organization]:
    with organization() as running:
        yield running


@pytest.fixture
def env(org: Organization, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    org.sandbox.reset_requests()
    with aws_environment(tmp_path) as mp:
        for name, value in org.environment().items():
            mp.setenv(name, value)
        yield mp


def _request(**options) -> CollectRequest:
    return CollectRequest(options=options, max_workers=4)


def _assumes(org: Organization) -> list[dict[str, list[str]]]:
    return [parse_qs(r.body.decode()) for r in org.sandbox.requests()
            if r.action == "sts:AssumeRole"]


def test_no_organization_and_no_account_is_not_a_multi_account_request(org, env):
    assert AwsAdapter().accounts(_request(region=[US], session_name="nightly")) is None
    assert org.sandbox.requests() == []  # nothing asked, not even the identity


@pytest.mark.parametrize("stray", [{"role_name": ROLE}, {"exclude_account": [MANAGEMENT]}])
def test_a_role_name_or_exclusion_without_accounts_is_refused_not_ignored(org, env, stray):
    with pytest.raises(ProviderError, match="needs --aws-organization or --aws-account"):
        AwsAdapter().accounts(_request(region=[US], **stray))
    assert org.sandbox.requests() == []


def test_the_organization_lists_four_accounts_and_the_own_one_is_not_assumed(org, env):
    targets = AwsAdapter(retry=RETRY).accounts(_request(**ORG))
    by_account = {t.account: t for t in targets}
    assert set(by_account) == {MANAGEMENT, *org.accounts.values()}
    # The caller's own account: its own credentials, no role (role_arn cleared).
    assert by_account[MANAGEMENT].options == {"role_arn": None}
    for name, account in org.accounts.items():
        assert by_account[account].label == name
        assert by_account[account].options == {
            "role_arn": f"arn:aws:iam::{account}:role/{ROLE}", "external_id": None,
            "session_name": "safeguard-auditor"}
    sent = Counter(r.action for r in org.sandbox.requests())
    assert sent == {"sts:GetCallerIdentity": 1, "organizations:ListAccounts": 1}


def test_explicit_accounts_are_scanned_without_listing_the_organization(org, env):
    wanted = [org.accounts["plain"], MANAGEMENT]
    targets = AwsAdapter(retry=RETRY).accounts(_request(account=wanted, role_name=ROLE))
    assert [t.account for t in targets] == wanted
    assert "organizations:ListAccounts" not in {r.action for r in org.sandbox.requests()}


def test_excluded_accounts_are_left_out(org, env):
    skip = [org.accounts["denied"], MANAGEMENT]
    targets = AwsAdapter(retry=RETRY).accounts(_request(**ORG, exclude_account=skip))
    assert {t.account for t in targets} == {org.accounts["plain"], org.accounts["refusing"]}


def test_a_missing_role_name_fails_before_any_call(org, env):
    with pytest.raises(ProviderError, match="--aws-role-name"):
        AwsAdapter().accounts(_request(organization=True))
    with pytest.raises(ProviderError, match="--aws-role-arn excludes --aws-role-name"):
        AwsAdapter().accounts(_request(**ORG, role_arn=org.role_arn("plain")))
    assert org.sandbox.requests() == []


def test_the_session_name_is_sent_with_each_assume_role(org, env):
    targets = {t.account: t for t in AwsAdapter(retry=RETRY).accounts(
        _request(**ORG, session_name="nightly-audit"))}
    request = _request(**ORG)
    target = targets[org.accounts["plain"]]
    collection = AwsAdapter(retry=RETRY).collect(
        replace(request, options={**request.options, **target.options}))
    (assume,) = _assumes(org)
    assert assume["RoleSessionName"] == ["nightly-audit"]
    assert assume["RoleArn"] == [org.role_arn("plain")]
    assert collection.run.accounts == [org.accounts["plain"]]
    assert collection.run.api_calls["sts:AssumeRole"] == 1  # counted like any other call


def test_a_refused_assume_role_names_the_account_and_the_code(org, env):
    request = _request(**ORG, role_arn=org.role_arn("refusing"))
    with pytest.raises(CredentialsError) as raised:
        AwsAdapter(retry=RETRY).collect(request)
    reason = raised.value.reason
    assert org.accounts["refusing"] in reason and "AccessDenied" in reason
    assert "sts:AssumeRole" in reason
    assert org.environment()["AWS_SECRET_ACCESS_KEY"] not in reason
    assert org.environment()["AWS_ACCESS_KEY_ID"] not in reason


@pytest.fixture(scope="module")
def scanned(org: Organization, tmp_path_factory: pytest.TempPathFactory):
    """One pipeline collect of the whole organization, and the requests moto recorded."""
    org.sandbox.reset_requests()
    with aws_environment(tmp_path_factory.mktemp("scan")) as mp:
        for name, value in org.environment().items():
            mp.setenv(name, value)
        outcome = collect(ProviderRegistry.from_entry_points(), ["aws"], {"aws": dict(ORG)},
                          CHECKS, max_workers=4, max_accounts=2)
    return outcome, org.sandbox.requests()


def test_three_accounts_are_collected_and_one_fails_with_its_reason(org, scanned):
    outcome, _ = scanned
    assert outcome.failures == {}  # the provider itself did not fail
    (failure,) = outcome.account_failures
    assert failure.account == org.accounts["refusing"]
    assert org.accounts["refusing"] in failure.reason and "AccessDenied" in failure.reason
    runs = {run.accounts[0]: run for run in outcome.inventory.runs}
    assert set(runs) == {MANAGEMENT, *org.accounts.values()}  # one run per account
    assert runs[org.accounts["refusing"]].status == "failed"
    collected = {MANAGEMENT, org.accounts["plain"], org.accounts["denied"]}
    assert {a for a, run in runs.items() if run.status != "failed"} == collected
    buckets = {r.name: r.account for r in outcome.inventory.resources
               if r.kind == ResourceKind.BUCKET}
    assert buckets == {"management-data": MANAGEMENT, "plain-data": org.accounts["plain"],
                       "denied-data": org.accounts["denied"]}
    # Every resource is in the account its run read.
    assert {r.account for r in outcome.inventory.resources} == collected


def test_the_denied_call_is_unverified_in_that_account_only(org, scanned):
    outcome, _ = scanned
    versioning = {r.account: r.facts["versioning.enabled"] for r in outcome.inventory.resources
                  if r.kind == ResourceKind.BUCKET}
    denied = org.accounts["denied"]
    assert versioning[denied].state is FactState.DENIED
    assert all(f.state is FactState.OBSERVED and f.value is True
               for account, f in versioning.items() if account != denied)
    runs = {run.accounts[0]: run for run in outcome.inventory.runs}
    refusals = {a for a, run in runs.items()
                if any(e.operation == "s3:GetBucketVersioning" for e in run.errors)}
    assert refusals == {denied}
    report = build_report(outcome.inventory, CHECKS,
                          registry_exposure(ProviderRegistry.from_entry_points()))
    statuses = {f.account: f.status for f in report.findings
                if f.check_id == "bucket-versioning"}
    assert statuses[denied] is Status.UNVERIFIED
    assert {s for a, s in statuses.items() if a != denied} == {Status.PASS}
    assert [(a.account, a.provider) for a in report.account_failures] == [
        (org.accounts["refusing"], "aws")]


def test_the_ledgers_add_up_to_what_moto_saw_and_all_of_it_is_a_read(org, scanned):
    outcome, recorded = scanned
    sent = Counter(r.action for r in recorded)
    counted = Counter()
    for run in outcome.inventory.runs:
        counted.update(run.api_calls)
    # In no account's run: the hook's own identity call and listing, and the refused
    # AssumeRole (its collect raised, so the pipeline's failed run has no ledger).
    counted.update({"sts:GetCallerIdentity": 1, "organizations:ListAccounts": 1,
                    "sts:AssumeRole": 1})
    assert sent == counted
    assert sent["sts:AssumeRole"] == 3  # plain, denied, and the refused one; never the own
    assert all(a.split(":", 1)[1].startswith(READ_VERBS) or a == "sts:AssumeRole"
               for a in sent), sorted(sent)
    assumed = {q["RoleArn"][0] for q in (parse_qs(r.body.decode()) for r in recorded
                                         if r.action == "sts:AssumeRole")}
    assert assumed == {org.role_arn(n) for n in ("plain", "denied", "refusing")}


def test_scan_aws_organization_role_name_reports_three_accounts_and_one_failed(
        org, env, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    # The command as typed (every enabled region), the history and the output
    # kept in tmp_path.
    code = main(["scan", "aws", "--organization", "--role-name", ROLE,
                 "--no-history", "-q", "-f", "json", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == EXIT_PARTIAL
    refusing = org.accounts["refusing"]
    lines = [line for line in err.splitlines() if refusing in line]
    assert len(lines) == 1 and "AccessDenied" in lines[0], err
    (report_file,) = (tmp_path / "out").glob("*.json")
    report = json.loads(report_file.read_text())
    accounts = {a for run in report["runs"] if run["status"] != "failed"
                for a in run["accounts"]}
    assert accounts == {MANAGEMENT, org.accounts["plain"], org.accounts["denied"]}
    (failed,) = report["account_failures"]
    assert failed["account"] == refusing and "AccessDenied" in failed["reason"]


@pytest.mark.parametrize(("flags", "named"), [
    (["--organization", "--role-name", ROLE, "--aws-account", "12345"], "--aws-account"),
    (["--account", "1234567890123", "--role-name", ROLE], "--account"),
    (["--organization", "--role-name", ROLE, "--exclude-account", "abcdefghijkl"],
     "--exclude-account"),
    (["--organization", "--role-name", "audit/role"], "--role-name"),
    (["--organization", "--role-name", ROLE, "--session-name", "x"], "--session-name"),
    (["--organization", "--role-name", ROLE, "--aws-session-name", "has space"],
     "--aws-session-name"),
], ids=["short-account", "long-account", "exclude", "role-path", "session-short",
        "session-space"])
def test_a_malformed_value_is_a_usage_error_before_any_call(
        org, env, tmp_path, monkeypatch, capsys, flags, named):
    monkeypatch.chdir(tmp_path)
    code = main(["scan", "aws", *flags, "--no-history", "-q", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == EXIT_INPUT
    assert len(err) == 1 and named in err[0], err
    assert org.sandbox.requests() == []


def test_what_the_organization_scan_sends_is_granted_by_the_derived_policies(scanned):
    _, recorded = scanned
    sent = {r.action for r in recorded}
    adapter = AwsAdapter()
    given = {name for name, value in ORG.items() if value}
    derived = set(derive_policy(adapter, CHECKS, given_options=given).operations)
    assert sent <= derived, sorted(sent - derived)
    multi = {"organizations:ListAccounts", "sts:AssumeRole"}
    assert multi <= sent
    # Derived for one account's role (no option given), neither is granted: they are the
    # caller's, not the member role's (docs/organizations.md).
    assert not multi & set(derive_policy(adapter, CHECKS).operations)


def test_a_tag_rule_mutes_in_the_account_whose_bucket_carries_the_tag(
        org, env, tmp_path, monkeypatch, capsys):
    """A mutelist rule on tags makes each account's collect read tags (and only then)."""
    monkeypatch.chdir(tmp_path)
    mutelist = tmp_path / "mutelist.yaml"
    mutelist.write_text("mute:\n  - reason: versioning reads are refused there, accepted\n"
                        "    expires: 2099-12-31\n    check: bucket-versioning\n"
                        "    tags: {account: denied}\n")
    code = main(["scan", "aws", "--organization", "--role-name", ROLE, "--region", US,
                 "--mutelist", str(mutelist), "--no-history", "-q", "-f", "json",
                 "-o", str(tmp_path / "out")])
    capsys.readouterr()
    assert code == EXIT_PARTIAL
    (report_file,) = (tmp_path / "out").glob("*.json")
    findings = json.loads(report_file.read_text())["findings"]
    statuses = {f["account"]: f["status"] for f in findings
                if f["check_id"] == "bucket-versioning"}
    assert statuses == {org.accounts["denied"]: "MUTED", org.accounts["plain"]: "PASS",
                        MANAGEMENT: "PASS"}
    sent = Counter(r.action for r in org.sandbox.requests())
    assert sent["s3:GetBucketTagging"] == 3  # one bucket in each account collected
