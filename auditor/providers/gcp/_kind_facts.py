"""Facts of persistent disks, snapshots and images, Filestore instances and Cloud SQL
instances (no SDK here, no calls). What every kind shares is in ``_at_rest``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from auditor.errors import CallError
from auditor.model import Fact
from auditor.providers._runtime import Outcome, OutcomeState, exposure_of, placeholder_facts
from auditor.providers.gcp._at_rest import (
    AtRest,
    encryption_facts,
    key_join_facts,
    residency_facts,
    zone_region,
)
from auditor.providers.gcp._compute import OP_DISKS, ComputeItem, Sharing
from auditor.providers.gcp._filestore import OP_INSTANCES as OP_FILESTORE
from auditor.providers.gcp._filestore import FileInstance
from auditor.providers.gcp._sqladmin import OP_INSTANCES as OP_SQL
from auditor.providers.gcp._sqladmin import UNSPECIFIED_MODE as _UNSPECIFIED_MODE
from auditor.providers.gcp._sqladmin import SqlInstance

Wants = Callable[[str], bool]
KeyOutcomes = tuple[Outcome, Outcome]  # the key and its versions
_HERE = Path(__file__).resolve().parent  # exposure.yaml

COMPUTE_ALWAYS = ("Compute Engine encrypts every persistent disk, snapshot and image at rest; "
                  "the resource shows which key")
FILESTORE_ALWAYS = "Filestore encrypts every instance at rest; kmsKeyName shows a CMEK"
SQL_ALWAYS = ("Cloud SQL encrypts every instance's data at rest; "
              "diskEncryptionConfiguration.kmsKeyName shows a CMEK")
NO_NFS_TLS = ("the Filestore API has no instance setting that refuses unencrypted NFS "
              "traffic, so there is nothing to read")
BACKUPS_ENCRYPTED = ("Cloud SQL backups are encrypted at rest like the instance, with its CMEK "
                     "when it has one")


def _keep(facts: dict[str, Fact], wants: Wants) -> dict[str, Fact]:
    return {path: fact for path, fact in facts.items() if wants(path)}


def malformed_facts(kind: str, error: CallError, wants: Wants) -> dict[str, Fact]:
    """A listed resource that is not the documented one: every fact read from it is error;
    what no API shows stays opaque; the core's derived facts are left to the core."""
    return placeholder_facts(kind, error, exposure_of(_HERE), wants)


def _at_rest(item: ComputeItem) -> AtRest:
    if item.key is None:
        return AtRest()
    return AtRest(item.key.kms_key, item.key.supplied)


def _common(at_rest: AtRest, key: KeyOutcomes, source: str, always: str,
            locations: list[str], wants: Wants) -> dict[str, Fact]:
    facts = {**encryption_facts(at_rest, source, always),
             **residency_facts(locations, source)}
    if any(wants(p) for p in ("key_custody.level", "key_custody.hsm", "key_rotation.enabled",
                              "key_rotation.period_days", "key_rotation.supported")):
        facts.update(key_join_facts(at_rest, *key, source))
    return facts


def volume_facts(disk: ComputeItem, key: KeyOutcomes, wants: Wants) -> dict[str, Fact]:
    if disk.malformed is not None:
        return malformed_facts("storage.volume", disk.malformed, wants)
    users = ", ".join(u.rsplit("/", 1)[-1] for u in disk.users)
    facts = _common(_at_rest(disk), key, OP_DISKS, COMPUTE_ALWAYS,
                    [zone_region(disk.location)], wants)
    facts["attachment.attached"] = Fact.observed(
        bool(disk.users), OP_DISKS, detail=f"used by {users}" if users else "no instance uses it")
    return _keep(facts, wants)


def _shared(sharing: Outcome, source: str) -> dict[str, Fact]:
    def public(found: Sharing) -> Fact:
        detail = f"public members: {', '.join(found.public)}" if found.public else None
        return Fact.observed(bool(found.public), sharing.source, source, basis="derived",
                             detail=detail)

    def accounts(found: Sharing) -> Fact:
        return Fact.observed(list(found.principals), sharing.source, source, basis="derived")

    if sharing.state is OutcomeState.NOT_READ:
        unread = Fact.error(f"the IAM policy was not read: {sharing.unread}", source)
        return dict.fromkeys(("public_exposure.is_public", "sharing.accounts"), unread)
    return {"public_exposure.is_public": sharing.fact(public, source),
            "sharing.accounts": sharing.fact(accounts, source)}


def snapshot_facts(item: ComputeItem, key: KeyOutcomes, sharing: Outcome,
                   wants: Wants) -> dict[str, Fact]:
    """A disk snapshot or a custom image: both are restorable copies of a disk."""
    if item.malformed is not None:
        return malformed_facts("storage.snapshot", item.malformed, wants)
    facts = _common(_at_rest(item), key, item.source, COMPUTE_ALWAYS,
                    list(item.storage_locations), wants)
    if wants("public_exposure.is_public") or wants("sharing.accounts"):
        facts.update(_shared(sharing, item.source))
    return _keep(facts, wants)


def filesystem_facts(fs: FileInstance, key: KeyOutcomes, wants: Wants) -> dict[str, Fact]:
    if fs.malformed is not None:
        return malformed_facts("storage.filesystem", fs.malformed, wants)
    facts = _common(AtRest(fs.kms_key), key, OP_FILESTORE, FILESTORE_ALWAYS,
                    [zone_region(fs.location)], wants)
    facts["tls_enforced.required"] = Fact.opaque(NO_NFS_TLS)
    return _keep(facts, wants)


def _exposure(db: SqlInstance) -> Fact:
    if not db.ipv4_enabled:
        return Fact.observed(False, OP_SQL, detail="no public IP (ipv4Enabled false)")
    if db.open_networks:
        return Fact.observed(True, OP_SQL, detail="public IP with authorized network "
                             f"{', '.join(db.open_networks)}: any address may connect")
    if db.unreadable_networks:
        return Fact.error("public IP with authorized network(s) that name no address: "
                          f"{', '.join(db.unreadable_networks)}", OP_SQL)
    return Fact.observed(False, OP_SQL, detail=f"public IP, {db.networks} authorized "
                         "network(s), none open to every address")


# BackupRetentionSettings.retentionUnit: COUNT is the one unit ("retain the most recent N
# backups"); RETENTION_UNIT_UNSPECIFIED "will be treated as COUNT", as is an absent unit
# (proto3 JSON leaves an enum's zero value out).
COUNT_UNITS = frozenset({None, "COUNT", "RETENTION_UNIT_UNSPECIFIED"})
# BackupConfiguration.backupTier: STANDARD "is managed by Cloud SQL" (automated backups once a
# day, at startTime, "the daily backup configuration"); BACKUP_TIER_UNSPECIFIED or absent is
# the same zero value, the standard backups instances had before enhanced ones existed.
# ENHANCED (and ADVANCED, its deprecated name) is "managed by Google Cloud Backup and DR
# Service": a backup plan sets schedule and retention, which this listing does not carry.
STANDARD_TIERS = frozenset({None, "STANDARD", "BACKUP_TIER_UNSPECIFIED"})
BACKUP_AND_DR_TIERS = frozenset({"ENHANCED", "ADVANCED"})


def _retention(db: SqlInstance) -> Fact:
    """Days of automated backups kept. retainedBackups is a COUNT of backups, not days: it
    is read as days only for standard backups, which Cloud SQL takes once a day, so the N
    most recent reach back N days (basis derived)."""
    if not db.backups:
        return Fact.observed(None, OP_SQL, basis="derived", detail="automated backups are off")
    if db.backup_tier in BACKUP_AND_DR_TIERS:
        return Fact.error(f"backupTier {db.backup_tier}: Backup and DR Service manages the "
                          "backups and its backup plan sets their retention, which this "
                          "adapter does not read", OP_SQL)
    if db.backup_tier not in STANDARD_TIERS:
        return Fact.error(f"unrecognised backupTier {db.backup_tier!r}", OP_SQL)
    if db.retained_backups is None:
        return Fact.error("backupRetentionSettings.retainedBackups is absent from an "
                          "instance with automated backups on", OP_SQL)
    if db.retention_unit not in COUNT_UNITS:
        return Fact.error(f"unrecognised backup retention unit {db.retention_unit!r}", OP_SQL)
    return Fact.observed(db.retained_backups, OP_SQL, basis="derived",
                         detail=f"the {db.retained_backups} most recent automated backups "
                         "are kept (retentionUnit COUNT); standard backups are taken once a "
                         f"day, so they reach back {db.retained_backups} days")


def _tls(db: SqlInstance) -> Fact:
    required = db.tls_required
    if required is None:
        return Fact.error(f"unrecognised sslMode {db.ssl_mode!r}", OP_SQL)
    ssl = f"requireSsl {str(bool(db.require_ssl)).lower()}"
    detail = f"sslMode {db.ssl_mode}" if db.ssl_mode else ssl
    if db.ssl_mode == _UNSPECIFIED_MODE:
        detail = f"sslMode {db.ssl_mode}: {ssl}"
    return Fact.observed(required, OP_SQL, detail=detail)


def database_facts(db: SqlInstance, key: KeyOutcomes, wants: Wants) -> dict[str, Fact]:
    if db.malformed is not None:
        return malformed_facts("database.instance", db.malformed, wants)
    facts = _common(AtRest(db.kms_key), key, OP_SQL, SQL_ALWAYS, [db.region], wants)
    facts.update({
        "public_exposure.is_public": _exposure(db),
        "tls_enforced.required": _tls(db),
        "deletion_protection.enabled": Fact.observed(db.deletion_protection, OP_SQL),
        "backup.enabled": Fact.observed(db.backups, OP_SQL),
        "backup.retention_days": _retention(db),
        "backup.encrypted": Fact.observed(True, OP_SQL, detail=BACKUPS_ENCRYPTED),
    })
    for present, member, paths in ((db.ip_read, "ipConfiguration", _IP_PATHS),
                                   (db.backup_read, "backupConfiguration", _BACKUP_PATHS)):
        if not present:
            facts.update(dict.fromkeys(paths, Fact.error(
                f"the instance's settings carry no {member}", OP_SQL)))
    facts["backup.replica_of"] = Fact.observed(db.replica_of, OP_SQL, detail=None
                                               if db.replica_of is None else REPLICA_BACKUPS
                                               .format(db.replica_of))
    if db.replica_of is not None:  # a read replica has no automated backups of its own
        for path in (*_BACKUP_PATHS, "backup.encrypted"):
            facts.pop(path)
    return _keep(facts, wants)


_IP_PATHS = ("public_exposure.is_public", "tls_enforced.required")
# Cloud SQL takes no backups of a read replica (instanceType READ_REPLICA_INSTANCE): the
# backup checks do not apply to it, and backup.replica_of says why.
REPLICA_BACKUPS = ("a read replica of {}: its backups are its source's (Cloud SQL takes no "
                   "backups of a read replica)")
_BACKUP_PATHS = ("backup.enabled", "backup.retention_days")
