"""Normalized facts of an ApsaraDB RDS instance (database.instance) from its listing entry
and the per-instance reads of _rds.py, each an Outcome (``None``: not read, because not
wanted or implied by another answer). No SDK imports."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from auditor.model import Fact, Resource, ResourceKind
from auditor.providers.alibaba._name import PROVIDER
from auditor.providers.alibaba._normalize import Locate, Outcome, Wanted, observed, sources_of
from auditor.providers.alibaba._storage_facts import AT_REST, KeyOf, at_rest_facts, residency_facts

DATABASE = ResourceKind.DATABASE
# DBInstanceNetInfo.IPType: Inner (classic network) and Private (VPC) are internal, Public
# is the internet endpoint; any other value says neither.
IP_TYPES = frozenset({"Inner", "Private", "Public"})
SSL_ON, SSL_OFF = frozenset({"yes", "on", "enabled"}), frozenset({"no", "off", "disabled"})
RDS_KEY = "the RDS service key"
# DescribeDBInstances DBInstance[].DBInstanceType: Primary | Readonly | Guard (disaster
# recovery) | Temp. A read-only or disaster-recovery instance replicates its primary and has
# no automated backups of its own: its backup facts are left out (the checks of them do not
# apply), never read as backups off.
# An older DescribeDBInstances reference spells the read-only value ReadOnly in the response
# (and Readonly in the request filter): both are read as a read-only instance.
REPLICA_TYPES = frozenset({"Readonly", "ReadOnly", "Guard"})
BACKUP_PATHS = ("backup.enabled", "backup.retention_days", "backup.encrypted")


def is_replica(entry: dict[str, object]) -> bool:
    """A read-only or disaster-recovery instance (its DescribeDBInstances entry): it has no
    backup policy of its own, so DescribeBackupPolicy is not called for it."""
    return entry.get("DBInstanceType") in REPLICA_TYPES
# require_secure_transport is a MySQL boolean system variable; MySQL documents a boolean
# variable's value as ON/TRUE/1 or OFF/FALSE/0, case-insensitive (SHOW VARIABLES reports
# ON/OFF; a parameter template may hold 1/0). Any other value says neither.
SECURE_TRANSPORT_ON = frozenset({"on", "true", "1"})
SECURE_TRANSPORT_OFF = frozenset({"off", "false", "0"})


@dataclass(slots=True)
class DatabaseRaw:
    listed: Outcome  # the DescribeDBInstances entry
    region: str
    net: Outcome | None = None  # DBInstanceNetInfo entries
    ips: Outcome | None = None  # DBInstanceIPArray entries (only with a public endpoint)
    ssl: Outcome | None = None
    secure_transport: Outcome | None = None  # MySQL require_secure_transport (str | None)
    hba: Outcome | None = None  # PostgreSQL running pg_hba entries
    disk_key: Outcome | None = None
    tde: Outcome | None = None
    backup: Outcome | None = None


def public_endpoints(net: Outcome) -> list[str]:
    """The connection strings of IPType Public (``net`` answered)."""
    return [str(n.get("ConnectionString")) for n in net.value if n.get("IPType") == "Public"]


def admits_all(entry: str) -> bool | None:
    """Whether one SecurityIPList entry (an address or a CIDR block) admits every address:
    any block of prefix length 0, however written; None: the entry is no address."""
    try:
        return ipaddress.ip_network(entry, strict=False).prefixlen == 0
    except ValueError:
        return None


def _whitelists(ips: Outcome) -> tuple[list[str], list[str]]:
    """(the whitelists that admit every address, the entries that are no address)."""
    open_lists, unread = [], []
    for array in ips.value:
        entries = [e.strip() for e in str(array.get("SecurityIPList", "")).split(",")
                   if e.strip()]
        if any(admits_all(e) for e in entries):
            open_lists.append(str(array.get("DBInstanceIPArrayName")))
        unread += [e for e in entries if admits_all(e) is None]
    return open_lists, unread


def _public(raw: DatabaseRaw) -> Fact:
    net, ips = raw.net, raw.ips
    assert net is not None, "read whenever public exposure is wanted"
    if not net.ok:
        return net.failure()
    odd = sorted({str(n.get("IPType")) for n in net.value} - IP_TYPES)
    if odd:
        return Fact.error(f"a connection string of IPType {', '.join(odd)}", net.source)
    endpoints = public_endpoints(net)
    if not endpoints:
        return observed(False, net.source, detail="no connection string of IPType Public",
                        derived=True)
    assert ips is not None, "read whenever there is a public endpoint"
    if not ips.ok:
        return ips.failure(net.source)
    open_lists, unread = _whitelists(ips)
    if unread and not open_lists:
        return Fact.error(f"public endpoint {endpoints[0]}; whitelist entries that are no "
                          f"address: {', '.join(unread)}", net.source, ips.source)
    detail = (f"public endpoint {endpoints[0]}; whitelist {open_lists[0]} admits 0.0.0.0/0"
              if open_lists else f"public endpoint {endpoints[0]}; no whitelist admits 0.0.0.0/0")
    return observed(bool(open_lists), net.source, ips.source, detail=detail, derived=True)


def _tls(raw: DatabaseRaw) -> Fact:
    ssl, engine = raw.ssl, str(raw.listed.value.get("Engine", ""))
    assert ssl is not None, "read whenever TLS enforcement is wanted"
    if not ssl.ok:
        return ssl.failure()
    state = str(ssl.value.get("SSLEnabled", "")).lower()
    if state in SSL_OFF:
        return observed(False, ssl.source, detail="SSL is off: plain connections only")
    if state not in SSL_ON:
        return Fact.error(f"unrecognised SSLEnabled {ssl.value.get('SSLEnabled')!r}", ssl.source)
    if engine == "SQLServer":
        force = ssl.value.get("ForceEncryption")
        if force in ("0", "1"):
            return observed(force == "1", ssl.source, detail=f"ForceEncryption {force}")
        return Fact.error(f"unrecognised ForceEncryption {force!r}", ssl.source)
    if engine == "MySQL" and raw.secure_transport is not None:
        got = raw.secure_transport
        if not got.ok:
            return got.failure(ssl.source)
        value = str(got.value).strip().lower()
        if value in SECURE_TRANSPORT_ON | SECURE_TRANSPORT_OFF:
            return observed(value in SECURE_TRANSPORT_ON, ssl.source, got.source,
                            detail=f"SSL on; require_secure_transport {got.value}")
        return Fact.error(f"require_secure_transport is {got.value!r}", ssl.source, got.source)
    if engine == "PostgreSQL" and raw.hba is not None:
        return _hba_requires_tls(raw.hba, ssl)
    return Fact.error(f"SSL is on; whether {engine or 'this engine'} refuses plain connections "
                      "is not read by this adapter", ssl.source)


# pg_hba entry types (PostgreSQL "The pg_hba.conf File"): host and hostnossl match a TCP
# connection made without TLS, and so does hostnogssenc (it matches any connection not
# GSSAPI-encrypted, plain ones included); hostssl and hostgssenc match only encrypted
# ones, local only Unix-domain sockets. Any other type is none the server documents.
PLAIN_TYPES = frozenset({"host", "hostnossl", "hostnogssenc"})
ENCRYPTED_TYPES = frozenset({"hostssl", "hostgssenc", "local"})


def _hba_requires_tls(hba: Outcome, ssl: Outcome) -> Fact:
    """PostgreSQL refuses plain connections when every pg_hba entry that matches one (host,
    hostnossl) rejects it: hostssl entries match only TLS connections."""
    if not hba.ok:
        return hba.failure(ssl.source)
    odd = sorted({str(e.get("Type", "")) for e in hba.value
                  if str(e.get("Type", "")).lower() not in PLAIN_TYPES | ENCRYPTED_TYPES})
    if odd:
        return Fact.error(f"pg_hba entry type {', '.join(odd)} is none PostgreSQL names",
                          ssl.source, hba.source)
    admitting = [e for e in hba.value if str(e.get("Type", "")).lower() in PLAIN_TYPES
                 and str(e.get("Method", "")).lower() != "reject"]
    detail = (f"pg_hba entry {admitting[0].get('Type')} {admitting[0].get('Address', '')} "
              f"({admitting[0].get('Method')}) admits plain connections" if admitting else
              "no pg_hba entry admits a connection without TLS")
    return observed(not admitting, ssl.source, hba.source, detail=detail)


def disk_encrypted(disk: Outcome) -> bool:
    """Cloud disk encryption is on: the answer names a key (``disk`` answered or not).
    Whatever its EncryptionKeyStatus (Enabled, Disabled), the disk is written under it:
    a disabled key makes the data unreadable, not unencrypted."""
    return disk.ok and bool(disk.value.get("EncryptionKey"))


def _at_rest(raw: DatabaseRaw, key_of: KeyOf) -> dict[str, Fact]:
    disk, tde = raw.disk_key, raw.tde
    assert disk is not None, "read whenever encryption is wanted"
    if disk_encrypted(disk):  # TDE was not read: encrypted, with the disk's key
        return at_rest_facts(disk, True, disk.value["EncryptionKey"], key_of, RDS_KEY)
    assert tde is not None, "read whenever disk encryption is not on"
    tde_on = tde.ok and tde.value.get("TDEStatus") == "Enabled"
    if not tde_on:
        failed = next((a for a in (disk, tde) if not a.ok), None)
        if failed is not None:  # the other says off: this one might have said on
            return dict.fromkeys(AT_REST, failed.failure(*sources_of(disk, tde)))
        return at_rest_facts(disk, False, None, key_of, RDS_KEY)
    return at_rest_facts(tde, True, tde.value.get("EncryptionKey") or None, key_of, RDS_KEY)


def _backup(raw: DatabaseRaw) -> dict[str, Fact]:
    backup = raw.backup
    assert backup is not None, "read whenever backup facts are wanted"
    if not backup.ok:
        return dict.fromkeys(("backup.enabled", "backup.retention_days"), backup.failure())
    period = str(backup.value.get("PreferredBackupPeriod") or "")
    days = backup.value["BackupRetentionPeriod"]
    return {"backup.enabled": observed(bool(period), backup.source,
                                       detail=f"PreferredBackupPeriod {period or 'empty'}"),
            "backup.retention_days": observed(int(days), backup.source)}


def _replica_of(entry: dict[str, object], src: str) -> Fact:
    """DBInstance.MasterInstanceId: the primary a read-only or disaster-recovery instance
    replicates (null for a primary)."""
    if not is_replica(entry):
        return observed(None, src)
    primary = str(entry.get("MasterInstanceId") or "(unnamed primary)")
    return observed(primary, src, detail=f"a {entry['DBInstanceType']} instance of {primary}: "
                    "its backups are its source's (it has no backup policy of its own)")


def _backups_encrypted(at_rest: dict[str, Fact]) -> Fact:
    enabled = at_rest["encryption.enabled"]
    if enabled.state != "observed":
        return enabled
    return Fact.observed(enabled.value, *enabled.source, basis="derived",
                         detail="RDS backups hold the instance's data as stored: encrypted "
                                "exactly when cloud disk encryption or TDE is on")


def database_resource(raw: DatabaseRaw, account: str, key_of: KeyOf, locate: Locate,
                      wanted: Wanted) -> Resource:
    entry, src = raw.listed.value, raw.listed.source
    facts: dict[str, Fact] = residency_facts(raw.region, src, locate)
    protection = entry.get("DeletionProtection")
    facts["deletion_protection.enabled"] = (
        observed(protection, src) if isinstance(protection, bool) else
        Fact.error("the listing entry has no boolean DeletionProtection", src))
    if raw.net is not None:
        facts["public_exposure.is_public"] = _public(raw)
    if raw.ssl is not None:
        facts["tls_enforced.required"] = _tls(raw)
    if raw.disk_key is not None:
        at_rest = _at_rest(raw, key_of)
        facts |= at_rest | {"backup.encrypted": _backups_encrypted(at_rest)}
    if raw.backup is not None:
        facts |= _backup(raw)
    facts["backup.replica_of"] = _replica_of(entry, src)
    if is_replica(entry):
        for path in BACKUP_PATHS:
            facts.pop(path, None)
    rid = f"acs:rds:{raw.region}:{account}:dbinstance/{entry['DBInstanceId']}"
    return Resource(DATABASE, PROVIDER, account, raw.region, rid,
                    entry.get("DBInstanceDescription") or entry["DBInstanceId"],
                    {k: v for k, v in facts.items() if wanted(k)})
