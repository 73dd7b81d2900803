"""ApsaraDB RDS read calls (API 2014-08-15, RPC style, generic OpenAPI client).

DescribeDBInstances is regional and paged (PageNumber/PageSize up to 100, TotalRecordCount)
and carries DeletionProtection. Nothing in it states encryption, TLS, network exposure or
backups, so those are read per instance, each only when one of its facts is wanted:
- DescribeDBInstanceNetInfo: the connection strings and their IPType (Public or not);
- DescribeDBInstanceIPArrayList: the whitelists, only for an instance with a public one;
- DescribeDBInstanceSSL: SSLEnabled, and ForceEncryption for SQL Server;
- DescribeParameters: require_secure_transport, only for MySQL with SSL on;
- DescribePGHbaConfig: the running pg_hba entries, only for PostgreSQL with SSL on;
- DescribeDBInstanceEncryptionKey (cloud disk encryption), then DescribeDBInstanceTDE only
  when disk encryption is off (an instance on an encrypted disk is encrypted whatever TDE is);
- DescribeBackupPolicy: BackupRetentionPeriod and the backup cycle.
"""

from __future__ import annotations

from typing import Any

from alibabacloud_tea_openapi.client import Client as OpenApiClient

from auditor.providers.alibaba._ecs_storage import Listed
from auditor.providers.alibaba._errors import Caller
from auditor.providers.alibaba._listings import paged
from auditor.providers.alibaba._rpc import rpc

VERSION = "2014-08-15"
INSTANCES = "rds:DescribeDBInstances"
NET_INFO = "rds:DescribeDBInstanceNetInfo"
IP_ARRAYS = "rds:DescribeDBInstanceIPArrayList"
SSL = "rds:DescribeDBInstanceSSL"
PARAMETERS = "rds:DescribeParameters"
PG_HBA = "rds:DescribePGHbaConfig"
DISK_KEY = "rds:DescribeDBInstanceEncryptionKey"
TDE = "rds:DescribeDBInstanceTDE"
BACKUP = "rds:DescribeBackupPolicy"


def list_instances(client: OpenApiClient, call: Caller, region: str) -> Listed:
    """Every RDS instance of ``region`` (Items.DBInstance)."""
    return paged(client, call, INSTANCES, VERSION, ("Items", "DBInstance"),
                 {"RegionId": region}, total="TotalRecordCount")


def read(client: OpenApiClient, call: Caller, operation: str, instance_id: str
         ) -> dict[str, Any]:
    """The checked answer of one per-instance read (answers.yaml)."""
    return rpc(client, call, operation, VERSION, {"DBInstanceId": instance_id})


def net_info(client: OpenApiClient, call: Caller, instance_id: str) -> list[dict[str, Any]]:
    return read(client, call, NET_INFO, instance_id)["DBInstanceNetInfos"]["DBInstanceNetInfo"]


def ip_arrays(client: OpenApiClient, call: Caller, instance_id: str) -> list[dict[str, Any]]:
    return read(client, call, IP_ARRAYS, instance_id)["Items"]["DBInstanceIPArray"]


def running_parameter(client: OpenApiClient, call: Caller, instance_id: str,
                      name: str) -> str | None:
    """The running value of one engine parameter; None when the answer does not list it."""
    body = read(client, call, PARAMETERS, instance_id)
    found = [p for p in body["RunningParameters"]["DBInstanceParameter"]
             if p.get("ParameterName") == name]
    return str(found[0].get("ParameterValue")) if found else None


def hba_entries(client: OpenApiClient, call: Caller, instance_id: str) -> list[dict[str, Any]]:
    """The running pg_hba entries of a PostgreSQL instance (RunningHbaItems.HbaItem)."""
    return read(client, call, PG_HBA, instance_id)["RunningHbaItems"]["HbaItem"]
