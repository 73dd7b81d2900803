"""The ECS disks, snapshots and custom images, NAS file systems and RDS instances of an
``alibaba:`` estate section, and the answer entries the stand-ins list for them.

Fields (all optional but id and region; see estate.yaml):

rpc_page_size: cap on the PageSize of these listings (default 100, the APIs' maximum).
disks: [{id, region, zone, name, encrypted (bool), key (KMSKeyId), status (In_use |
         Available | ...; default In_use), instance, omits: [entry fields], faults}]
snapshots: [{id, region, name, encrypted, key, disk, faults}]
images: [{id, region, name, snapshots: [snapshot ids of its disk mappings], public (IsPublic),
          shared_with: [account ids], share_all (a ShareGroup "all"), mapping_omits: [fields
          left out of every disk mapping], is_self_shared (the flag as answered), omits,
          faults}]
file_systems: [{id, region, description, protocol (NFS | SMB), encrypt_type (0 | 1 | 2),
                key, reject_unencrypted (SMB), faults}]
db_instances: [{id, region, name, engine (MySQL | PostgreSQL | SQLServer), deletion_protection,
                public (a connection string of IPType Public), whitelist: [entries],
                ssl (bool), force_ssl (SQL Server ForceEncryption, MySQL
                require_secure_transport), disk_key (cloud disk encryption key), tde (bool),
                tde_key, backup_days, backup_period (e.g. Monday,Thursday), ip_type (of the
                public endpoint; default Public), hba: [[Type, Method]] (running pg_hba
                entries), disk_key_status (default Enabled with a disk_key), omits, faults}]
Faults key on the resource id (per-resource reads) or "<service>/<region>" (listings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = ("disks", "snapshots", "images", "file_systems", "db_instances")
SERVICE_OF = {"disks": "ecs", "snapshots": "ecs", "images": "ecs", "file_systems": "nas",
              "db_instances": "rds"}


class StorageEstateError(ValueError):
    """A storage entry of the estate is malformed."""


@dataclass
class StorageEstate:
    page_size: int = 100
    # kind -> spec of each entry (id and region checked)
    entries: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {k: [] for k in KINDS})

    def regions(self) -> set[str]:
        return {str(e["region"]) for kind in KINDS for e in self.entries[kind]}

    def in_region(self, kind: str, region: str) -> list[dict[str, Any]]:
        return [e for e in self.entries[kind] if e["region"] == region]

    def find(self, kind: str, entry_id: str) -> dict[str, Any] | None:
        return next((e for e in self.entries[kind] if e["id"] == entry_id), None)


def build_storage(section: dict[str, Any], faults: Any) -> StorageEstate:
    """``faults``: the estate's Faults, told each entry's faults under its id."""
    store = StorageEstate(int(section.get("rpc_page_size", 100)))
    for kind in KINDS:
        for spec in section.get(kind, []) or []:
            if not isinstance(spec, dict) or not spec.get("id") or not spec.get("region"):
                raise StorageEstateError(f"{kind} entry {spec!r}: id and region are required")
            entry = {**spec, "id": str(spec["id"]), "region": str(spec["region"])}
            store.entries[kind].append(entry)
            faults.add(entry["id"], spec.get("faults"))
    return store


def _omit(body: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    for name in spec.get("omits", []) or []:
        body.pop(str(name), None)
    return body


def disk_entry(spec: dict[str, Any]) -> dict[str, Any]:
    status = str(spec.get("status", "In_use"))
    return _omit({"DiskId": spec["id"], "DiskName": str(spec.get("name", "")),
                  "RegionId": spec["region"], "ZoneId": str(spec.get("zone", spec["region"] + "-a")),
                  "Category": "cloud_essd", "Size": 40, "Status": status,
                  "Encrypted": bool(spec.get("encrypted", False)),
                  "KMSKeyId": str(spec.get("key") or ""),
                  "InstanceId": str(spec.get("instance", "i-bp67acfmxazb4p****"))
                  if status == "In_use" else "", "Type": "data"}, spec)


def snapshot_entry(spec: dict[str, Any]) -> dict[str, Any]:
    return _omit({"SnapshotId": spec["id"], "SnapshotName": str(spec.get("name", "")),
                  "Encrypted": bool(spec.get("encrypted", False)),
                  "KMSKeyId": str(spec.get("key") or ""), "SourceDiskId": str(spec.get("disk", "")),
                  "Status": "accomplished", "Category": "standard",
                  "CreationTime": "2024-05-13T08:21:44Z"}, spec)


def image_entry(spec: dict[str, Any], store: StorageEstate) -> dict[str, Any]:
    mappings = []
    for index, snap_id in enumerate(spec.get("snapshots", []) or []):
        snap = store.find("snapshots", str(snap_id)) or {}
        mapping = {"SnapshotId": str(snap_id), "Encrypted": bool(snap.get("encrypted")),
                   "Type": "system" if index == 0 else "data", "Size": "40"}
        for name in spec.get("mapping_omits", []) or []:  # fields no mapping carries
            mapping.pop(str(name), None)
        mappings.append(mapping)
    shared = bool(spec.get("shared_with")) or bool(spec.get("share_all"))
    return _omit({"ImageId": spec["id"], "ImageName": str(spec.get("name", spec["id"])),
                  "ImageOwnerAlias": "self", "IsPublic": bool(spec.get("public", False)),
                  "IsSelfShared": str(spec.get("is_self_shared", "True" if shared else "False")),
                  "Status": "Available",
                  "DiskDeviceMappings": {"DiskDeviceMapping": mappings}}, spec)


def share_accounts(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"AliyunId": str(a), "SharedTime": "2024-05-14T02:00:00Z"}
            for a in spec.get("shared_with", []) or []]


def share_groups(spec: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Group": "all"}] if spec.get("share_all") or spec.get("public") else []


def file_system_entry(spec: dict[str, Any]) -> dict[str, Any]:
    return _omit({"FileSystemId": spec["id"], "Description": str(spec.get("description", "")),
                  "RegionId": spec["region"], "ZoneId": spec["region"] + "-a",
                  "ProtocolType": str(spec.get("protocol", "NFS")),
                  "FileSystemType": "standard", "StorageType": "Performance",
                  "EncryptType": int(spec.get("encrypt_type", 0)),
                  "KMSKeyId": str(spec.get("key") or ""), "Status": "Running"}, spec)


def db_entry(spec: dict[str, Any]) -> dict[str, Any]:
    return _omit({"DBInstanceId": spec["id"], "DBInstanceDescription": str(spec.get("name", "")),
                  "RegionId": spec["region"], "ZoneId": spec["region"] + "-a",
                  "Engine": str(spec.get("engine", "MySQL")), "EngineVersion": "8.0",
                  "DBInstanceStatus": "Running",
                  "DBInstanceType": str(spec.get("instance_type", "Primary")),
                  # the primary of a read-only or disaster-recovery instance
                  **({"MasterInstanceId": str(spec["master"])} if spec.get("master") else {}),
                  "DBInstanceNetType": "Internet" if spec.get("public") else "Intranet",
                  "DeletionProtection": bool(spec.get("deletion_protection", False))}, spec)
