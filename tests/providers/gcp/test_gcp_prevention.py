"""Public exposure and effective public access prevention are derived by the one rule
(``_runtime.derive``): across bucket settings, grants and every way the organization policy
can come back, an unread policy never gives PASS or FAIL where it decides the answer, and
is not needed where the bucket's own setting or its grants settle it.

"Public access prevention" (Cloud Storage docs): with the bucket setting ``enforced`` no
public access is possible whatever the organization policy; ``inherited`` follows the
project's effective ``storage.publicAccessPrevention``.
"""

from __future__ import annotations

from typing import Any

import pytest
from gcp_support import fast_adapter, resources

from auditor.checks import compile_check, load_checks
from auditor.engine import evaluate_one
from auditor.model import FactState, Status
from auditor.providers.base import CollectRequest
from auditor.providers.gcp.sandbox import GcpSandbox

ACTION = "orgpolicy.policies.getEffectivePolicy"
OBSERVED, DENIED, ERROR = FactState.OBSERVED, FactState.DENIED, FactState.ERROR
PASS, FAIL, UNVERIFIED = Status.PASS, Status.FAIL, Status.UNVERIFIED
# How the project's organization policy answers: estate setting, or an injected fault.
ORGS: dict[str, dict[str, Any]] = {
    "enforcing": {"org_policy": {"public_access_prevention": True}},
    "open": {"org_policy": {"public_access_prevention": False}},
    "refused": {"org_policy": {"public_access_prevention": "denied"}},
    "not-json": {"org_policy": {"public_access_prevention": True},
                 "faults": {ACTION: "garbage"}},
    "failing": {"org_policy": {"public_access_prevention": True}, "faults": {ACTION: 503}},
}
GRANTS: dict[str, dict[str, Any]] = {
    "none": {},
    "iam": {"iam": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]},
    "acl": {"uniform_access": False, "acl": [{"entity": "allUsers", "role": "READER"}]},
}
UNREAD = {"refused": DENIED, "not-json": ERROR, "failing": ERROR}


def expected(org: str, pap: str, grant: str) -> tuple[FactState, Any, Status, Status]:
    """(is_public state, value, bucket-not-public, bucket-public-access-block)."""
    if pap == "enforced":
        return OBSERVED, False, PASS, PASS
    block = {"enforcing": PASS, "open": FAIL}.get(org, UNVERIFIED)
    if grant == "none" or org == "enforcing":
        return OBSERVED, False, PASS, block
    if org == "open":
        return OBSERVED, True, FAIL, block
    return UNREAD[org], None, UNVERIFIED, block


CASES = [(org, pap, grant) for org in ORGS for pap in ("enforced", "inherited")
         for grant in GRANTS]


@pytest.fixture(scope="module")
def collection():
    projects = []
    for number, (org, spec) in enumerate(ORGS.items(), start=1):
        buckets = [{"name": f"{org}-{pap}-{grant}", "location": "us-central1",
                    "public_access_prevention": pap, **GRANTS[grant]}
                   for pap in ("enforced", "inherited") for grant in GRANTS]
        projects.append({"id": org, "number": str(number), "buckets": buckets, **spec})
    box = GcpSandbox()
    box.start()
    box.seed({"projects": projects})
    try:
        yield fast_adapter().collect(CollectRequest(options=box.scan_options(), max_workers=4)), box
    finally:
        box.stop()


def status(check_id: str, resource) -> Status:
    check = next(c for c in load_checks() if c.id == check_id)
    return evaluate_one(compile_check(check), resource)[0]


@pytest.mark.parametrize(("org", "pap", "grant"), CASES,
                         ids=[f"{o}-{p}-{g}" for o, p, g in CASES])
def test_exposure_and_prevention_follow_only_what_was_read(collection, org, pap, grant):
    scanned, _ = collection
    bucket = resources(scanned, "storage.bucket")[f"{org}-{pap}-{grant}"]
    state, value, not_public, block = expected(org, pap, grant)
    for path in ("public_exposure.is_public", "public_exposure.reasons"):
        fact = bucket.facts[path]
        assert fact.basis == "derived", path
        assert fact.state is state, (path, fact)
        if state is OBSERVED:
            reasons = [grant] if value else []
            assert fact.value == (value if path.endswith("is_public") else reasons), fact
        else:  # the missing input is named: the organization policy and how it failed
            assert fact.value is None and "organization policy" in fact.detail, fact
            assert fact.source == ("orgpolicy:policies.getEffectivePolicy",)
    assert status("bucket-not-public", bucket) is not_public
    assert status("bucket-public-access-block", bucket) is block
    effective = bucket.facts["public_access_block.effective"]
    if pap == "enforced":
        assert (effective.state, effective.value) == (OBSERVED, True)
        assert effective.source == ("storage:buckets.list",)
    elif org in UNREAD:
        assert (effective.state, effective.value) == (UNREAD[org], None)


def test_settled_buckets_make_no_grant_reads(collection):
    scanned, box = collection
    reads = {r.path.split("/")[4] for r in box.requests()
             if r.action == "storage.buckets.getIamPolicy"}
    # Enforced on the bucket, or inherited under an enforcing policy: nothing can be public,
    # so no IAM policy is read; every other bucket's grants are.
    assert reads == {f"{org}-inherited-{grant}" for org in ORGS if org != "enforcing"
                     for grant in GRANTS}
    assert scanned.run.status == "partial"
