"""OSS stand-in: path-style GETs on bucket sub-resources, answered as the OSS API reference
shows them (XML bodies, a JSON bucket policy, ``<Error>`` XML on failure)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from xml.sax.saxutils import escape

from auditor.providers.alibaba.sandbox._estate import (
    CREATED,
    OSS_CODES,
    Bucket,
    Estate,
    fault_reply,
    region_id,
)
from auditor.sandbox.base import RecordedRequest, Reply

SUBRESOURCES = {
    "bucketInfo": "GetBucketInfo", "encryption": "GetBucketEncryption",
    "policy": "GetBucketPolicy", "policyStatus": "GetBucketPolicyStatus",
    "acl": "GetBucketAcl", "publicAccessBlock": "GetBucketPublicAccessBlock",
    "versioning": "GetBucketVersioning", "worm": "GetBucketWorm", "logging": "GetBucketLogging",
    "replication": "GetBucketReplication", "location": "GetBucketLocation",
    "httpsConfig": "GetBucketHttpsConfig", "objectWorm": "GetBucketObjectWormConfiguration",
    "tagging": "GetBucketTags",
}
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/oss/aliyun_v4_request")
PUBLIC_PRINCIPALS = frozenset({"*", "acs:ram::*:*"})
# The API reference says these may be sent to any OSS endpoint; the rest need the bucket's.
ANY_ENDPOINT = frozenset({"GetBucketInfo", "GetBucketLocation"})


def _xml(body: str, operation: str, status: int = 200) -> Reply:
    return Reply(status, ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode(),
                 "application/xml", {"x-oss-request-id": uuid.uuid4().hex[:24].upper(),
                                     "x-recorded-action": f"oss:{operation}"})


def _el(tag: str, value: Any) -> str:
    if value is None:
        return f"<{tag}></{tag}>"
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return f"<{tag}>{escape(text)}</{tag}>"


def error(status: int, code: str, message: str, operation: str, host: str = "",
          extra: str = "") -> Reply:
    request_id = uuid.uuid4().hex[:24].upper()
    body = (f"<Error>{_el('Code', code)}{_el('Message', message)}{_el('RequestId', request_id)}"
            f"{_el('HostId', host or 'oss.aliyuncs.com')}{extra}{_el('EC', '0003-00000001')}"
            "</Error>")
    reply = _xml(body, operation, status)
    reply.headers["x-oss-request-id"] = request_id
    return reply


def _auth_failure(estate: Estate, req: RecordedRequest, access_key: str, operation: str,
                  bucket: Bucket | None) -> Reply | None:
    match = CREDENTIAL.search(req.headers.get("authorization", ""))
    if match is None:
        return error(403, "AccessDenied", "You have no right to access this object because "
                     "of bucket acl.", operation)
    if match.group(1) != access_key and match.group(1) not in estate.access_keys:
        return error(403, "InvalidAccessKeyId",
                     "The OSS Access Key Id you provided does not exist in our records.",
                     operation)
    if bucket is not None and match.group(2) != bucket.region and operation not in ANY_ENDPOINT:
        return error(403, "AccessDenied", "The bucket you are attempting to access must be "
                     "addressed using the specified endpoint. Please send all future requests "
                     "to this endpoint.", operation, f"{bucket.name}.{bucket.location}.aliyuncs.com",
                     _el("Endpoint", f"{bucket.location}.aliyuncs.com"))
    return None


def _policy_public(spec: dict[str, Any]) -> bool:
    if "policy_public" in spec:
        return bool(spec["policy_public"])
    policy = spec.get("policy")
    for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
        principals = statement.get("Principal", [])
        principals = principals if isinstance(principals, list) else [principals]
        if statement.get("Effect") == "Allow" and not statement.get("Condition") and \
                PUBLIC_PRINCIPALS & {str(p) for p in principals}:
            return True
    return False


def _sse(spec: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(SSEAlgorithm, KMSMasterKeyID, KMSDataEncryption) of a bucket spec."""
    enc = spec.get("encryption", "none")
    if isinstance(enc, dict):
        return str(enc.get("algorithm", "KMS")), enc.get("key"), enc.get("data")
    return ("None" if str(enc).lower() == "none" else str(enc)), None, None


def _owner(estate: Estate) -> str:
    return f"<Owner>{_el('ID', estate.account)}{_el('DisplayName', estate.account)}</Owner>"


def _bucket_info(estate: Estate, b: Bucket) -> str:
    spec, omit = b.spec, set(b.spec.get("info_omits", []))
    algorithm, key, data = _sse(spec)
    logging = spec.get("logging") or {}
    parts = {
        "AccessMonitor": _el("AccessMonitor", "Disabled"),
        "CreationDate": _el("CreationDate", CREATED),
        # The flag covers cross-region rules only; same-region ones leave it Disabled.
        "CrossRegionReplication": _el("CrossRegionReplication", "Enabled" if any(
            region_id(str(r["region"])) != b.region for r in spec.get("replication") or [])
            else "Disabled"),
        "DataRedundancyType": _el("DataRedundancyType", spec.get("redundancy", "LRS")),
        "ExtranetEndpoint": _el("ExtranetEndpoint", f"{b.location}.aliyuncs.com"),
        "IntranetEndpoint": _el("IntranetEndpoint", f"{b.location}-internal.aliyuncs.com"),
        "Location": _el("Location", b.location), "Name": _el("Name", b.name),
        "StorageClass": _el("StorageClass", "Standard"),
        "TransferAcceleration": _el("TransferAcceleration", "Disabled"),
        "Owner": _owner(estate),
        "AccessControlList": f"<AccessControlList>{_el('Grant', spec.get('acl', 'private'))}"
                             "</AccessControlList>",
        "ServerSideEncryptionRule": "<ServerSideEncryptionRule>" + _el("SSEAlgorithm", algorithm)
        + (_el("KMSMasterKeyID", key) if algorithm == "KMS" else "")
        + (_el("KMSDataEncryption", data) if data else "") + "</ServerSideEncryptionRule>",
        "BucketPolicy": f"<BucketPolicy>{_el('LogBucket', logging.get('bucket'))}"
                        f"{_el('LogPrefix', logging.get('prefix'))}</BucketPolicy>",
        "BlockPublicAccess": _el("BlockPublicAccess", bool(spec.get("block_public_access"))),
    }
    if spec.get("versioning"):
        parts["Versioning"] = _el("Versioning", spec["versioning"])
    body = "".join(v for k, v in parts.items() if k not in omit)
    return f"<BucketInfo><Bucket>{body}</Bucket></BucketInfo>"


def _bucket_answer(estate: Estate, b: Bucket, operation: str) -> Reply:
    spec = b.spec
    if operation == "GetBucketInfo":
        return _xml(_bucket_info(estate, b), operation)
    if operation == "GetBucketEncryption":
        algorithm, key, data = _sse(spec)
        if algorithm == "None":
            return error(404, "NoSuchServerSideEncryptionRule",
                         "The server side encryption configuration was not found.", operation)
        return _xml("<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault>"
                    + _el("SSEAlgorithm", algorithm)
                    + (_el("KMSMasterKeyID", key) if key else "")
                    + (_el("KMSDataEncryption", data) if data else "")
                    + "</ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>", operation)
    if operation == "GetBucketAcl":
        return _xml(f"<AccessControlPolicy>{_owner(estate)}<AccessControlList>"
                    f"{_el('Grant', spec.get('acl', 'private'))}</AccessControlList>"
                    "</AccessControlPolicy>", operation)
    if operation == "GetBucketPolicy":
        if spec.get("policy") is None:
            return error(404, "NoSuchBucketPolicy", "The bucket policy does not exist.",
                         operation)
        policy = spec["policy"]  # a mapping, or a string sent as is (malformed on purpose)
        reply = _xml("", operation)
        reply.body = (policy if isinstance(policy, str) else json.dumps(policy)).encode()
        reply.content_type = "application/json"
        return reply
    if operation == "GetBucketPolicyStatus":
        return _xml(f"<PolicyStatus>{_el('IsPublic', _policy_public(spec))}</PolicyStatus>",
                    operation)
    if operation == "GetBucketPublicAccessBlock":
        return _xml("<PublicAccessBlockConfiguration>" + _el(
            "BlockPublicAccess", bool(spec.get("block_public_access")))
            + "</PublicAccessBlockConfiguration>", operation)
    if operation == "GetBucketVersioning":
        status = _el("Status", spec["versioning"]) if spec.get("versioning") else ""
        return _xml(f"<VersioningConfiguration>{status}</VersioningConfiguration>", operation)
    if operation == "GetBucketWorm":
        worm = spec.get("worm")
        if not worm:
            return error(404, "NoSuchWORMConfiguration",
                         "The WORM Configuration does not exist.", operation)
        return _xml(f"<WormConfiguration>{_el('WormId', f'1666E2CFB2B3418{len(b.name):04d}')}"
                    f"{_el('State', worm.get('state', 'InProgress'))}"
                    f"{_el('RetentionPeriodInDays', worm.get('days', 1))}"
                    f"{_el('CreationDate', '2024-05-13T15:50:32')}</WormConfiguration>", operation)
    if operation == "GetBucketObjectWormConfiguration":
        return _object_worm(spec.get("object_worm"), operation)
    if operation == "GetBucketLogging":
        logging = spec.get("logging")
        inner = (f"<LoggingEnabled>{_el('TargetBucket', logging['bucket'])}"
                 f"{_el('TargetPrefix', logging.get('prefix', ''))}</LoggingEnabled>"
                 if logging else "")
        return _xml(f"<BucketLoggingStatus>{inner}</BucketLoggingStatus>", operation)
    if operation == "GetBucketReplication":
        rules = spec.get("replication") or []
        if not rules:
            return error(404, "NoSuchReplicationConfiguration",
                         "The replication configuration does not exist.", operation)
        body = "".join(
            f"<Rule>{_el('ID', f'rule-{i}')}{_el('Action', 'ALL')}<Destination>"
            f"{_el('Bucket', r['bucket'])}{_el('Location', 'oss-' + r['region'].removeprefix('oss-'))}"
            f"{_el('TransferType', 'internal')}</Destination>{_el('Status', 'doing')}"
            f"{_el('HistoricalObjectReplication', 'enabled')}</Rule>"
            for i, r in enumerate(rules))
        return _xml(f"<ReplicationConfiguration>{body}</ReplicationConfiguration>", operation)
    if operation == "GetBucketLocation":
        return _xml(_el("LocationConstraint", b.location), operation)
    if operation == "GetBucketTags":
        # API reference GetBucketTags: no tags answers an empty <Tagging>.
        tags = "".join(f"<Tag>{_el('Key', k)}{_el('Value', v)}</Tag>"
                       for k, v in (spec.get("tags") or {}).items())
        return _xml(f"<Tagging><TagSet>{tags}</TagSet></Tagging>" if tags else "<Tagging/>",
                    operation)
    # GetBucketHttpsConfig: the live service answers NoSuchHttpsConfig for a bucket whose
    # TLS version settings were never written; a written config (even Enable false) is a 200.
    https = spec.get("https")
    if https is None:
        return error(404, "NoSuchHttpsConfig", "The https configuration does not exist.",
                     operation)
    versions = "".join(_el("TLSVersion", v) for v in https.get("versions", []))
    return _xml(f"<HttpsConfiguration><TLS>{_el('Enable', bool(versions))}{versions}</TLS>"
                "</HttpsConfiguration>", operation)


def _object_worm(config: dict[str, Any] | None, operation: str) -> Reply:
    """ObjectWormConfiguration as the API reference shows it: <Rule> only with a default
    retention, which has Mode and exactly one of Days or Years."""
    if config is None:
        # The reference documents only the 404 status; the code is this stand-in's own.
        return error(404, "NoSuchObjectWormConfiguration",
                     "The object-level retention policy does not exist.", operation)
    rule = ""
    if config.get("mode"):
        period = (_el("Years", config["years"]) if config.get("years")
                  else _el("Days", config.get("days", 1)))
        rule = f"<Rule><DefaultRetention>{_el('Mode', config['mode'])}{period}" \
               "</DefaultRetention></Rule>"
    return _xml(f"<ObjectWormConfiguration>{_el('ObjectWormEnabled', 'Enabled')}{rule}"
                "</ObjectWormConfiguration>", operation)


def _list_buckets(estate: Estate, req: RecordedRequest) -> Reply:
    prefix = (req.query.get("prefix") or [""])[0]
    marker = (req.query.get("marker") or [""])[0]
    size = min(int((req.query.get("max-keys") or ["100"])[0] or 100), estate.page_size, 1000)
    names = sorted(n for n in estate.buckets if n.startswith(prefix) and n > marker)
    page, more = names[:size], len(names) > size
    items = "".join(
        f"<Bucket>{_el('CreationDate', CREATED)}"
        f"{_el('ExtranetEndpoint', f'{b.location}.aliyuncs.com')}"
        f"{_el('IntranetEndpoint', f'{b.location}-internal.aliyuncs.com')}"
        f"{_el('Location', b.location) if 'Location' not in b.spec.get('list_omits', []) else ''}"
        f"{_el('Name', b.name)}{_el('Region', b.region)}{_el('StorageClass', 'Standard')}"
        "</Bucket>" for b in (estate.buckets[n] for n in page))
    tail = (_el("IsTruncated", more) + (_el("NextMarker", page[-1]) if more else ""))
    return _xml(f"<ListAllMyBucketsResult>{_el('Prefix', prefix)}{_el('Marker', marker)}"
                f"{_el('MaxKeys', size)}{tail}{_owner(estate) if estate.list_owner else ''}"
                f"<Buckets>{items}</Buckets>"
                "</ListAllMyBucketsResult>", "ListBuckets")


def handle(estate: Estate, req: RecordedRequest, access_key: str) -> Reply:
    parts = [p for p in req.path.split("/") if p]
    if len(parts) > 1:
        return error(405, "MethodNotAllowed", "object operations are not served: read-only "
                     "bucket stand-in", "ObjectOperation")
    bucket_name = parts[0] if parts else None
    if bucket_name is None:
        operation = "GetPublicAccessBlock" if "publicAccessBlock" in req.query else "ListBuckets"
    else:
        known = [SUBRESOURCES[q] for q in req.query if q in SUBRESOURCES]
        if len(known) != 1:
            return error(405, "MethodNotAllowed", "only bucket configuration reads are served",
                         "Unknown")
        operation = known[0]
    bucket = estate.buckets.get(bucket_name) if bucket_name else None
    if bucket_name is not None and bucket is None:
        return error(404, "NoSuchBucket", "The specified bucket does not exist.", operation)
    failure = _auth_failure(estate, req, access_key, operation, bucket)
    if failure is not None:
        return failure
    fault = estate.faults.take(bucket_name or "", operation)
    if fault is not None:
        status, code = fault_reply(fault, OSS_CODES)
        return error(status, code, f"injected fault for {operation}", operation)
    if bucket is None:
        if operation == "ListBuckets":
            return _list_buckets(estate, req)
        return _xml("<PublicAccessBlockConfiguration>" + _el(
            "BlockPublicAccess", estate.account_block) + "</PublicAccessBlockConfiguration>",
            operation)
    return _bucket_answer(estate, bucket, operation)
