"""Cloud SQL instances (Cloud SQL Admin API v1 ``instances.list``), over REST.

The Cloud SQL Admin client package on PyPI (google-cloud-sql) is a young pre-1.0 release, so
the one listing goes over the google-auth ``AuthorizedSession`` (``_rest``), as the Org Policy
read does. The
listing carries every setting the facts read (settings.ipConfiguration,
settings.backupConfiguration, settings.deletionProtectionEnabled,
diskEncryptionConfiguration): no per-instance call is made.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from auditor.errors import MalformedAnswer
from auditor.providers.gcp._answers import Listed, check_item, read_pages
from auditor.providers.gcp._compute import crypto_key
from auditor.providers.gcp._errors import Caller
from auditor.providers.gcp._rest import RestJsonClient

DEFAULT_ENDPOINT = "https://sqladmin.googleapis.com"
OP_INSTANCES = "sqladmin:instances.list"
# IpConfiguration.sslMode (the Settings reference): the modes that refuse a connection
# without TLS, and the one that admits it. SSL_MODE_UNSPECIFIED says nothing (requireSsl
# decides); any other value is one this adapter does not know: no verdict.
TLS_MODES = frozenset({"ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"})
PLAIN_MODES = frozenset({"ALLOW_UNENCRYPTED_AND_ENCRYPTED"})
UNSPECIFIED_MODE = "SSL_MODE_UNSPECIFIED"
# DatabaseInstance.instanceType of an entry that represents an external (on-premises) primary
EXTERNAL = "ON_PREMISES_INSTANCE"
# DatabaseInstance.instanceType of a read replica (of masterInstanceName): Cloud SQL takes no
# automated backups of a replica, its primary's are the ones that restore the data.
REPLICA = "READ_REPLICA_INSTANCE"


def open_network(value: str) -> bool | None:
    """Whether an authorized network (AclEntry.value, CIDR notation or one address) admits
    every address: any network of prefix length 0, however written; None: not an address."""
    try:
        return ipaddress.ip_network(value.strip(), strict=False).prefixlen == 0
    except ValueError:
        return None


class SqlAdminClient(RestJsonClient):
    """Reads instance listings over one pooled HTTP session."""

    def list_page(self, project: str, token: str | None, timeout: float) -> Any:
        return self.get_json(f"/v1/projects/{project}/instances", timeout,
                             {"pageToken": token} if token else None)


@dataclass(frozen=True, slots=True)
class SqlInstance:
    """One Cloud SQL instance, as much of it as the facts need."""

    project: str
    name: str
    region: str
    kms_key: str | None = None
    ipv4_enabled: bool = False
    open_networks: tuple[str, ...] = ()  # authorized networks that admit every address
    networks: int = 0  # how many authorized networks there are
    unreadable_networks: tuple[str, ...] = ()  # authorized networks that are no address
    ssl_mode: str | None = None
    require_ssl: bool | None = None
    deletion_protection: bool = False
    backups: bool = False
    retained_backups: int | None = None
    retention_unit: str | None = None
    backup_tier: str | None = None  # BackupConfiguration.backupTier, None when absent
    replica_of: str | None = None  # masterInstanceName of a READ_REPLICA_INSTANCE
    database_version: str = ""
    malformed: MalformedAnswer | None = None
    # settings.ipConfiguration / backupConfiguration were in the answer: a false boolean is
    # left out of the JSON, an absent object says nothing.
    ip_read: bool = True
    backup_read: bool = True

    @property
    def id(self) -> str:
        return f"projects/{self.project}/instances/{self.name}"

    @property
    def location(self) -> str:
        return self.region

    @property
    def tls_required(self) -> bool | None:
        """sslMode decides where it is set; requireSsl, its older spelling, otherwise.
        None: an sslMode the reference does not name."""
        if self.ssl_mode and self.ssl_mode != UNSPECIFIED_MODE:
            if self.ssl_mode in TLS_MODES | PLAIN_MODES:
                return self.ssl_mode in TLS_MODES
            return None
        return bool(self.require_ssl)


def _instance(project: str, raw: dict[str, Any]) -> SqlInstance:
    item = check_item(OP_INSTANCES, raw)
    if item.get("instanceType") == EXTERNAL:
        raise MalformedAnswer(OP_INSTANCES, "ExternalServer", f"instanceType {EXTERNAL}: the "
                              "entry stands for a server Cloud SQL does not run, whose "
                              "settings it does not hold")
    settings = item["settings"]
    ip = settings.get("ipConfiguration") or {}
    networks = [n.get("value", "") for n in ip.get("authorizedNetworks") or ()]
    backup = settings.get("backupConfiguration") or {}
    retention = backup.get("backupRetentionSettings") or {}
    retained = retention.get("retainedBackups")
    return SqlInstance(
        project, item["name"], item["region"],
        kms_key=crypto_key((item.get("diskEncryptionConfiguration") or {}).get("kmsKeyName")
                           or "") or None,
        # Absent booleans are false: the API leaves false booleans out of its JSON.
        ipv4_enabled=bool(ip.get("ipv4Enabled")),
        open_networks=tuple(n for n in networks if open_network(n)), networks=len(networks),
        unreadable_networks=tuple(n for n in networks if open_network(n) is None),
        ssl_mode=ip.get("sslMode") or None, require_ssl=ip.get("requireSsl"),
        deletion_protection=bool(settings.get("deletionProtectionEnabled")),
        backups=bool(backup.get("enabled")),
        retained_backups=int(retained) if retained is not None else None,
        retention_unit=retention.get("retentionUnit") or None,
        backup_tier=backup.get("backupTier") or None,
        replica_of=str(item.get("masterInstanceName") or "(unnamed primary)")
        if item.get("instanceType") == REPLICA else None,
        ip_read="ipConfiguration" in settings, backup_read="backupConfiguration" in settings,
        database_version=item.get("databaseVersion") or "")


def _listed(project: str, raw: Any) -> SqlInstance:
    try:
        return _instance(project, raw)
    except MalformedAnswer as exc:
        name = str((raw.get("name") if isinstance(raw, dict) else None) or "(unnamed)")
        return SqlInstance(project, name, "", malformed=exc)


def list_instances(call: Caller, client: SqlAdminClient, project: str,
                   timeout: float) -> Listed[SqlInstance]:
    listed = read_pages(call, OP_INSTANCES,
                        lambda token: client.list_page(project, token, timeout), "items")
    return Listed([_listed(project, raw) for raw in listed.items], listed.gap, listed.unnamed)
