"""Cloud Storage reads: bucket list (paged), bucket IAM policy, legacy ACLs.

Every call goes through the Caller (count, retry, translate) with the SDK's own retry off.
The list answer (projection=noAcl) already carries every bucket setting we read, so the
per-bucket calls are only the IAM policy and, where uniform access is off, the two ACLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.providers.gcp._errors import Caller

TIMEOUT = 30.0
PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})

OP_LIST = "storage:buckets.list"
OP_IAM = "storage:buckets.getIamPolicy"
OP_ACL = "storage:bucketAccessControls.list"
OP_DEFAULT_ACL = "storage:defaultObjectAccessControls.list"


@dataclass(frozen=True, slots=True)
class BucketInfo:
    """The settings of one bucket, as the JSON API bucket resource gives them."""

    project: str
    name: str
    location: str
    location_type: str | None
    data_locations: tuple[str, ...]
    rpo: str | None
    kms_key: str | None
    uniform_access: bool
    public_access_prevention: str | None
    versioning: bool
    retention_seconds: int | None
    retention_locked: bool
    object_retention: bool
    event_based_hold: bool
    soft_delete_seconds: int | None
    log_bucket: str | None
    log_prefix: str | None


def _info(project: str, bucket: Any) -> BucketInfo:
    iam = bucket.iam_configuration
    logging = bucket.get_logging() or {}
    return BucketInfo(
        project=project, name=bucket.name, location=bucket.location or "",
        location_type=bucket.location_type, data_locations=tuple(bucket.data_locations or ()),
        rpo=bucket.rpo, kms_key=bucket.default_kms_key_name or None,
        uniform_access=bool(iam.uniform_bucket_level_access_enabled),
        public_access_prevention=iam.public_access_prevention,
        versioning=bool(bucket.versioning_enabled),
        retention_seconds=bucket.retention_period,
        retention_locked=bool(bucket.retention_policy_locked),
        object_retention=bucket.object_retention_mode == "Enabled",
        event_based_hold=bool(bucket.default_event_based_hold),
        soft_delete_seconds=bucket.soft_delete_policy.retention_duration_seconds,
        log_bucket=logging.get("logBucket") or None,
        log_prefix=logging.get("logObjectPrefix") or None,
    )


def list_buckets(call: Caller, client: Any, project: str) -> list[BucketInfo]:
    """Every bucket of ``project``, one call per page (each page retried on its own)."""
    out: list[BucketInfo] = []
    token: str | None = None
    while True:
        def page(token: str | None = token) -> tuple[list[Any], str | None]:
            iterator = client.list_buckets(project=project, page_token=token, retry=None,
                                           timeout=TIMEOUT)
            items = list(next(iterator.pages))
            return items, iterator.next_page_token

        items, token = call(OP_LIST, page)
        out.extend(_info(project, b) for b in items)
        if not token:
            return out


def iam_public_members(call: Caller, client: Any, name: str) -> list[str]:
    """allUsers / allAuthenticatedUsers members bound in the bucket's IAM policy (v3)."""
    bucket = client.bucket(name)
    policy = call(OP_IAM, lambda: bucket.get_iam_policy(requested_policy_version=3,
                                                        retry=None, timeout=TIMEOUT))
    return sorted({m for b in policy.bindings for m in b.get("members", ()) if m in PUBLIC_MEMBERS})


def acl_public_entities(call: Caller, client: Any, name: str, default: bool) -> list[str]:
    """Public grantees in the legacy bucket ACL (or, with ``default``, the default object ACL)."""
    bucket = client.bucket(name)
    acl = bucket.default_object_acl if default else bucket.acl
    call(OP_DEFAULT_ACL if default else OP_ACL, lambda: acl.reload(retry=None, timeout=TIMEOUT))
    return sorted({e["entity"] for e in acl if e["entity"] in PUBLIC_MEMBERS})
