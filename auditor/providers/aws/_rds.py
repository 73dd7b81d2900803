"""RDS DB instances and DB clusters (Aurora, Multi-AZ): DescribeDBInstances and
DescribeDBClusters carry encryption, key, public access, deletion protection and backup
retention; whether the server refuses plain connections is a parameter of the instance's DB
parameter group (or the cluster's DB cluster parameter group), read once per group.

Sources: Amazon RDS API Reference (DBInstance, DBCluster, Parameter); Amazon RDS User Guide,
"Using SSL/TLS to encrypt a connection to a DB instance or cluster" (rds.force_ssl for
PostgreSQL and SQL Server, require_secure_transport for MySQL and MariaDB, both in the DB
cluster parameter group for Aurora) and "Encrypting Amazon RDS resources" (an encrypted DB
instance's automated backups, read replicas and snapshots are encrypted with its key).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.model import Fact
from auditor.providers._runtime import Outcome
from auditor.providers.aws._errors import Caller
from auditor.providers.aws._kms import KeyInfo
from auditor.providers.aws._listing import RDS, list_all, list_raws
from auditor.providers.aws._session import AwsSession
from auditor.providers.aws._storage_facts import Facts, Raw, at_rest

DATABASE = "database.instance"
DESCRIBE_INSTANCES = "rds:DescribeDBInstances"
DESCRIBE_CLUSTERS = "rds:DescribeDBClusters"
DESCRIBE_PARAMETERS = "rds:DescribeDBParameters"
DESCRIBE_CLUSTER_PARAMETERS = "rds:DescribeDBClusterParameters"
# engine -> the parameter that makes the server refuse connections without TLS, and the
# values that turn it on (MySQL 8 groups take 0/1, MySQL 5.7 groups ON/OFF); any value
# outside on and _TLS_OFF is read as neither.
_FORCE_SSL = ("rds.force_ssl", frozenset({"1"}))
_SECURE_TRANSPORT = ("require_secure_transport", frozenset({"1", "on"}))
_TLS_PARAMETERS: dict[str, tuple[str, frozenset[str]]] = {
    "postgres": _FORCE_SSL, "aurora-postgresql": _FORCE_SSL, "sqlserver": _FORCE_SSL,
    "mysql": _SECURE_TRANSPORT, "mariadb": _SECURE_TRANSPORT, "aurora-mysql": _SECURE_TRANSPORT,
}
_TLS_OFF = frozenset({"0", "off"})
# DBParameterGroupStatus.ParameterApplyStatus (and DBClusterMember.
# DBClusterParameterGroupStatus): only in-sync says the group's values are the ones running;
# pending-reboot, applying, failed-to-apply, pending-database-upgrade say they are not yet.
_IN_SYNC = "in-sync"


def tls_parameter(engine: str) -> tuple[str, frozenset[str]] | None:
    family = "sqlserver" if engine.startswith("sqlserver-") else engine
    return _TLS_PARAMETERS.get(family)


@dataclass(frozen=True, slots=True)
class Group:
    """A parameter group to read once: (region, name, of a cluster)."""

    region: str
    name: str
    cluster: bool


def instances(session: AwsSession, caller: Caller, region: str) -> list[Raw]:
    return list_raws(caller, session.client("rds", region), "describe_db_instances",
                     DESCRIBE_INSTANCES, "DBInstances", RDS, DATABASE, region)


def clusters(session: AwsSession, caller: Caller, region: str) -> list[Raw]:
    return list_raws(caller, session.client("rds", region), "describe_db_clusters",
                     DESCRIBE_CLUSTERS, "DBClusters", RDS, DATABASE, region, "cluster")


def is_cluster(raw: Raw) -> bool:
    return raw.variant == "cluster"


def group_of(raw: Raw) -> Group | None:
    """The parameter group that holds the resource's TLS parameter (None: no such group)."""
    if is_cluster(raw):
        name = raw.item.get("DBClusterParameterGroup")
        return Group(raw.region, str(name), True) if name else None
    groups = raw.item.get("DBParameterGroups") or []
    name = groups[0].get("DBParameterGroupName") if groups else None
    return Group(raw.region, str(name), False) if name else None


def apply_statuses(raw: Raw) -> list[str]:
    """The apply status of the resource's parameter group, as each answer element names it
    (none when the answer leaves it out)."""
    if is_cluster(raw):
        found = [(m or {}).get("DBClusterParameterGroupStatus")
                 for m in raw.item.get("DBClusterMembers") or []]
    else:
        found = [(g or {}).get("ParameterApplyStatus")
                 for g in (raw.item.get("DBParameterGroups") or [])[:1]]
    return [str(status) for status in found if status is not None]


def read_group(session: AwsSession, caller: Caller, group: Group) -> tuple[Group, Outcome]:
    """Every parameter of one group, as one outcome (its value: name -> parameter)."""
    client = session.client("rds", group.region)
    if group.cluster:
        listed = list_all(caller, client, "describe_db_cluster_parameters",
                          DESCRIBE_CLUSTER_PARAMETERS, group.name, "Parameters", RDS,
                          listing=False, DBClusterParameterGroupName=group.name)
    else:
        listed = list_all(caller, client, "describe_db_parameters", DESCRIBE_PARAMETERS,
                          group.name, "Parameters", RDS, listing=False,
                          DBParameterGroupName=group.name)
    if not listed.complete:
        return group, listed.answer
    by_name = {str(p["ParameterName"]): p for p in listed.items if p.get("ParameterName")}
    return group, Outcome(listed.answer.source, by_name)


def members(raw: Raw) -> list[str]:
    return [str(m["DBInstanceIdentifier"]) for m in raw.item.get("DBClusterMembers") or []
            if m.get("DBInstanceIdentifier")]


def arn(raw: Raw) -> str:
    return str(raw.item.get("DBClusterArn" if is_cluster(raw) else "DBInstanceArn") or "")


def name(raw: Raw) -> str:
    return str(raw.item.get("DBClusterIdentifier" if is_cluster(raw)
                            else "DBInstanceIdentifier") or arn(raw))


def _tls(raw: Raw, groups: dict[Group, Outcome], facts: Facts) -> None:
    if not facts.wants("tls_enforced.required"):
        return
    op = DESCRIBE_CLUSTERS if is_cluster(raw) else DESCRIBE_INSTANCES
    engine = str(raw.item.get("Engine") or "")
    rule, group = tls_parameter(engine), group_of(raw)
    if rule is None:
        where = ("an option group (the SSL option), which this adapter does not read"
                 if engine.startswith(("oracle", "custom-oracle", "db2")) else
                 "no parameter this adapter reads")
        facts.put("tls_enforced.required", Fact.error(
            f"engine {engine!r}: whether the server refuses plain connections is set in "
            f"{where}", op))
        return
    parameter, on = rule
    answer = groups.get(group) if group else None
    if group is None or answer is None:
        facts.put("tls_enforced.required", Fact.error("the answer names no parameter group", op))
        return
    pending = sorted({s for s in apply_statuses(raw) if s != _IN_SYNC})
    if pending:
        facts.put("tls_enforced.required", Fact.error(
            f"parameter group {group.name} is {', '.join(pending)}: its values are not the "
            "ones the server runs", op))
        return
    if not answer.ok:
        facts.put("tls_enforced.required", answer.failure(op))
        return
    found = (answer.value or {}).get(parameter)
    value = (found or {}).get("ParameterValue")
    if value is None:
        facts.put("tls_enforced.required", Fact.error(
            f"parameter group {group.name} lists no value of {parameter}", answer.source, op))
        return
    spelled = str(value).strip().lower()
    if spelled not in on | _TLS_OFF:
        facts.put("tls_enforced.required", Fact.error(
            f"{parameter}={value!r} in {group.name} is neither on nor off", answer.source, op))
        return
    required = spelled in on
    facts.put("tls_enforced.required", Fact.observed(
        required, answer.source, op, detail=f"{parameter}={value} in {group.name}"))


def _public(raw: Raw, listed: dict[tuple[str, str], Raw], facts: Facts) -> None:
    item = raw.item
    # PubliclyAccessible of a DBCluster is "only for non-Aurora Multi-AZ DB clusters".
    aurora = str(item.get("Engine") or "").startswith("aurora")
    if not is_cluster(raw) or not aurora:
        op = DESCRIBE_CLUSTERS if is_cluster(raw) else DESCRIBE_INSTANCES
        value = item.get("PubliclyAccessible")
        facts.put("public_exposure.is_public", Fact.observed(
            value, op, detail="PubliclyAccessible: the endpoint resolves to a public address "
                              "(security groups not evaluated)" if value else None)
            if isinstance(value, bool) else Fact.error("no boolean PubliclyAccessible", op))
        return
    # An Aurora cluster is reachable through its instances: public when any of them is.
    ops = (DESCRIBE_CLUSTERS, DESCRIBE_INSTANCES)
    found = {m: listed.get((raw.region, m)) for m in members(raw)}
    missing = sorted(m for m, member in found.items() if member is None)
    if missing:
        facts.put("public_exposure.is_public", Fact.error(
            f"member instance(s) {', '.join(missing)} not in the instance listing", *ops))
        return
    unread = sorted(m for m, member in found.items() if member is not None
                    and not isinstance(member.item.get("PubliclyAccessible"), bool))
    if unread:
        facts.put("public_exposure.is_public", Fact.error(
            f"member instance(s) {', '.join(unread)}: no boolean PubliclyAccessible", *ops))
        return
    public = sorted(m for m, member in found.items()
                    if member is not None and member.item.get("PubliclyAccessible") is True)
    facts.put("public_exposure.is_public", Fact.observed(
        bool(public), *ops, detail=("publicly accessible instance(s): " + ", ".join(public))
        if public else f"{len(found)} instance(s), none publicly accessible"))


# A read replica (DBInstance.ReadReplicaSourceDBInstanceIdentifier, or
# ReadReplicaSourceDBClusterIdentifier for one of a cluster) copies its source, whose
# automated backups are the ones that restore the data. RDS documents automated backups on
# the replicas of some engines (MariaDB, MySQL, PostgreSQL, Db2: "Differences between read
# replicas for DB engines"), off unless set: a replica whose BackupRetentionPeriod is above 0
# keeps backups of its own and they are judged as any instance's; one at 0 has none and its
# backup facts are left out (the backup checks do not apply), backup.replica_of saying why.
_REPLICA_SOURCES = ("ReadReplicaSourceDBInstanceIdentifier",
                    "ReadReplicaSourceDBClusterIdentifier")


def replica_source(raw: Raw) -> str | None:
    """The source a read replica copies (None: the instance or cluster is no replica)."""
    if is_cluster(raw):
        return None
    return next((str(raw.item[k]) for k in _REPLICA_SOURCES if raw.item.get(k)), None)


def _replica_detail(source: str | None, days: int | None) -> str | None:
    if source is None:
        return None
    if days == 0:
        return f"a read replica of {source}: its backups are its source's " \
               "(BackupRetentionPeriod 0: none of its own)"
    if days is None:
        return f"a read replica of {source}; whether it keeps backups of its own is not read"
    return f"a read replica of {source} keeping automated backups of its own " \
           f"(BackupRetentionPeriod {days}): judged as any instance's"


def _backup(raw: Raw, facts: Facts) -> None:
    op = DESCRIBE_CLUSTERS if is_cluster(raw) else DESCRIBE_INSTANCES
    days = raw.item.get("BackupRetentionPeriod")
    counted = isinstance(days, int) and not isinstance(days, bool)
    source = replica_source(raw)
    none_own = source is not None and counted and days == 0
    facts.put("backup.replica_of", Fact.observed(source, op, detail=_replica_detail(
        source, days if counted else None)))
    if none_own:
        return
    if not counted:
        bad = Fact.error("no integer BackupRetentionPeriod", op)
        facts.put("backup.enabled", bad)
        facts.put("backup.retention_days", bad)
    else:
        facts.put("backup.enabled", Fact.observed(days > 0, op))
        facts.put("backup.retention_days", Fact.observed(
            days if days > 0 else None, op,
            detail=None if days > 0 else "BackupRetentionPeriod 0: automated backups are off"))
    encrypted = raw.item.get("StorageEncrypted")
    facts.put("backup.encrypted", Fact.observed(
        encrypted, op, detail="RDS encrypts the automated backups and snapshots of an "
                              "encrypted database with its key, and only those")
        if isinstance(encrypted, bool) else Fact.error("no boolean StorageEncrypted", op))


def database_facts(raw: Raw, keys: dict[tuple[str, str], KeyInfo],
                   groups: dict[Group, Outcome], listed: dict[tuple[str, str], Raw],
                   facts: Facts) -> None:
    item: dict[str, Any] = raw.item
    op = DESCRIBE_CLUSTERS if is_cluster(raw) else DESCRIBE_INSTANCES
    at_rest(raw, op, keys, facts, "StorageEncrypted")
    if facts.wants("public_exposure.is_public"):
        _public(raw, listed, facts)
    _tls(raw, groups, facts)
    protected = item.get("DeletionProtection")
    facts.put("deletion_protection.enabled", Fact.observed(protected, op)
              if isinstance(protected, bool) else Fact.error("no boolean DeletionProtection", op))
    _backup(raw, facts)
