"""ApsaraDB RDS read-only (Readonly) and disaster-recovery (Guard) instances through the real
OpenAPI client against the RDS stand-in. DescribeDBInstances DBInstance[].DBInstanceType
names them and MasterInstanceId their primary; they have no backup policy of their own, so
DescribeBackupPolicy is not called for them (a request saved per such instance) and both
backup checks are NOT_APPLICABLE, saying why (backup.replica_of). A primary is read and
judged as ever.
"""

from __future__ import annotations

from typing import Any

import pytest
from alibaba_support import ACCOUNT, KEYS, b, scan
from storage_support import HZ, by_name

DATABASE = "database.instance"
BACKUP_POLICY = "rds:DescribeBackupPolicy"
CHECKS = ("database-backup-retention", "database-backups-encrypted")
_OF_SOURCE = "its backups are its source's"

# (row id, DBInstanceType, MasterInstanceId, backup.replica_of, statuses, policy requests)
ROWS = [
    ("primary", "Primary", None, None, ["PASS", "FAIL"], 1),
    ("read-only", "Readonly", "rm-primary", "rm-primary",
     ["NOT_APPLICABLE", "NOT_APPLICABLE"], 0),
    ("guard", "Guard", "rm-primary", "rm-primary", ["NOT_APPLICABLE", "NOT_APPLICABLE"], 0),
    # An older reference spells the response value ReadOnly: the same read-only instance.
    ("read-only-older-spelling", "ReadOnly", "rm-primary", "rm-primary",
     ["NOT_APPLICABLE", "NOT_APPLICABLE"], 0),
    # MasterInstanceId left out of the entry: still a replica, its primary unnamed.
    ("read-only-unnamed-primary", "Readonly", None, "(unnamed primary)",
     ["NOT_APPLICABLE", "NOT_APPLICABLE"], 0),
]


@pytest.mark.parametrize(("instance_type", "master", "source", "statuses", "policy_calls"),
                         [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_a_replica_is_not_asked_for_a_backup_policy_and_says_why(
        make_ali_sandbox: Any, instance_type: str, master: str | None, source: str | None,
        statuses: list[str], policy_calls: int) -> None:
    from auditor.checks import compile_check, load_checks
    from auditor.engine import evaluate_one

    checks = [compile_check(c) for c in load_checks() if c.id in CHECKS]
    spec = {"id": "rm-x", "region": HZ, "engine": "MySQL", "instance_type": instance_type,
            "backup_period": "Monday,Thursday", **({"master": master} if master else {})}
    box = make_ali_sandbox({"account": ACCOUNT, "keys": KEYS, "buckets": [b("anchor")],
                            "db_instances": [spec]})
    wanted = frozenset(p for c in checks for p in (*c.check.reads, *c.check.context))
    collection, requests = scan(box, {DATABASE: wanted})
    db = by_name(collection, DATABASE)["rm-x"]
    assert db.facts["backup.replica_of"].value == source
    decided = [evaluate_one(c, db) for c in checks]
    assert [s.value for s, _ in decided] == statuses
    if source is not None:
        assert all(_OF_SOURCE in message for _, message in decided)
    assert sum(r.action == BACKUP_POLICY for r in requests) == policy_calls
