"""Resource Directory and STS stand-ins: Resource Manager 2020-03-31 ListAccounts and STS
2015-04-01 AssumeRole / GetCallerIdentity, RPC-style POSTs answered in JSON as the API
references show them (the ListAccounts and AssumeRole sample responses).

The ``directory:`` field of the alibaba section (all optional but ``account``):

directory: {id: rd-..., page_size (cap on ListAccounts pages), faults: {ListAccounts: 403},
            members: [{account (required, digits), name, status (CreateSuccess; e.g.
                       CreateVerifying), type (ResourceAccount | CloudAccount), join (created |
                       invited), folder (fd-...), roles: [RAM roles that exist; default
                       ResourceDirectoryAccountAccessRole], refuse (an AssumeRole error code
                       answered always, e.g. NoPermission, EntityNotExist.Role), external_id
                       (the ExternalId the role's trust policy asks for), access_keys (AccessKey
                       ids of the member's own, e.g. a credential profile's), estate (the
                       member's own buckets, keys, ecs_default_encryption)}]}

Every stand-in tells accounts apart by the AccessKey id a request is signed with: the
sandbox's own key is the management account, a key AssumeRole issued (or one a member lists
in access_keys) is that member. The management account is listed first, as a member.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.providers.alibaba.sandbox import _kms
from auditor.providers.alibaba.sandbox._estate import (
    Estate,
    EstateError,
    Faults,
    build,
    fault_reply,
)
from auditor.sandbox.base import RecordedRequest, Reply

RM_VERSION, STS_VERSION = "2020-03-31", "2015-04-01"
DEFAULT_ROLE = "ResourceDirectoryAccountAccessRole"
JOINED = "2024-05-13T08:01:50.522Z"
# AssumeRole and ListAccounts error codes (API references) and their HTTP status.
CODES = {"NoPermission": 403, "EntityNotExist.Role": 404,
         "EntityNotExists.ResourceDirectory": 404, "InvalidParameter.RoleArn": 400}
ROLE_ARN = re.compile(r"acs:ram::([0-9]+):role/([^/]+)")
SESSION_NAME = re.compile(r"[a-zA-Z0-9.@\-_]{2,64}")


@dataclass
class Member:
    account: str
    spec: dict[str, Any]
    estate: Estate

    @property
    def roles(self) -> set[str]:
        return {str(r) for r in self.spec.get("roles", [DEFAULT_ROLE])}

    def listed(self, directory: str) -> dict[str, Any]:
        """One Accounts.Account entry of ListAccounts."""
        folder = str(self.spec.get("folder", "fd-QRzuim1234"))
        return {"AccountId": self.account, "DisplayName": str(self.spec.get("name", self.account)),
                "Status": str(self.spec.get("status", "CreateSuccess")),
                "Type": str(self.spec.get("type", "ResourceAccount")), "FolderId": folder,
                "JoinMethod": str(self.spec.get("join", "created")), "JoinTime": JOINED,
                "ModifyTime": JOINED, "ResourceDirectoryId": directory,
                "ResourceDirectoryPath": f"{directory}/r-Wm1234/{folder}/{self.account}"}


@dataclass
class Directory:
    id: str
    members: list[Member]
    page_size: int = 100
    faults: Faults = field(default_factory=Faults)
    # AccessKey id -> (account, role, secret, token) of every AssumeRole answered
    issued: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def member(self, account: str) -> Member | None:
        return next((m for m in self.members if m.account == account), None)

    def owner_of(self, key_id: str) -> Member | None:
        """The member whose account ``key_id`` is a key of (issued, or its own)."""
        with self.lock:
            issued = self.issued.get(key_id)
        if issued is not None:
            return self.member(issued[0])
        return next((m for m in self.members if key_id in m.estate.access_keys), None)


def build_directory(spec: Any) -> Directory | None:
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise EstateError("directory must be a mapping with members")
    members = []
    for entry in spec.get("members", []) or []:
        if not isinstance(entry, dict) or not str(entry.get("account", "")).isdigit():
            raise EstateError(f"directory member {entry!r}: account (digits) is required")
        account = str(entry["account"])
        estate = build({**(entry.get("estate") or {}), "account": account,
                        "access_keys": entry.get("access_keys", [])})
        members.append(Member(account, dict(entry), estate))
    directory = Directory(str(spec.get("id", "rd-3G9kQ2")), members,
                          int(spec.get("page_size", 100)))
    directory.faults.add("", spec.get("faults"))
    return directory


def _json(status: int, body: dict[str, Any], operation: str) -> Reply:
    reply = _kms._json(status, body, operation)
    reply.headers["x-recorded-action"] = operation
    return reply


def _error(code: str, message: str, operation: str, status: int | None = None) -> Reply:
    status = status or CODES.get(code) or fault_reply(code, {})[0]
    return _json(status, {"Code": code, "Message": message, "HostId": operation.split(":")[0]
                          + ".aliyuncs.com"}, operation)


def _call(req: RecordedRequest, service: str, served: set[str],
          version: str) -> tuple[str, dict[str, str], str | None] | Reply:
    """(action, parameters, signing AccessKey id), or the error reply."""
    params = _kms._params(req)
    action = req.headers.get("x-acs-action") or params.get("Action", "")
    if req.method != "POST" or action not in served:
        return _error("UnsupportedOperation", f"{action or req.method} is not served: "
                      "read-only stand-in", f"{service}:{action or 'Unknown'}", 405)
    if (req.headers.get("x-acs-version") or params.get("Version")) != version:
        return _error("InvalidVersion", "Specified parameter Version is not valid.",
                      f"{service}:{action}", 400)
    match = _kms.CREDENTIAL.search(req.headers.get("authorization", ""))
    return action, params, match.group(1) if match else params.get("AccessKeyId")


def handle_resourcemanager(directory: Directory | None, management: Estate,
                           req: RecordedRequest, access_key: str) -> Reply:
    call = _call(req, "resourcemanager", {"ListAccounts"}, RM_VERSION)
    if isinstance(call, Reply):
        return call
    _, params, key_id = call
    operation = "resourcemanager:ListAccounts"
    if key_id != access_key and key_id not in management.access_keys:
        # Only the management account (or a delegated administrator) may list the members.
        member = directory.owner_of(key_id or "") if directory else None
        return (_error("NoPermission", "You are not authorized to do this action.", operation)
                if member else _error("InvalidAccessKeyId.NotFound",
                                      "Specified access key is not found.", operation, 404))
    if directory is None:
        return _error("EntityNotExists.ResourceDirectory", "The resource directory for the "
                      "account is not enabled.", operation)
    fault = directory.faults.take("", "ListAccounts")
    if fault is not None:
        status, code = fault_reply(fault, {403: "NoPermission", 500: "InternalError",
                                           503: "ServiceUnavailable"})
        return _error(code, "injected fault for ListAccounts", operation, status)
    me = Member(management.account, {"name": "management", "join": "created"}, management)
    listed = [m.listed(directory.id) for m in [me, *directory.members]]
    # page_size caps PageSize (a large directory's pages, with few members), like the
    # ListBuckets list_page_size of the estate.
    asked = min(100, max(1, int(params.get("PageSize") or 10)), directory.page_size)
    page, meta = _kms._page(listed, {**params, "PageSize": str(asked)})
    return _json(200, {"Accounts": {"Account": page}, **meta}, operation)


def _who(directory: Directory | None, management: Estate, key_id: str | None,
         access_key: str) -> tuple[str, str] | None:
    """(account, ARN) of the signer, or None for an unknown key."""
    if key_id == access_key or key_id in management.access_keys:
        return management.account, f"acs:ram::{management.account}:root"
    member = directory.owner_of(key_id or "") if directory else None
    if member is None:
        return None
    with directory.lock:  # type: ignore[union-attr]  (member found: there is a directory)
        issued = directory.issued.get(key_id or "")  # type: ignore[union-attr]
    if issued is not None:
        return member.account, f"acs:ram::{member.account}:assumed-role/{issued[1]}/auditor"
    return member.account, f"acs:ram::{member.account}:root"


def handle_sts(directory: Directory | None, management: Estate, req: RecordedRequest,
               access_key: str) -> Reply:
    call = _call(req, "sts", {"AssumeRole", "GetCallerIdentity"}, STS_VERSION)
    if isinstance(call, Reply):
        return call
    action, params, key_id = call
    operation = f"sts:{action}"
    who = _who(directory, management, key_id, access_key)
    if who is None:
        return _error("InvalidAccessKeyId.NotFound", "Specified access key is not found.",
                      operation, 404)
    if action == "GetCallerIdentity":
        kind = "AssumedRoleUser" if ":assumed-role/" in who[1] else "Account"
        return _json(200, {"AccountId": who[0], "Arn": who[1], "IdentityType": kind,
                           "PrincipalId": who[0], "UserId": who[0]}, operation)
    return _assume(directory, management, params, who[0], operation)


def _assume(directory: Directory | None, management: Estate, params: dict[str, str],
            caller: str, operation: str) -> Reply:
    match = ROLE_ARN.fullmatch(params.get("RoleArn", ""))
    if match is None:
        return _error("InvalidParameter.RoleArn", "The parameter RoleArn is wrongly formed.",
                      operation)
    if not SESSION_NAME.fullmatch(params.get("RoleSessionName", "")):
        return _error("InvalidParameter.RoleSessionName", "The parameter RoleSessionName is "
                      "wrongly formed.", operation, 400)
    account, role = match.groups()
    member = directory.member(account) if directory else None
    if member is None or role not in member.roles:
        return _error("EntityNotExist.Role", "The specified Role not exists.", operation)
    refuse = member.spec.get("refuse")
    wanted_id = member.spec.get("external_id")
    if refuse or caller != management.account or (
            wanted_id and params.get("ExternalId") != str(wanted_id)):
        code = str(refuse or "NoPermission")
        return _error(code, "You are not authorized to do this action. You should be "
                      "authorized by RAM.", operation)
    seconds = int(params.get("DurationSeconds") or 3600)
    key_id = "STS.NUgYr" + secrets.token_hex(8)
    secret, token = secrets.token_urlsafe(24), "CAES" + secrets.token_urlsafe(48)
    with directory.lock:  # type: ignore[union-attr]
        directory.issued[key_id] = (account, role, secret, token)  # type: ignore[union-attr]
    expires = (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return _json(200, {"Credentials": {"AccessKeyId": key_id, "AccessKeySecret": secret,
                                       "SecurityToken": token, "Expiration": expires},
                       "AssumedRoleUser": {"Arn": f"acs:ram::{account}:role/{role}/"
                                           f"{params['RoleSessionName']}",
                                           "AssumedRoleId": f"3{account[:8]}:auditor"}},
                 operation)
