"""Whole-organization scans: which accounts to collect, and with which role.

The ``accounts`` hook of the adapter. With ``--aws-organization`` the accounts come from
organizations:ListAccounts (every page; only ACTIVE accounts: a suspended, closing or not yet
activated account has nothing to read and cannot be signed into); with ``--aws-account``
from the list given; both together are their union, less ``--aws-exclude-account``. Each
account is collected with the role ``--aws-role-name`` assumed in it, except the account the
caller's own credentials are in, which is collected with those credentials (a role in one's
own account would usually not trust its own account, and need not: the caller already reads
it).

Each account entry of the listing is judged on its own (answers.yaml, the Account data type):
an entry whose Id fits but whose other members do not (an unknown State, a wrong-typed Name,
an unreadable JoinedTimestamp) is a failed account with the reason (its target carries
ODD_ACCOUNT: the collect raises it, before any call); an entry without a readable Id names no
account: a listing gap (ORGANIZATION_GAPS, recorded by the first good account's run, which is
then partial). The other entries are scanned as ever.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from auditor.errors import (
    CallError,
    CredentialsError,
    EndpointError,
    ListingIncomplete,
    MalformedAnswer,
    ProviderError,
)
from auditor.providers._runtime import ApiLedger, PageGuard, RetryPolicy
from auditor.providers._runtime.shapes import OddItem, odd_items
from auditor.providers.aws import _account
from auditor.providers.aws._account_options import DEFAULT_SESSION_NAME, is_multi_account, listed
from auditor.providers.aws._errors import Caller, provider_failure
from auditor.providers.aws._name import PROVIDER
from auditor.providers.aws._session import AwsSession
from auditor.providers.base import AccountTarget, CollectRequest

LOG = logging.getLogger(__name__)
LIST_ACCOUNTS = "organizations:ListAccounts"
ACTIVE = "ACTIVE"
# Target options: why a listed account cannot be scanned (an odd entry naming it), and the
# entries that named no account (carried by one target, whose run records them as gaps).
ODD_ACCOUNT = "organization_odd_account"
ORGANIZATION_GAPS = "organization_gaps"


@dataclass(slots=True)
class Listed:
    """The organization's accounts as listed: ``active`` id -> name (listing order), ``odd``
    id -> (name, why its entry does not fit), ``gaps``: the reasons of entries naming no
    account."""

    active: dict[str, str] = field(default_factory=dict)
    odd: dict[str, tuple[str, str]] = field(default_factory=dict)
    gaps: list[str] = field(default_factory=list)
    order: dict[str, None] = field(default_factory=dict)  # active and odd ids, as listed


def account_targets(request: CollectRequest,
                    retry: RetryPolicy | None = None) -> list[AccountTarget] | None:
    """None unless the request names an organization or accounts; else one target per
    account. A listing that is refused or fails raises ProviderError (no account can be
    chosen without it); so does a missing role name, before any call (a guard for callers
    that skip AwsAdapter.check_options)."""
    options = request.options
    if not is_multi_account(options):
        return None
    role_name = options.get("role_name")
    if not role_name or options.get("role_arn"):  # AwsAdapter.check_options says which
        raise ProviderError(PROVIDER, "a multi-account scan needs --aws-role-name, and "
                                      "without --aws-role-arn")
    ledger = ApiLedger()
    caller = Caller(ledger, retry)
    session = AwsSession(options.get("profile"), None, None, 1, timeout=request.timeout,
                         scrubber=ledger.scrubber)
    own = _account.identity(session, caller)
    org = list_active_accounts(session, caller) if options.get("organization") else Listed()
    labels = {a: org.active[a] if a in org.active else org.odd[a][0] for a in org.order}
    chosen = [*labels, *(a for a in listed(options.get("account")) if a not in labels)]
    excluded = set(listed(options.get("exclude_account")))
    session_name = options.get("session_name") or DEFAULT_SESSION_NAME
    targets = []
    for account in chosen:
        if account in excluded:
            continue
        if account in org.odd and account not in org.active:
            targets.append(AccountTarget(account, {"role_arn": None,
                                                   ODD_ACCOUNT: org.odd[account][1]},
                                         labels[account]))
            continue
        if account == own.account:
            # The caller's own account: read with the caller's credentials, no AssumeRole.
            overrides: dict[str, Any] = {"role_arn": None}
        else:
            overrides = {"role_arn": f"arn:{own.partition}:iam::{account}:role/{role_name}",
                         "external_id": options.get("external_id"),
                         "session_name": session_name}
        targets.append(AccountTarget(account, overrides, labels.get(account, "")))
    return _with_gaps(targets, org.gaps)


def _with_gaps(targets: list[AccountTarget], gaps: list[str]) -> list[AccountTarget]:
    """``targets``, one that is scanned carrying the listing's gaps (the caller's own account,
    read without a role, else the first); without such a target the gaps fail the listing
    (EndpointError): nothing could record them."""
    if not gaps:
        return targets
    scanned = [i for i, t in enumerate(targets) if ODD_ACCOUNT not in t.options]
    first = next((i for i in scanned if targets[i].options.get("role_arn") is None),
                 scanned[0] if scanned else None)
    if first is None:
        more = f" (and {len(gaps) - 1} more)" if len(gaps) > 1 else ""
        raise EndpointError(PROVIDER, f"{LIST_ACCOUNTS}: UnexpectedShape: {gaps[0]}{more}")
    target = targets[first]
    targets[first] = AccountTarget(target.account, {**target.options, ORGANIZATION_GAPS: gaps},
                                   target.label)
    return targets


def odd_account_error(options: dict[str, Any] | Any) -> MalformedAnswer | None:
    """The reason a target's account is not scanned (its listing entry was odd), or None."""
    reason = options.get(ODD_ACCOUNT)
    return MalformedAnswer(LIST_ACCOUNTS, "UnexpectedShape", str(reason)) if reason else None


def listing_gaps(options: dict[str, Any] | Any) -> list[MalformedAnswer]:
    """The listing's entries that named no account, carried by this target's options."""
    return [MalformedAnswer(LIST_ACCOUNTS, "UnexpectedShape", str(gap))
            for gap in listed(options.get(ORGANIZATION_GAPS))]


def list_active_accounts(session: AwsSession, caller: Caller) -> Listed:
    """Every ACTIVE account of the organization (id -> name, in listing order), and the
    entries that do not fit the Account data type, each on its own (see the module).

    Accounts in any other state are left out, each named in one warning. Raises
    CredentialsError when the listing is refused (not the management account or a delegated
    administrator), EndpointError when it fails or does not end.
    """
    client = session.client("organizations")
    guard = PageGuard(LIST_ACCOUNTS)
    token: Hashable | None = None
    out = Listed()
    while True:
        kwargs: dict[str, Any] = {"NextToken": token} if token else {}
        try:
            answer = caller.retrying(LIST_ACCOUNTS, lambda kw=kwargs: _page(client, kw))
            token = guard.follow(answer.get("NextToken"))
        except ListingIncomplete as exc:
            raise EndpointError(PROVIDER, f"{LIST_ACCOUNTS}: {exc.code}: {exc.message}") from exc
        except CallError as exc:
            raise _listing_failure(session, exc) from exc
        odd = {o.index: o for o in odd_items(answer)}
        good = iter(answer["Accounts"])
        for place in range(len(answer["Accounts"]) + len(odd)):  # in listing order
            if place in odd:
                _odd_entry(out, odd[place], session.scrubber.line(odd[place].error.message))
                continue
            account = next(good)
            # State replaces Status (retired 9 September 2026, per the ListAccounts reference).
            state = str(account.get("State") or account.get("Status") or "")
            if state == ACTIVE:
                out.active.setdefault(account["Id"], str(account.get("Name") or ""))
                out.order.setdefault(account["Id"])
            else:
                LOG.warning("auditor: aws: organization account %s (%s) is %s: not scanned",
                            account["Id"], account.get("Name") or "no name", state or "of no state")
        if token is None:
            return out


def _odd_entry(out: Listed, odd: OddItem, message: str) -> None:
    if odd.named:
        account = str(odd.identity["Id"])
        out.odd.setdefault(account, (str(odd.identity.get("Name") or ""), message))
        out.order.setdefault(account)
    else:
        out.gaps.append(message)


def _page(client: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    from auditor.providers.aws._answers import checked

    data = client.list_accounts(**kwargs)
    data.pop("ResponseMetadata", None)
    return checked(LIST_ACCOUNTS, data)


def _listing_failure(session: AwsSession, exc: CallError) -> CredentialsError | EndpointError:
    sdk_error = exc.__cause__ if isinstance(exc.__cause__, Exception) else None
    if sdk_error is not None:
        failure = provider_failure(sdk_error, LIST_ACCOUNTS, session.scrubber.line)
        if failure is not None:
            return failure
    return EndpointError(PROVIDER, f"{LIST_ACCOUNTS}: {exc.code}: "
                                   f"{session.scrubber.line(exc.message)}".rstrip(": "))
