"""OSS read calls. Each returns plain Python values; "not configured" answers are values.

Only GET requests on bucket sub-resources (and the service root) are ever sent, through the
SDK's signed ``invoke_operation``; the body is parsed by _answers (the documented root,
namespace and shape), never by the SDK's models, which read an unexpected body as empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import alibabacloud_oss_v2 as oss
from alibabacloud_oss_v2.types import OperationInput

from auditor.errors import CallError, ListingIncomplete, MalformedAnswer, NotConfigured
from auditor.providers._runtime import PageGuard
from auditor.providers._runtime.shapes import odd_items
from auditor.providers.alibaba._answers import json_answer, xml_answer
from auditor.providers.alibaba._errors import Caller
from auditor.providers.alibaba._listings import record_odd

LIST_PAGE_SIZE = 1000  # the OSS maximum for max-keys
LIST = "oss:ListBuckets"


@dataclass(slots=True)
class ListedBucket:
    name: str
    location: str | None  # oss-cn-hangzhou; None when the listing omitted it


@dataclass(slots=True)
class Listing:
    owner: str | None
    buckets: list[ListedBucket] = field(default_factory=list)
    pages: int = 0
    # The listing failed (on the first page: nothing is listed) or stopped: the buckets
    # after the last page read are missing.
    error: CallError | None = None


def _body(client: oss.Client, call: Caller, operation: str, bucket: str | None = None,
          parameters: dict[str, str] | None = None) -> bytes:
    """The body of one signed GET (a fresh input per attempt: the SDK fills it in)."""
    def send() -> bytes:
        output = client.invoke_operation(OperationInput(
            op_name=operation.split(":", 1)[1], method="GET", bucket=bucket,
            parameters=dict(parameters or {})))
        return output.http_response.content
    return call(operation, send)


def _read(client: oss.Client, call: Caller, operation: str, root: str, bucket: str | None,
          subresource: str | None) -> dict[str, Any]:
    """The checked ``root`` content of one bucket sub-resource read."""
    params = {subresource: ""} if subresource else None
    return xml_answer(operation, _body(client, call, operation, bucket, params), root)[root]


def list_buckets(client: oss.Client, call: Caller, page_size: int = LIST_PAGE_SIZE) -> Listing:
    """Every bucket of the account, following ``NextMarker`` across pages.

    A failed page (the first one included: then nothing is listed, ``pages`` is 0), or one
    that cannot be followed (truncated without a marker, a repeated marker, the page
    budget), keeps what was listed, with the error: the caller records it as a gap.
    """
    listing = Listing(owner=None)
    guard = PageGuard(LIST)
    marker: Any = None
    while True:
        params = {"max-keys": str(page_size), **({"marker": str(marker)} if marker else {})}
        try:
            answer = xml_answer(LIST, _body(client, call, LIST, None, params),
                                "ListAllMyBucketsResult")
            page = answer["ListAllMyBucketsResult"]
        except CallError as exc:
            listing.error = exc
            return listing
        listing.pages += 1
        owner = page.get("Owner") or {}
        if owner.get("ID"):
            listing.owner = owner["ID"]
        for bucket in page["Buckets"].get("Bucket", []):
            listing.buckets.append(ListedBucket(bucket["Name"], bucket.get("Location") or None))
        # An odd entry spoils only itself: named, it is read as a bucket not located yet.
        listing.buckets += [ListedBucket(named["Name"], None) for named in record_odd(
            call, "oss", LIST, odd_items(answer))]
        try:
            marker = guard.follow(page.get("NextMarker") or None,
                                  truncated=page.get("IsTruncated") == "true")
        except ListingIncomplete as exc:
            listing.error = exc
            return listing
        if marker is None:
            return listing


def _sse(algorithm: str | None, key_id: str | None, data: str | None) -> dict[str, Any] | None:
    """An SSE rule as a dict, or None when no algorithm is set ("None" in GetBucketInfo)."""
    if not algorithm or algorithm == "None":
        return None
    return {"algorithm": algorithm, "key_id": key_id or None, "data_encryption": data or None}


# Fields of GetBucketInfo whose absence means "ask the dedicated API instead".
ABSENT = object()


def bucket_info(client: oss.Client, call: Caller, bucket: str) -> dict[str, Any]:
    """GetBucketInfo, flattened. A field the answer lacks is ``ABSENT``."""
    info = _read(client, call, "oss:GetBucketInfo", "BucketInfo", bucket, "bucketInfo")["Bucket"]
    sse: Any = ABSENT
    if "ServerSideEncryptionRule" in info:
        rule = info["ServerSideEncryptionRule"]
        sse = _sse(rule["SSEAlgorithm"], rule.get("KMSMasterKeyID"), rule.get("KMSDataEncryption"))
    logging: Any = ABSENT
    if "BucketPolicy" in info:
        target = info["BucketPolicy"].get("LogBucket") or ""
        logging = ({"bucket": target, "prefix": info["BucketPolicy"].get("LogPrefix") or ""}
                   if target else None)
    acl = info.get("AccessControlList")
    block = info.get("BlockPublicAccess")
    return {
        "location": info.get("Location") or ABSENT,
        "owner": (info.get("Owner") or {}).get("ID") or None,
        "acl": acl["Grant"] if acl else ABSENT,
        "redundancy": info.get("DataRedundancyType") or None,
        "sse": sse,
        # The element appears once versioning was ever configured; absent means never.
        "versioning": info.get("Versioning") or None,
        "logging": logging,
        "block_public_access": ABSENT if block is None else block == "true",
    }


def bucket_encryption(client: oss.Client, call: Caller, bucket: str) -> dict[str, Any] | None:
    try:
        rule = _read(client, call, "oss:GetBucketEncryption", "ServerSideEncryptionRule",
                     bucket, "encryption")
    except NotConfigured:
        return None  # NoSuchServerSideEncryptionRule
    default = rule["ApplyServerSideEncryptionByDefault"]
    return _sse(default["SSEAlgorithm"], default.get("KMSMasterKeyID"),
                default.get("KMSDataEncryption"))


def bucket_acl(client: oss.Client, call: Caller, bucket: str) -> str:
    policy = _read(client, call, "oss:GetBucketAcl", "AccessControlPolicy", bucket, "acl")
    return str(policy["AccessControlList"]["Grant"])


def bucket_versioning(client: oss.Client, call: Caller, bucket: str) -> str | None:
    config = _read(client, call, "oss:GetBucketVersioning", "VersioningConfiguration", bucket,
                   "versioning")
    return config.get("Status") or None  # no <Status>: never enabled


def bucket_logging(client: oss.Client, call: Caller, bucket: str) -> dict[str, str] | None:
    # No logging answers an empty BucketLoggingStatus, not an error.
    status = _read(client, call, "oss:GetBucketLogging", "BucketLoggingStatus", bucket,
                   "logging")
    enabled = status.get("LoggingEnabled")
    if enabled is None:
        return None
    return {"bucket": enabled["TargetBucket"], "prefix": enabled.get("TargetPrefix") or ""}


def bucket_public_access_block(client: oss.Client, call: Caller, bucket: str) -> bool:
    # Never set answers BlockPublicAccess false; no error code means "off".
    config = _read(client, call, "oss:GetBucketPublicAccessBlock",
                   "PublicAccessBlockConfiguration", bucket, "publicAccessBlock")
    return config["BlockPublicAccess"] == "true"


def account_public_access_block(client: oss.Client, call: Caller) -> bool:
    config = _read(client, call, "oss:GetPublicAccessBlock", "PublicAccessBlockConfiguration",
                   None, "publicAccessBlock")
    return config["BlockPublicAccess"] == "true"


def bucket_policy_status(client: oss.Client, call: Caller, bucket: str) -> bool:
    try:
        status = _read(client, call, "oss:GetBucketPolicyStatus", "PolicyStatus", bucket,
                       "policyStatus")
    except NotConfigured:
        return False  # NoSuchBucketPolicy: no policy, nothing public through it
    return status["IsPublic"] == "true"


def bucket_policy(client: oss.Client, call: Caller, bucket: str) -> str | None:
    """The policy document as sent (JSON text, checked to be a JSON object); None: none."""
    try:
        body = _body(client, call, "oss:GetBucketPolicy", bucket, {"policy": ""})
    except NotConfigured:
        return None  # NoSuchBucketPolicy
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedAnswer("oss:GetBucketPolicy", "UnparsableJson",
                              "the body is not UTF-8 JSON") from exc
    json_answer("oss:GetBucketPolicy", text)
    return text


def bucket_https_config(client: oss.Client, call: Caller, bucket: str) -> dict[str, Any]:
    try:
        config = _read(client, call, "oss:GetBucketHttpsConfig", "HttpsConfiguration", bucket,
                       "httpsConfig")
    except NotConfigured:
        return {"enabled": False, "versions": []}  # NoSuchHttpsConfig
    tls = config["TLS"]
    return {"enabled": tls["Enable"] == "true", "versions": list(tls.get("TLSVersion", []))}


def bucket_worm(client: oss.Client, call: Caller, bucket: str) -> dict[str, Any] | None:
    try:
        worm = _read(client, call, "oss:GetBucketWorm", "WormConfiguration", bucket, "worm")
    except NotConfigured:
        return None  # NoSuchWORMConfiguration
    return {"id": worm["WormId"], "state": worm["State"],
            "days": int(worm["RetentionPeriodInDays"])}


def bucket_object_worm(client: oss.Client, call: Caller, bucket: str) -> dict[str, Any] | None:
    """Object-level retention (ObjectWorm): None when it is not enabled (HTTP 404)."""
    try:
        config = _read(client, call, "oss:GetBucketObjectWormConfiguration",
                       "ObjectWormConfiguration", bucket, "objectWorm")
    except NotConfigured:
        return None
    rule = config["Rule"]["DefaultRetention"] if "Rule" in config else None
    return {"enabled": config["ObjectWormEnabled"],
            # No <Rule>: ObjectWorm is on but sets no default retention.
            "mode": rule["Mode"] if rule is not None else None,
            "days": int(rule["Days"]) if rule is not None and rule.get("Days") else None,
            "years": int(rule["Years"]) if rule is not None and rule.get("Years") else None}


def bucket_replication(client: oss.Client, call: Caller, bucket: str) -> list[dict[str, Any]]:
    try:
        config = _read(client, call, "oss:GetBucketReplication", "ReplicationConfiguration",
                       bucket, "replication")
    except NotConfigured:
        return []  # NoSuchReplicationConfiguration
    rules = []
    for rule in config["Rule"]:
        dest = rule.get("Destination") or {}
        rules.append({"id": rule.get("ID"), "status": rule.get("Status"),
                      "bucket": dest.get("Bucket") or None,
                      "location": dest.get("Location") or None})
    return rules


def bucket_location(client: oss.Client, call: Caller, bucket: str) -> str:
    answer = xml_answer("oss:GetBucketLocation", _body(
        client, call, "oss:GetBucketLocation", bucket, {"location": ""}), "LocationConstraint")
    return str(answer["LocationConstraint"])


def bucket_tags(client: oss.Client, call: Caller, bucket: str) -> dict[str, str]:
    """GetBucketTags (GET /?tagging): Key -> Value. No tags answers an empty <Tagging>
    (API reference: GetBucketTags, "If no tags are configured ... Tagging element is empty")."""
    tagging = _read(client, call, "oss:GetBucketTags", "Tagging", bucket, "tagging")
    tags = (tagging.get("TagSet") or {}).get("Tag", [])
    return {str(t["Key"]): str(t.get("Value") or "") for t in tags}
