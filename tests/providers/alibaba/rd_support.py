"""A Resource Directory estate for the multi-account tests, and helpers that run the
adapter's accounts hook and one target's collect the way the pipeline does (the request's
options updated by the target's)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from auditor.providers.alibaba import AlibabaAdapter
from auditor.providers.alibaba.sandbox import AlibabaSandbox
from auditor.providers.base import AccountTarget, Collection, CollectRequest

MANAGEMENT = "1000000000000001"
PAYMENTS, ANALYTICS, LOCKED, NO_ROLE = ("2000000000000002", "2000000000000003",
                                        "2000000000000004", "2000000000000005")
VERIFYING, REMOVED = "2000000000000006", "2000000000000007"
# The role the stand-in's members carry unless a member names others (the one Resource
# Directory creates); the adapter has no default role, so every multi-account scan names it.
ROLE = "ResourceDirectoryAccountAccessRole"
PROFILE_KEYS = {PAYMENTS: "LTAI5tPaymentsProfileKey1", ANALYTICS: "LTAI5tAnalyticsProfileKey"}


def member(account: str, name: str, **spec: Any) -> dict[str, Any]:
    return {"account": account, "name": name, **spec}


DIRECTORY_ESTATE: dict[str, Any] = {
    "account": MANAGEMENT,
    "buckets": [{"name": "mgmt-audit-logs", "region": "cn-hangzhou"}],
    "directory": {
        "id": "rd-3G9kQ2",
        "page_size": 2,  # 7 members and the management account: four pages
        "members": [
            member(PAYMENTS, "payments-prod", access_keys=[PROFILE_KEYS[PAYMENTS]], estate={
                "buckets": [{"name": "pay-ledger", "region": "cn-shanghai",
                             "encryption": {"algorithm": "KMS", "key": "key-pay-1"}}],
                "keys": [{"id": "key-pay-1", "region": "cn-shanghai", "rotation": "365d"}]}),
            member(ANALYTICS, "analytics", join="invited", type="CloudAccount",
                   status="InviteSuccess", access_keys=[PROFILE_KEYS[ANALYTICS]],
                   estate={"buckets": [{"name": "lake-raw", "region": "cn-hangzhou"}]}),
            member(LOCKED, "locked-down", refuse="NoPermission"),
            member(NO_ROLE, "no-audit-role", roles=["SomeOtherRole"]),
            member(VERIFYING, "being-created", status="CreateVerifying"),
            member(REMOVED, "gone", status="Removed"),
            member("2000000000000008", "partner", external_id="ext-7781",
                   estate={"buckets": [{"name": "partner-share", "region": "cn-hangzhou"}]}),
        ],
    },
}


def seeded(make_ali_sandbox: Any, monkeypatch: pytest.MonkeyPatch,
           estate: dict[str, Any] | None = None) -> AlibabaSandbox:
    """The stand-in seeded with ``estate`` (DIRECTORY_ESTATE), its endpoints and the
    management account's keys in the environment."""
    box = make_ali_sandbox(estate or DIRECTORY_ESTATE)
    for name, value in box.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    return box


def adapter() -> AlibabaAdapter:
    return AlibabaAdapter(retry_attempts=1)


def request(tags: bool = False, **options: Any) -> CollectRequest:
    return CollectRequest(options=options, tags=tags, timeout=10)


def collect(target: AccountTarget, base: CollectRequest) -> Collection:
    return adapter().collect(replace(base, options={**base.options, **target.options}))


def actions(box: AlibabaSandbox) -> list[str]:
    return [r.action for r in box.requests()]
