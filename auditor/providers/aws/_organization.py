"""Whole-organization scans: which accounts to collect, and with which role.

The ``accounts`` hook of the adapter. With ``--aws-organization`` the accounts come from
organizations:ListAccounts (every page; only ACTIVE accounts: a suspended, closing or not yet
activated account has nothing to read and cannot be signed into); with ``--aws-account``
from the list given; both together are their union, less ``--aws-exclude-account``. Each
account is collected with the role ``--aws-role-name`` assumed in it, except the account the
caller's own credentials are in, which is collected with those credentials (a role in one's
own account would usually not trust its own account, and need not: the caller already reads
it).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Any

from auditor.errors import (
    CallError,
    CredentialsError,
    EndpointError,
    ListingIncomplete,
    ProviderError,
)
from auditor.providers._runtime import ApiLedger, PageGuard, RetryPolicy
from auditor.providers.aws import _account
from auditor.providers.aws._account_options import DEFAULT_SESSION_NAME, is_multi_account, listed
from auditor.providers.aws._errors import Caller, provider_failure
from auditor.providers.aws._name import PROVIDER
from auditor.providers.aws._session import AwsSession
from auditor.providers.base import AccountTarget, CollectRequest

LOG = logging.getLogger(__name__)
LIST_ACCOUNTS = "organizations:ListAccounts"
ACTIVE = "ACTIVE"


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
    labels: dict[str, str] = {}
    if options.get("organization"):
        labels = list_active_accounts(session, caller)
    chosen = [*labels, *(a for a in listed(options.get("account")) if a not in labels)]
    excluded = set(listed(options.get("exclude_account")))
    session_name = options.get("session_name") or DEFAULT_SESSION_NAME
    targets = []
    for account in chosen:
        if account in excluded:
            continue
        if account == own.account:
            # The caller's own account: read with the caller's credentials, no AssumeRole.
            overrides: dict[str, Any] = {"role_arn": None}
        else:
            overrides = {"role_arn": f"arn:{own.partition}:iam::{account}:role/{role_name}",
                         "external_id": options.get("external_id"),
                         "session_name": session_name}
        targets.append(AccountTarget(account, overrides, labels.get(account, "")))
    return targets


def list_active_accounts(session: AwsSession, caller: Caller) -> dict[str, str]:
    """Account id -> name of every ACTIVE account of the organization, in listing order.

    Accounts in any other state are left out, each named in one warning. Raises
    CredentialsError when the listing is refused (not the management account or a delegated
    administrator), EndpointError when it fails or does not end.
    """
    client = session.client("organizations")
    guard = PageGuard(LIST_ACCOUNTS)
    token: Hashable | None = None
    out: dict[str, str] = {}
    while True:
        kwargs: dict[str, Any] = {"NextToken": token} if token else {}
        try:
            answer = caller.retrying(LIST_ACCOUNTS, lambda kw=kwargs: _page(client, kw))
            token = guard.follow(answer.get("NextToken"))
        except ListingIncomplete as exc:
            raise EndpointError(PROVIDER, f"{LIST_ACCOUNTS}: {exc.code}: {exc.message}") from exc
        except CallError as exc:
            raise _listing_failure(session, exc) from exc
        for account in answer["Accounts"]:
            # State replaces Status (retired 9 September 2026, per the ListAccounts reference).
            state = str(account.get("State") or account.get("Status") or "")
            if state == ACTIVE:
                out[account["Id"]] = str(account.get("Name") or "")
            else:
                LOG.warning("auditor: aws: organization account %s (%s) is %s: not scanned",
                            account["Id"], account.get("Name") or "no name", state or "of no state")
        if token is None:
            return out


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
