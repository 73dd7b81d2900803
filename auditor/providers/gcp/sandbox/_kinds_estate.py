"""Build persistent disks, snapshots, images (Compute Engine v1), Filestore v1 instances and
Cloud SQL Admin v1 instances from a project's estate entry, shaped as the REST references
show them (``compute#disk``, ``compute#snapshot``, ``compute#image``, ``sql#instance``,
Filestore ``Instance``), with the IAM policy of each snapshot and image.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from auditor.providers.gcp.sandbox._hierarchy import EstateError

CREATED = "2024-03-04T01:15:27.418-08:00"
CREATED_UTC = "2024-03-04T09:15:27.418Z"
# What the Compute Engine answers show of a customer-supplied key: its RFC 4648 SHA-256.
CSEK_SHA256 = "Zmc2YzY0OTlkN2Y5NzNlNDQ5NGZmZDZjY2I1ZGE1Mjc="


@dataclass
class KindsEstate:
    disks: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (scope, disk)
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # global/x/n -> Policy
    sql: list[dict[str, Any]] = field(default_factory=list)
    filestore: list[dict[str, Any]] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)  # Filestore locations


def _name(spec: dict[str, Any], what: str) -> str:
    if "name" not in spec:
        raise EstateError(f"gcp: {what}: missing 'name'")
    return str(spec["name"])


def _number(text: str) -> str:
    """A stable numeric id from a name, as Compute Engine ids are uint64 strings."""
    return str(int(hashlib.sha256(text.encode()).hexdigest()[:15], 16))


def _key_field(spec: dict[str, Any], key_name: Any) -> dict[str, Any] | None:
    ref = spec.get("kms_key")
    if ref:
        return {"kmsKeyName": f"{key_name(ref)}/cryptoKeyVersions/1"}
    if spec.get("csek"):
        return {"sha256": CSEK_SHA256}
    return None


def _disk(spec: dict[str, Any], base: str, key_name: Any) -> tuple[str, dict[str, Any]]:
    name = _name(spec, "disk")
    if "region" in spec:
        scope = f"regions/{spec['region']}"
        zones = spec.get("replica_zones") or [f"{spec['region']}-a", f"{spec['region']}-b"]
    else:
        scope, zones = f"zones/{spec.get('zone', 'us-central1-a')}", []
    disk: dict[str, Any] = {
        "kind": "compute#disk", "id": _number(name), "creationTimestamp": CREATED,
        "name": name, "sizeGb": str(spec.get("size_gb", 100)), "status": "READY",
        "selfLink": f"{base}/{scope}/disks/{name}",
        "type": f"{base}/{scope}/diskTypes/{spec.get('type', 'pd-balanced')}",
        "labelFingerprint": "42WmSpB8rSM=", "physicalBlockSize": "4096",
        "architecture": "X86_64", "satisfiesPzi": True}
    if zones:
        disk["region"] = f"{base}/{scope}"
        disk["replicaZones"] = [f"{base}/zones/{z}" for z in zones]
    else:
        disk["zone"] = f"{base}/{scope}"
    users = spec.get("users") or []
    if users:
        zone = scope.split("/")[1] if not zones else zones[0]
        disk["users"] = [f"{base}/zones/{zone}/instances/{u}" for u in users]
        disk["lastAttachTimestamp"] = CREATED
    key = _key_field(spec, key_name)
    if key:
        disk["diskEncryptionKey"] = key
    if spec.get("labels"):
        disk["labels"] = dict(spec["labels"])
    return scope, disk


def _stored(spec: dict[str, Any], base: str, key_name: Any, kind: str) -> dict[str, Any]:
    name = _name(spec, kind)
    item: dict[str, Any] = {
        "kind": f"compute#{kind}", "id": _number(name), "creationTimestamp": CREATED,
        "name": name, "status": "READY", "diskSizeGb": str(spec.get("size_gb", 100)),
        "selfLink": f"{base}/global/{kind}s/{name}", "labelFingerprint": "42WmSpB8rSM=",
        "storageLocations": [spec.get("storage_location", "us")], "architecture": "X86_64"}
    if spec.get("source_disk"):
        item["sourceDisk"] = f"{base}/zones/{spec.get('source_zone', 'us-central1-a')}" \
                             f"/disks/{spec['source_disk']}"
    if kind == "snapshot":
        item.update({"storageBytes": "3210584064", "storageBytesStatus": "UP_TO_DATE",
                     "snapshotType": "STANDARD"})
    else:
        item.update({"sourceType": "RAW", "archiveSizeBytes": "5621314048"})
        if spec.get("family"):
            item["family"] = spec["family"]
    key = _key_field(spec, key_name)
    if key:
        item[f"{kind}EncryptionKey"] = key
    return item


def _policy(spec: dict[str, Any], kind: str) -> dict[str, Any]:
    bindings = [dict(b) for b in spec.get("iam") or []]
    if spec.get("public"):
        member = spec["public"] if isinstance(spec["public"], str) else "allUsers"
        role = "roles/compute.imageUser" if kind == "image" else "roles/compute.storageAdmin"
        bindings.append({"role": role, "members": [member]})
    policy: dict[str, Any] = {"etag": "BwYkR2vLhWs=" if bindings else "ACAB"}
    if bindings:
        policy.update({"version": 1, "bindings": bindings})
    return policy


def _sql(spec: dict[str, Any], project: str, key_name: Any) -> dict[str, Any]:
    name = _name(spec, "sql instance")
    region = spec.get("region", "us-central1")
    networks = [{"value": n, "name": f"net-{i}", "kind": "sql#aclEntry"}
                for i, n in enumerate(spec.get("authorized_networks") or [])]
    ip: dict[str, Any] = {"ipv4Enabled": bool(spec.get("public_ip", False)),
                          "authorizedNetworks": networks,
                          "sslMode": spec.get("ssl_mode", "ALLOW_UNENCRYPTED_AND_ENCRYPTED")}
    if spec.get("require_ssl") is not None:
        ip["requireSsl"] = bool(spec["require_ssl"])
    if spec.get("ssl_mode") is False:  # an older answer: requireSsl only
        del ip["sslMode"]
    backups = spec.get("backups") or {}
    backup: dict[str, Any] = {"kind": "sql#backupConfiguration", "startTime": "03:00",
                              "enabled": bool(backups.get("enabled", False)),
                              "backupRetentionSettings": {
                                  "retentionUnit": "COUNT",
                                  "retainedBackups": int(backups.get("retained", 7))},
                              "transactionLogRetentionDays": 7}
    settings: dict[str, Any] = {
        "kind": "sql#settings", "tier": spec.get("tier", "db-custom-2-7680"),
        "availabilityType": spec.get("availability", "ZONAL"), "pricingPlan": "PER_USE",
        "activationPolicy": "ALWAYS", "ipConfiguration": ip, "backupConfiguration": backup,
        "dataDiskType": "PD_SSD", "dataDiskSizeGb": "100", "settingsVersion": "4",
        "storageAutoResize": True, "edition": "ENTERPRISE",
        "locationPreference": {"zone": f"{region}-a", "kind": "sql#locationPreference"}}
    if spec.get("deletion_protection"):
        settings["deletionProtectionEnabled"] = True
    version = spec.get("database_version", "POSTGRES_15")
    res: dict[str, Any] = {
        "kind": "sql#instance", "state": "RUNNABLE", "databaseVersion": version,
        "settings": settings, "etag": "7b2f1c0e", "instanceType": "CLOUD_SQL_INSTANCE",
        "project": project, "backendType": "SECOND_GEN", "name": name, "region": region,
        "gceZone": f"{region}-a", "connectionName": f"{project}:{region}:{name}",
        "selfLink": f"https://sqladmin.googleapis.com/v1/projects/{project}/instances/{name}",
        "createTime": CREATED_UTC,
        "ipAddresses": [{"type": "PRIMARY", "ipAddress": "34.72.18.201"}]
        if ip["ipv4Enabled"] else [{"type": "PRIVATE", "ipAddress": "10.18.0.3"}]}
    if spec.get("kms_key"):
        key = key_name(spec["kms_key"])
        res["diskEncryptionConfiguration"] = {"kmsKeyName": key,
                                              "kind": "sql#diskEncryptionConfiguration"}
        res["diskEncryptionStatus"] = {"kmsKeyVersionName": f"{key}/cryptoKeyVersions/1",
                                       "kind": "sql#diskEncryptionStatus"}
    return res


def _filestore(spec: dict[str, Any], project: str, key_name: Any) -> dict[str, Any]:
    name = _name(spec, "filestore instance")
    location = spec.get("location", "us-central1-a")
    res: dict[str, Any] = {
        "name": f"projects/{project}/locations/{location}/instances/{name}", "state": "READY",
        "createTime": CREATED_UTC, "tier": spec.get("tier", "BASIC_HDD"),
        "fileShares": [{"name": "share1", "capacityGb": str(spec.get("capacity_gb", 1024))}],
        "networks": [{"network": "default", "modes": ["MODE_IPV4"],
                      "reservedIpRange": "10.0.0.0/29", "ipAddresses": ["10.0.0.2"],
                      "connectMode": "DIRECT_PEERING"}],
        "etag": "Cg8Y2Q", "satisfiesPzi": True}
    if spec.get("kms_key"):
        res["kmsKeyName"] = key_name(spec["kms_key"])
    if spec.get("labels"):
        res["labels"] = dict(spec["labels"])
    return res


def build_kinds(pspec: dict[str, Any], project: str, base_url: str, key_name: Any,
                add_faults: Any) -> KindsEstate:
    """``key_name`` expands a key shorthand; ``add_faults(scope, faults)`` books faults."""
    base = f"{base_url}/compute/v1/projects/{project}"
    kinds = KindsEstate()
    for spec in pspec.get("disks") or []:
        kinds.disks.append(_disk(spec, base, key_name))
    for spec, kind, target in ([(s, "snapshot", kinds.snapshots)
                                for s in pspec.get("snapshots") or []]
                               + [(s, "image", kinds.images) for s in pspec.get("images") or []]):
        item = _stored(spec, base, key_name, kind)
        target.append(item)
        scope = f"projects/{project}/global/{kind}s/{item['name']}"
        kinds.policies[scope] = _policy(spec, kind)
        add_faults(scope, spec.get("faults"))
    kinds.sql = [_sql(s, project, key_name) for s in pspec.get("sql_instances") or []]
    kinds.filestore = [_filestore(s, project, key_name)
                       for s in pspec.get("filestore_instances") or []]
    kinds.unreachable = [str(u) for u in pspec.get("filestore_unreachable") or []]
    return kinds
