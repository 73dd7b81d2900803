"""Cloud Storage reads: bucket list (paged), bucket IAM policy, legacy ACLs.

Every call goes through the Caller (count, retry, translate) with the SDK's own retry off,
and every answer is the JSON API's own JSON (the client's ``_get_resource``: its HTTP,
credentials and error mapping, without the object model that would read a missing field as
a default), checked against answers.yaml before it is read. The list answer
(projection=noAcl) already carries every bucket setting we read, so the per-bucket calls
are only the IAM policy and, where uniform access is off, the two ACLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.errors import MalformedAnswer
from auditor.providers.gcp._answers import Listed, check, check_item, read_pages
from auditor.providers.gcp._errors import Caller
from auditor.providers.gcp._labels import labels_of

PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})

OP_LIST = "storage:buckets.list"
OP_IAM = "storage:buckets.getIamPolicy"
OP_ACL = "storage:bucketAccessControls.list"
OP_DEFAULT_ACL = "storage:defaultObjectAccessControls.list"


@dataclass(frozen=True, slots=True)
class BucketInfo:
    """The settings of one bucket, as the JSON API bucket resource gives them.

    ``malformed`` is set when the resource does not have its documented shape: the bucket
    was listed, but none of its settings can be read from it.
    """

    project: str
    name: str
    location: str = ""
    location_type: str | None = None
    data_locations: tuple[str, ...] = ()
    rpo: str | None = None
    kms_key: str | None = None
    uniform_access: bool = False
    public_access_prevention: str | None = None
    versioning: bool = False
    retention_seconds: int | None = None
    retention_locked: bool = False
    object_retention: bool = False
    event_based_hold: bool = False
    soft_delete_seconds: int | None = None
    log_bucket: str | None = None
    log_prefix: str | None = None
    malformed: MalformedAnswer | None = None
    # The bucket's labels (none: empty); None when the answer's labels are not a map of
    # strings. Read from the listing: labels cost no call of their own.
    labels: tuple[tuple[str, str], ...] | None = ()


def bucket_info(project: str, raw: dict[str, Any]) -> BucketInfo:
    """One checked bucket resource of a buckets.list page (its name is checked already)."""
    try:
        check_item(OP_LIST, raw)
    except MalformedAnswer as exc:
        return BucketInfo(project, raw["name"], malformed=exc)
    iam = raw["iamConfiguration"]
    logging = raw.get("logging") or {}
    retention = raw.get("retentionPolicy")
    soft = (raw.get("softDeletePolicy") or {}).get("retentionDurationSeconds")
    return BucketInfo(
        project=project, name=raw["name"], location=raw["location"],
        location_type=raw.get("locationType"),
        data_locations=tuple((raw.get("customPlacementConfig") or {}).get("dataLocations") or ()),
        rpo=raw.get("rpo"), kms_key=(raw.get("encryption") or {}).get("defaultKmsKeyName") or None,
        uniform_access=iam["uniformBucketLevelAccess"]["enabled"],
        public_access_prevention=iam["publicAccessPrevention"],
        versioning=bool((raw.get("versioning") or {}).get("enabled")),
        retention_seconds=int(retention["retentionPeriod"]) if retention else None,
        retention_locked=bool(retention and retention.get("isLocked")),
        object_retention=(raw.get("objectRetention") or {}).get("mode") == "Enabled",
        event_based_hold=bool(raw.get("defaultEventBasedHold")),
        soft_delete_seconds=int(soft) if soft is not None else None,
        log_bucket=logging.get("logBucket") or None,
        log_prefix=logging.get("logObjectPrefix") or None,
        labels=labels_of(raw.get("labels")),
    )


def list_buckets(call: Caller, client: Any, project: str, timeout: float) -> Listed[BucketInfo]:
    """Every bucket of ``project``, one call per page (each page retried on its own)."""
    def fetch(token: str | None) -> Any:
        params = {"project": project, "projection": "noAcl"}
        if token:
            params["pageToken"] = token
        return client._get_resource("/b", query_params=params, timeout=timeout, retry=None)

    listed = read_pages(call, OP_LIST, fetch, "items")
    return Listed([bucket_info(project, raw) for raw in listed.items], listed.gap,
                  listed.unnamed)


def _get(call: Caller, client: Any, operation: str, path: str, timeout: float,
         params: dict[str, Any] | None = None) -> dict[str, Any]:
    return call(operation, lambda: check(operation, client._get_resource(
        path, query_params=params, timeout=timeout, retry=None)))


def iam_public_members(call: Caller, client: Any, name: str, timeout: float) -> list[str]:
    """allUsers / allAuthenticatedUsers members bound in the bucket's IAM policy (v3)."""
    policy = _get(call, client, OP_IAM, f"/b/{name}/iam", timeout,
                  {"optionsRequestedPolicyVersion": 3})
    return sorted({m for b in policy.get("bindings") or () for m in b["members"]
                   if m in PUBLIC_MEMBERS})


def acl_public_entities(call: Caller, client: Any, name: str, default: bool,
                        timeout: float) -> list[str]:
    """Public grantees in the legacy bucket ACL (or, with ``default``, the default object ACL)."""
    operation, path = ((OP_DEFAULT_ACL, f"/b/{name}/defaultObjectAcl") if default
                       else (OP_ACL, f"/b/{name}/acl"))
    acl = _get(call, client, operation, path, timeout)
    return sorted({e["entity"] for e in acl.get("items") or () if e["entity"] in PUBLIC_MEMBERS})
