"""Collect, evaluate and assemble a Report: the steps the CLI and the demo share."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from auditor import __version__
from auditor.cancellation import cancel_scope, cancellable_map
from auditor.checks import CompiledCheck
from auditor.defaults import DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_ACCOUNTS
from auditor.engine import evaluate, uncollected, wanted_facts
from auditor.errors import ProviderError
from auditor.executors import Executor
from auditor.executors.local import LocalExecutor
from auditor.executors.unit import WorkUnit, collect_once, work_unit
from auditor.finding_source import FindingSource
from auditor.model import AccountFailure, Finding, Inventory, ProviderRun, Report
from auditor.multi_account import (
    AccountsCollected,
    account_targets,
    collect_accounts,
    named_shard,
    unit_facts,
)
from auditor.mutelist import MuteRule, apply_mutes, expired_rules
from auditor.providers.base import CollectRequest, ProgressCallback, ProviderRegistry
from auditor.run_failures import (
    ACCOUNT_SCOPE,
    PROVIDER_SCOPE,
    Failed,
    failed,
    guarded,
    is_account_failure,
    now,
    unexpected_reason,
)

__all__ = ["CollectOutcome", "build_report", "collect", "registry_exposure", "requested_facts",
           "unexpected_reason"]
NO_ACCOUNT = "the organization lists no account to scan"


Position = tuple[int, int, int]  # (provider asked, account listed, shard): inventory order


class UnitSink(Protocol):
    """Where each unit's result goes as soon as it is known (auditor._sink evaluates it)."""

    def deliver(self, position: Position, result: Inventory | Failed) -> None: ...

    def inventory(self) -> Inventory: ...


class MergingSink:
    """Today's collection: every unit's result kept, merged in inventory order at the end."""

    def __init__(self) -> None:
        self._results: dict[Position, Inventory | Failed] = {}

    def deliver(self, position: Position, result: Inventory | Failed) -> None:
        self._results[position] = result

    def inventory(self) -> Inventory:
        out = Inventory()
        for position in sorted(self._results):
            result = self._results[position]
            if isinstance(result, Failed):
                out.runs.append(result.run)
            else:
                out.runs += result.runs
                out.resources += result.resources
        return out


@dataclass(slots=True)
class CollectOutcome:
    inventory: Inventory
    failures: dict[str, str] = field(default_factory=dict)  # provider -> reason
    # provider -> traceback of an unexpected exception (shown with --debug only)
    tracebacks: dict[str, str] = field(default_factory=dict)
    # accounts of a multi-account scan that were not collected (the others were)
    account_failures: list[AccountFailure] = field(default_factory=list)
    # (provider, account) -> traceback of an unexpected exception in that account's collect
    account_tracebacks: dict[tuple[str, str], str] = field(default_factory=dict)
    # what the sink saw of the resources when it dropped them (None: they are all in
    # ``inventory``): auditor._sink.Seen
    seen: Any = None

    def resource_count(self) -> int:
        return self.seen.resources if self.seen is not None else len(self.inventory.resources)

    def kinds_found(self) -> dict[str, set[str]]:
        """provider -> the kinds of its collected resources."""
        if self.seen is not None:
            return self.seen.kinds
        out: dict[str, set[str]] = {}
        for r in self.inventory.resources:
            out.setdefault(r.provider, set()).add(r.kind)
        return out


def collect(registry: ProviderRegistry, providers: Sequence[str],
            options: Mapping[str, Mapping[str, Any]], checks: Sequence[CompiledCheck] | None,
            max_workers: int, progress: ProgressCallback | None = None, *,
            timeout: float = DEFAULT_CALL_TIMEOUT,
            cancel: threading.Event | None = None,
            max_accounts: int = DEFAULT_MAX_ACCOUNTS, tags: bool = False,
            executor: Executor | None = None, sink: UnitSink | None = None) -> CollectOutcome:
    """Collect the providers concurrently; one failing as a whole does not stop the others.

    ``options`` maps provider name -> that adapter's option values. Whatever escapes an
    adapter (its own ProviderError, or any other exception: a bug, an SDK raising on an odd
    answer) fails that provider only. An adapter whose optional ``accounts`` hook lists
    accounts has each collected apart, at most ``max_accounts`` at once: one that fails is a
    failed account, and the provider's other accounts still finish. An interrupt sets
    ``cancel`` (no new call starts) and propagates at once, without waiting for calls in
    flight. ``tags``: the adapters read resource tags (a mutelist rule matches on them).
    ``executor`` runs the units of work, one per provider or per account, or several per
    account where auditor.executors.shards splits it (default: this process's threads); the
    accounts are listed here, in the coordinator. ``sink`` gets each unit's result as soon as
    it is known, with its place in the inventory order (default: all merged, as always).
    """
    from auditor.executors.shards import expand_units

    facts = wanted_facts(checks) if checks is not None else None
    requested = requested_facts(facts)
    adapters = [registry.get(name) for name in providers]  # unknown names fail before any call
    cancel = cancel if cancel is not None else threading.Event()
    executor = executor if executor is not None else LocalExecutor()
    sink = sink if sink is not None else MergingSink()

    def one(numbered: tuple[int, Any]) -> Failed | AccountsCollected | None:
        number, adapter = numbered
        request = CollectRequest(options=dict(options.get(adapter.name, {})), facts=facts,
                                 max_workers=max_workers, progress=progress, timeout=timeout,
                                 cancel=cancel, tags=tags)
        # Listing the accounts failing fails the provider as a whole: none can be collected.
        targets = guarded(adapter.name, PROVIDER_SCOPE, requested,
                          lambda: account_targets(adapter, request))
        if isinstance(targets, Failed):
            return targets
        expand = lambda units: expand_units(adapter, units, executor)  # noqa: E731
        if targets is None:  # not a multi-account request: collected once, as always
            return _collect_provider(adapter, request, requested, executor, expand,
                                     lambda part, result: sink.deliver((number, 0, part), result))
        if not targets:
            return failed(adapter.name, now(), requested, "NoAccounts", NO_ACCOUNT)
        return collect_accounts(
            adapter.name, lambda account: collect_once(adapter, account, requested), request,
            targets, max_accounts, requested, executor, expand=expand,
            deliver=lambda target, part, result: sink.deliver((number, target, part), result))

    outcome = CollectOutcome(Inventory())
    try:
        with cancel_scope(cancel):
            results = cancellable_map(one, list(enumerate(adapters)), len(adapters),
                                      name="auditor-provider", inline=False)
    except BaseException:
        cancel.set()  # the adapters' pools start nothing more; their threads are daemons
        raise
    for number, (adapter, result) in enumerate(zip(adapters, results, strict=True)):
        if isinstance(result, BaseException):  # raised past one()'s handlers (SystemExit)
            result = failed(adapter.name, now(), requested, type(result).__name__,
                            unexpected_reason(result))
        if isinstance(result, Failed):
            outcome.failures[adapter.name] = result.reason
            sink.deliver((number, 0, 0), result)
            if result.traceback:
                outcome.tracebacks[adapter.name] = result.traceback
        elif isinstance(result, AccountsCollected):
            outcome.account_failures += result.failures
            outcome.account_tracebacks.update(result.tracebacks)
    outcome.inventory = sink.inventory()
    return outcome


def _collect_provider(adapter: Any, request: CollectRequest, requested: dict[str, list[str]],
                      executor: Executor, expand: Callable[[list[WorkUnit]], list[WorkUnit]],
                      deliver: Callable[[int, Inventory | Failed], None]) -> Failed | None:
    """A single-account provider: one unit of work, its failure the provider's (returned,
    not delivered). Split into shards, each shard's result is delivered, and a failed shard
    is a failed part (an account failure naming the shard) while the others count."""
    units = expand([work_unit(adapter.name, "", PROVIDER_SCOPE, request, requested)])
    here = lambda unit: guarded(  # noqa: E731
        adapter.name, PROVIDER_SCOPE, requested,
        lambda: collect_once(adapter, replace(request, options=dict(unit.options),
                                              facts=unit_facts(unit, request.facts)), requested))
    answers: dict[int, Any] = dict(executor.run(units, here, max(1, len(units)),
                                                label=f"auditor-{adapter.name}"))
    for part, unit in enumerate(units):
        result = _provider_result(adapter.name, answers.get(part, ProviderError(
            adapter.name, "no result")), requested)
        if len(units) == 1:
            if isinstance(result, Failed):
                return result
        elif isinstance(result, Failed):
            for error in result.run.errors:
                error.scope = ACCOUNT_SCOPE
            result = named_shard(result, unit.shard)
        deliver(part, result)
    return None


def _provider_result(provider: str, result: Any,
                     requested: dict[str, list[str]]) -> Inventory | Failed:
    if isinstance(result, ProviderError):  # refused or lost by the executor: its reason
        return failed(provider, now(), requested, type(result).__name__, result.reason)
    if isinstance(result, BaseException):
        return failed(provider, now(), requested, type(result).__name__,
                      unexpected_reason(result))
    return result


def requested_facts(facts: Mapping[str, frozenset[str]] | None) -> dict[str, list[str]]:
    """What a run is recorded as asked for: the wanted facts, or the whole catalog."""
    from auditor.schema import fact_catalog

    if facts is None:
        return {kind: sorted(paths) for kind, paths in fact_catalog().items()}
    return {kind: sorted(paths) for kind, paths in facts.items() if paths}


ExposureLookup = Callable[[str], dict[str, dict[str, str]] | None]


def registry_exposure(registry: ProviderRegistry) -> ExposureLookup:
    """Exposure levels per kind and fact path of a registered provider, or None."""

    def lookup(provider: str) -> dict[str, dict[str, str]] | None:
        if provider not in registry.names():
            return None
        profile = registry.get(provider).exposure_profile()
        return {kind: {path: "absent" if entry.absent else entry.level
                       for path, entry in facts.items()}
                for kind, facts in profile.items()}

    return lookup


def build_report(inventory: Inventory, checks: Sequence[CompiledCheck],
                 exposure: ExposureLookup, mutes: Sequence[MuteRule] = (),
                 failures: dict[str, str] | None = None, *, mutelist_source: str = "",
                 today: dt.date | None = None) -> Report:
    """Evaluate, mute and score an inventory: the same report from a scan or a saved one.

    A failed run of one account (of a multi-account scan) is an account failure; a provider
    is failed only when it failed as a whole. Mute rules match the resources' observed tags;
    the rules past their expiry (on ``today``) mute nothing and are listed as expired, with
    ``mutelist_source`` (the mutelist file) as their source.
    """
    findings = evaluate_muted(inventory, checks, mutes, today)
    return assemble_report(inventory.runs, findings, checks, exposure, mutes, failures,
                           providers={r.provider for r in inventory.resources},
                           mutelist_source=mutelist_source, today=today)


def evaluate_muted(inventory: Inventory, checks: Sequence[CompiledCheck],
                   mutes: Sequence[MuteRule], today: dt.date | None) -> list[Finding]:
    """The inventory's findings, the mute rules applied (they match the observed tags)."""
    tags = {(r.provider, r.id): r.tags for r in inventory.resources if r.tags is not None}
    return apply_mutes(evaluate(inventory, checks), list(mutes), today, tags=tags)


def assemble_report(runs: list[ProviderRun], findings: FindingSource,
                    checks: Sequence[CompiledCheck], exposure: ExposureLookup,
                    mutes: Sequence[MuteRule] = (), failures: dict[str, str] | None = None, *,
                    providers: set[str] = frozenset(), mutelist_source: str = "",
                    today: dt.date | None = None) -> Report:
    """The report of ``findings`` (a list, or a spool: only iterated) and the ``runs`` they
    came from; ``providers``: those with collected resources (their exposure is shown)."""
    from auditor.claims_ledger import ledger_section
    from auditor.legal_reach import legal_reach_section
    from auditor.transparency import summarize

    exposures = {}
    for provider in sorted({r.provider for r in runs} | set(providers)):
        levels = exposure(provider)
        if levels is not None:
            exposures[provider] = levels
    failures = dict(failures or {})
    account_failures = []
    for run in runs:
        reason = "; ".join(e.message or e.code for e in run.errors) or "failed"
        if is_account_failure(run):
            account_failures += [AccountFailure(run.provider, account, reason)
                                 for account in run.accounts or [""]]
        elif run.status == "failed" and run.provider not in failures:
            failures[run.provider] = reason
    gaps = uncollected(Inventory(runs), checks)
    # A check no provider collected did not run at all: listed as not collected, not as a check.
    collecting = {r.provider for r in runs if r.status != "failed"}
    nowhere = {cid for cid in {g.check_id for g in gaps}
               if collecting and {g.provider for g in gaps if g.check_id == cid} >= collecting}
    summaries = [c.summary for c in checks if c.check.id not in nowhere]
    report = Report(__version__, now(), runs, summaries, findings,  # type: ignore[arg-type]
                    exposures, {}, failures, gaps, account_failures,
                    expired_rules(list(mutes), today, mutelist_source))
    report.transparency = summarize(report)
    report.ledger = ledger_section(report)
    report.legal_reach = legal_reach_section(report)
    return report
