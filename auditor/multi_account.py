"""A multi-account scan of one provider: the accounts its adapter's optional hook lists, each
collected apart, a bounded number at once, one failing without stopping the others."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from auditor.errors import ProviderError
from auditor.executors import Executor
from auditor.executors.local import LocalExecutor
from auditor.executors.unit import WorkUnit, work_unit
from auditor.model import AccountFailure, Inventory
from auditor.progress import SummedProgress
from auditor.providers.base import ACCOUNTS_HOOK, AccountTarget, CollectRequest
from auditor.run_failures import (
    ACCOUNT_SCOPE,
    Failed,
    failed,
    guarded,
    now,
    unexpected_reason,
)


def account_targets(adapter: Any, request: CollectRequest) -> list[AccountTarget] | None:
    """The accounts to collect apart, or None (no hook, or not a multi-account request).

    An account listed twice is collected once. Whatever the hook raises is the caller's to
    turn into the provider's failure: without the list, no account can be collected.
    """
    hook = getattr(adapter, ACCOUNTS_HOOK, None)
    listed = hook(request) if hook is not None else None
    if listed is None:
        return None
    if not isinstance(listed, list | tuple) or not all(isinstance(t, AccountTarget)
                                                       for t in listed):
        raise TypeError(f"the {ACCOUNTS_HOOK} hook returned {type(listed).__name__}, "
                        "not a list of AccountTarget")
    unique: dict[str, AccountTarget] = {}
    for target in listed:
        unique.setdefault(target.account, target)
    return list(unique.values())


@dataclass(slots=True)
class AccountsCollected:
    """The runs of every account of one provider, failed ones included (the inventory stays
    empty when each unit's result was handed to a ``deliver`` callback instead)."""

    inventory: Inventory = field(default_factory=Inventory)
    failures: list[AccountFailure] = field(default_factory=list)
    # (provider, account) -> traceback of an unexpected exception (shown with --debug only)
    tracebacks: dict[tuple[str, str], str] = field(default_factory=dict)


CollectOne = Callable[[CollectRequest], Inventory]  # one adapter collect as an inventory
# (index of the account in the targets, index of the unit among that account's, its result)
Deliver = Callable[[int, int, "Inventory | Failed"], None]
Expand = Callable[[list[WorkUnit]], list[WorkUnit]]  # auditor.executors.shards.expand_units


class _Delivered:
    """What a local unit answers once its result went to ``deliver`` on its own thread."""


_DELIVERED = _Delivered()


@dataclass(slots=True)
class _DeliverFailed:
    error: BaseException


def collect_accounts(provider: str, collect_one: CollectOne, request: CollectRequest,
                     targets: list[AccountTarget], max_accounts: int,
                     requested: dict[str, list[str]],
                     executor: Executor | None = None, *, deliver: Deliver | None = None,
                     expand: Expand | None = None) -> AccountsCollected:
    """Each target collected with the request's options updated by its own, at most
    ``max_accounts`` at once (each with the request's own per-account API bound).

    Each account is one unit of work of ``executor`` (default: this process's threads), or
    several when ``expand`` splits it into shards (auditor.executors.shards). Every account's
    run names its account. A unit whose collect raises is a failed run and an AccountFailure
    with the reason (naming the shard, when it is one: the account's other shards count);
    the others finish. Without ``deliver`` the accounts are merged in the order listed,
    whichever finished first; with it, each unit's result is handed to ``deliver`` as soon as
    it is known (on the unit's own thread with the local executor) and nothing is merged.
    Progress is summed over the accounts, so the display shows one bar per provider.
    """
    executor = executor if executor is not None else LocalExecutor()
    summed = SummedProgress(request.progress) if request.progress is not None else None
    units = [work_unit(provider, t.account, ACCOUNT_SCOPE,
                       replace(request, options={**request.options, **t.options}), requested)
             for t in targets]
    units = expand(units) if expand is not None else units
    where = _places(targets, units)
    slots: dict[tuple[int, int], Inventory | Failed] = {}
    hand = deliver if deliver is not None else (
        lambda target, part, result: slots.__setitem__((target, part), result))
    lock = threading.Lock()
    seen: list[tuple[int, int, Failed]] = []  # failed units (target, part, result)
    done: set[int] = set()

    def handed(index: int, result: Any) -> None:
        target, part = where[index]
        result = _account_result(provider, units[index], result, requested)
        with lock:
            done.add(index)
            if isinstance(result, Failed):
                seen.append((target, part, result))
        hand(target, part, result)

    def here(unit: WorkUnit) -> Any:
        account_request = replace(
            request, options=unit.options, facts=unit_facts(unit, request.facts),
            progress=summed.account(unit.account) if summed is not None else None)
        result = guarded(provider, ACCOUNT_SCOPE, requested, lambda: collect_one(account_request))
        try:  # streamed from this thread: the coordinator never holds every account's result
            handed(index_of[id(unit)], result)
        except BaseException as exc:  # the sink's own error: raised by the coordinator
            return _DeliverFailed(exc)
        return _DELIVERED

    index_of = {id(unit): i for i, unit in enumerate(units)}
    for index, result in executor.run(units, here, max_accounts,
                                      label=f"auditor-{provider}-account"):
        if isinstance(result, _DeliverFailed):
            raise result.error
        if result is not _DELIVERED:
            handed(index, result)
    for index in range(len(units)):
        if index not in done:  # an executor that gave no answer for it: our bug, said so
            handed(index, failed(provider, now(), requested, "NoAnswer", "the executor gave "
                                 "no result for this account", ACCOUNT_SCOPE))
    out = AccountsCollected()
    for target, _, result in sorted(seen, key=lambda s: (s[0], s[1])):
        account = targets[target].account
        out.failures.append(AccountFailure(provider, account, result.reason))
        if result.traceback:
            out.tracebacks.setdefault((provider, account), result.traceback)
    if deliver is None:
        for key in sorted(slots):
            result = slots[key]
            if isinstance(result, Failed):
                out.inventory.runs.append(result.run)
            else:
                out.inventory.runs += result.runs
                out.inventory.resources += result.resources
    return out


def _places(targets: list[AccountTarget], units: list[WorkUnit]) -> list[tuple[int, int]]:
    """(target index, index among that account's units) of each unit, in the units' order."""
    first = {t.account: i for i, t in enumerate(targets)}
    parts: dict[int, int] = {}
    out = []
    for unit in units:
        target = first[unit.account]
        out.append((target, parts.get(target, 0)))
        parts[target] = parts.get(target, 0) + 1
    return out


def _account_result(provider: str, unit: WorkUnit, result: Any,
                    requested: dict[str, list[str]]) -> Inventory | Failed:
    """One unit's result with its runs naming its account; what raised is a failed account,
    its reason naming the shard when the unit is one ("region eu-west-1: ...")."""
    if isinstance(result, ProviderError):  # refused or lost by the executor: its reason
        result = failed(provider, now(), requested, type(result).__name__, result.reason,
                        ACCOUNT_SCOPE)
    elif isinstance(result, BaseException):  # raised past the guard (SystemExit, a task's)
        result = failed(provider, now(), requested, type(result).__name__,
                        unexpected_reason(result), ACCOUNT_SCOPE)
    if isinstance(result, Failed) and unit.shard:
        result = named_shard(result, unit.shard)
    for run in result.runs if isinstance(result, Inventory) else [result.run]:
        run.accounts = run.accounts or [unit.account]
    return result


def unit_facts(unit: WorkUnit, facts: Any) -> Any:
    """The facts a unit collects: the request's, or a shard's own (it leaves some to another
    shard)."""
    if not unit.shard or unit.facts is None:
        return facts
    return {kind: frozenset(paths) for kind, paths in unit.facts.items()}


def named_shard(result: Failed, shard: str) -> Failed:
    """A failed shard's run and reason, each naming the shard."""
    for error in result.run.errors:
        error.message = f"{shard}: {error.message}" if error.message else shard
    return replace(result, reason=f"{shard}: {result.reason}")
