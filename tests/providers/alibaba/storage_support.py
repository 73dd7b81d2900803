"""An estate of ECS disks, snapshots and images, NAS file systems and RDS instances whose ids
say which branch of the adapter they exercise, for the storage-kind tests."""

from __future__ import annotations

from typing import Any

from alibaba_support import ACCOUNT, CUST, CUST_NOROT, HSM, KEYS, LOCKED_KEY, b

from auditor.model import Resource
from auditor.providers.base import Collection

HZ, SH = "cn-hangzhou", "cn-shanghai"
PAGE = 2  # rpc_page_size: every listing of more than two entries is paged
SHARED_WITH = "2233445566778899"

DISKS = [
    {"id": "d-plain", "region": HZ},
    {"id": "d-cmk", "region": HZ, "encrypted": True, "key": CUST},
    {"id": "d-service", "region": HZ, "encrypted": True},
    {"id": "d-detached", "region": HZ, "status": "Available", "encrypted": True,
     "key": CUST_NOROT},
    {"id": "d-attaching", "region": HZ, "status": "Attaching"},
    {"id": "d-hsm", "region": SH, "encrypted": True, "key": HSM},
    {"id": "d-key-denied", "region": SH, "encrypted": True, "key": LOCKED_KEY},
]
SNAPSHOTS = [
    {"id": "s-plain", "region": HZ},
    {"id": "s-cmk", "region": HZ, "encrypted": True, "key": CUST},
    {"id": "s-private", "region": HZ, "encrypted": True, "key": CUST},
    {"id": "s-lonely", "region": HZ, "encrypted": True},
    {"id": "s-share-denied", "region": SH},
]
IMAGES = [
    {"id": "m-public", "region": HZ, "snapshots": ["s-plain"], "public": True},
    {"id": "m-shared", "region": HZ, "snapshots": ["s-cmk"], "shared_with": [SHARED_WITH]},
    {"id": "m-private", "region": HZ, "snapshots": ["s-private"]},
    {"id": "m-share-denied", "region": SH, "snapshots": ["s-share-denied"],
     "shared_with": [SHARED_WITH], "faults": {"DescribeImageSharePermission": 403}},
]
FILE_SYSTEMS = [
    {"id": "fs-nfs-plain", "region": HZ, "encrypt_type": 0},
    {"id": "fs-nfs-cmk", "region": HZ, "encrypt_type": 2, "key": CUST},
    {"id": "fs-smb-strict", "region": HZ, "protocol": "SMB", "encrypt_type": 1,
     "reject_unencrypted": True},
    {"id": "fs-smb-lax", "region": SH, "protocol": "SMB", "encrypt_type": 1},
    {"id": "fs-smb-denied", "region": SH, "protocol": "SMB", "encrypt_type": 2, "key": HSM,
     "faults": {"DescribeSmbAcl": 403}},
    {"id": "fs-odd", "region": SH, "encrypt_type": 7},
]
DATABASES = [
    {"id": "rm-open", "region": HZ, "engine": "MySQL", "public": True,
     "whitelist": ["10.0.0.0/8", "0.0.0.0/0"], "backup_days": 3, "backup_period": ""},
    {"id": "rm-hardened", "region": HZ, "engine": "MySQL", "public": True,
     "whitelist": ["203.0.113.0/24"], "ssl": True, "force_ssl": True, "disk_key": CUST,
     "deletion_protection": True, "backup_days": 30},
    {"id": "rm-ssl-optional", "region": HZ, "engine": "MySQL", "ssl": True, "tde": True},
    {"id": "rm-sqlserver", "region": SH, "engine": "SQLServer", "ssl": True, "force_ssl": True,
     "tde": True, "tde_key": HSM, "deletion_protection": True},
    {"id": "rm-postgres", "region": SH, "engine": "PostgreSQL", "ssl": True,
     "faults": {"DescribeDBInstanceTDE": 403}},
    {"id": "rm-postgres-strict", "region": SH, "engine": "PostgreSQL", "ssl": True,
     "force_ssl": True},
    {"id": "rm-mariadb", "region": SH, "engine": "MariaDB", "ssl": True},
    {"id": "rm-flaky", "region": SH, "engine": "MySQL",
     "faults": {"DescribeDBInstanceNetInfo": [503, 503], "DescribeBackupPolicy": 500}},
    {"id": "rm-odd", "region": SH, "engine": "MySQL", "omits": ["DeletionProtection"],
     "DescribeDBInstanceTDE_omits": ["TDEStatus"]},
]


def storage_section(**over: Any) -> dict[str, Any]:
    return {"account": ACCOUNT, "keys": KEYS, "rpc_page_size": PAGE,
            "buckets": [b("storage-anchor")], "disks": DISKS, "snapshots": SNAPSHOTS,
            "images": IMAGES, "file_systems": FILE_SYSTEMS, "db_instances": DATABASES,
            **over}


def by_name(collection: Collection, kind: str) -> dict[str, Resource]:
    """Resources of ``kind`` by their id's last segment (d-cmk, m-public, ...)."""
    return {r.id.rsplit("/", 1)[-1]: r for r in collection.resources if r.kind == kind}
