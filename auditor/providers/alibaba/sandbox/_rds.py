"""ApsaraDB RDS stand-in (API 2014-08-15): DescribeDBInstances and the per-instance reads
the adapter makes (network, whitelists, SSL, parameters, pg_hba, encryption, TDE, backup
policy)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auditor.providers.alibaba.sandbox._estate import ECS_CODES, Estate
from auditor.providers.alibaba.sandbox._rpc_service import Service, paged_body
from auditor.providers.alibaba.sandbox._rpc_service import handle as _handle
from auditor.providers.alibaba.sandbox._storage import db_entry
from auditor.sandbox.base import RecordedRequest, Reply

VERSION = "2014-08-15"
Spec = dict[str, Any]


def _instances(estate: Estate, params: dict[str, str]) -> dict[str, Any]:
    found = [db_entry(s) for s in estate.storage.in_region("db_instances", params["RegionId"])]
    return paged_body(found, params, "Items", "DBInstance", estate.storage.page_size,
                      ("TotalRecordCount", "PageRecordCount"))


def _net_info(spec: Spec) -> dict[str, Any]:
    infos = [{"ConnectionString": f"{spec['id']}.mysql.rds.aliyuncs.com", "IPType": "Private",
              "Port": "3306", "IPAddress": "172.16.0.10"}]
    if spec.get("public"):
        infos.append({"ConnectionString": f"{spec['id']}o.mysql.rds.aliyuncs.com",
                      "IPType": str(spec.get("ip_type", "Public")), "Port": "3306",
                      "IPAddress": "47.98.0.10"})
    return {"InstanceNetworkType": "VPC", "DBInstanceNetInfos": {"DBInstanceNetInfo": infos}}


def _ip_arrays(spec: Spec) -> dict[str, Any]:
    whitelist = ",".join(str(w) for w in spec.get("whitelist", ["127.0.0.1"]))
    return {"Items": {"DBInstanceIPArray": [
        {"DBInstanceIPArrayName": "default", "SecurityIPType": "ipv4",
         "SecurityIPList": whitelist, "DBInstanceIPArrayAttribute": ""}]}}


def _ssl(spec: Spec) -> dict[str, Any]:
    body = {"SSLEnabled": "Yes" if spec.get("ssl") else "No", "RequireUpdate": "No",
            "ConnectionString": f"{spec['id']}.mysql.rds.aliyuncs.com"}
    if spec.get("engine") == "SQLServer":
        body["ForceEncryption"] = "1" if spec.get("force_ssl") else "0"
    return body


def _parameters(spec: Spec) -> dict[str, Any]:
    # secure_transport: the running value exactly as written (test shapes: 1, 0, "yes"...)
    value = str(spec.get("secure_transport", "ON" if spec.get("force_ssl") else "OFF"))
    return {"Engine": spec.get("engine", "MySQL"), "EngineVersion": "8.0",
            "ConfigParameters": {"DBInstanceParameter": []},
            "RunningParameters": {"DBInstanceParameter": [
                {"ParameterName": "require_secure_transport", "ParameterValue": value},
                {"ParameterName": "max_connections", "ParameterValue": "2000"}]}}


def _pg_hba(spec: Spec) -> dict[str, Any]:
    """force_ssl: TLS connections only (hostssl, and host rejected); else host md5."""
    entry = {"Database": "all", "User": "all", "Address": "0.0.0.0/0", "Mask": ""}
    items = ([{**entry, "Type": "hostssl", "Method": "md5", "PriorityId": 1},
              {**entry, "Type": "host", "Method": "reject", "PriorityId": 2}]
             if spec.get("force_ssl") else [{**entry, "Type": "host", "Method": "md5",
                                             "PriorityId": 1}])
    if spec.get("hba") is not None:  # the running entries as given: [(Type, Method)]
        items = [{**entry, "Type": str(t), "Method": str(m), "PriorityId": i + 1}
                 for i, (t, m) in enumerate(spec["hba"])]
    return {"DBInstanceId": spec["id"], "RunningHbaItems": {"HbaItem": items},
            "DefaultHbaItems": {"HbaItem": []}, "HbaModifyTime": "2024-05-13T08:21:44Z"}


def _disk_key(spec: Spec) -> dict[str, Any]:
    key = str(spec.get("disk_key") or "")
    status = spec.get("disk_key_status", "Enabled" if key else "")
    return {"EncryptionKey": key, "EncryptionKeyStatus": str(status),
            "KeyUsage": "ENCRYPT/DECRYPT" if key else "", "Origin": "Aliyun_KMS" if key else ""}


def _tde(spec: Spec) -> dict[str, Any]:
    body = {"TDEStatus": "Enabled" if spec.get("tde") else "Disabled"}
    if spec.get("tde_key"):
        body["EncryptionKey"] = str(spec["tde_key"])
    return body


def _backup(spec: Spec) -> dict[str, Any]:
    return {"BackupRetentionPeriod": int(spec.get("backup_days", 7)),
            "PreferredBackupPeriod": str(spec.get("backup_period", "Monday,Thursday")),
            "PreferredBackupTime": "19:00Z-20:00Z", "BackupLog": "Enable",
            "EnableBackupLog": "1", "LogBackupRetentionPeriod": 7}


def _per_instance(action: str, answer: Callable[[Spec], dict[str, Any]]) -> Any:
    def serve(estate: Estate, params: dict[str, str]) -> dict[str, Any] | Reply:
        spec = estate.storage.find("db_instances", params.get("DBInstanceId", ""))
        if spec is None:
            return SERVICE.error(404, "InvalidDBInstanceId.NotFound",
                                 "The specified instance is not found.", action)
        body = answer(spec)
        for name in spec.get(f"{action}_omits", []) or []:
            body.pop(str(name), None)
        return body
    return serve


_READS = {"DescribeDBInstanceNetInfo": _net_info, "DescribeDBInstanceIPArrayList": _ip_arrays,
          "DescribeDBInstanceSSL": _ssl, "DescribeParameters": _parameters,
          "DescribePGHbaConfig": _pg_hba,
          "DescribeDBInstanceEncryptionKey": _disk_key, "DescribeDBInstanceTDE": _tde,
          "DescribeBackupPolicy": _backup}
SERVICE = Service("rds", VERSION, ECS_CODES, {
    "DescribeDBInstances": _instances,
    **{action: _per_instance(action, fn) for action, fn in _READS.items()},
}, regional=frozenset({"DescribeDBInstances"}))


def handle(estate: Estate, req: RecordedRequest, access_key: str) -> Reply:
    return _handle(SERVICE, estate, req, access_key)
