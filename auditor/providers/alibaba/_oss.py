"""OSS read calls. Each returns plain Python values; "not configured" answers are values.

Only GET requests on bucket sub-resources (and the service root) are ever sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import alibabacloud_oss_v2 as oss

from auditor.errors import CallError, NotConfigured, ServiceError
from auditor.providers.alibaba._errors import Caller

LIST_PAGE_SIZE = 1000  # the OSS maximum for max-keys


@dataclass(slots=True)
class ListedBucket:
    name: str
    location: str | None  # oss-cn-hangzhou; None when the listing omitted it


@dataclass(slots=True)
class Listing:
    owner: str | None
    buckets: list[ListedBucket] = field(default_factory=list)
    pages: int = 0
    error: CallError | None = None  # a later page failed: the buckets after it are missing


def list_buckets(client: oss.Client, call: Caller, page_size: int = LIST_PAGE_SIZE) -> Listing:
    """Every bucket of the account, following ``NextMarker`` across pages.

    A failed first page raises; a failed later page keeps what was listed, with the error.
    """
    listing = Listing(owner=None)
    marker: str | None = None
    while True:
        request = oss.ListBucketsRequest(marker=marker, max_keys=page_size)
        try:
            result = call("oss:ListBuckets", lambda r=request: client.list_buckets(r))
        except CallError as exc:
            if not listing.pages:
                raise
            listing.error = exc
            return listing
        listing.pages += 1
        if result.owner is not None and result.owner.id:
            listing.owner = str(result.owner.id)
        for bucket in result.buckets or []:
            listing.buckets.append(ListedBucket(str(bucket.name), bucket.location or None))
        if not result.is_truncated or not result.next_marker:
            return listing
        marker = result.next_marker


def _sse(algorithm: str | None, key_id: str | None, data: str | None) -> dict[str, Any] | None:
    """An SSE rule as a dict, or None when no algorithm is set ("None" in GetBucketInfo)."""
    if not algorithm or algorithm == "None":
        return None
    return {"algorithm": algorithm, "key_id": key_id or None, "data_encryption": data or None}


# Fields of GetBucketInfo whose absence means "ask the dedicated API instead".
ABSENT = object()


def raise_unparsable(operation: str, why: str) -> None:
    raise ServiceError(operation, "UnparsableResponse", why)


def bucket_info(client: oss.Client, call: Caller, bucket: str) -> dict[str, Any]:
    """GetBucketInfo, flattened. A field the answer lacks is ``ABSENT``."""
    result = call("oss:GetBucketInfo",
                  lambda: client.get_bucket_info(oss.GetBucketInfoRequest(bucket=bucket)))
    info = result.bucket_info
    if info is None:
        raise_unparsable("oss:GetBucketInfo", "no <Bucket> element")
    sse: Any = ABSENT
    if info.sse_rule is not None:
        rule = info.sse_rule
        sse = _sse(rule.sse_algorithm, rule.kms_master_key_id, rule.kms_data_encryption)
    logging: Any = ABSENT
    if info.bucket_policy is not None:
        target = info.bucket_policy.log_bucket or ""
        logging = ({"bucket": target, "prefix": info.bucket_policy.log_prefix or ""}
                   if target else None)
    return {
        "location": info.location or ABSENT,
        "owner": info.owner.id if info.owner is not None and info.owner.id else None,
        "acl": info.acl or ABSENT,
        "redundancy": info.data_redundancy_type,
        "sse": sse,
        # The element appears once versioning was ever configured; absent means never.
        "versioning": info.versioning or None,
        "logging": logging,
        "block_public_access": (info.block_public_access
                                if info.block_public_access is not None else ABSENT),
    }


def bucket_encryption(client: oss.Client, call: Caller, bucket: str) -> dict[str, Any] | None:
    try:
        result = call("oss:GetBucketEncryption", lambda: client.get_bucket_encryption(
            oss.GetBucketEncryptionRequest(bucket=bucket)))
    except NotConfigured:
        return None  # NoSuchServerSideEncryptionRule
    rule = result.server_side_encryption_rule
    default = rule.apply_server_side_encryption_by_default if rule is not None else None
    if default is None:
        return None
    return _sse(default.sse_algorithm, default.kms_master_key_id, default.kms_data_encryption)


def bucket_acl(client: oss.Client, call: Caller, bucket: str) -> str:
    result = call("oss:GetBucketAcl",
                  lambda: client.get_bucket_acl(oss.GetBucketAclRequest(bucket=bucket)))
    if not result.acl:
        raise_unparsable("oss:GetBucketAcl", "no <Grant> element")
    return str(result.acl)


def bucket_versioning(client: oss.Client, call: Caller, bucket: str) -> str | None:
    result = call("oss:GetBucketVersioning", lambda: client.get_bucket_versioning(
        oss.GetBucketVersioningRequest(bucket=bucket)))
    return result.version_status or None  # no <Status>: never enabled


def bucket_logging(client: oss.Client, call: Caller, bucket: str) -> dict[str, str] | None:
    # No logging answers an empty BucketLoggingStatus, not an error.
    result = call("oss:GetBucketLogging", lambda: client.get_bucket_logging(
        oss.GetBucketLoggingRequest(bucket=bucket)))
    status = result.bucket_logging_status
    enabled = status.logging_enabled if status is not None else None
    if enabled is None or not enabled.target_bucket:
        return None
    return {"bucket": enabled.target_bucket, "prefix": enabled.target_prefix or ""}


def bucket_public_access_block(client: oss.Client, call: Caller, bucket: str) -> bool:
    # Never set answers BlockPublicAccess false; no error code means "off".
    result = call("oss:GetBucketPublicAccessBlock", lambda: client.get_bucket_public_access_block(
        oss.GetBucketPublicAccessBlockRequest(bucket=bucket)))
    config = result.public_access_block_configuration
    return bool(config is not None and config.block_public_access)


def account_public_access_block(client: oss.Client, call: Caller) -> bool:
    result = call("oss:GetPublicAccessBlock", lambda: client.get_public_access_block(
        oss.GetPublicAccessBlockRequest()))
    config = result.public_access_block_configuration
    return bool(config is not None and config.block_public_access)


def bucket_policy_status(client: oss.Client, call: Caller, bucket: str) -> bool:
    try:
        result = call("oss:GetBucketPolicyStatus", lambda: client.get_bucket_policy_status(
            oss.GetBucketPolicyStatusRequest(bucket=bucket)))
    except NotConfigured:
        return False  # NoSuchBucketPolicy: no policy, nothing public through it
    status = result.policy_status
    if status is None or status.is_public is None:
        raise_unparsable("oss:GetBucketPolicyStatus", "no <IsPublic> element")
    return bool(status.is_public)


def bucket_policy(client: oss.Client, call: Caller, bucket: str) -> str | None:
    try:
        result = call("oss:GetBucketPolicy", lambda: client.get_bucket_policy(
            oss.GetBucketPolicyRequest(bucket=bucket)))
    except NotConfigured:
        return None  # NoSuchBucketPolicy
    return result.body or None


def bucket_https_config(client: oss.Client, call: Caller, bucket: str) -> dict[str, Any]:
    try:
        result = call("oss:GetBucketHttpsConfig", lambda: client.get_bucket_https_config(
            oss.GetBucketHttpsConfigRequest(bucket=bucket)))
    except NotConfigured:
        return {"enabled": False, "versions": []}  # NoSuchHttpsConfig
    tls = result.https_configuration.tls if result.https_configuration is not None else None
    if tls is None:
        return {"enabled": False, "versions": []}
    return {"enabled": bool(tls.enable), "versions": list(tls.tls_versions or [])}


def bucket_worm(client: oss.Client, call: Caller, bucket: str) -> dict[str, Any] | None:
    try:
        result = call("oss:GetBucketWorm",
                      lambda: client.get_bucket_worm(oss.GetBucketWormRequest(bucket=bucket)))
    except NotConfigured:
        return None  # NoSuchWORMConfiguration
    worm = result.worm_configuration
    if worm is None or not worm.state:
        raise_unparsable("oss:GetBucketWorm", "no <State> element")
    return {"id": worm.worm_id, "state": str(worm.state),
            "days": worm.retention_period_in_days}


def bucket_object_worm(client: oss.Client, call: Caller, bucket: str) -> dict[str, Any] | None:
    """Object-level retention (ObjectWorm): None when it is not enabled (HTTP 404)."""
    try:
        result = call("oss:GetBucketObjectWormConfiguration",
                      lambda: client.get_bucket_object_worm_configuration(
                          oss.GetBucketObjectWormConfigurationRequest(bucket=bucket)))
    except NotConfigured:
        return None
    config = result.object_worm_configuration
    if config is None or not config.object_worm_enabled:
        raise_unparsable("oss:GetBucketObjectWormConfiguration",
                         "no <ObjectWormEnabled> element")
    rule = config.rule.default_retention if config.rule is not None else None
    return {"enabled": str(config.object_worm_enabled),
            # No <Rule>: ObjectWorm is on but sets no default retention.
            "mode": (str(getattr(rule.mode, "value", rule.mode))
                     if rule is not None and rule.mode else None),
            "days": rule.days if rule is not None else None,
            "years": rule.years if rule is not None else None}


def bucket_replication(client: oss.Client, call: Caller, bucket: str) -> list[dict[str, Any]]:
    try:
        result = call("oss:GetBucketReplication", lambda: client.get_bucket_replication(
            oss.GetBucketReplicationRequest(bucket=bucket)))
    except NotConfigured:
        return []  # NoSuchReplicationConfiguration
    config = result.replication_configuration
    rules = []
    for rule in (config.rules or []) if config is not None else []:
        dest = rule.destination
        rules.append({"id": rule.id, "status": rule.status,
                      "bucket": dest.bucket if dest is not None else None,
                      "location": dest.location if dest is not None else None})
    return rules


def bucket_location(client: oss.Client, call: Caller, bucket: str) -> str:
    result = call("oss:GetBucketLocation", lambda: client.get_bucket_location(
        oss.GetBucketLocationRequest(bucket=bucket)))
    if not result.location:
        raise_unparsable("oss:GetBucketLocation", "no <LocationConstraint> element")
    return str(result.location)
