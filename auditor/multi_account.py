"""A multi-account scan of one provider: the accounts its adapter's optional hook lists, each
collected apart, a bounded number at once, one failing without stopping the others."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from auditor.cancellation import cancellable_map
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
                     requested: dict[str, list[str]]) -> AccountsCollected:
    """Each target collected with the request's options updated by its own, at most
    ``max_accounts`` at once (each with the request's own per-account API bound).

    Every account's run names its account. An account whose collect raises is a failed run
    and an AccountFailure with the reason; the others finish. Progress is summed over the
    accounts, so the display shows one bar per provider.
    """
    summed = SummedProgress(request.progress) if request.progress is not None else None

    def one(target: AccountTarget) -> Inventory | Failed:
        account_request = replace(
            request, options={**request.options, **target.options},
            progress=summed.account(target.account) if summed is not None else None)
        result = guarded(provider, ACCOUNT_SCOPE, requested,
                         lambda: collect_one(account_request))
        for run in result.runs if isinstance(result, Inventory) else [result.run]:
            run.accounts = run.accounts or [target.account]
        return result

    results = cancellable_map(one, targets, max_accounts, name=f"auditor-{provider}-account")
    out = AccountsCollected()
    for target, result in zip(targets, results, strict=True):
        if isinstance(result, BaseException):  # raised past one()'s handlers (SystemExit)
            result = failed(provider, now(), requested, type(result).__name__,
                            unexpected_reason(result), ACCOUNT_SCOPE)
            result.run.accounts = [target.account]
        if isinstance(result, Failed):
            out.failures.append(AccountFailure(provider, target.account, result.reason))
            out.inventory.runs.append(result.run)
            if result.traceback:
                out.tracebacks[(provider, target.account)] = result.traceback
        else:
            out.inventory = out.inventory.merge(result)
    return out
