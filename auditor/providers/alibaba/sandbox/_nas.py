"""NAS stand-in (API 2017-06-26): DescribeFileSystems and DescribeSmbAcl, read-only."""

from __future__ import annotations

from typing import Any

from auditor.providers.alibaba.sandbox._estate import ECS_CODES, Estate
from auditor.providers.alibaba.sandbox._rpc_service import Service, paged_body
from auditor.providers.alibaba.sandbox._rpc_service import handle as _handle
from auditor.providers.alibaba.sandbox._storage import file_system_entry
from auditor.sandbox.base import RecordedRequest, Reply

VERSION = "2017-06-26"


def _file_systems(estate: Estate, params: dict[str, str]) -> dict[str, Any]:
    found = [file_system_entry(s) for s in estate.storage.in_region("file_systems",
                                                                    params["RegionId"])]
    return paged_body(found, params, "FileSystems", "FileSystem", estate.storage.page_size)


def _smb_acl(estate: Estate, params: dict[str, str]) -> dict[str, Any] | Reply:
    spec = estate.storage.find("file_systems", params.get("FileSystemId", ""))
    if spec is None or spec.get("protocol") != "SMB":
        return SERVICE.error(404, "InvalidFileSystem.NotFound",
                             "The specified SMB file system does not exist.", "DescribeSmbAcl")
    reject = bool(spec.get("reject_unencrypted", False))
    return {"Acl": {"Enabled": True, "EnableAnonymousAccess": False, "EncryptData": reject,
                    "RejectUnencryptedAccess": reject}}


SERVICE = Service("nas", VERSION, ECS_CODES, {
    "DescribeFileSystems": _file_systems, "DescribeSmbAcl": _smb_acl,
}, regional=frozenset({"DescribeFileSystems"}))


def handle(estate: Estate, req: RecordedRequest, access_key: str) -> Reply:
    return _handle(SERVICE, estate, req, access_key)
