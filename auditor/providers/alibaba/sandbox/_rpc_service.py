"""One read-only RPC stand-in (ECS, NAS, RDS): POSTs naming the action in ``x-acs-action``
(ACS3 signing) or an ``Action`` parameter, answered in JSON with a RequestId, errors as
``{"Code", "Message", "HostId", "Recommend"}`` as the API references show them. Only the
listed read actions are served; anything else is 405."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditor.providers.alibaba.sandbox._estate import Estate, fault_reply
from auditor.providers.alibaba.sandbox._kms import CREDENTIAL, _page, _params
from auditor.sandbox.base import RecordedRequest, Reply

Answer = Callable[[Estate, dict[str, str]], "dict[str, Any] | Reply"]
# Parameters naming the one resource a per-resource read is about: faults key on it.
RESOURCE_PARAMS = ("DBInstanceId", "ImageId", "FileSystemId")


@dataclass(frozen=True)
class Service:
    name: str  # ecs | nas | rds
    version: str
    codes: dict[int, str]  # HTTP status -> the error code a fault answers
    actions: dict[str, Answer]
    regional: frozenset[str]  # actions whose reference makes RegionId mandatory

    def json(self, status: int, body: dict[str, Any], action: str) -> Reply:
        body.setdefault("RequestId", str(uuid.uuid4()).upper())
        return Reply(status, json.dumps(body).encode(), "application/json;charset=utf-8",
                     {"x-recorded-action": f"{self.name}:{action}"})

    def error(self, status: int, code: str, message: str, action: str) -> Reply:
        return self.json(status, {"Code": code, "Message": message,
                                  "HostId": f"{self.name}.aliyuncs.com",
                                  "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}"},
                         action)


def paged_body(items: list[Any], params: dict[str, str], container: str, item: str,
               cap: int, counts: tuple[str, str] = ("TotalCount", "PageSize")) -> dict[str, Any]:
    """One page of ``items`` as ``{container: {item: [...]}}`` with its counts."""
    asked = min(cap, max(1, int(params.get("PageSize") or 10)))
    page, meta = _page(items, {**params, "PageSize": str(asked)})
    return {container: {item: page}, counts[0]: meta["TotalCount"],
            "PageNumber": meta["PageNumber"], counts[1]: meta["PageSize"]}


def handle(service: Service, estate: Estate, req: RecordedRequest, access_key: str) -> Reply:
    params = _params(req)
    action = req.headers.get("x-acs-action") or params.get("Action", "")
    if req.method != "POST" or action not in service.actions:
        return service.error(405, "UnsupportedOperation",
                             f"{action or req.method} is not served: read-only stand-in",
                             action or "Unknown")
    version = req.headers.get("x-acs-version") or params.get("Version")
    if version != service.version:
        return service.error(400, "InvalidVersion", f"Specified parameter Version {version!r} "
                             "is not valid.", action)
    match = CREDENTIAL.search(req.headers.get("authorization", ""))
    key_id = match.group(1) if match else params.get("AccessKeyId")
    if key_id != access_key and key_id not in estate.access_keys:
        return service.error(404, "InvalidAccessKeyId.NotFound",
                             "Specified access key is not found.", action)
    region = params.get("RegionId", "")
    if action in service.regional and not region:
        return service.error(400, "MissingRegionId", "RegionId is mandatory for this action.",
                             action)
    scopes = [params[p] for p in RESOURCE_PARAMS if params.get(p)]
    scopes += [f"{service.name}/{region}", ""]
    fault = next((f for f in (estate.faults.take(s, action) for s in scopes) if f is not None),
                 None)
    if fault is not None:
        status, code = fault_reply(fault, service.codes)
        return service.error(status, code, f"injected fault for {action}", action)
    answer = service.actions[action](estate, params)
    return answer if isinstance(answer, Reply) else service.json(200, answer, action)
