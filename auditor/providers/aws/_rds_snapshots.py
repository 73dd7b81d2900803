"""RDS DB snapshots and DB cluster snapshots: the listings carry encryption and key; who may
restore one is its ``restore`` attribute (DescribeDBSnapshotAttributes,
DescribeDBClusterSnapshotAttributes), read per manual snapshot. Automated snapshots cannot be
shared (Amazon RDS User Guide, "Sharing a DB snapshot": copy one to share it), so they are
private with no call.
"""

from __future__ import annotations

from typing import Any

from auditor.providers.aws._errors import Caller
from auditor.providers.aws._kms import KeyInfo
from auditor.providers.aws._listing import RDS, list_raws
from auditor.providers.aws._session import AwsSession
from auditor.providers.aws._storage_facts import (
    Facts,
    Raw,
    at_rest,
    private_by_rule,
    sharing_facts,
)

SNAPSHOT = "storage.snapshot"
DESCRIBE_SNAPSHOTS = "rds:DescribeDBSnapshots"
DESCRIBE_CLUSTER_SNAPSHOTS = "rds:DescribeDBClusterSnapshots"
SNAPSHOT_ATTRIBUTES = "rds:DescribeDBSnapshotAttributes"
CLUSTER_SNAPSHOT_ATTRIBUTES = "rds:DescribeDBClusterSnapshotAttributes"
_DB, _CLUSTER = "db", "cluster"
# variant -> (listing op, its list, id member, ARN member, encryption flag, attribute call,
# method, result member, attributes member)
_SHAPES = {
    _DB: (DESCRIBE_SNAPSHOTS, "DBSnapshots", "DBSnapshotIdentifier", "DBSnapshotArn",
         "Encrypted", SNAPSHOT_ATTRIBUTES, "describe_db_snapshot_attributes",
         "DBSnapshotAttributesResult", "DBSnapshotAttributes"),
    _CLUSTER: (DESCRIBE_CLUSTER_SNAPSHOTS, "DBClusterSnapshots", "DBClusterSnapshotIdentifier",
               "DBClusterSnapshotArn", "StorageEncrypted", CLUSTER_SNAPSHOT_ATTRIBUTES,
               "describe_db_cluster_snapshot_attributes", "DBClusterSnapshotAttributesResult",
               "DBClusterSnapshotAttributes"),
}


def snapshots(session: AwsSession, caller: Caller, region: str) -> list[Raw]:
    """The account's own DB snapshots and DB cluster snapshots (not those shared with it)."""
    client = session.client("rds", region)
    out = []
    for variant, method in ((_DB, "describe_db_snapshots"),
                            (_CLUSTER, "describe_db_cluster_snapshots")):
        op, items = _SHAPES[variant][:2]
        out += list_raws(caller, client, method, op, items, RDS, SNAPSHOT, region, variant)
    return out


def shareable(raw: Raw) -> bool:
    return raw.item.get("SnapshotType") != "automated"


def read_restore(session: AwsSession, caller: Caller, raw: Raw) -> Raw:
    _, _, id_member, _, _, op, method, _, _ = _SHAPES[raw.variant]
    identifier = raw.item[id_member]
    raw.calls["restore"] = caller.call(session.client("rds", raw.region), method, op,
                                       identifier, **{id_member: identifier})
    return raw


def arn(raw: Raw) -> str:
    return str(raw.item.get(_SHAPES[raw.variant][3]) or "")


def name(raw: Raw) -> str:
    return str(raw.item.get(_SHAPES[raw.variant][2]) or arn(raw))


def _restore_reader(variant: str) -> Any:
    result, attributes = _SHAPES[variant][7:]

    def read(value: dict[str, Any]) -> tuple[bool, list[str]]:
        # The answer always carries the restore attribute (its values empty when private);
        # an answer without one says nothing of who may restore the snapshot.
        restore = [a for a in (value.get(result) or {}).get(attributes) or []
                   if a.get("AttributeName") == "restore"]
        if not restore:
            raise ValueError(f"{result} names no restore attribute")
        values = [str(v) for a in restore for v in a.get("AttributeValues") or []]
        return "all" in values, [v for v in values if v != "all"]

    return read


def snapshot_facts(raw: Raw, keys: dict[tuple[str, str], KeyInfo], facts: Facts) -> None:
    op, _, _, _, flag, *_ = _SHAPES[raw.variant]
    at_rest(raw, op, keys, facts, flag)
    if "restore" in raw.calls:
        sharing_facts(raw.calls["restore"], _restore_reader(raw.variant), facts,
                      public_via="restore attribute all")
    elif not shareable(raw) and facts.wants("public_exposure.is_public", "sharing.accounts"):
        private_by_rule(op, "an automated snapshot cannot be shared or made public", facts)
