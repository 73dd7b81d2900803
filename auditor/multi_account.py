"""A multi-account scan of one provider: the accounts its adapter's optional hook lists, each
collected apart, a bounded number at once, one failing without stopping the others."""

from __future__ import annotations

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
    """The runs of every account of one provider, failed ones included."""

    inventory: Inventory = field(default_factory=Inventory)
    failures: list[AccountFailure] = field(default_factory=list)
    # (provider, account) -> traceback of an unexpected exception (shown with --debug only)
    tracebacks: dict[tuple[str, str], str] = field(default_factory=dict)


CollectOne = Callable[[CollectRequest], Inventory]  # one adapter collect as an inventory


def collect_accounts(provider: str, collect_one: CollectOne, request: CollectRequest,
                     targets: list[AccountTarget], max_accounts: int,
                     requested: dict[str, list[str]],
                     executor: Executor | None = None) -> AccountsCollected:
    """Each target collected with the request's options updated by its own, at most
    ``max_accounts`` at once (each with the request's own per-account API bound).

    Each account is one unit of work of ``executor`` (default: this process's threads).
    Every account's run names its account. An account whose collect raises is a failed run
    and an AccountFailure with the reason; the others finish. The accounts are merged in
    the order listed, whichever finished first. Progress is summed over the accounts, so the
    display shows one bar per provider.
    """
    executor = executor if executor is not None else LocalExecutor()
    summed = SummedProgress(request.progress) if request.progress is not None else None
    units = [work_unit(provider, t.account, ACCOUNT_SCOPE,
                       replace(request, options={**request.options, **t.options}), requested)
             for t in targets]

    def here(unit: WorkUnit) -> Inventory | Failed:
        account_request = replace(
            request, options=unit.options,
            progress=summed.account(unit.account) if summed is not None else None)
        return guarded(provider, ACCOUNT_SCOPE, requested, lambda: collect_one(account_request))

    slots: list[Inventory | Failed | None] = [None] * len(targets)
    for index, result in executor.run(units, here, max_accounts,
                                      label=f"auditor-{provider}-account"):
        slots[index] = _account_result(provider, targets[index].account, result, requested)
    out = AccountsCollected()
    for target, result in zip(targets, slots, strict=True):
        if result is None:  # an executor that gave no answer for it: our bug, said so
            result = failed(provider, now(), requested, "NoAnswer", "the executor gave no "
                            "result for this account", ACCOUNT_SCOPE)
            result.run.accounts = [target.account]
        if isinstance(result, Failed):
            out.failures.append(AccountFailure(provider, target.account, result.reason))
            out.inventory.runs.append(result.run)
            if result.traceback:
                out.tracebacks[(provider, target.account)] = result.traceback
        else:
            out.inventory.runs += result.runs
            out.inventory.resources += result.resources
    return out


def _account_result(provider: str, account: str, result: Any,
                    requested: dict[str, list[str]]) -> Inventory | Failed:
    """One account's result with its runs naming it; what raised is a failed account."""
    if isinstance(result, ProviderError):  # refused or lost by the executor: its reason
        result = failed(provider, now(), requested, type(result).__name__, result.reason,
                        ACCOUNT_SCOPE)
    elif isinstance(result, BaseException):  # raised past the guard (SystemExit, a task's)
        result = failed(provider, now(), requested, type(result).__name__,
                        unexpected_reason(result), ACCOUNT_SCOPE)
    for run in result.runs if isinstance(result, Inventory) else [result.run]:
        run.accounts = run.accounts or [account]
    return result
