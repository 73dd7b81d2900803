"""The one builder of an odd or malformed item's facts (_runtime.placeholder_facts), over every
kind of every adapter's exposure profile, and each adapter's placeholder path giving exactly
what it gives (no SDK here: the end-to-end rows are tests/providers/*/test_h3_*_odd_*.py).

What a fact of such an item is: the item's error where the provider shows the fact (level
api, or derived by the adapter from what it reads: made from error inputs it is error); OPAQUE
with the profile's note where no API ever shows it (level none); absent where the core
derives it (legal_reach.*, auditor.derived_facts), so the core derives it from the inputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.derived_facts import PATHS as DERIVED_BY_THE_CORE
from auditor.errors import AccessDenied, CallError, MalformedAnswer
from auditor.model import Fact, FactState
from auditor.providers._runtime import exposure_of, placeholder_facts
from auditor.providers._runtime.placeholders import CORE_DERIVED
from auditor.providers.alibaba import AlibabaAdapter
from auditor.providers.aws import AwsAdapter
from auditor.providers.base import CollectRequest, ExposureEntry
from auditor.providers.gcp import GcpAdapter
from auditor.schema import fact_catalog

ADAPTERS = {"aws": AwsAdapter, "gcp": GcpAdapter, "alibaba": AlibabaAdapter}
ODD = MalformedAnswer("svc:List", "UnexpectedShape", "item $.Items[1].Encrypted: expected boolean")
ARN = "arn:aws:rds:eu-west-1:1:"
ROWS = [(name, kind) for name, adapter in ADAPTERS.items()
        for kind in exposure_of(adapter.data_dir)]


def _everything(_: str) -> bool:
    return True


def _expected(entry: ExposureEntry, error: CallError) -> Fact:
    return Fact.opaque(entry.note) if entry.level == "none" else Fact.from_call_error(error)


def test_the_core_derived_paths_are_the_cores_own() -> None:
    assert set(DERIVED_BY_THE_CORE) == CORE_DERIVED


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_the_builder_reads_the_profile_the_adapter_declares(name: str) -> None:
    adapter = ADAPTERS[name]
    assert exposure_of(adapter.data_dir) == adapter().exposure_profile()
    assert exposure_of(adapter.data_dir) is exposure_of(adapter.data_dir)  # read once


@pytest.mark.parametrize(("name", "kind"), ROWS, ids=[f"{n}-{k}" for n, k in ROWS])
@pytest.mark.parametrize("error", [ODD, AccessDenied("svc:List", "AccessDenied", "no")],
                         ids=["malformed", "denied"])
def test_every_exposed_fact_is_the_error_every_hidden_one_opaque(name: str, kind: str,
                                                                 error: CallError) -> None:
    profile = exposure_of(ADAPTERS[name].data_dir)
    facts = placeholder_facts(kind, error, profile, _everything)
    assert set(facts) == set(fact_catalog()[kind]) - CORE_DERIVED  # every fact it can have
    for path, entry in profile[kind].items():
        if path in CORE_DERIVED:
            continue
        assert facts[path] == _expected(entry, error), (name, kind, path)
        if entry.level == "none":
            assert facts[path].state is FactState.OPAQUE and facts[path].detail
        else:
            assert facts[path].state is (FactState.DENIED if isinstance(error, AccessDenied)
                                         else FactState.ERROR)


@pytest.mark.parametrize(("name", "kind"), ROWS, ids=[f"{n}-{k}" for n, k in ROWS])
def test_only_the_wanted_facts_are_given(name: str, kind: str) -> None:
    profile = exposure_of(ADAPTERS[name].data_dir)
    wanted = {*sorted(profile[kind])[::2], *CORE_DERIVED}
    facts = placeholder_facts(kind, ODD, profile, wanted.__contains__)
    assert set(facts) == wanted - CORE_DERIVED
    assert placeholder_facts(kind, ODD, profile, lambda _: False) == {}


def test_a_hidden_fact_of_any_kind_stays_opaque() -> None:
    """A kind whose profile has no level none today (an Alibaba disk, an AWS volume) gets one
    the day the profile says so: the builder reads the profile, not a list of paths."""
    profile = {"storage.volume": {
        "encryption.enabled": ExposureEntry("api", ("ecs:DescribeDisks",)),
        "tls_enforced.required": ExposureEntry("none", note="no API shows it"),
        "public_exposure.is_public": ExposureEntry("derived", ("ecs:DescribeDisks",)),
        "encryption.key_id": ExposureEntry("api", opaque_when="a service key"),
        "legal_reach.jurisdictions": ExposureEntry("derived", note="Derived by the core")}}
    facts = placeholder_facts("storage.volume", ODD, profile, _everything)
    failed = Fact.from_call_error(ODD)
    assert facts == {"encryption.enabled": failed, "public_exposure.is_public": failed,
                     "encryption.key_id": failed,
                     "tls_enforced.required": Fact.opaque("no API shows it")}


# --- each adapter's placeholder path is the builder -----------------------------------------


@pytest.mark.parametrize("kind", ["storage.volume", "storage.snapshot", "storage.filesystem",
                                  "database.instance"])
def test_gcp_malformed_facts_are_the_builders(kind: str) -> None:
    from auditor.providers.gcp._kind_facts import malformed_facts

    profile = exposure_of(GcpAdapter.data_dir)
    assert malformed_facts(kind, ODD, _everything) == placeholder_facts(kind, ODD, profile,
                                                                        _everything)
    assert not set(malformed_facts(kind, ODD, _everything)) & CORE_DERIVED


def test_gcp_malformed_bucket_facts_are_the_builders() -> None:
    from auditor.providers.gcp._normalize import malformed_bucket_facts

    facts = malformed_bucket_facts(ODD)
    assert facts == placeholder_facts("storage.bucket", ODD, exposure_of(GcpAdapter.data_dir),
                                      _everything)
    assert facts["tls_enforced.required"].state is FactState.OPAQUE
    assert facts["versioning.mfa_delete"].state is FactState.OPAQUE
    assert not set(facts) & CORE_DERIVED  # was error, set by the adapter


def _odd_entries() -> list[tuple[str, str, str]]:
    from auditor.providers.alibaba._odd_entries import KEEP_AS_UNVERIFIED

    return [(op, kind, member) for op, (kind, _, _, member) in KEEP_AS_UNVERIFIED.items()]


@pytest.mark.parametrize(("operation", "kind", "member"), _odd_entries(),
                         ids=[row[0] for row in _odd_entries()])
def test_alibaba_odd_resource_is_the_builders(operation: str, kind: str, member: str) -> None:
    from auditor.providers.alibaba._odd_entries import OddEntry, odd_resource

    entry = OddEntry(operation, {member: "x-odd"}, ODD)
    resource = odd_resource(entry, "cn-hangzhou", "1234", _everything)
    assert resource.kind == kind and resource.name == "x-odd"
    assert resource.facts == placeholder_facts(kind, ODD, exposure_of(AlibabaAdapter.data_dir),
                                               _everything)


def _aws_raw(kind: str, variant: str) -> Any:
    from auditor.providers.aws._storage_facts import Raw

    efs = "arn:aws:elasticfilesystem:eu-west-1:1:file-system/fs-0dd"
    item = {"storage.volume": {"VolumeId": "vol-0dd"},
            "storage.snapshot": {"SnapshotId": "snap-0dd", "DBSnapshotIdentifier": "s-odd",
                                 "DBSnapshotArn": ARN + "snapshot:s-odd",
                                 "DBClusterSnapshotIdentifier": "c-odd",
                                 "DBClusterSnapshotArn": ARN + "cluster-snapshot:c-odd"},
            "storage.filesystem": {"FileSystemId": "fs-0dd",
                                   "FileSystemArn": efs},
            "database.instance": {"DBInstanceIdentifier": "db-odd", "DBClusterIdentifier": "c-odd",
                                  "DBInstanceArn": ARN + "db:db-odd",
                                  "DBClusterArn": ARN + "cluster:c-odd"}}[kind]
    return Raw(kind, "eu-west-1", item, variant=variant, malformed=ODD)


AWS_SHAPES = [("storage.volume", ""), ("storage.snapshot", "ebs"), ("storage.snapshot", "db"),
              ("storage.snapshot", "cluster"), ("storage.filesystem", ""),
              ("database.instance", ""), ("database.instance", "cluster")]


@pytest.mark.parametrize(("kind", "variant"), AWS_SHAPES,
                         ids=[f"{k}-{v or 'plain'}" for k, v in AWS_SHAPES])
@pytest.mark.parametrize("asked", [None, "some"])
def test_aws_malformed_items_are_the_builders(kind: str, variant: str, asked: str | None) -> None:
    from auditor.providers.aws._kinds import Gathered, resources

    profile = exposure_of(AwsAdapter.data_dir)
    wanted = None if asked is None else frozenset(sorted(profile[kind])[1::2])
    request = CollectRequest(facts=None if wanted is None else {kind: wanted})
    gathered = Gathered(request, [_aws_raw(kind, variant)])
    (resource,) = resources(gathered, {}, "aws", "111122223333")
    assert resource.facts == placeholder_facts(
        kind, ODD, profile, _everything if wanted is None else wanted.__contains__)
    assert not set(resource.facts) & CORE_DERIVED
    if kind == "database.instance" and wanted is None:  # was left out (not collected)
        assert resource.facts["backup.replica_of"].state is FactState.ERROR


def test_the_profiles_are_where_the_adapters_read_them() -> None:
    for adapter in ADAPTERS.values():
        assert (Path(adapter.data_dir) / "exposure.yaml").is_file()
