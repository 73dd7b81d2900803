"""The organization policy storage.publicAccessPrevention: how it resolves `inherited`, what
its failures become, when it is read (once per project, only when a fact needs it), where.

Real google-auth / requests over HTTP to the stand-in's Org Policy v2 route.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from gcp_support import fast_adapter, resources

from auditor.checks import compile_check, load_checks
from auditor.engine import evaluate_one
from auditor.errors import MalformedAnswer
from auditor.model import FactState, Status
from auditor.providers.base import CollectRequest
from auditor.providers.gcp import GcpAdapter
from auditor.providers.gcp._orgpolicy import parse

OP = "orgpolicy:policies.getEffectivePolicy"
ACTION = "orgpolicy.policies.getEffectivePolicy"
OBSERVED, DENIED, ERROR = FactState.OBSERVED, FactState.DENIED, FactState.ERROR
PAB = ("public_access_block.account", "public_access_block.effective")
ENV_VARS = ("STORAGE_EMULATOR_HOST", "AUDITOR_GCP_KMS_ENDPOINT",
            "AUDITOR_GCP_ORGPOLICY_ENDPOINT", "GOOGLE_APPLICATION_CREDENTIALS")

# Buckets of every shape the organization policy matters for.
BUCKETS: list[dict[str, Any]] = [
    {"name": "own-enforced", "location": "us-central1", "public_access_prevention": "enforced"},
    {"name": "inherits-private", "location": "us-central1"},
    {"name": "inherits-all-users", "location": "us-central1",
     "iam": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]},
    {"name": "inherits-acl-public", "location": "us-central1", "uniform_access": False,
     "acl": [{"entity": "allAuthenticatedUsers", "role": "READER"}]},
]


def estate(org: Any = None, faults: dict[str, Any] | None = None,
           project: str = "p") -> dict[str, Any]:
    spec: dict[str, Any] = {"id": project, "number": "42", "buckets": BUCKETS}
    if org is not None:
        spec["org_policy"] = {"public_access_prevention": org}
    if faults:
        spec["faults"] = faults
    return {"projects": [spec]}


def scan(box, facts: dict[str, frozenset[str]] | None = None, **options: Any):
    return fast_adapter().collect(CollectRequest(options={**box.scan_options(), **options},
                                                 facts=facts, max_workers=8))


def actions(box) -> Counter:
    return Counter(r.action for r in box.requests())


def bucket_facts(collection) -> dict[str, dict[str, Any]]:
    return {name: r.facts for name, r in resources(collection, "storage.bucket").items()}


def account_fact(collection, project: str = "p"):
    return next(r for r in collection.resources
                if r.kind == "account" and r.account == project).facts[
                    "public_access_block.enabled"]


def status(check_id: str, resource) -> Status:
    check = next(c for c in load_checks() if c.id == check_id)
    return evaluate_one(compile_check(check), resource)[0]


@pytest.fixture
def clean_env(monkeypatch):
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# --- enforced -------------------------------------------------------------------------


def test_an_enforcing_organization_keeps_inheriting_buckets_private(make_sandbox):
    box = make_sandbox(estate(True))
    collection = scan(box)
    facts = bucket_facts(collection)
    assert account_fact(collection).value is True
    for name in facts:
        for path in PAB:
            assert facts[name][path].state is OBSERVED and facts[name][path].value is True, (
                name, path)
        assert facts[name]["public_exposure.is_public"].value is False, name
        assert facts[name]["public_exposure.reasons"].value == [], name
    # The allUsers binding and the public ACL grant nothing under the enforcing policy.
    granted = facts["inherits-all-users"]["public_exposure.is_public"]
    assert granted.state is OBSERVED and granted.basis == "derived"
    assert granted.source == ("storage:buckets.list", OP)
    assert granted.detail == ("publicAccessPrevention is 'inherited' and the organization "
                              "policy storage.publicAccessPrevention is enforced for project "
                              "p: no public grant can take effect")
    effective = facts["inherits-private"]["public_access_block.effective"]
    assert effective.source == ("storage:buckets.list", OP)
    # Nothing can be public, so no bucket IAM policy or ACL is read; the policy is read once.
    assert {a: n for a, n in actions(box).items() if a.startswith(("storage.", "orgpolicy."))} == {
        "storage.buckets.list": 1, ACTION: 1}
    buckets = {r.id: r for r in collection.resources if r.kind == "storage.bucket"}
    for bucket in buckets.values():
        assert status("bucket-not-public", bucket) is Status.PASS
        assert status("bucket-public-access-block", bucket) is Status.PASS


# --- not enforced -------------------------------------------------------------------


@pytest.mark.parametrize("org", [False, None], ids=["enforce-false", "no-rules"])
def test_a_policy_that_does_not_enforce_leaves_grants_public(make_sandbox, org):
    box = make_sandbox(estate(org))
    collection = scan(box)
    facts = bucket_facts(collection)
    assert account_fact(collection).value is False
    assert account_fact(collection).source == (OP,)
    assert facts["own-enforced"]["public_access_block.effective"].value is True
    inherits = facts["inherits-private"]
    assert (inherits["public_access_block.account"].value,
            inherits["public_access_block.effective"].value) == (False, False)
    assert inherits["public_exposure.is_public"].value is False
    public = facts["inherits-all-users"]["public_exposure.is_public"]
    assert (public.state, public.value) == (OBSERVED, True)
    assert "is not enforced for project p" in public.detail
    acl = facts["inherits-acl-public"]
    assert acl["public_exposure.reasons"].value == ["acl"]
    assert acl["public_exposure.is_public"].source == (
        "storage:buckets.getIamPolicy", "storage:bucketAccessControls.list",
        "storage:defaultObjectAccessControls.list", OP)
    counts = actions(box)
    assert counts[ACTION] == 1 and counts["storage.buckets.getIamPolicy"] == 3


# --- could not be read --------------------------------------------------------------


@pytest.mark.parametrize(("org", "code"), [("denied", "403 IAM_PERMISSION_DENIED"),
                                           ("disabled", "403 SERVICE_DISABLED")])
def test_a_refused_policy_leaves_what_it_decides_unverified(make_sandbox, org, code):
    box = make_sandbox(estate(org))
    collection = scan(box)
    facts = bucket_facts(collection)
    account = account_fact(collection)
    assert (account.state, account.value, account.source) == (DENIED, None, (OP,))
    assert account.detail.startswith(code)
    for name in ("inherits-private", "inherits-all-users"):
        for path in PAB:
            fact = facts[name][path]
            assert fact.state is DENIED and fact.value is None, (name, path)
            assert code in fact.detail, (name, path)
    assert "organization policy denied" in (
        facts["inherits-private"]["public_access_block.effective"].detail)
    # The bucket's own enforcement does not depend on the organization policy.
    assert facts["own-enforced"]["public_access_block.effective"].value is True
    assert facts["own-enforced"]["public_access_block.account"].state is DENIED
    # An inherited grant: the unread policy may block it, so whether it is public is not
    # known (denied, naming the policy); no grant at all is private whatever it says.
    for name in ("inherits-all-users", "inherits-acl-public"):
        for path in ("public_exposure.is_public", "public_exposure.reasons"):
            public = facts[name][path]
            assert (public.state, public.value, public.source) == (DENIED, None, (OP,)), (
                name, path)
            assert "organization policy denied" in public.detail and code in public.detail
    assert facts["inherits-private"]["public_exposure.is_public"].value is False
    assert facts["own-enforced"]["public_exposure.is_public"].value is False
    # 403 is not retried; the refusal is a recorded call failure (the run is partial).
    assert actions(box)[ACTION] == 1
    assert {(e.scope, e.operation, e.code, e.kind) for e in collection.run.errors} == {
        ("projects/p", OP, code, "call")}
    assert collection.run.status == "partial"
    # What the checks make of it: unverified where the policy decides, a real FAIL stays.
    by_name = resources(collection, "storage.bucket")
    accounts = [r for r in collection.resources if r.kind == "account"]
    assert status("account-public-access-block", accounts[0]) is Status.UNVERIFIED
    assert status("bucket-public-access-block", by_name["inherits-private"]) is (
        Status.UNVERIFIED)
    assert status("bucket-public-access-block", by_name["own-enforced"]) is Status.PASS
    assert status("bucket-not-public", by_name["inherits-all-users"]) is Status.UNVERIFIED
    assert status("bucket-not-public", by_name["inherits-acl-public"]) is Status.UNVERIFIED
    assert status("bucket-not-public", by_name["inherits-private"]) is Status.PASS
    assert status("bucket-not-public", by_name["own-enforced"]) is Status.PASS


@pytest.mark.parametrize("transient", [[503, 429], [500]])
def test_transient_failures_are_retried_then_observed(make_sandbox, transient):
    box = make_sandbox(estate(True, {ACTION: transient}))
    collection = scan(box, {"account": frozenset({"public_access_block.enabled"})})
    assert account_fact(collection).value is True
    assert actions(box)[ACTION] == len(transient) + 1
    assert collection.run.status == "complete"


@pytest.mark.parametrize(("fault", "code"), [(503, "503"), (404, "404 NotFound"),
                                             ("garbage", "UnparsableResponse")])
def test_failures_that_last_are_errors(make_sandbox, fault, code):
    box = make_sandbox(estate(True, {ACTION: fault}))
    collection = scan(box)
    account = account_fact(collection)
    assert account.state is ERROR and account.detail.startswith(code)
    effective = bucket_facts(collection)["inherits-private"]["public_access_block.effective"]
    assert effective.state is ERROR and code in effective.detail
    assert actions(box)[ACTION] == (4 if fault == 503 else 1)


# --- when and how often ---------------------------------------------------------------


def test_read_once_per_project_whatever_the_bucket_count(make_sandbox):
    section = {"projects": [
        {"id": p, "number": n, "org_policy": {"public_access_prevention": enforce},
         "buckets": [{"name": f"{p}-{i}", "location": "us-central1"} for i in range(12)]}
        for p, n, enforce in (("p1", "1", True), ("p2", "2", False))]}
    box = make_sandbox(section)
    collection = scan(box)
    reads = [r.path.split("/")[3] for r in box.requests() if r.action == ACTION]
    assert sorted(reads) == ["p1", "p2"]
    assert collection.run.api_calls[OP] == 2
    facts = bucket_facts(collection)
    assert {facts[f"p1-{i}"]["public_access_block.effective"].value for i in range(12)} == {True}
    assert {facts[f"p2-{i}"]["public_access_block.effective"].value for i in range(12)} == {False}
    # p1's buckets need no IAM read; p2's do.
    iam = {r.path.split("/")[4].split("-")[0] for r in box.requests()
           if r.action == "storage.buckets.getIamPolicy"}
    assert iam == {"p2"}


@pytest.mark.parametrize(("facts", "read"), [
    ({"storage.bucket": frozenset({"public_access_block.bucket", "versioning.enabled"})}, False),
    ({"storage.bucket": frozenset({"public_access_block.account"})}, True),
    ({"storage.bucket": frozenset({"public_exposure.reasons"})}, True),
    ({"account": frozenset({"public_access_block.enabled"})}, True),
    ({"account": frozenset({"block_storage_encryption.key_id"})}, False),
])
def test_read_only_when_a_wanted_fact_needs_it(make_sandbox, facts, read):
    box = make_sandbox(estate(True))
    scan(box, facts)
    assert actions(box)[ACTION] == int(read)


def test_buckets_that_enforce_themselves_need_no_policy(make_sandbox):
    section = {"projects": [
        {"id": "own", "number": "1", "buckets": [BUCKETS[0]]},
        {"id": "inherits", "number": "2", "buckets": [BUCKETS[1]]}]}
    box = make_sandbox(section)
    collection = scan(box, {"storage.bucket": frozenset({"public_access_block.effective"})})
    assert [r.path.split("/")[3] for r in box.requests() if r.action == ACTION] == ["inherits"]
    assert bucket_facts(collection)["own-enforced"]["public_access_block.effective"].value


# --- where ------------------------------------------------------------------------


def test_the_option_sends_the_reads_to_its_endpoint(make_sandbox):
    storage = make_sandbox(estate(None))  # says: not enforced
    # A second server (another constructor setting) seeded to say: enforced.
    org = make_sandbox(estate(True), page_size=1000)
    assert org.url != storage.url
    collection = scan(storage, gcp_orgpolicy_endpoint=org.url)
    assert account_fact(collection).value is True
    assert actions(org) == {ACTION: 1} and actions(storage)[ACTION] == 0


def test_the_environment_variable_is_the_fallback(make_sandbox, clean_env):
    box = make_sandbox(estate(True))
    clean_env.setenv("AUDITOR_GCP_ORGPOLICY_ENDPOINT", box.url.removeprefix("http://"))
    options = {k: v for k, v in box.scan_options().items() if k != "gcp_orgpolicy_endpoint"}
    collection = GcpAdapter(base_delay=0.005).collect(CollectRequest(
        options=options, facts={"account": frozenset({"public_access_block.enabled"})}))
    assert account_fact(collection).value is True
    assert actions(box) == {ACTION: 1}
    assert all("authorization" not in r.headers for r in box.requests())  # anonymous


def test_no_org_endpoint_beside_overridden_ones_is_not_called(make_sandbox, clean_env):
    box = make_sandbox(estate(True))
    options = {k: v for k, v in box.scan_options().items() if k != "gcp_orgpolicy_endpoint"}
    collection = GcpAdapter(base_delay=0.005).collect(CollectRequest(options=options))
    # No anonymous call to the real service: the facts say why they are unknown.
    assert actions(box)[ACTION] == 0 and OP not in collection.run.api_calls
    account = account_fact(collection)
    assert account.state is ERROR and "--gcp-orgpolicy-endpoint" in account.detail
    facts = bucket_facts(collection)
    assert facts["inherits-private"]["public_access_block.effective"].state is ERROR
    assert facts["inherits-all-users"]["public_exposure.is_public"].state is ERROR
    assert facts["inherits-private"]["public_exposure.is_public"].value is False
    assert ("projects/p", OP, "NotCalled") in {
        (e.scope, e.operation, e.code) for e in collection.run.errors}


# --- the answer's shape ------------------------------------------------------------


@pytest.mark.parametrize(("body", "enforced"), [
    ({"name": "projects/1/policies/storage.publicAccessPrevention"}, False),
    ({"name": "n", "spec": {}}, False),
    ({"name": "n", "spec": {"rules": [{"enforce": False}]}}, False),
    ({"name": "n", "spec": {"rules": [{"enforce": False}, {"enforce": True}]}}, True),
    ({"name": "n", "spec": {"rules": [{"allowAll": True}]}}, False),
])
def test_enforced_when_a_rule_enforces(body, enforced):
    assert parse("p", body).enforced is enforced


@pytest.mark.parametrize(("body", "code", "where"), [
    ({"name": "n", "spec": {"rules": {"enforce": True}}}, "UnexpectedShape", "$.spec.rules"),
    ({"name": "n", "spec": {"rules": [{"enforce": "true"}]}}, "UnexpectedShape",
     "$.spec.rules[0].enforce"),
    ({"name": "n", "spec": {"rules": [{"enforce": True, "condition": {
        "expression": "resource.matchTag()"}}]}}, "ConditionalRule", ""),
    ({"name": "n", "spec": ["enforce"]}, "UnexpectedShape", "$.spec"),
    ({"spec": {"rules": [{"enforce": True}]}}, "UnexpectedShape", "$: missing name"),
    ({}, "UnexpectedShape", "$: missing name"),
    ([], "UnexpectedShape", "$: expected object"),
])
def test_a_shape_that_cannot_be_read_is_an_error(body, code, where):
    with pytest.raises(MalformedAnswer) as info:
        parse("p", body)
    assert (info.value.code, info.value.operation) == (code, OP)
    assert info.value.message.startswith(where)
