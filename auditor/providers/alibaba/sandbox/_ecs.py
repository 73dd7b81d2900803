"""ECS stand-in: the two account-level default disk encryption reads of the ECS 2014-05-26
API, RPC-style POSTs. The generic OpenAPI client names the action in the ``x-acs-action``
header (ACS3 signing); the older signature sends an ``Action`` parameter: both are served.
JSON answers and errors as the ECS API reference shows them. Nothing else is served."""

from __future__ import annotations

import json
import uuid
from typing import Any

from auditor.providers.alibaba.sandbox._estate import ECS_CODES, DiskDefaults, Estate, fault_reply
from auditor.providers.alibaba.sandbox._kms import CREDENTIAL, _params
from auditor.sandbox.base import RecordedRequest, Reply

VERSION = "2014-05-26"
STATUS = "DescribeDiskEncryptionByDefaultStatus"
DEFAULT_KEY = "DescribeDiskDefaultKMSKeyId"
READ_ACTIONS = frozenset({STATUS, DEFAULT_KEY})


def _json(status: int, body: dict[str, Any], action: str) -> Reply:
    body.setdefault("RequestId", str(uuid.uuid4()).upper())
    return Reply(status, json.dumps(body).encode(), "application/json;charset=utf-8",
                 {"x-recorded-action": f"ecs:{action}"})


def error(status: int, code: str, message: str, action: str) -> Reply:
    return _json(status, {"Code": code, "Message": message, "HostId": "ecs.aliyuncs.com",
                          "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}"}, action)


def _signed_by(req: RecordedRequest, params: dict[str, str]) -> str | None:
    match = CREDENTIAL.search(req.headers.get("authorization", ""))
    return match.group(1) if match else params.get("AccessKeyId")


def handle(estate: Estate, req: RecordedRequest, access_key: str) -> Reply:
    params = _params(req)
    action = req.headers.get("x-acs-action") or params.get("Action", "")
    if req.method != "POST" or action not in READ_ACTIONS:
        return error(405, "UnsupportedOperation",
                     f"{action or req.method} is not served: read-only stand-in",
                     action or "Unknown")
    version = req.headers.get("x-acs-version") or params.get("Version")
    if version != VERSION:
        return error(400, "InvalidVersion", f"Specified parameter Version {version!r} is not "
                     "valid.", action)
    key_id = _signed_by(req, params)
    if key_id != access_key and key_id not in estate.access_keys:
        return error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.",
                     action)
    region = params.get("RegionId", "")
    if not region:
        return error(400, "MissingRegionId", "RegionId is mandatory for this action.", action)
    fault = estate.faults.take(f"ecs/{region}", action)
    if fault is None:
        fault = estate.faults.take("", action)
    if fault is not None:
        status, code = fault_reply(fault, ECS_CODES)
        return error(status, code, f"injected fault for {action} in {region}", action)
    setting = estate.disk_defaults.get(region, DiskDefaults())
    body: dict[str, Any] = ({"Encrypted": setting.encrypted} if action == STATUS
                            else {"KMSKeyId": setting.key or ""})
    for name in setting.omits:
        body.pop(name, None)
    return _json(200, body, action)
