"""Drift between two reports: what failed anew, what was resolved, every other status change,
resources and checks that came or went, failures of runs and accounts, and transparency scores.

Pure: no I/O. A finding's identity is (check_id, provider, account, region, resource_id); a
resource's is (provider, account, kind, resource_id, name), taken from the findings. A
resource or finding that is missing from the new run because its account, its provider or a
listing failed there carries that cause: it was not observed, which is not the same as gone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from auditor.drift._changes import (
    CAUSES,
    NOT_OBSERVED_CAUSES,
    CheckChange,
    Drift,
    FailureChange,
    FindingChange,
    ResourceChange,
    RunSide,
    ScoreChange,
)
from auditor.model import Finding, Report, Status

__all__ = ["CAUSES", "NOT_OBSERVED_CAUSES", "CheckChange", "Drift", "FailureChange",
           "FindingChange", "ResourceChange", "RunSide", "ScoreChange", "diff_reports",
           "run_side"]

SCORES = ("verifiability", "provider_opacity", "access_gap", "pass_rate")
_SCOPE_WORDS = re.compile(r"[/:,\s]+")

FindingKey = tuple[str, str, str, str, str]
ResourceKey = tuple[str, str, str, str, str]
Cause = tuple[str, str | None] | None  # (cause, detail)


def _finding_key(f: Finding) -> FindingKey:
    return (f.check_id, f.provider, f.account, f.region, f.resource_id)


def _resource_key(f: Finding) -> ResourceKey:
    return (f.provider, f.account, f.kind, f.resource_id, f.resource_name)


def run_side(report: Report, run_id: int | None = None,
             recorded_at: str | None = None) -> RunSide:
    """The description of one side: providers, ``provider:account`` pairs, when."""
    providers = sorted({r.provider for r in report.runs} | set(report.provider_failures))
    accounts = sorted({f"{r.provider}:{a}" for r in report.runs for a in r.accounts}
                      | {f"{a.provider}:{a.account}" for a in report.account_failures})
    return RunSide(report.generated_at, report.tool_version, providers, accounts, run_id,
                   recorded_at)


class _Failures:
    """What failed in one report: providers, accounts, listings (per provider and account)."""

    def __init__(self, report: Report) -> None:
        self.providers = dict(report.provider_failures)
        self.accounts = {(a.provider, a.account): a.reason for a in report.account_failures}
        self.listings: dict[tuple[str, str], list[str]] = {}
        for run in report.runs:
            for error in (e for e in run.errors if e.kind == "listing"):
                # A gap whose scope names one of the run's accounts (projects/proj-b) is that
                # account's; any other (a region) may hide resources of every account.
                named = set(_SCOPE_WORDS.split(error.scope)) & set(run.accounts)
                for account in named or run.accounts or ["*"]:
                    self.listings.setdefault((run.provider, account), []).append(
                        f"{error.operation} {error.code} ({error.scope})")

    def cause(self, provider: str, account: str, suffix: str) -> Cause:
        """Why ``account`` of ``provider`` was not (fully) observed in this report, if it
        was not: ``<what>_<suffix>`` with the reason."""
        if (provider, account) in self.accounts:
            return f"account_{suffix}", self.accounts[provider, account]
        if provider in self.providers:
            return f"provider_{suffix}", self.providers[provider]
        gaps = self.listings.get((provider, account)) or self.listings.get((provider, "*"))
        if gaps:
            return f"listing_{suffix}", "; ".join(gaps)
        return None


def _change(f: Finding, old: Status | None, new: Status | None,
            cause: Cause = None) -> FindingChange:
    return FindingChange(f.check_id, f.title, f.severity, f.kind, f.provider, f.account,
                         f.region, f.resource_id, f.resource_name,
                         old.value if old else None, new.value if new else None,
                         cause[0] if cause else None, cause[1] if cause else None)


def _score_changes(old: dict, new: dict) -> list[ScoreChange]:
    out: list[ScoreChange] = []

    def compare(provider: str, account: str | None, a: dict, b: dict) -> None:
        out.extend(ScoreChange(provider, account, s, a.get(s), b.get(s))
                   for s in SCORES if a.get(s) != b.get(s))

    old_p, new_p = old.get("providers", {}), new.get("providers", {})
    for provider in sorted(set(old_p) | set(new_p)):
        compare(provider, None, old_p.get(provider) or {}, new_p.get(provider) or {})
    # The per-account breakdown is compared only when both reports carry it (older reports
    # do not: that is no change of any account).
    if "accounts" in old and "accounts" in new:
        old_a, new_a = old["accounts"], new["accounts"]
        for provider in sorted(set(old_a) | set(new_a)):
            a, b = old_a.get(provider) or {}, new_a.get(provider) or {}
            for account in sorted(set(a) | set(b)):
                compare(provider, account, a.get(account) or {}, b.get(account) or {})
    old_s, new_s = old.get("safeguards", {}), new.get("safeguards", {})
    for safeguard in sorted(set(old_s) | set(new_s)):
        a = (old_s.get(safeguard) or {}).get("providers", {})
        b = (new_s.get(safeguard) or {}).get("providers", {})
        for provider in sorted(set(a) | set(b)):
            before = (a.get(provider) or {}).get("exposure")
            after = (b.get(provider) or {}).get("exposure")
            if before != after:
                out.append(ScoreChange(provider, None, "exposure", before, after, safeguard))
    return sorted(out, key=ScoreChange.sort_key)


def _failure_changes(a: _Failures, b: _Failures) -> list[FailureChange]:
    """What failed in ``a`` and not in ``b``, with ``a``'s reason."""
    out = [FailureChange(p, None, reason) for p, reason in a.providers.items()
           if p not in b.providers]
    out += [FailureChange(p, acct, reason) for (p, acct), reason in a.accounts.items()
            if (p, acct) not in b.accounts]
    return sorted(out, key=FailureChange.sort_key)


def _checks(report: Report) -> dict[str, CheckChange]:
    return {c.id: CheckChange(c.id, c.title, c.severity) for c in report.checks}


def diff_reports(old: Report, new: Report) -> Drift:
    """The drift from ``old`` to ``new`` (see the module docstring for identities)."""
    before = {_finding_key(f): f for f in old.findings}
    after = {_finding_key(f): f for f in new.findings}
    old_resources = {_resource_key(f) for f in old.findings}
    new_resources = {_resource_key(f) for f in new.findings}
    old_checks, new_checks = _checks(old), _checks(new)
    old_failed, new_failed = _Failures(old), _Failures(new)
    drift = Drift(run_side(old), run_side(new))

    def removal(f: Finding) -> Cause:
        if _resource_key(f) not in new_resources:
            return new_failed.cause(f.provider, f.account, "failed") or ("resource_removed", None)
        if f.check_id not in new_checks:
            return "check_removed", ""
        return "finding_removed", ""

    def addition(f: Finding) -> Cause:
        if _resource_key(f) not in old_resources:
            return (old_failed.cause(f.provider, f.account, "recovered")
                    or ("resource_added", None))
        if f.check_id not in old_checks:
            return "check_added", ""
        return "finding_added", ""

    for key in sorted(set(before) | set(after)):
        was, now = before.get(key), after.get(key)
        old_status = was.status if was else None
        new_status = now.status if now else None
        if old_status == new_status:
            continue
        if new_status is Status.FAIL:
            assert now is not None
            drift.new_failures.append(_change(now, old_status, new_status,
                                              None if was else addition(now)))
        elif old_status is Status.FAIL:
            assert was is not None
            drift.resolved_failures.append(_change(now or was, old_status, new_status,
                                                   None if now else removal(was)))
        elif was and now:
            drift.status_changes.append(_change(now, old_status, new_status))
        elif now:  # appeared, not failing: news only when no new resource or check explains it
            cause = addition(now)
            if cause and cause[0] == "finding_added":
                drift.status_changes.append(_change(now, None, new_status, cause))
        elif was:
            cause = removal(was)
            if cause and cause[0] == "finding_removed":
                drift.status_changes.append(_change(was, old_status, None, cause))

    drift.resources_added = _resources(new_resources - old_resources, old_failed, "recovered")
    drift.resources_removed = _resources(old_resources - new_resources, new_failed, "failed")
    drift.transparency_changes = _score_changes(old.transparency, new.transparency)
    drift.checks_added = [new_checks[i] for i in sorted(set(new_checks) - set(old_checks))]
    drift.checks_removed = [old_checks[i] for i in sorted(set(old_checks) - set(new_checks))]
    drift.failures_new = _failure_changes(new_failed, old_failed)
    drift.failures_recovered = _failure_changes(old_failed, new_failed)
    for name in ("new_failures", "resolved_failures", "status_changes"):
        getattr(drift, name).sort(key=FindingChange.sort_key)
    return drift


def _resources(keys: Iterable[ResourceKey], failures: _Failures,
               suffix: str) -> list[ResourceChange]:
    out = []
    for provider, account, kind, resource_id, name in keys:
        cause = failures.cause(provider, account, suffix)
        out.append(ResourceChange(provider, account, kind, resource_id, name,
                                  cause[0] if cause else None, cause[1] if cause else None))
    return sorted(out, key=ResourceChange.sort_key)
