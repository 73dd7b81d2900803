"""NAS read calls (API 2017-06-26, RPC style, generic OpenAPI client): file systems and the
SMB access settings that can refuse unencrypted clients.

DescribeFileSystems is regional and paged (PageNumber/PageSize up to 100, TotalCount); it
carries EncryptType (0 none, 1 NAS-managed key, 2 a KMS key of the customer) and KMSKeyId.
Encryption in transit: NFS takes TLS only as a client mount option (the server cannot refuse
plain NFS), so it is opaque; SMB file systems can refuse unencrypted access
(DescribeSmbAcl RejectUnencryptedAccess), read once per SMB file system.
"""

from __future__ import annotations

from typing import Any

from alibabacloud_tea_openapi.client import Client as OpenApiClient

from auditor.providers.alibaba._ecs_storage import Listed
from auditor.providers.alibaba._errors import Caller
from auditor.providers.alibaba._listings import paged
from auditor.providers.alibaba._rpc import rpc

VERSION = "2017-06-26"
FILE_SYSTEMS = "nas:DescribeFileSystems"
SMB_ACL = "nas:DescribeSmbAcl"


def list_file_systems(client: OpenApiClient, call: Caller, region: str) -> Listed:
    """Every file system of ``region`` of every type (FileSystems.FileSystem)."""
    return paged(client, call, FILE_SYSTEMS, VERSION, ("FileSystems", "FileSystem"),
                 {"RegionId": region, "FileSystemType": "all"})


def smb_acl(client: OpenApiClient, call: Caller, region: str, fs_id: str) -> dict[str, Any]:
    """The Acl object of an SMB file system (Enabled, RejectUnencryptedAccess, ...)."""
    return rpc(client, call, SMB_ACL, VERSION, {"RegionId": region, "FileSystemId": fs_id})["Acl"]
