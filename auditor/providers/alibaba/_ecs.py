"""ECS read calls: account-level default disk (EBS) encryption of one region.

ECS API 2014-05-26, RPC style, through the generic OpenAPI client (the ECS SDK is not a
dependency for two reads). Both calls take only RegionId:
- DescribeDiskEncryptionByDefaultStatus -> {"RequestId", "Encrypted": bool}
- DescribeDiskDefaultKMSKeyId -> {"RequestId", "KMSKeyId": str}
"""

from __future__ import annotations

from typing import Any

from alibabacloud_tea_openapi.client import Client as OpenApiClient
from alibabacloud_tea_openapi.models import OpenApiRequest, Params
from darabonba.runtime import RuntimeOptions

from auditor.errors import ServiceError
from auditor.providers.alibaba._errors import Caller

VERSION = "2014-05-26"
STATUS = "ecs:DescribeDiskEncryptionByDefaultStatus"
DEFAULT_KEY = "ecs:DescribeDiskDefaultKMSKeyId"


def _rpc(client: OpenApiClient, call: Caller, operation: str, region: str) -> dict[str, Any]:
    params = Params(action=operation.split(":", 1)[1], version=VERSION, protocol="HTTPS",
                    method="POST", auth_type="AK", style="RPC", pathname="/",
                    req_body_type="formData", body_type="json")
    response = call(operation, lambda: client.call_api(
        params, OpenApiRequest(query={"RegionId": region}), RuntimeOptions()))
    body = response.get("body") if isinstance(response, dict) else None
    if not isinstance(body, dict):
        raise ServiceError(operation, "UnparsableResponse", "the answer is not a JSON object")
    return body


def encryption_by_default(client: OpenApiClient, call: Caller, region: str) -> bool:
    """Whether new disks in ``region`` are encrypted by default (Encrypted)."""
    value = _rpc(client, call, STATUS, region).get("Encrypted")
    if not isinstance(value, bool):
        raise ServiceError(STATUS, "UnparsableResponse",
                           f"Encrypted is {value!r}, not a boolean")
    return value


def default_kms_key_id(client: OpenApiClient, call: Caller, region: str) -> str | None:
    """The KMS key default encryption uses in ``region``; None when KMSKeyId is empty.

    A missing KMSKeyId field is unparsable, never read as "no key".
    """
    body = _rpc(client, call, DEFAULT_KEY, region)
    if "KMSKeyId" not in body:
        raise ServiceError(DEFAULT_KEY, "UnparsableResponse", "the answer has no KMSKeyId")
    value = body["KMSKeyId"]
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ServiceError(DEFAULT_KEY, "UnparsableResponse",
                           f"KMSKeyId is {value!r}, not a string")
    return value
