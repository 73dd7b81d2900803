"""EBS volumes and snapshots, RDS databases and snapshots, EFS file systems on moto.

The demo estate's resources of the four kinds are collected through boto3 over moto (IAM
enforced, the scanner read-only) and every fact is the state the estate set up; a scan that
wants none of them sends no EC2, RDS or EFS call, and within a kind only the calls of the
wanted facts are sent.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_support import by_name, collect, mocked_estate

from auditor.model import FactState
from auditor.providers.base import Collection

VOLUME, SNAPSHOT = "storage.volume", "storage.snapshot"
FILESYSTEM, DATABASE = "storage.filesystem", "database.instance"
KIND_SERVICES = ("ec2:DescribeVolumes", "ec2:DescribeSnapshot", "rds:", "elasticfilesystem:")


@pytest.fixture(scope="module")
def estate(demo: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    with mocked_estate(demo, tmp_path_factory.mktemp("kinds")):
        yield demo


@pytest.fixture(scope="module")
def scanned(estate: dict[str, Any]) -> Collection:
    return collect({"region": estate["regions"]})


def _values(collection: Collection, kind: str, name: str) -> dict[str, Any]:
    resource = by_name(collection, kind)[name]
    unread = {p: f for p, f in resource.facts.items() if f.state is not FactState.OBSERVED}
    assert not unread, (name, unread)
    return {path: fact.value for path, fact in resource.facts.items()}


def test_volumes_encryption_custody_and_attachment(scanned: Collection) -> None:
    plain = _values(scanned, VOLUME, "demo-us-plain-volume")
    assert (plain["encryption.enabled"], plain["key_custody.level"]) == (False, "none")
    assert plain["attachment.attached"] is True and "key_rotation.enabled" not in plain
    cmek = _values(scanned, VOLUME, "demo-eu-cmek-volume")
    assert cmek["encryption.enabled"] and cmek["key_custody.level"] == "customer_kms"
    assert cmek["key_rotation.enabled"] is True and cmek["encryption.key_id"].startswith(
        "arn:aws:kms:eu-west-1:")
    loose = _values(scanned, VOLUME, "demo-eu-unattached-volume")
    assert loose["attachment.attached"] is False
    # eu-west-1 encrypts new volumes with its default key (account.ebs: eu-ebs, rotated)
    assert loose["encryption.enabled"] and loose["key_rotation.enabled"] is True
    assert plain["data_residency.jurisdiction"] == "US"
    assert cmek["data_residency.jurisdictions"] == ["EU"]


def test_ebs_snapshots_public_shared_private(scanned: Collection) -> None:
    public = _values(scanned, SNAPSHOT, "demo-us-public-snapshot")
    assert (public["public_exposure.is_public"], public["sharing.accounts"]) == (True, [])
    assert public["encryption.enabled"] is False
    shared = _values(scanned, SNAPSHOT, "demo-eu-shared-snapshot")
    assert (shared["public_exposure.is_public"], shared["sharing.accounts"]) == (
        False, ["210987654321"])
    # the snapshot of a CMEK volume is under the volume's key
    assert shared["encryption.key_id"] == _values(
        scanned, VOLUME, "demo-eu-cmek-volume")["encryption.key_id"]
    private = _values(scanned, SNAPSHOT, "demo-eu-private-snapshot")
    assert (private["public_exposure.is_public"], private["sharing.accounts"]) == (False, [])
    # only the account's own snapshots: none of moto's AMI snapshots
    ebs = [r for r in scanned.resources if r.kind == SNAPSHOT and ":snapshot/" in r.id]
    assert len(ebs) == 3


def test_rds_snapshots_restore_attribute(scanned: Collection) -> None:
    public = _values(scanned, SNAPSHOT, "demo-us-public-db-snapshot")
    assert public["public_exposure.is_public"] is True
    shared = _values(scanned, SNAPSHOT, "demo-eu-shared-db-snapshot")
    assert (shared["public_exposure.is_public"], shared["sharing.accounts"]) == (
        False, ["210987654321"])
    assert shared["key_custody.level"] == "customer_kms"
    cluster = _values(scanned, SNAPSHOT, "demo-eu-aurora-snapshot")
    assert (cluster["public_exposure.is_public"], cluster["sharing.accounts"]) == (False, [])
    automated = [r for r in scanned.resources if r.kind == SNAPSHOT and r.name.startswith("rds:")]
    assert automated
    # Aurora backs up the cluster, never its member instance (the stand-in answers so too)
    assert not [r for r in automated if r.name.startswith("rds:demo-eu-aurora-1-")]
    for resource in automated:  # private by rule: no attribute call was made for them
        fact = resource.facts["public_exposure.is_public"]
        assert fact.value is False and "automated" in fact.detail
    attribute_calls = scanned.run.api_calls.get("rds:DescribeDBSnapshotAttributes", 0) + \
        scanned.run.api_calls.get("rds:DescribeDBClusterSnapshotAttributes", 0)
    assert attribute_calls == 3  # the three manual snapshots


def test_databases(scanned: Collection) -> None:
    public = _values(scanned, DATABASE, "demo-us-public-db")
    assert public["public_exposure.is_public"] is True
    assert public["tls_enforced.required"] is False
    assert public["deletion_protection.enabled"] is False
    assert (public["backup.enabled"], public["backup.retention_days"]) == (True, 1)
    assert (public["encryption.enabled"], public["backup.encrypted"]) == (False, False)
    hardened = _values(scanned, DATABASE, "demo-eu-hardened-db")
    assert hardened["public_exposure.is_public"] is False
    assert hardened["tls_enforced.required"] is True
    assert hardened["deletion_protection.enabled"] is True
    assert hardened["backup.retention_days"] == 14 and hardened["backup.encrypted"] is True
    assert hardened["key_custody.level"] == "customer_kms"
    aurora = _values(scanned, DATABASE, "demo-eu-aurora")
    assert aurora["tls_enforced.required"] is True  # require_secure_transport=ON
    assert aurora["public_exposure.is_public"] is False
    assert "instance(s), none publicly" in by_name(scanned, DATABASE)["demo-eu-aurora"].facts[
        "public_exposure.is_public"].detail
    assert aurora["key_rotation.enabled"] is False  # eu-data-static does not rotate
    # the cluster's member instance is audited as the cluster, not on its own
    assert "demo-eu-aurora-1" not in by_name(scanned, DATABASE)
    # one DescribeDBParameters per parameter group, one DescribeDBClusterParameters
    assert scanned.run.api_calls["rds:DescribeDBParameters"] == 2
    assert scanned.run.api_calls["rds:DescribeDBClusterParameters"] == 1


def test_file_systems(scanned: Collection) -> None:
    hardened = _values(scanned, FILESYSTEM, "demo-eu-efs-hardened")
    assert hardened["tls_enforced.required"] is True and hardened["encryption.enabled"]
    assert by_name(scanned, FILESYSTEM)["demo-eu-efs-hardened"].facts[
        "tls_enforced.required"].basis == "derived"
    open_fs = _values(scanned, FILESYSTEM, "demo-us-efs-open")
    assert (open_fs["tls_enforced.required"], open_fs["encryption.enabled"]) == (False, False)


def test_a_bucket_scan_sends_no_ec2_rds_or_efs_call(estate: dict[str, Any]) -> None:
    collection = collect({"region": estate["regions"]},
                         {"storage.bucket": {"encryption.enabled", "key_custody.level"}})
    sent = [op for op in collection.run.api_calls if op.startswith(KIND_SERVICES)]
    assert not sent
    assert {r.kind for r in collection.resources} == {"storage.bucket"}


def test_only_the_calls_of_the_wanted_facts(estate: dict[str, Any]) -> None:
    collection = collect({"region": estate["regions"]}, {
        SNAPSHOT: {"encryption.enabled"}, DATABASE: {"deletion_protection.enabled"},
        FILESYSTEM: {"encryption.enabled"}})
    calls = collection.run.api_calls
    for op in ("ec2:DescribeSnapshotAttribute", "rds:DescribeDBSnapshotAttributes",
               "rds:DescribeDBParameters", "rds:DescribeDBClusterParameters",
               "elasticfilesystem:DescribeFileSystemPolicy", "kms:DescribeKey",
               "ec2:DescribeVolumes"):
        assert op not in calls, op
    assert calls["ec2:DescribeSnapshots"] == len(estate["regions"])
    for resource in collection.resources:
        assert set(resource.facts) <= {"encryption.enabled", "deletion_protection.enabled"}
