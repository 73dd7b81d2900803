"""ECS read calls: account-level default disk (EBS) encryption of one region.

ECS API 2014-05-26, RPC style, through the generic OpenAPI client (the ECS SDK is not a
dependency for two reads). Both calls take only RegionId:
- DescribeDiskEncryptionByDefaultStatus -> {"RequestId", "Encrypted": bool}
- DescribeDiskDefaultKMSKeyId -> {"RequestId", "KMSKeyId": str}
"""

from __future__ import annotations

from typing import Any

from alibabacloud_tea_openapi.client import Client as OpenApiClient

from auditor.errors import MalformedAnswer
from auditor.providers.alibaba._errors import Caller
from auditor.providers.alibaba._rpc import rpc

VERSION = "2014-05-26"
STATUS = "ecs:DescribeDiskEncryptionByDefaultStatus"
DEFAULT_KEY = "ecs:DescribeDiskDefaultKMSKeyId"


def _rpc(client: OpenApiClient, call: Caller, operation: str, region: str) -> dict[str, Any]:
    return rpc(client, call, operation, VERSION, {"RegionId": region})


def encryption_by_default(client: OpenApiClient, call: Caller, region: str) -> bool:
    """Whether new disks in ``region`` are encrypted by default (Encrypted)."""
    return bool(_rpc(client, call, STATUS, region)["Encrypted"])  # a boolean: answers.yaml


def default_kms_key_id(client: OpenApiClient, call: Caller, region: str) -> str | None:
    """The KMS key default encryption uses in ``region``; None when KMSKeyId is empty.

    A missing KMSKeyId field is unparsable, never read as "no key".
    """
    body = _rpc(client, call, DEFAULT_KEY, region)
    if "KMSKeyId" not in body:
        raise MalformedAnswer(DEFAULT_KEY, "UnparsableResponse", "the answer has no KMSKeyId")
    value = body["KMSKeyId"]
    return value or None  # a string or null: answers.yaml
