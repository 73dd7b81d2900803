"""The multi-account pipeline: an adapter's optional ``accounts`` hook lists accounts, each is
collected apart (bounded by max_accounts), a failing one is that account's failure only.

A test-only provider without any SDK (on the Alibaba adapter's data files, like the plugins of
test_cancellation.py) collects resources cloned from the golden inventory, so the findings are
the real engine's and every figure below is computed from them in the test itself.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.cancellation import Cancelled
from auditor.checks import compile_check, load_checks
from auditor.documents import load_inventory
from auditor.errors import ProviderError
from auditor.exit_codes import (
    EXIT_FINDINGS,
    EXIT_NOTHING,
    EXIT_OK,
    EXIT_PARTIAL,
    collect_exit_code,
    report_exit_code,
)
from auditor.model import Fact, Inventory, ProviderRun, RunError, Status
from auditor.pipeline import NO_ACCOUNT, build_report, collect, registry_exposure
from auditor.progress import SummedProgress
from auditor.providers import alibaba
from auditor.providers.base import (
    AccountTarget,
    Collection,
    ProviderRegistry,
    load_exposure_profile,
)

GOLDEN = Path(__file__).parents[1] / "golden"
CHECKS = [compile_check(c) for c in load_checks()]


def _golden_resources():
    return [r for r in load_inventory(GOLDEN / "mixed-inventory.json").resources
            if r.provider == "aws"]


class OrgAdapter:
    """Lists ``accounts`` when asked for the organization; ``fail`` maps an account to what
    its collect raises. Records every request and the most collects in flight at once."""

    options = ()
    data_dir = Path(alibaba.__file__).parent

    def __init__(self, name: str, accounts, fail=None, hook=None, hold: float = 0.0,
                 wait_for: int = 1, name_accounts: bool = False) -> None:
        self.name = self.title = name
        self.listed = accounts
        self.fail = fail or {}
        self.hook = hook
        self.hold, self.wait_for, self.name_accounts = hold, wait_for, name_accounts
        self.requests = []
        self.hook_requests = []
        self.lock = threading.Lock()
        self.in_flight = self.most = 0
        self.crowd = threading.Condition(self.lock)

    def exposure_profile(self):
        return load_exposure_profile(self.data_dir / "exposure.yaml")

    def accounts(self, request):
        self.hook_requests.append(request)
        if self.hook is not None:
            return self.hook(request)
        if not request.options.get("organization"):
            return None
        return [AccountTarget(a, {"account_id": a, "role": f"role-{a}"}) for a in self.listed]

    def collect(self, request):
        account = request.options.get("account_id", "single")
        with self.crowd:
            self.requests.append(request)
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            self.crowd.notify_all()
            # hold until as many collects as the bound allows are in flight (or time out):
            # a bound that let fewer run would show as most < wait_for
            self.crowd.wait_for(lambda: self.in_flight >= self.wait_for, timeout=self.hold)
        try:
            if account in self.fail:
                raise self.fail[account]
            request.report(self.name, 1, 2)
            request.report(self.name, 2, 2)
            return _collection(self.name, account, self.name_accounts)
        finally:
            with self.crowd:
                self.in_flight -= 1


def _collection(provider: str, account: str, name_accounts: bool) -> Collection:
    # Each account gets a different share of the golden resources: its own figures.
    resources = _golden_resources()
    share = resources[: min(len(resources), 2 + len(account))]
    cloned = [replace(r, provider=provider, account=account, id=f"{r.id}@{account}")
              for r in share]
    run = ProviderRun(provider, accounts=[account] if name_accounts else [],
                      status="complete", api_calls={"List": 1, "Get": len(cloned)})
    return Collection(run, cloned)


def _registry(*adapters) -> ProviderRegistry:
    registry = ProviderRegistry()
    for adapter in adapters:
        registry.register(adapter.name, lambda a=adapter: a)
    return registry


def _collect(*adapters, options=None, **kwargs):
    names = [a.name for a in adapters]
    options = options if options is not None else {n: {"organization": True} for n in names}
    return collect(_registry(*adapters), names, options, CHECKS, 4, **kwargs)


def _report(adapters, outcome):
    return build_report(outcome.inventory, CHECKS, registry_exposure(_registry(*adapters)), (),
                        outcome.failures)


def test_each_account_is_collected_with_its_options_and_named_on_its_run():
    org = OrgAdapter("toyorg", ["111", "222", "333"])
    outcome = _collect(org, options={"toyorg": {"organization": True, "role": "default",
                                                "region": "eu"}})
    assert not outcome.failures and not outcome.account_failures
    seen = sorted((r.options["account_id"], r.options["role"], r.options["region"])
                  for r in org.requests)
    assert seen == [("111", "role-111", "eu"), ("222", "role-222", "eu"),
                    ("333", "role-333", "eu")]
    assert [r.accounts for r in outcome.inventory.runs] == [["111"], ["222"], ["333"]]
    assert {r.account for r in outcome.inventory.resources} == {"111", "222", "333"}
    assert all(run.facts_requested for run in outcome.inventory.runs)


def test_no_hook_answer_collects_once_as_before():
    org = OrgAdapter("toyorg", ["111", "222"])
    outcome = _collect(org, options={"toyorg": {}})
    assert len(org.requests) == 1 and "account_id" not in org.requests[0].options
    assert len(outcome.inventory.runs) == 1
    assert outcome.inventory.runs[0].accounts == []  # the adapter's run, left as it was


def test_a_failing_account_is_reported_and_the_others_finish():
    org = OrgAdapter("toyorg", ["111", "222", "333", "444"], fail={
        "222": ProviderError("toyorg", "AssumeRole refused: AccessDenied"),
        "444": KeyError("Credentials")})
    outcome = _collect(org)
    assert not outcome.failures  # the provider did not fail as a whole
    failed = {(a.account, a.reason) for a in outcome.account_failures}
    assert ("222", "AssumeRole refused: AccessDenied") in failed
    reason_444 = dict(failed)["444"]
    assert reason_444.startswith("unexpected KeyError at ") and "Credentials" in reason_444
    assert ("toyorg", "444") in outcome.account_tracebacks
    runs = {tuple(r.accounts): r for r in outcome.inventory.runs}
    assert runs[("222",)].status == runs[("444",)].status == "failed"
    assert [(e.scope, e.operation, e.code) for e in runs[("222",)].errors] == [
        ("account", "collect", "ProviderError")]
    assert runs[("111",)].status == runs[("333",)].status == "complete"
    assert {r.account for r in outcome.inventory.resources} == {"111", "333"}


@pytest.mark.parametrize("bound", [1, 2, 3])
def test_at_most_max_accounts_are_collected_at_once(bound):
    org = OrgAdapter("toyorg", [str(n) for n in range(7)], hold=2.0, wait_for=bound)
    outcome = _collect(org, max_accounts=bound)
    assert len(org.requests) == 7 and not outcome.account_failures
    assert org.most == bound


def test_providers_still_run_side_by_side_each_under_its_own_account_bound():
    first = OrgAdapter("toya", ["1", "2"], hold=2.0, wait_for=1)
    second = OrgAdapter("toyb", ["3", "4"], hold=2.0, wait_for=1)
    shared = threading.Lock()
    both = {"now": 0, "most": 0}

    def counting(adapter):
        plain = adapter.collect

        def collect_(request):
            with shared:
                both["now"] += 1
                both["most"] = max(both["most"], both["now"])
            time.sleep(0.2)
            try:
                return plain(request)
            finally:
                with shared:
                    both["now"] -= 1

        adapter.collect = collect_

    counting(first)
    counting(second)
    _collect(first, second, max_accounts=1)
    assert first.most == second.most == 1
    assert both["most"] == 2  # one account of each provider at once


def test_the_hook_raising_fails_the_provider_as_a_whole():
    def refuse(request):
        raise ProviderError("toyorg", "organizations:ListAccounts denied")

    org = OrgAdapter("toyorg", [], hook=refuse)
    other = OrgAdapter("toyok", ["9"])
    outcome = _collect(org, other)
    assert outcome.failures == {"toyorg": "organizations:ListAccounts denied"}
    assert not outcome.account_failures and not org.requests
    failed = [r for r in outcome.inventory.runs if r.provider == "toyorg"]
    assert [(e.scope, e.code) for e in failed[0].errors] == [("provider", "ProviderError")]
    assert [r.status for r in outcome.inventory.runs if r.provider == "toyok"] == ["complete"]
    report = _report([org, other], outcome)
    assert report.provider_failures == outcome.failures and not report.account_failures


@pytest.mark.parametrize("listed, reason", [
    ([], NO_ACCOUNT),
    ("111", "not a list of AccountTarget"),
    ([AccountTarget("1"), "2"], "not a list of AccountTarget"),
])
def test_an_empty_or_malformed_account_list_fails_the_provider(listed, reason):
    org = OrgAdapter("toyorg", [], hook=lambda request: listed)
    outcome = _collect(org)
    assert reason in outcome.failures["toyorg"]
    assert not org.requests


def test_an_account_listed_twice_is_collected_once():
    org = OrgAdapter("toyorg", [], hook=lambda r: [AccountTarget("1"), AccountTarget("2"),
                                                   AccountTarget("1", {"x": "y"})])
    outcome = _collect(org)
    assert len(org.requests) == 2
    assert sorted(a for r in outcome.inventory.runs for a in r.accounts) == ["1", "2"]


def test_an_adapter_naming_its_accounts_keeps_them():
    org = OrgAdapter("toyorg", ["1"], hook=lambda r: [AccountTarget("1")], name_accounts=True)
    outcome = _collect(org)
    assert outcome.inventory.runs[0].accounts == ["single"]  # what the adapter said


def test_tags_reach_the_hook_and_every_account_request():
    org = OrgAdapter("toyorg", ["1", "2"])
    _collect(org, tags=True)
    assert org.hook_requests[0].tags is True
    assert [r.tags for r in org.requests] == [True, True]
    plain = OrgAdapter("toyorg", ["1"])
    _collect(plain)
    assert plain.requests[0].tags is False


def test_an_interrupt_starts_no_further_account():
    cancel = threading.Event()
    org = OrgAdapter("toyorg", ["1", "2", "3"])
    plain = org.collect

    def interrupting(request):
        cancel.set()  # as the SIGINT handler would
        return plain(request)

    org.collect = interrupting
    with pytest.raises(Cancelled):
        _collect(org, cancel=cancel, max_accounts=1)
    assert len(org.requests) == 1


def test_progress_is_summed_over_the_accounts_of_a_provider():
    calls = []
    lock = threading.Lock()

    def progress(provider, done, total):
        with lock:
            calls.append((provider, done, total))

    org = OrgAdapter("toyorg", ["1", "2", "3"])
    _collect(org, progress=progress, max_accounts=3)
    assert {c[0] for c in calls} == {"toyorg"}
    assert calls[-1] == ("toyorg", 6, 6)  # each account reports 2 of 2
    assert all(total is None or done <= total for _, done, total in calls)


def test_summed_progress_waits_for_every_reported_total():
    seen = []
    summed = SummedProgress(lambda p, d, t: seen.append((d, t)))
    a, b = summed.account("a"), summed.account("b")
    a("p", 1, None)
    b("p", 2, 5)
    a("p", 3, 4)
    b("p", 5, 5)
    assert seen == [(1, None), (3, None), (5, 9), (8, 9)]


def _statuses(findings):
    counts = Counter(f.muted_status or f.status for f in findings)
    return {"pass": counts[Status.PASS], "fail": counts[Status.FAIL],
            "opaque": counts[Status.OPAQUE], "unverified": counts[Status.UNVERIFIED],
            "not_applicable": counts[Status.NOT_APPLICABLE]}


def test_report_account_failures_scores_per_account_and_exit_codes():
    org = OrgAdapter("toyorg", ["111", "2222", "33333"], fail={
        "2222": ProviderError("toyorg", "the role AuditRole may not be assumed")})
    outcome = _collect(org)
    report = _report([org], outcome)
    assert report.provider_failures == {}
    assert [a.to_dict() for a in report.account_failures] == [
        {"provider": "toyorg", "account": "2222",
         "reason": "the role AuditRole may not be assumed"}]
    per_account = report.transparency["accounts"]["toyorg"]
    assert set(per_account) == {"111", "2222", "33333"}
    for account in ("111", "33333"):
        mine = [f for f in report.findings if f.account == account]
        assert mine
        figures = per_account[account]
        # OPAQUE for a feature the provider lacks is counted apart (formulas: unsupported)
        counted = {**{k: figures[k] for k in _statuses(mine)},
                   "opaque": figures["opaque"] + figures["unsupported"]}
        assert counted == _statuses(mine)
        decided = figures["pass"] + figures["fail"]
        applicable = decided + figures["opaque"] + figures["unverified"]
        assert figures["verifiability"] == round(decided / applicable, 4)
        assert figures["status"] == "complete"
    assert per_account["111"]["applicable"] < per_account["33333"]["applicable"]  # its own
    summed = {k: sum(per_account[a][k] for a in per_account) for k in ("pass", "fail")}
    provider = report.transparency["providers"]["toyorg"]
    assert summed == {"pass": provider["pass"], "fail": provider["fail"]}
    assert per_account["2222"]["status"] == "failed"
    assert per_account["2222"]["applicable"] == 0
    assert "accounts" in report.transparency["formulas"]
    fails = any(f.status is Status.FAIL for f in report.findings)
    assert report_exit_code(report, None) == EXIT_PARTIAL
    assert report_exit_code(report, "info") == (EXIT_FINDINGS if fails else EXIT_PARTIAL)
    assert collect_exit_code(outcome.inventory.runs, outcome.failures,
                             outcome.inventory.resources) == EXIT_PARTIAL


def test_a_saved_inventory_gives_the_same_account_failures():
    org = OrgAdapter("toyorg", ["1", "2"], fail={"2": ProviderError("toyorg", "timed out")})
    outcome = _collect(org)
    scanned = _report([org], outcome)
    saved = Inventory.from_dict(outcome.inventory.to_dict())
    evaluated = build_report(saved, CHECKS, registry_exposure(_registry(org)))
    assert evaluated.account_failures == scanned.account_failures
    assert evaluated.provider_failures == scanned.provider_failures == {}
    assert evaluated.transparency["accounts"] == scanned.transparency["accounts"]


def test_every_account_failing_is_exit_5_not_partial():
    org = OrgAdapter("toyorg", ["1", "2"], fail={"1": ProviderError("toyorg", "denied"),
                                                  "2": ProviderError("toyorg", "denied")})
    outcome = _collect(org)
    report = _report([org], outcome)
    assert len(report.account_failures) == 2 and not report.findings
    assert report_exit_code(report, None) == EXIT_NOTHING
    assert report_exit_code(report, "info") == EXIT_NOTHING
    assert collect_exit_code(outcome.inventory.runs, outcome.failures,
                             outcome.inventory.resources) == EXIT_NOTHING


def test_every_provider_failing_is_exit_5_and_one_good_account_is_not():
    def refuse(request):
        raise ProviderError("toyorg", "no credentials")

    outcome = _collect(OrgAdapter("toyorg", [], hook=refuse))
    report = _report([OrgAdapter("toyorg", [])], outcome)
    assert report_exit_code(report, None) == EXIT_NOTHING
    org = OrgAdapter("toyorg", ["1", "2"], fail={"1": ProviderError("toyorg", "denied")})
    outcome = _collect(org)
    assert report_exit_code(_report([org], outcome), None) == EXIT_PARTIAL


def test_no_run_at_all_is_nothing_collected_and_a_clean_run_is_ok():
    empty = build_report(Inventory(), CHECKS, lambda p: None)
    assert report_exit_code(empty, None) == EXIT_NOTHING
    clean = build_report(Inventory([ProviderRun("toyorg", ["1"])], []), CHECKS, lambda p: None)
    assert report_exit_code(clean, None) == EXIT_OK  # collected, and found nothing


def test_a_partial_run_that_observed_nothing_is_nothing_collected():
    """Every call failed (the provider down, a listing gap and nothing else): exit 5; one
    observed fact makes it partial (3)."""
    bucket = _golden_resources()[0]
    blind = replace(bucket, facts={path: Fact.error("ConnectionRefused", "s3:Get")
                                   for path in bucket.facts})
    runs = [ProviderRun("toyorg", ["1"], status="partial",
                        errors=[RunError("account", "s3:ListBuckets", "ConnectionRefused")])]
    report = build_report(Inventory(runs, [blind]), CHECKS, lambda p: None)
    assert report.findings and all(e.state != "observed" for f in report.findings
                                   for e in f.evidence)
    assert report_exit_code(report, None) == EXIT_NOTHING
    assert collect_exit_code(runs, {}, [blind]) == EXIT_NOTHING
    assert collect_exit_code(runs, {}, []) == EXIT_NOTHING
    seen = replace(blind, facts={**blind.facts, "encryption.enabled": Fact.observed(True)})
    assert report_exit_code(build_report(Inventory(runs, [seen]), CHECKS, lambda p: None),
                            None) == EXIT_PARTIAL
    assert collect_exit_code(runs, {}, [seen]) == EXIT_PARTIAL
