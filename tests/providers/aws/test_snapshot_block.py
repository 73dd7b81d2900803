"""Block public access for snapshots (GetSnapshotBlockPublicAccessState) decides whether an EBS
snapshot whose createVolumePermission says group all is public: block-all-sharing makes it
private, block-new-sharing and unblocked leave it public. One call per region, never per
snapshot; a state that was not read leaves such a snapshot's exposure not observed, while a
private snapshot stays observed private (its permission settles it).

The states and the denial run boto3 over moto (IAM enforced; the stand-in answers the
operation moto lacks); throttling and a malformed answer over the answer stand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from answer_samples_kinds import EBS_SNAPSHOT
from answer_stand import EC2_NS, REGION, running_stand, xml
from aws_support import by_name, collect, mocked_estate

from auditor.model import FactState
from auditor.providers._runtime import RetryPolicy

SNAPSHOT, BLOCK, ATTRIBUTE = ("storage.snapshot", "ec2:GetSnapshotBlockPublicAccessState",
                              "ec2:DescribeSnapshotAttribute")
SHARING = {SNAPSHOT: {"public_exposure.is_public", "sharing.accounts"}}
REGIONS = ["us-east-1", "eu-west-1", "eu-central-1"]


def _section(**extra: Any) -> dict[str, Any]:
    section = {
        "regions": REGIONS,
        "account": {"ebs": {"eu-west-1": {"snapshot_block": "block-all-sharing"},
                            "eu-central-1": {"snapshot_block": "block-new-sharing"}}},
        "volumes": [{"name": f"v-{r}", "region": r, "encrypted": False} for r in REGIONS],
        "snapshots": [{"name": f"public-{r}", "volume": f"v-{r}", "public": True}
                      for r in REGIONS] + [
            {"name": "private-eu-west-1", "volume": "v-eu-west-1"},
            {"name": "shared-eu-west-1", "volume": "v-eu-west-1",
             "shared_with": ["210987654321"]}],
    }
    section.update(extra)
    return section


def test_each_state_decides_a_public_permission_once_per_region(tmp_path: Path) -> None:
    with mocked_estate(_section(), tmp_path):
        collection = collect({"region": REGIONS}, SHARING)
        wanted_none = collect({"region": REGIONS}, {SNAPSHOT: {"sharing.accounts"}})
    snapshots = by_name(collection, SNAPSHOT)
    expected = {"public-us-east-1": (True, "unblocked"),
                "public-eu-west-1": (False, "block-all-sharing"),
                "public-eu-central-1": (True, "block-new-sharing")}
    for name, (public, state) in expected.items():
        fact = snapshots[name].facts["public_exposure.is_public"]
        assert (fact.state, fact.value) == (FactState.OBSERVED, public), name
        assert fact.source == (ATTRIBUTE, BLOCK) and state in fact.detail, (name, fact)
        assert fact.basis is None  # both are API fields (the profile says api)
    assert "treated as private" in snapshots["public-eu-west-1"].facts[
        "public_exposure.is_public"].detail
    # block public access is about public sharing only: accounts named stay shared
    shared = snapshots["shared-eu-west-1"].facts
    assert (shared["public_exposure.is_public"].value, shared["sharing.accounts"].value) == (
        False, ["210987654321"])
    assert snapshots["private-eu-west-1"].facts["public_exposure.is_public"].source == (
        ATTRIBUTE,)
    # one call per region with EBS snapshots (eu-west-1 holds three), none per snapshot
    assert collection.run.api_calls[BLOCK] == len(REGIONS)
    assert collection.run.api_calls[ATTRIBUTE] == 5
    assert not collection.run.errors
    assert BLOCK not in wanted_none.run.api_calls  # is_public not wanted: not asked


def test_a_denied_state_leaves_public_permissions_unobserved(tmp_path: Path) -> None:
    section = _section(scanner={"user": "scanner", "deny": [{"action": BLOCK}]})
    with mocked_estate(section, tmp_path):
        collection = collect({"region": REGIONS}, SHARING)
    snapshots = by_name(collection, SNAPSHOT)
    for region in REGIONS:
        fact = snapshots[f"public-{region}"].facts["public_exposure.is_public"]
        assert (fact.state, fact.value) == (FactState.DENIED, None), region
        assert BLOCK in fact.source and "createVolumePermission group all" in fact.detail
    for name in ("private-eu-west-1", "shared-eu-west-1"):
        fact = snapshots[name].facts["public_exposure.is_public"]
        assert (fact.state, fact.value) == (FactState.OBSERVED, False), name
    assert snapshots["shared-eu-west-1"].facts["sharing.accounts"].value == ["210987654321"]
    # one failed call per region (moto's IAM answers AccessDenied)
    assert [(e.operation, e.code) for e in collection.run.errors] == [
        (BLOCK, "AccessDenied")] * len(REGIONS)
    assert collection.run.status == "partial"


def test_ec2s_unauthorized_operation_is_denied(tmp_path: Path) -> None:
    refused = xml("<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are "
                  "not authorized to perform this operation.</Message></Error></Errors>"
                  "<RequestID>r</RequestID></Response>", 403)
    fact, calls, _ = _stand_scan(tmp_path, lambda _: refused, 2)
    assert (fact.state, fact.value, calls) == (FactState.DENIED, None, 1)  # never retried
    assert "UnauthorizedOperation" in fact.detail


def _throttled(_: Any) -> Any:
    return xml("<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow down"
               "</Message></Error></Errors><RequestID>r</RequestID></Response>", 503)


def _stand_scan(tmp: Path, script: Any, attempts: int) -> Any:
    with running_stand(tmp) as stand:
        stand.scripts[BLOCK] = script
        collection = collect({"region": [REGION]}, SHARING,
                             retry=RetryPolicy(attempts, 0.001, 0.002))
        calls = stand.calls[BLOCK]
    snapshot = next(r for r in collection.resources if r.id == EBS_SNAPSHOT)
    return snapshot.facts["public_exposure.is_public"], calls, collection


def test_throttling_is_retried_then_an_error_never_a_value(tmp_path: Path) -> None:
    fact, calls, collection = _stand_scan(tmp_path, _throttled, 2)
    assert (fact.state, fact.value, calls) == (FactState.ERROR, None, 2)
    assert "RequestLimitExceeded" in fact.detail and "gave up after 2 attempts" in fact.detail
    assert [(e.operation, e.code) for e in collection.run.errors] == [
        (BLOCK, "RequestLimitExceeded")]


def test_a_throttled_state_answered_on_retry_is_observed(tmp_path: Path) -> None:
    replies = iter([_throttled(None), xml(
        f"<GetSnapshotBlockPublicAccessStateResponse {EC2_NS}><requestId>r</requestId>"
        "<state>block-all-sharing</state></GetSnapshotBlockPublicAccessStateResponse>")])
    fact, calls, _ = _stand_scan(tmp_path, lambda _: next(replies), 2)
    assert (fact.state, fact.value, calls) == (FactState.OBSERVED, False, 2)


def test_a_malformed_state_is_an_error(tmp_path: Path) -> None:
    body = xml(f"<GetSnapshotBlockPublicAccessStateResponse {EC2_NS}><requestId>r</requestId>"
               "<state>sometimes</state></GetSnapshotBlockPublicAccessStateResponse>")
    fact, calls, _ = _stand_scan(tmp_path, lambda _: body, 1)
    assert (fact.state, fact.value, calls) == (FactState.ERROR, None, 1)
    assert "UnexpectedShape" in fact.detail and BLOCK in fact.source
