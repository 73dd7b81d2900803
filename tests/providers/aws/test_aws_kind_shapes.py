"""Answer shapes the moto estate never produces, served by the answer stand to real boto3
clients: each row changes one documented field of a sample answer and says what the fact
must be. A value the reference does not name, or a setting not yet in effect, is an error
(UNVERIFIED), never a PASS or a FAIL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from answer_samples_kinds import BODIES
from answer_stand import REGION, running_stand, xml
from aws_support import collect

from auditor.model import FactState
from auditor.providers._runtime import RetryPolicy

RETRY = RetryPolicy(max_attempts=1)
OBSERVED, ERROR = FactState.OBSERVED, FactState.ERROR
_INSTANCES = BODIES["rds:DescribeDBInstances"]
_CLUSTERS = BODIES["rds:DescribeDBClusters"]
_MEMBER = "<IsClusterWriter>true</IsClusterWriter>"


def _facts(tmp: Path, kind: str, path: str, answers: dict[str, str]) -> dict[str, Any]:
    """The ``path`` fact of every ``kind`` resource, by its short id."""
    with running_stand(tmp) as stand:
        for operation, body in answers.items():
            stand.answer(operation, xml(body))
        collection = collect({"region": [REGION]}, {kind: {path}}, retry=RETRY)
    return {r.id.rsplit("/", 1)[-1].rsplit(":", 1)[-1]: r.facts[path]
            for r in collection.resources if r.kind == kind}


def _aurora_member(old: str, new: str) -> str:
    """The instance listing with ``old`` replaced in the Aurora member instance only."""
    head, tail = _INSTANCES.split("<DBInstanceIdentifier>sample-aurora-1", 1)
    return head + "<DBInstanceIdentifier>sample-aurora-1" + tail.replace(old, new, 1)


def _parameter(value: str) -> str:
    return BODIES["rds:DescribeDBParameters"].replace(
        "<ParameterValue>1</ParameterValue>", f"<ParameterValue>{value}</ParameterValue>")


# (row id, answers changed, resource, state, value, words of the detail)
TLS_ROWS = [
    # DBParameterGroupStatus.ParameterApplyStatus: in-sync is the one status whose group
    # values are the running ones (RDS API Reference, DBParameterGroupStatus).
    ("instance-in-sync", {}, "sample-db", OBSERVED, True, "rds.force_ssl=1"),
    ("instance-pending-reboot", {"rds:DescribeDBInstances": _INSTANCES.replace(
        "in-sync", "pending-reboot", 1)}, "sample-db", ERROR, None, "pending-reboot"),
    ("instance-applying", {"rds:DescribeDBInstances": _INSTANCES.replace(
        "in-sync", "applying", 1)}, "sample-db", ERROR, None, "applying"),
    ("instance-failed-to-apply", {"rds:DescribeDBInstances": _INSTANCES.replace(
        "in-sync", "failed-to-apply", 1)}, "sample-db", ERROR, None, "failed-to-apply"),
    # DBClusterMember.DBClusterParameterGroupStatus, the same statuses for a cluster's group.
    ("cluster-member-in-sync", {"rds:DescribeDBClusters": _CLUSTERS.replace(
        _MEMBER, _MEMBER + "<DBClusterParameterGroupStatus>in-sync"
        "</DBClusterParameterGroupStatus>")}, "sample-aurora", OBSERVED, False,
     "require_secure_transport=OFF"),
    ("cluster-member-pending-reboot", {"rds:DescribeDBClusters": _CLUSTERS.replace(
        _MEMBER, _MEMBER + "<DBClusterParameterGroupStatus>pending-reboot"
        "</DBClusterParameterGroupStatus>")}, "sample-aurora", ERROR, None, "pending-reboot"),
    # Parameter.ParameterValue of rds.force_ssl takes 0 or 1; another spelling is neither.
    ("force-ssl-0", {"rds:DescribeDBParameters": _parameter("0")}, "sample-db", OBSERVED,
     False, "rds.force_ssl=0"),
    ("force-ssl-true", {"rds:DescribeDBParameters": _parameter("true")}, "sample-db", ERROR,
     None, "neither on nor off"),
    ("force-ssl-2", {"rds:DescribeDBParameters": _parameter("2")}, "sample-db", ERROR, None,
     "neither on nor off"),
]


@pytest.mark.parametrize(("answers", "resource", "state", "value", "words"),
                         [row[1:] for row in TLS_ROWS], ids=[row[0] for row in TLS_ROWS])
def test_database_tls_from_the_group_in_effect(tmp_path: Path, answers: dict[str, str],
                                               resource: str, state: FactState, value: Any,
                                               words: str) -> None:
    fact = _facts(tmp_path, "database.instance", "tls_enforced.required", answers)[resource]
    assert (fact.state, fact.value) == (state, value)
    assert words in fact.detail


PUBLIC_ROWS = [
    # DBInstance.PubliclyAccessible of each member decides an Aurora cluster's exposure.
    ("member-private", _INSTANCES, OBSERVED, False, "none publicly accessible"),
    ("member-public", _aurora_member("<PubliclyAccessible>false", "<PubliclyAccessible>true"),
     OBSERVED, True, "sample-aurora-1"),
    ("member-without-flag", _aurora_member(
        "<PubliclyAccessible>false</PubliclyAccessible>", ""), ERROR, None,
     "no boolean PubliclyAccessible"),
]


@pytest.mark.parametrize(("instances", "state", "value", "words"),
                         [row[1:] for row in PUBLIC_ROWS], ids=[row[0] for row in PUBLIC_ROWS])
def test_an_aurora_cluster_is_public_only_from_its_members_flags(
        tmp_path: Path, instances: str, state: FactState, value: Any, words: str) -> None:
    fact = _facts(tmp_path, "database.instance", "public_exposure.is_public",
                  {"rds:DescribeDBInstances": instances})["sample-aurora"]
    assert (fact.state, fact.value) == (state, value)
    assert words in fact.detail


_ATTRIBUTES = BODIES["rds:DescribeDBSnapshotAttributes"]
_RESTORE = _ATTRIBUTES[_ATTRIBUTES.index("<DBSnapshotAttributes>"):
                       _ATTRIBUTES.index("</DBSnapshotAttributes>") + 23]
SNAPSHOT_ROWS = [
    # DBSnapshotAttributesResult.DBSnapshotAttributes: the restore attribute lists "all" or
    # the accounts that may restore (none: private). Without it nothing is said.
    ("restore-account", _ATTRIBUTES, OBSERVED, False),
    ("restore-all", _ATTRIBUTES.replace("210987654321", "all"), OBSERVED, True),
    ("no-attributes", _ATTRIBUTES.replace(_RESTORE, ""), ERROR, None),
    ("other-attribute-only", _ATTRIBUTES.replace("<AttributeName>restore",
                                                 "<AttributeName>copy"), ERROR, None),
]


@pytest.mark.parametrize(("body", "state", "value"), [row[1:] for row in SNAPSHOT_ROWS],
                         ids=[row[0] for row in SNAPSHOT_ROWS])
def test_a_db_snapshot_is_private_only_when_its_restore_attribute_says_so(
        tmp_path: Path, body: str, state: FactState, value: Any) -> None:
    fact = _facts(tmp_path, "storage.snapshot", "public_exposure.is_public",
                  {"rds:DescribeDBSnapshotAttributes": body})["sample-db-snapshot"]
    assert (fact.state, fact.value) == (state, value)
    if state is ERROR:
        assert "no restore attribute" in fact.detail


_VOLUMES = BODIES["ec2:DescribeVolumes"]
_ATTACHMENT = _VOLUMES[_VOLUMES.index("<attachmentSet>"):
                       _VOLUMES.index("</attachmentSet>") + 16]
VOLUME_ROWS = [
    # Volume.State (creating | available | in-use | deleting | deleted | error) and
    # VolumeAttachment.State (attaching | attached | detaching | detached | busy).
    ("attached", _VOLUMES, OBSERVED, True, "i-1234567890abcdef0"),
    ("detached-available", _VOLUMES.replace("<status>attached</status>",
                                            "<status>detached</status>").replace(
        "<status>in-use</status>", "<status>available</status>"), OBSERVED, False,
     "no instance holds it"),
    ("unnamed-attachment-state", _VOLUMES.replace("<status>attached</status>",
                                                  "<status>suspended</status>"), ERROR, None,
     "state suspended"),
    ("in-use-without-attachment", _VOLUMES.replace(_ATTACHMENT, ""), ERROR, None,
     "in-use"),
    ("attached-without-instance", _VOLUMES.replace(
        "<instanceId>i-1234567890abcdef0</instanceId>", "").replace(
        "<status>in-use</status>", "<status>available</status>"), ERROR, None,
     "no InstanceId"),
]


@pytest.mark.parametrize(("body", "state", "value", "words"),
                         [row[1:] for row in VOLUME_ROWS], ids=[row[0] for row in VOLUME_ROWS])
def test_a_volume_is_attached_only_as_its_attachments_say(
        tmp_path: Path, body: str, state: FactState, value: Any, words: str) -> None:
    fact = _facts(tmp_path, "storage.volume", "attachment.attached",
                  {"ec2:DescribeVolumes": body})["vol-1234567890abcdef0"]
    assert (fact.state, fact.value) == (state, value)
    assert words in fact.detail


def _backup_statuses(tmp: Path, answers: dict[str, str]) -> dict[str, tuple[Any, ...]]:
    """Per database: its backup facts, and what database-backup-retention and
    database-backups-encrypted decide on them."""
    from auditor.checks import compile_check, load_checks
    from auditor.engine import evaluate_one

    checks = [compile_check(c) for c in load_checks()
              if c.id in ("database-backup-retention", "database-backups-encrypted")]
    paths = {p for c in checks for p in c.check.reads}
    with running_stand(tmp) as stand:
        for operation, body in answers.items():
            stand.answer(operation, xml(body))
        collection = collect({"region": [REGION]}, {"database.instance": paths}, retry=RETRY)
    return {r.id.rsplit(":", 1)[-1]: (sorted(paths & set(r.facts)),
                                      [evaluate_one(c, r)[0].value for c in checks])
            for r in collection.resources if r.kind == "database.instance"}


def _replica(field: str) -> dict[str, str]:
    return {"rds:DescribeDBInstances": _INSTANCES.replace(
        "<BackupRetentionPeriod>7</BackupRetentionPeriod>",
        f"<BackupRetentionPeriod>0</BackupRetentionPeriod><{field}>source-db</{field}>", 1)}


BACKUP_PATHS = ["backup.enabled", "backup.encrypted", "backup.retention_days"]
# (row id, answers changed, sample-db's backup facts, the two checks' statuses on it)
REPLICA_ROWS = [
    # DBInstance.BackupRetentionPeriod 7 on a primary: both checks decide.
    ("primary", {}, BACKUP_PATHS, ["PASS", "PASS"]),
    # DBInstance.ReadReplicaSourceDBInstanceIdentifier (ReadReplicaSourceDBClusterIdentifier
    # for a replica of a cluster): a read replica, whose source's backups restore the data;
    # its own BackupRetentionPeriod 0 is no FAIL.
    ("instance-replica", _replica("ReadReplicaSourceDBInstanceIdentifier"), [],
     ["NOT_APPLICABLE", "NOT_APPLICABLE"]),
    ("cluster-replica", _replica("ReadReplicaSourceDBClusterIdentifier"), [],
     ["NOT_APPLICABLE", "NOT_APPLICABLE"]),
]


@pytest.mark.parametrize(("answers", "paths", "statuses"), [row[1:] for row in REPLICA_ROWS],
                         ids=[row[0] for row in REPLICA_ROWS])
def test_a_read_replica_is_no_backup_failure(tmp_path: Path, answers: dict[str, str],
                                             paths: list[str], statuses: list[str]) -> None:
    decided = _backup_statuses(tmp_path, answers)
    assert decided["sample-db"] == (paths, statuses)
    assert decided["sample-aurora"][0] == BACKUP_PATHS  # the cluster is read as ever
