"""A Cloud SQL read replica's backup checks through the real client against the stand-in
(the listing answer changed by the answer proxy): Cloud SQL takes no backups of a read
replica (DatabaseInstance.instanceType READ_REPLICA_INSTANCE, of masterInstanceName), so
both checks are NOT_APPLICABLE and say why (backup.replica_of); a primary's replica_of is
null and its checks decide.
"""

from __future__ import annotations

from typing import Any

import pytest
from answer_proxy import AnswerProxy, in_item
from gcp_support import fast_adapter, resources

from auditor.providers.base import CollectRequest

SQL = "sqladmin.instances.list"
CHECKS = ("database-backup-retention", "database-backups-encrypted")
_OF_SOURCE = "its backups are its source's"


def _replica(item: dict[str, Any]) -> None:
    item.update(instanceType="READ_REPLICA_INSTANCE", masterInstanceName="k:db1")
    item["settings"]["backupConfiguration"]["enabled"] = False


# (row id, the change to db0's listing entry, its backup.replica_of, statuses, message words)
ROWS = [
    ("primary", lambda item: None, None, ["PASS", "PASS"], ["", ""]),
    ("read-replica", _replica, "k:db1", ["NOT_APPLICABLE", "NOT_APPLICABLE"],
     [_OF_SOURCE, _OF_SOURCE]),
]


@pytest.mark.parametrize(("change", "source", "statuses", "words"), [r[1:] for r in ROWS],
                         ids=[r[0] for r in ROWS])
def test_a_sql_replica_says_whose_backups_restore_it(make_sandbox, change: Any,
                                                     source: str | None, statuses: list[str],
                                                     words: list[str]) -> None:
    from auditor.checks import compile_check, load_checks
    from auditor.engine import evaluate_one

    checks = [compile_check(c) for c in load_checks() if c.id in CHECKS]
    box = make_sandbox({"projects": [{
        "id": "k", "number": "5",
        "key_rings": [{"name": "r", "location": "us", "keys": [{"name": "k"}]}],
        "sql_instances": [{"name": "db0", "backups": {"enabled": True}},
                          {"name": "db1", "backups": {"enabled": True}}]}]})
    proxy = AnswerProxy(box).on(SQL, in_item("db0", change))
    try:
        collection = fast_adapter().collect(CollectRequest(
            options=proxy.scan_options(), facts={"database.instance": frozenset(
                p for c in checks for p in (*c.check.reads, *c.check.context))}))
    finally:
        proxy.stop()
    db = resources(collection, "database.instance")["db0"]
    assert db.facts["backup.replica_of"].value == source
    decided = [evaluate_one(c, db) for c in checks]
    assert [s.value for s, _ in decided] == statuses
    for (_, message), word in zip(decided, words, strict=True):
        assert word in message
