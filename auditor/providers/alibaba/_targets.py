"""Which accounts a multi-account scan covers, and the credentials each one is read with.

- ``resource_directory``: the member accounts of the Resource Directory (Resource Manager
  2020-03-31 ListAccounts), each read through the RAM role ``role_name`` assumed in it; only
  members whose Status says they exist (ACTIVE) are scanned.
- ``account``: explicit member ids (alone: no listing; with the directory: a filter on it).
- ``profile``: credential profiles, used when no directory is asked for or it cannot be read.
- ``exclude_account``: ids left out, whatever chose them.

The caller's own account (the management account) is scanned with the caller's credentials,
never through a role. Each target carries option overrides (TARGET_ACCOUNT or TARGET_PROFILE)
that ``collect`` turns into credentials with :func:`target_credentials`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alibabacloud_credentials_api import ICredentialsProvider
from alibabacloud_tea_openapi.client import Client as OpenApiClient

from auditor.errors import CallError, ProviderError
from auditor.providers._runtime import ApiLedger, RetryPolicy
from auditor.providers.alibaba import _kms
from auditor.providers.alibaba._credentials import STS_VERSION, AssumedRole, profile_credentials
from auditor.providers.alibaba._errors import Caller
from auditor.providers.alibaba._name import PROVIDER
from auditor.providers.alibaba._rpc import rpc
from auditor.providers.alibaba._session import (
    RESOURCEMANAGER_ENDPOINT,
    STS_ENDPOINT,
    default_credentials,
    openapi_client,
    recording,
)
from auditor.providers.base import AccountTarget

RM_VERSION = "2020-03-31"
LIST_ACCOUNTS = "resourcemanager:ListAccounts"
CALLER_IDENTITY = "sts:GetCallerIdentity"
# ListAccounts Status values of a member that exists and can be entered (API reference:
# CreateSuccess, InviteSuccess, PromoteSuccess; a resource account whose upgrade to a cloud
# account is pending, failed, expired or cancelled stays a working member). CreateVerifying,
# CreateFailed, CreateExpired, CreateCancelled, Removed and any undocumented value: skipped.
ACTIVE = frozenset({"CreateSuccess", "InviteSuccess", "PromoteSuccess", "PromoteVerifying",
                    "PromoteFailed", "PromoteExpired", "PromoteCancelled"})
MULTI = ("resource_directory", "account", "profile", "exclude_account")
TARGET_ACCOUNT, TARGET_PROFILE = "target_account", "target_profile"
DIRECTORY_ERROR = "directory_error"  # the listing failure a profile fallback reports
CLEARED: dict[str, Any] = dict.fromkeys(MULTI)  # a target is one account: no scope left


def _values(option: Any) -> list[str]:
    values = [option] if isinstance(option, str) else list(option or [])
    out: list[str] = []
    for value in (str(v).strip() for v in values):
        if value and value not in out:
            out.append(value)
    return out


def is_multi_account(options: Mapping[str, Any]) -> bool:
    return bool(options.get("resource_directory") or _values(options.get("account"))
                or _values(options.get("profile")))


class _Reads:
    """The listing calls, signed with the caller's credentials."""

    def __init__(self, options: Mapping[str, Any], provider: ICredentialsProvider,
                 call: Caller, timeout: float) -> None:
        self.options, self.provider, self.call, self.timeout = options, provider, call, timeout

    def sts(self, provider: ICredentialsProvider | None = None) -> OpenApiClient:
        return openapi_client(provider or self.provider, self.options.get("alibaba_sts_endpoint"),
                              STS_ENDPOINT, "STS", self.timeout)

    def caller_account(self, provider: ICredentialsProvider | None = None) -> str:
        body = rpc(self.sts(provider), self.call, CALLER_IDENTITY, STS_VERSION, {})
        return str(body["AccountId"])

    def members(self) -> list[dict[str, Any]]:
        """Every member of the directory; a listing that stops short raises (the scan
        would silently miss accounts)."""
        client = openapi_client(self.provider,
                                self.options.get("alibaba_resourcemanager_endpoint"),
                                RESOURCEMANAGER_ENDPOINT, "Resource Manager", self.timeout)
        members, cut_short = _kms._listing(client, self.call, LIST_ACCOUNTS, "Accounts",
                                           "Account", version=RM_VERSION)
        if cut_short is not None:
            raise cut_short
        return members


def list_targets(options: Mapping[str, Any], timeout: float,
                 retry: RetryPolicy) -> list[AccountTarget]:
    """The accounts to scan. ProviderError when the directory (or the caller's identity)
    cannot be read and no profile is there to fall back on."""
    ledger = ApiLedger()
    call = Caller(ledger, retry, ledger.scrubber.scrub)
    reads = _Reads(options, recording(default_credentials(), ledger.scrubber), call, timeout)
    excluded = set(_values(options.get("exclude_account")))
    profiles = _values(options.get("profile"))
    if not (options.get("resource_directory") or _values(options.get("account"))):
        return _profile_targets(reads, profiles, excluded, None)
    try:
        return _member_targets(reads, excluded)
    except (CallError, ProviderError) as exc:
        reason = (f"cannot list the Resource Directory's accounts: {exc}"
                  if isinstance(exc, CallError) else exc.reason)
        if not profiles:
            raise ProviderError(PROVIDER, ledger.scrubber.scrub(reason)) from exc
        return _profile_targets(reads, profiles, excluded, ledger.scrubber.scrub(reason))


def _member_targets(reads: _Reads, excluded: set[str]) -> list[AccountTarget]:
    me = reads.caller_account()
    wanted = _values(reads.options.get("account"))
    labels: dict[str, str] = {}
    if reads.options.get("resource_directory"):
        members = [m for m in reads.members() if not wanted or m["AccountId"] in wanted]
        labels = {m["AccountId"]: str(m.get("DisplayName") or "") for m in members}
        ids = [me] if not wanted or me in wanted else []
        ids += [m["AccountId"] for m in members
                if m.get("Status") in ACTIVE and m["AccountId"] != me]
    else:
        ids = wanted
    return [AccountTarget(uid, dict(CLEARED) if uid == me else
                          {**CLEARED, TARGET_ACCOUNT: uid}, labels.get(uid, ""))
            for uid in ids if uid not in excluded]


def _profile_targets(reads: _Reads, profiles: list[str], excluded: set[str],
                     directory_error: str | None) -> list[AccountTarget]:
    """One target per profile, named by the account its credentials are in (a profile whose
    identity cannot be read keeps its name: its collect then fails with the reason)."""
    targets: list[AccountTarget] = []
    seen: set[str] = set()
    for name in profiles:
        try:
            provider = profile_credentials(name, reads.options.get("alibaba_profile_file"))
            account = reads.caller_account(recording(provider, reads.call.scrubber))
        except (CallError, ProviderError):
            account = f"profile:{name}"
        if account in excluded or account in seen:
            continue  # two profiles of one account: the first one scans it
        seen.add(account)
        overrides: dict[str, Any] = {**CLEARED, TARGET_PROFILE: name}
        if directory_error and not targets:
            overrides[DIRECTORY_ERROR] = directory_error
        targets.append(AccountTarget(account, overrides, f"profile {name}"))
    return targets


def target_credentials(options: Mapping[str, Any], ledger: ApiLedger, retry: RetryPolicy,
                       timeout: float) -> ICredentialsProvider | None:
    """The credentials of one target's collect; None: the caller's own (a plain scan)."""
    if options.get(TARGET_PROFILE):
        return profile_credentials(str(options[TARGET_PROFILE]),
                                   options.get("alibaba_profile_file"))
    account = options.get(TARGET_ACCOUNT)
    if not account:
        return None
    call = Caller(ledger, retry, ledger.scrubber.scrub)
    reads = _Reads(options, recording(default_credentials(), ledger.scrubber), call, timeout)
    role = options.get("role_name")
    if not role:  # AlibabaAdapter.check_options refuses this first; no default role
        raise ProviderError(PROVIDER, f"account {account}: no --alibaba-role-name to assume")
    assumed = AssumedRole(reads.sts(), call, str(account), str(role),
                          options.get("external_id") or None)
    assumed.get_credentials()  # a refused role fails this account before any other call
    return assumed

