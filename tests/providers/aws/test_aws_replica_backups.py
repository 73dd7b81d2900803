"""RDS read replicas and their own automated backups, served by the answer stand to real
boto3 clients and decided by the shipped backup checks. RDS documents automated backups on
the read replicas of MariaDB, MySQL, PostgreSQL and Db2 (User Guide, "Differences between
read replicas for DB engines"), off unless set: BackupRetentionPeriod is the replica's own.
A replica at 0 has none (its source's restore the data): NOT_APPLICABLE, saying so; one
above 0 is judged as any instance; one whose retention is unreadable is UNVERIFIED.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from answer_samples_kinds import BODIES
from answer_stand import REGION, running_stand, xml
from aws_support import collect

from auditor.providers._runtime import RetryPolicy

RETRY = RetryPolicy(max_attempts=1)
_INSTANCES = BODIES["rds:DescribeDBInstances"]
_RETENTION = "<BackupRetentionPeriod>7</BackupRetentionPeriod>"
CHECKS = ("database-backup-retention", "database-backups-encrypted")


def _replica(retention: str, field: str = "ReadReplicaSourceDBInstanceIdentifier") -> str:
    """sample-db (postgres) as a read replica of source-db with ``retention`` as its own
    BackupRetentionPeriod element ("" leaves it out)."""
    return _INSTANCES.replace(_RETENTION, f"{retention}<{field}>source-db</{field}>", 1)


def _decided(tmp: Path, body: str) -> tuple[Any, list[tuple[str, str]]]:
    """sample-db's backup.replica_of fact, and each backup check's (status, message)."""
    from auditor.checks import compile_check, load_checks
    from auditor.engine import evaluate_one

    checks = [compile_check(c) for c in load_checks() if c.id in CHECKS]
    paths = {p for c in checks for p in (*c.check.reads, *c.check.context)}
    with running_stand(tmp) as stand:
        stand.answer("rds:DescribeDBInstances", xml(body))
        collection = collect({"region": [REGION]}, {"database.instance": paths}, retry=RETRY)
    db = next(r for r in collection.resources if r.id.endswith(":sample-db"))
    return db.facts.get("backup.replica_of"), [
        (s.value, m) for s, m in (evaluate_one(c, db) for c in checks)]


_OF_SOURCE = "its backups are its source's"
# (row id, DescribeDBInstances answer, backup.replica_of value, statuses, words in each message)
ROWS = [
    # No ReadReplicaSource*: a primary, replica_of null, both checks decide.
    ("primary", _INSTANCES, None, ["PASS", "PASS"], ["", ""]),
    # A replica at 0: none of its own. NOT_APPLICABLE, and the message says why.
    ("replica-none-own", _replica("<BackupRetentionPeriod>0</BackupRetentionPeriod>"),
     "source-db", ["NOT_APPLICABLE", "NOT_APPLICABLE"], [_OF_SOURCE, _OF_SOURCE]),
    ("cluster-replica-none-own", _replica("<BackupRetentionPeriod>0</BackupRetentionPeriod>",
                                          "ReadReplicaSourceDBClusterIdentifier"),
     "source-db", ["NOT_APPLICABLE", "NOT_APPLICABLE"], [_OF_SOURCE, _OF_SOURCE]),
    # A replica keeping backups of its own (documented for postgres replicas): judged.
    ("replica-own-7-days", _replica(_RETENTION), "source-db", ["PASS", "PASS"], ["", ""]),
    ("replica-own-3-days", _replica("<BackupRetentionPeriod>3</BackupRetentionPeriod>"),
     "source-db", ["FAIL", "PASS"], ["expected at least 7", ""]),
    # No BackupRetentionPeriod: whether it keeps backups is not known, never NOT_APPLICABLE.
    ("replica-retention-absent", _replica(""), "source-db", ["UNVERIFIED", "PASS"],
     ["no integer BackupRetentionPeriod", ""]),
]


@pytest.mark.parametrize(("body", "source", "statuses", "words"), [r[1:] for r in ROWS],
                         ids=[r[0] for r in ROWS])
def test_a_replica_is_judged_on_its_own_backups_or_says_whose_they_are(
        tmp_path: Path, body: str, source: str | None, statuses: list[str],
        words: list[str]) -> None:
    replica_of, decided = _decided(tmp_path, body)
    assert (replica_of.state.value, replica_of.value) == ("observed", source)
    assert [status for status, _ in decided] == statuses
    for (_, message), word in zip(decided, words, strict=True):
        assert word in message
