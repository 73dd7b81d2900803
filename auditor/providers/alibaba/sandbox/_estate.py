"""The ``alibaba:`` section of an estate description, as the OSS, KMS and ECS stand-ins hold it.

Fields (all optional unless noted; see estate.yaml for a full example):

account: UID (digits).  public_access_block: account-level BlockPublicAccess.
list_page_size: cap on ListBuckets pages.  faults: {Operation: fault} for account calls.
access_keys: AccessKey ids accepted besides the sandbox's own (e.g. refreshed STS keys).
list_omits: [Owner] leaves the Owner element out of every ListBuckets page.
keys: [{id (required), region (required), creator (UID or a service such as Oss),
        origin (Aliyun_KMS | EXTERNAL), protection (SOFTWARE | HSM), spec, usage,
        rotation (e.g. 365d; omitted = off), state, aliases: [alias/...], instance
        (DKMSInstanceId), policy (key policy object), metadata_omits: [KeyMetadata fields
        DescribeKey leaves out, e.g. Creator], tags: {key: value}, faults}]
buckets: [{name (required), region (required, oss-cn-hangzhou or cn-hangzhou),
           redundancy (LRS | ZRS), acl, encryption (none | AES256 | SM4 |
           {algorithm: KMS, key: id or null, data: SM4}), versioning (Enabled | Suspended),
           block_public_access, policy (object), policy_public (override IsPublic),
           https: {versions: [...]}, worm: {state, days}, object_worm: {mode (COMPLIANCE |
           GOVERNANCE; omitted = ObjectWorm on without a default retention), days | years},
           logging: {bucket, prefix},
           replication: [{bucket, region}], info_omits: [GetBucketInfo elements to leave out],
           list_omits: [ListBuckets elements to leave out, e.g. Location], tags: {key: value},
           faults}]
directory: the Resource Directory's members, each an account of its own (see _directory).
disks, snapshots, images, file_systems, db_instances, rpc_page_size: see _storage.
ecs_default_encryption: {region: {encrypted (bool, default false), key (KMSKeyId; omitted =
        empty), omits: [answer fields to leave out, e.g. KMSKeyId], faults}}; a region not
        named answers Encrypted false, as the API does by default.
A fault is an HTTP status or an error code, answered always, or a list of them answered one
per request before the normal answer (e.g. [503, 503]; null in a list answers normally).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from auditor.providers.alibaba.sandbox._storage import StorageEstate, StorageEstateError, build_storage

CREATED = "2024-05-13T08:21:44.000Z"
KMS_CREATED = "2024-05-13T08:20:10Z"
OSS_CODES = {403: "AccessDenied", 404: "NoSuchBucket", 429: "TooManyRequests",
             500: "InternalError", 503: "ServiceUnavailable"}
KMS_CODES = {403: "Forbidden.NoPermission", 404: "Forbidden.KeyNotFound",
             429: "Throttling.User", 500: "InternalFailure", 503: "ServiceUnavailable"}
ECS_CODES = {403: "Forbidden.RAM", 429: "Throttling.User", 500: "InternalError",
             503: "ServiceUnavailable"}
CODE_STATUS = {"AccessDenied": 403, "Forbidden.NoPermission": 403, "Forbidden.RAM": 403,
               "SlowDown": 503, "Throttling.User": 503, "Throttling": 503,
               "TooManyRequests": 429, "InternalError": 500, "ServiceUnavailable": 503,
               # ECS answers these with 403 although nothing is denied.
               "InvalidParameter.RegionIdNotExists": 403,
               "Abs.InvalidAction.RegionNotSupport": 403}


class EstateError(ValueError):
    """The alibaba section of an estate description is malformed."""


def region_id(value: str) -> str:
    return value[4:] if value.startswith("oss-") else value


class Faults:
    """Injected failures: (scope, operation) -> fault, or a list used up one per request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._book: dict[tuple[str, str], Any] = {}
        self._everywhere: dict[str, int | str] = {}  # action -> fault in every scope

    def add_everywhere(self, operation: str, fault: int | str) -> None:
        """``fault`` for every call of ``operation`` that no scoped fault answers."""
        self._everywhere[operation] = fault

    def add(self, scope: str, faults: dict[str, Any] | None) -> None:
        for operation, value in (faults or {}).items():
            self._book[(scope, operation)] = list(value) if isinstance(value, list) else value

    def take(self, scope: str, operation: str) -> int | str | None:
        with self._lock:
            value = self._book.get((scope, operation))
            if isinstance(value, list):
                return value.pop(0) if value else self._everywhere.get(operation)
            return value if value is not None else self._everywhere.get(operation)


def fault_reply(fault: int | str, codes: dict[int, str]) -> tuple[int, str]:
    """A fault as (HTTP status, error code)."""
    if isinstance(fault, int):
        return fault, codes.get(fault, f"HTTP{fault}")
    # OSS answers every NoSuch... code (a missing bucket, key or configuration) with 404.
    return CODE_STATUS.get(fault, 404 if fault.startswith("NoSuch") else 400), fault


@dataclass
class Key:
    id: str
    region: str
    metadata: dict[str, Any]
    aliases: list[str] = field(default_factory=list)
    policy: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DiskDefaults:
    """ECS account-level default disk encryption of one region."""

    encrypted: bool = False
    key: str | None = None
    omits: frozenset[str] = frozenset()


@dataclass
class Bucket:
    name: str
    location: str  # oss-cn-hangzhou
    spec: dict[str, Any]

    @property
    def region(self) -> str:
        return region_id(self.location)


@dataclass
class Estate:
    account: str = "1357924680135792"
    account_block: bool = False
    page_size: int = 1000
    access_keys: frozenset[str] = frozenset()
    list_owner: bool = True
    buckets: dict[str, Bucket] = field(default_factory=dict)
    keys: dict[str, Key] = field(default_factory=dict)
    disk_defaults: dict[str, DiskDefaults] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    storage: StorageEstate = field(default_factory=StorageEstate)  # disks ... databases

    def regions(self) -> list[str]:
        return sorted({b.region for b in self.buckets.values()} | self.storage.regions())

    def find_key(self, ref: str) -> Key | None:
        """A key by id, key ARN, alias name or alias ARN."""
        if ref in self.keys:
            return self.keys[ref]
        if ref.startswith("acs:kms:"):
            parts = ref.split(":", 4)
            if len(parts) == 5 and parts[4].startswith("key/"):
                key = self.keys.get(parts[4][4:])
                return key if key is not None and key.region == parts[2] else None
            if len(parts) == 5 and parts[4].startswith("alias/"):
                return self._by_alias(parts[4], parts[2])
        if ref.startswith("alias/"):
            return self._by_alias(ref, None)
        return None

    def _by_alias(self, alias: str, region: str | None) -> Key | None:
        hits = [k for k in self.keys.values()
                if alias in k.aliases and (region is None or k.region == region)]
        return hits[0] if len(hits) == 1 else None


def _key(spec: dict[str, Any], account: str) -> Key:
    if not spec.get("id") or not spec.get("region"):
        raise EstateError(f"key {spec!r}: id and region are required")
    key_id, region = str(spec["id"]), region_id(str(spec["region"]))
    rotation = spec.get("rotation")
    meta: dict[str, Any] = {
        "KeyId": key_id, "Arn": f"acs:kms:{region}:{account}:key/{key_id}",
        "Creator": str(spec.get("creator", account)), "Origin": spec.get("origin", "Aliyun_KMS"),
        "ProtectionLevel": spec.get("protection", "SOFTWARE"),
        "KeySpec": spec.get("spec", "Aliyun_AES_256"),
        "KeyUsage": spec.get("usage", "ENCRYPT/DECRYPT"), "KeyState": spec.get("state", "Enabled"),
        "CreationDate": KMS_CREATED, "Description": spec.get("description", ""),
        "DeletionProtection": "Disabled", "PrimaryKeyVersion": f"{key_id}-v1",
        "LastRotationDate": KMS_CREATED,
        "AutomaticRotation": spec.get("automatic_rotation",
                                      "Enabled" if rotation else "Disabled"),
    }
    if rotation:
        text = str(rotation)
        seconds = int(text[:-1]) * 86400 if text.endswith("d") else int(text.rstrip("s"))
        meta["RotationInterval"] = f"{seconds}s"
        meta["NextRotationDate"] = "2026-05-13T08:20:10Z"
    if meta["Origin"] == "EXTERNAL":
        meta["MaterialExpireTime"] = spec.get("material_expires", "2027-05-13T00:00:00Z")
    if spec.get("instance"):
        meta["DKMSInstanceId"] = str(spec["instance"])
    for name in spec.get("metadata_omits", []) or []:
        meta.pop(str(name), None)
    policy = spec.get("policy")
    return Key(key_id, region, meta, [str(a) for a in spec.get("aliases", [])],
               json.dumps(policy) if policy is not None else None,
               {str(k): str(v) for k, v in (spec.get("tags") or {}).items()})


def _disk_defaults(spec: Any, estate: Estate) -> None:
    if spec is None:
        return
    if not isinstance(spec, dict):
        raise EstateError("ecs_default_encryption must map a region to {encrypted, key}")
    for region, entry in spec.items():
        entry = {} if entry is None else entry
        if not isinstance(entry, dict) or not isinstance(entry.get("encrypted", False), bool):
            raise EstateError(f"ecs_default_encryption.{region}: a mapping with a boolean "
                              "encrypted is required")
        rid = region_id(str(region))
        estate.disk_defaults[rid] = DiskDefaults(
            bool(entry.get("encrypted", False)), str(entry["key"]) if entry.get("key") else None,
            frozenset(str(f) for f in entry.get("omits", []) or []))
        estate.faults.add(f"ecs/{rid}", entry.get("faults"))


def build(section: dict[str, Any] | None) -> Estate:
    section = section or {}
    if not isinstance(section, dict):
        raise EstateError("the alibaba section must be a mapping")
    estate = Estate(account=str(section.get("account", Estate.account)),
                    account_block=bool(section.get("public_access_block", False)),
                    page_size=int(section.get("list_page_size", 1000)),
                    access_keys=frozenset(str(k) for k in section.get("access_keys", []) or []),
                    list_owner="Owner" not in (section.get("list_omits") or []))
    estate.faults.add("", section.get("faults"))
    _disk_defaults(section.get("ecs_default_encryption"), estate)
    try:
        estate.storage = build_storage(section, estate.faults)
    except StorageEstateError as exc:
        raise EstateError(str(exc)) from exc
    for spec in section.get("keys", []) or []:
        key = _key(spec, estate.account)
        estate.keys[key.id] = key
        estate.faults.add(key.id, spec.get("faults"))
    for spec in section.get("buckets", []) or []:
        if not spec.get("name") or not spec.get("region"):
            raise EstateError(f"bucket {spec!r}: name and region are required")
        name = str(spec["name"])
        if name in estate.buckets:
            raise EstateError(f"bucket {name!r} is listed twice")
        estate.buckets[name] = Bucket(name, f"oss-{region_id(str(spec['region']))}", dict(spec))
        estate.faults.add(name, spec.get("faults"))
    return estate
