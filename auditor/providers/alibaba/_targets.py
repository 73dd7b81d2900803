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

Each ListAccounts entry is judged on its own (answers.yaml, the Account of the reference): an
entry whose AccountId is readable but whose other members do not fit, or whose Status the
reference does not document, is a failed account with the reason (ODD_MEMBER: its collect
raises it before any call); an entry naming no account is a listing gap (DIRECTORY_GAPS,
recorded by the caller's own account's run when it is scanned, else the first scanned).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alibabacloud_credentials_api import ICredentialsProvider
from alibabacloud_tea_openapi.client import Client as OpenApiClient

from auditor.errors import CallError, EndpointError, MalformedAnswer, ProviderError
from auditor.providers._runtime import ApiLedger, RetryPolicy, naming_gaps
from auditor.providers._runtime.shapes import odd_items
from auditor.providers.alibaba._credentials import STS_VERSION, AssumedRole, profile_credentials
from auditor.providers.alibaba._errors import Caller
from auditor.providers.alibaba._listings import paged
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
# Documented Status values of a member that does not exist, or not yet: skipped.
NOT_ACTIVE = frozenset({"CreateVerifying", "CreateFailed", "CreateExpired", "CreateCancelled",
                        "Removed"})
MULTI = ("resource_directory", "account", "profile", "exclude_account")
TARGET_ACCOUNT, TARGET_PROFILE = "target_account", "target_profile"
DIRECTORY_ERROR = "directory_error"  # the listing failure a profile fallback reports
# Why a listed member is not scanned (its entry was odd), and the entries naming no account.
ODD_MEMBER, DIRECTORY_GAPS = "directory_odd_member", "directory_gaps"
GAP_SCOPE = "resource-directory"
LOG = logging.getLogger(__name__)
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

    def members(self) -> Members:
        """Every member of the directory, each entry judged on its own (the module); a
        listing that stops short raises (the scan would silently miss accounts)."""
        client = openapi_client(self.provider,
                                self.options.get("alibaba_resourcemanager_endpoint"),
                                RESOURCEMANAGER_ENDPOINT, "Resource Manager", self.timeout)
        out = Members()
        _, cut_short = paged(client, self.call, LIST_ACCOUNTS, RM_VERSION,
                             ("Accounts", "Account"), on_page=out.page)
        if cut_short is not None:
            raise cut_short
        return out


@dataclass(slots=True)
class Members:
    """The directory's entries in listing order: ``good`` the ones that fit, ``odd``
    AccountId -> (DisplayName, why), ``gaps`` the entries naming no account."""

    good: list[dict[str, Any]] = field(default_factory=list)
    odd: dict[str, tuple[str, str]] = field(default_factory=dict)
    gaps: list[MalformedAnswer] = field(default_factory=list)
    order: list[str] = field(default_factory=list)

    def page(self, body: dict[str, Any]) -> None:
        odd = {o.index: o for o in odd_items(body)}
        good = iter(body["Accounts"]["Account"])
        for place in range(len(body["Accounts"]["Account"]) + len(odd)):
            entry = odd.get(place)
            if entry is None:
                member = next(good)
                self.good.append(member)
                self.order.append(member["AccountId"])
            elif entry.named:
                account = str(entry.identity["AccountId"])
                self.odd.setdefault(account, (str(entry.identity.get("DisplayName") or ""),
                                              _line(entry.error)))
                self.order.append(account)
            else:
                self.gaps.append(entry.error)


def _line(error: CallError) -> str:
    return f"{error.operation}: {error.code}: {error.message}"


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
    odd: dict[str, str] = {}
    gaps: list[MalformedAnswer] = []
    if reads.options.get("resource_directory"):
        listed = reads.members()
        gaps = listed.gaps
        members = [m for m in listed.good if not wanted or m["AccountId"] in wanted]
        labels = {m["AccountId"]: str(m.get("DisplayName") or "") for m in members}
        for account, (name, why) in listed.odd.items():
            if not wanted or account in wanted:
                labels.setdefault(account, name)
                odd[account] = why
        for m in members:
            if m["AccountId"] in odd or m["AccountId"] == me:
                continue
            if m["Status"] in NOT_ACTIVE:
                LOG.warning("auditor: alibaba: directory member %s (%s) is %s: not scanned",
                            m["AccountId"], m.get("DisplayName") or "no name", m["Status"])
            elif m["Status"] not in ACTIVE:
                odd[m["AccountId"]] = (f"{LIST_ACCOUNTS}: UndocumentedStatus: member Status "
                                       f"{str(m['Status'])[:40]!r} is not one the reference "
                                       "documents: not known whether it can be entered")
        active = {m["AccountId"] for m in members if m["Status"] in ACTIVE}
        ids = [me] if not wanted or me in wanted else []
        ids += [a for a in dict.fromkeys(listed.order) if a != me and (a in odd or a in active)]
    else:
        ids = wanted
    targets = []
    for uid in ids:
        if uid in excluded:
            continue
        options: dict[str, Any] = dict(CLEARED) if uid == me else {**CLEARED, TARGET_ACCOUNT: uid}
        if uid in odd and uid != me:
            options = {**CLEARED, ODD_MEMBER: odd[uid]}
        targets.append(AccountTarget(uid, options, labels.get(uid, "")))
    return _with_gaps(targets, gaps)


def _with_gaps(targets: list[AccountTarget], gaps: list[MalformedAnswer]) -> list[AccountTarget]:
    """``targets``, one that is scanned carrying the listing's gaps (the caller's own account,
    read without a role, else the first); with none scanned the gaps fail the listing."""
    if not gaps:
        return targets
    scanned = [i for i, t in enumerate(targets) if ODD_MEMBER not in t.options]
    first = next((i for i in scanned if TARGET_ACCOUNT not in targets[i].options),
                 scanned[0] if scanned else None)
    if first is None:
        more = f" (and {len(gaps) - 1} more)" if len(gaps) > 1 else ""
        raise EndpointError(PROVIDER, f"{_line(gaps[0])}{more}")
    target = targets[first]
    targets[first] = AccountTarget(target.account, {**target.options, DIRECTORY_GAPS: [
        (g.operation, g.code, g.message) for g in gaps]}, target.label)
    return targets


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
    """The credentials of one target's collect; None: the caller's own (a plain scan). A
    member whose listing entry was odd fails here, before any call (EndpointError)."""
    if options.get(ODD_MEMBER):
        raise EndpointError(PROVIDER, str(options[ODD_MEMBER]))
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



def start(options: Mapping[str, Any], ledger: ApiLedger, retry: RetryPolicy,
          timeout: float) -> ICredentialsProvider | None:
    """:func:`target_credentials`, and the listing's gaps this target carries recorded in its
    run (a profile fallback's directory failure, the entries naming no account). When the
    target fails, its reason names the gaps, so they are never lost with it."""
    from auditor.errors import ServiceError

    gaps = [MalformedAnswer(*gap) for gap in options.get(DIRECTORY_GAPS) or ()]
    with naming_gaps(gaps, "directory entry(ies)", "account"):
        credentials = target_credentials(options, ledger, retry, timeout)
    if options.get(DIRECTORY_ERROR):  # a profile fallback: the directory is a gap
        ledger.listing_failed(GAP_SCOPE, ServiceError(LIST_ACCOUNTS, "DirectoryUnreadable",
                                                      str(options[DIRECTORY_ERROR])))
    for gap in gaps:
        ledger.listing_failed(GAP_SCOPE, gap)
    return credentials
