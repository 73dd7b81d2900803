"""The derived policy against what a scan really sends: nothing missing, nothing extra.

Each registered adapter scans its own stand-in (moto for AWS, the project's servers for GCP
and Alibaba Cloud) with the same checks `auditor permissions` was asked about; the stand-ins
record every request with its operation. The recorded operations, and the permissions they
map to, must equal the derived ones. The estate is the demo estate with the few changes that
make every conditional call happen at least once (named in ESTATE_CHANGES), so an operation
the policy grants but no scan could send shows as extra.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest

from auditor.checks import compile_check, load_checks
from auditor.engine import wanted_facts
from auditor.permissions import derive_policy
from auditor.providers.base import CollectRequest, ProviderRegistry
from auditor.sandbox.estate import load_estate
from auditor.sandbox.registry import SandboxRegistry

PROVIDERS = ProviderRegistry.from_entry_points()
SANDBOXES = SandboxRegistry.from_entry_points()
CHECKS = {c.id: compile_check(c) for c in load_checks()}
AMBIENT = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE",
           "AWS_SHARED_CREDENTIALS_FILE", "GOOGLE_APPLICATION_CREDENTIALS",
           "ALIBABA_CLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_PROFILE")
# all checks; one bucket check; one bucket check that reads the bucket's key; one key check;
# one account check
SELECTIONS = [None, "bucket-not-public", "bucket-key-rotation", "kms-key-not-public",
              "account-public-access-block"]


def _aws(section: dict) -> None:
    # The demo account ignores public ACLs, so no GetBucketAcl is ever sent: block them only.
    section["account"]["public_access_block"] = {"BlockPublicAcls": True}
    # ListBuckets carries BucketRegion, so GetBucketLocation (the fallback) needs a listing
    # entry without it.
    section["buckets"][0]["list_omits"] = ["BucketRegion"]


def _alibaba(section: dict) -> None:
    # Real ListBuckets always carries Location; the fallback GetBucketLocation needs one that
    # does not (the stand-in's list_omits).
    section["buckets"][0]["list_omits"] = ["Location"]


ESTATE_CHANGES = {"aws": _aws, "alibaba": _alibaba}


def recorded_operation(action: str) -> str:
    """The adapter's name for a recorded action: the GCP stand-in records the API's dotted
    method name (storage.buckets.list), the others service:Operation already."""
    return action if ":" in action else action.replace(".", ":", 1)


class Stand:
    def __init__(self, provider: str, home) -> None:
        self.provider = provider
        self.adapter = PROVIDERS.get(provider)
        self.sandbox = SANDBOXES.create(provider)
        self.home = home

    def scan(self, checks, options: dict) -> tuple[set[str], object]:
        self.sandbox.reset_requests()
        with pytest.MonkeyPatch.context() as mp:
            for name in AMBIENT:
                mp.delenv(name, raising=False)
            mp.setenv("HOME", str(self.home))
            for name, value in self.sandbox.environment().items():
                mp.setenv(name, value)
            collection = self.adapter.collect(CollectRequest(
                options=options, facts=wanted_facts(checks), max_workers=4))
        return {recorded_operation(r.action) for r in self.sandbox.requests()}, collection


@pytest.fixture(scope="module", params=PROVIDERS.names())
def stand(request, tmp_path_factory) -> Iterator[Stand]:
    stand = Stand(request.param, tmp_path_factory.mktemp(f"home-{request.param}"))
    section = copy.deepcopy(load_estate()[request.param])
    ESTATE_CHANGES.get(request.param, lambda s: None)(section)
    stand.sandbox.start()
    try:
        stand.sandbox.seed(section)
        yield stand
    finally:
        stand.sandbox.stop()


def _given(options: dict) -> set[str]:
    return {name for name, value in options.items() if value not in (None, [], "")}


@pytest.mark.parametrize("selection", SELECTIONS, ids=lambda s: s or "all-checks")
def test_recorded_operations_are_the_derived_ones(stand: Stand, selection):
    checks = [CHECKS[selection]] if selection else list(CHECKS.values())
    options = stand.sandbox.scan_options()
    sent, collection = stand.scan(checks, options)
    assert sent and "" not in sent
    policy = derive_policy(stand.adapter, checks, given_options=_given(options))
    derived = set(policy.operations)
    assert not sent - derived, f"sent but not granted: {sorted(sent - derived)}"
    assert not derived - sent, f"granted but never sent: {sorted(derived - sent)}"
    # The same in permissions: every recorded operation has a mapping, and they add up.
    table = policy.table
    assert {a for op in sent for a in table.actions[op]} == set(policy.actions)
    # What the adapter counted agrees with what the stand-in saw.
    assert set(collection.run.api_calls) == sent


# (provider, operation, option): run operations the adapter skips when the option is given
# (the stand-ins' scan options give them all, so the test above never sees these sent).
UNLESS = [(name, run.operation, run.unless_option) for name in PROVIDERS.names()
          for run in derive_policy(PROVIDERS.get(name), []).table.run if run.unless_option]


@pytest.mark.parametrize(("stand", "operation", "option"), UNLESS, indirect=["stand"])
def test_an_operation_an_option_saves_is_sent_without_it(stand: Stand, operation, option):
    checks = list(CHECKS.values())  # every kind: an operation may serve only some kinds
    options = {k: v for k, v in stand.sandbox.scan_options().items() if k != option}
    sent, _ = stand.scan(checks, options)
    policy = derive_policy(stand.adapter, checks, given_options=_given(options))
    assert operation in sent
    assert sent == set(policy.operations)


def test_the_option_cases_cover_aws_regions():
    assert ("aws", "ec2:DescribeRegions", "region") in UNLESS
