"""KMS stand-in: RPC-style POSTs named by the ``x-acs-action`` header, JSON answers as the
KMS 2016-01-20 API reference shows them. Only the read actions below are served."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import parse_qs

from auditor.providers.alibaba.sandbox._estate import KMS_CODES, Estate, Key, fault_reply
from auditor.sandbox.base import RecordedRequest, Reply

READ_ACTIONS = frozenset({"ListKeys", "DescribeKey", "ListAliases", "GetKeyPolicy",
                          "ListResourceTags"})
CREDENTIAL = re.compile(r"Credential=([^,\s]+)")


def _json(status: int, body: dict[str, Any], action: str) -> Reply:
    body.setdefault("RequestId", str(uuid.uuid4()))
    return Reply(status, json.dumps(body).encode(), "application/json;charset=utf-8",
                 {"x-recorded-action": f"kms:{action}"})


def error(status: int, code: str, message: str, action: str) -> Reply:
    return _json(status, {"Code": code, "Message": message, "HostId": "kms.aliyuncs.com",
                          "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}"}, action)


def _fault_message(req: RecordedRequest, code: str, key_id: str, action: str) -> str:
    """The injected error's message. KMS echoes the string it signed on a signature
    mismatch, AccessKey id and security token included: a message that must be scrubbed."""
    if code != "SignatureDoesNotMatch":
        return f"injected fault for {action}"
    token = req.headers.get("x-acs-security-token", "")
    return ("Specified signature is not matched with our calculation. server string to sign "
            f"is: ACS3-HMAC-SHA256 Credential={key_id} x-acs-action:{action}"
            + (f" x-acs-security-token:{token}" if token else ""))


def _params(req: RecordedRequest) -> dict[str, str]:
    """RPC parameters travel in the query string, or as a form body."""
    merged = {k: v[0] for k, v in req.query.items() if v}
    if req.body:
        merged.update({k: v[0] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()})
    return merged


def _page(items: list[Any], params: dict[str, str]) -> tuple[list[Any], dict[str, int]]:
    number = max(1, int(params.get("PageNumber", 1)))
    size = min(100, max(1, int(params.get("PageSize", 10))))
    start = (number - 1) * size
    return items[start:start + size], {"TotalCount": len(items), "PageNumber": number,
                                       "PageSize": size}


def _key_or_error(estate: Estate, params: dict[str, str], action: str) -> Key | Reply:
    ref = params.get("KeyId", "")
    key = estate.find_key(ref)
    if key is None:
        return error(404, "Forbidden.KeyNotFound", "The specified Key is not found.", action)
    fault = estate.faults.take(key.id, action)
    if fault is not None:
        status, code = fault_reply(fault, KMS_CODES)
        return error(status, code, f"injected fault for {action}", action)
    return key


def handle(estate: Estate, req: RecordedRequest, access_key: str) -> Reply:
    action = req.headers.get("x-acs-action", "")
    if req.method != "POST" or action not in READ_ACTIONS:
        return error(405, "UnsupportedOperation",
                     f"{action or req.method} is not served: read-only stand-in",
                     action or "Unknown")
    match = CREDENTIAL.search(req.headers.get("authorization", ""))
    if match is None or (match.group(1) != access_key and
                         match.group(1) not in estate.access_keys):
        return error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.",
                     action)
    fault = estate.faults.take("", action)
    if fault is not None:
        status, code = fault_reply(fault, KMS_CODES)
        return error(status, code, _fault_message(req, code, match.group(1), action), action)
    params = _params(req)
    keys = sorted(estate.keys.values(), key=lambda k: (k.region, k.id))
    if action == "ListKeys":
        page, meta = _page(keys, params)
        return _json(200, {"Keys": {"Key": [{"KeyId": k.id, "KeyArn": k.metadata["Arn"]}
                                            for k in page]}, **meta}, action)
    if action == "ListAliases":
        aliases = [{"KeyId": k.id, "AliasName": a,
                    "AliasArn": f"acs:kms:{k.region}:{estate.account}:{a}"}
                   for k in keys for a in k.aliases]
        page, meta = _page(aliases, params)
        return _json(200, {"Aliases": {"Alias": page}, **meta}, action)
    found = _key_or_error(estate, params, action)
    if isinstance(found, Reply):
        return found
    if action == "DescribeKey":
        return _json(200, {"KeyMetadata": dict(found.metadata)}, action)
    if action == "ListResourceTags":  # API reference: Tags.Tag[] of {KeyId, TagKey, TagValue}
        return _json(200, {"Tags": {"Tag": [{"KeyId": found.id, "TagKey": k, "TagValue": v}
                                            for k, v in found.tags.items()]}}, action)
    # GetKeyPolicy: key policies exist only for keys in a KMS instance
    if "DKMSInstanceId" not in found.metadata or found.policy is None:
        return error(400, "UnsupportedOperation",
                     "Key policies apply only to keys in a KMS instance.", action)
    if params.get("PolicyName", "default") != "default":
        return error(404, "Forbidden.ResourceNotFound", "The policy is not found.", action)
    return _json(200, {"Policy": found.policy}, action)
