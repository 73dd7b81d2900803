"""A 127.0.0.1 stand-in that echoes every request into its error answers, for canary tests.

Each error answer is the provider's documented error format; its message carries the request
line (the signed target), every request header (Authorization, security tokens), the body,
and the credentials in use quoted raw, base64- and URL-encoded: what a misbehaving proxy or
service could send back. Listings and the identity call may answer as documented instead, so
that the per-resource reads run and fail one by one.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Callable
from urllib.parse import parse_qs, quote, quote_plus, urlencode

from auditor.sandbox.base import RecordedRequest, RecordingServer, Reply

MODES = ("reads", "listing")  # the per-resource reads fail / the first call fails


def canary(label: str, length: int, alphabet: str = "base64") -> str:
    """A fixed, random-looking value of ``length`` characters, unlike any credential shape."""
    raw = b""
    while len(raw) * 4 // 3 < length + 8:
        raw += hashlib.sha256(f"{label}/{len(raw)}".encode()).digest()
    text = base64.b64encode(raw).decode()
    if alphabet == "upper":
        text = "".join(c for c in text.upper() if c.isalnum())
    elif alphabet == "alnum":
        text = "".join(c for c in text if c.isalnum())
    return text[:length]


def encodings(value: str) -> set[str]:
    """The forms an output must not carry a canary in."""
    return {value, base64.b64encode(value.encode()).decode(), quote(value, safe=""),
            quote_plus(value), base64.urlsafe_b64encode(value.encode()).decode()}


def leaks(text: str, secrets: list[str], window: int = 16) -> list[str]:
    """Each secret (any of its forms, or a ``window``-long piece of it) found in ``text``."""
    found = []
    for secret in secrets:
        pieces = encodings(secret) | {secret[i:i + window]
                                      for i in range(0, max(1, len(secret) - window + 1))}
        hit = next((p for p in sorted(pieces) if p in text), None)
        if hit is not None:
            found.append(f"{secret[:6]}... as {hit!r}")
    return found


class EchoServer:
    """``answer(request, echo) -> Reply``: the provider's routing; ``echo`` the dump."""

    def __init__(self, answer: Callable[[RecordedRequest, str], Reply],
                 quoted: list[str]) -> None:
        self._answer = answer
        self.quoted = quoted
        self.server = RecordingServer(self._handle,
                                      allowed_methods=frozenset({"GET", "POST", "HEAD"}))

    @property
    def url(self) -> str:
        return self.server.url

    def __enter__(self) -> EchoServer:
        self.server.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.stop()

    def _handle(self, request: RecordedRequest) -> Reply:
        return self._answer(request, self.dump(request))

    def dump(self, request: RecordedRequest) -> str:
        target = request.path + ("?" + urlencode(request.query, doseq=True)
                                 if request.query else "")
        # The quoted credentials first (shortest first), so that they fall inside the part
        # of a long message an adapter keeps; nothing marks them but their value.
        quoted = [form for secret in sorted(self.quoted, key=len)
                  for form in sorted(encodings(secret))]
        lines = [f"{request.method} {target} HTTP/1.1", "in use: " + " ".join(quoted)]
        lines += [f"{name}: {value}" for name, value in request.headers.items()]
        if request.body:
            lines.append("body: " + request.body.decode("utf-8", "replace"))
        return "\n".join(lines)


# --- AWS: STS/EC2 query protocol, KMS JSON protocol, S3 REST-XML -----------------------

AWS_ACCOUNT = "123456789012"


def _xml(body: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>' + body).encode()


def aws_answer(mode: str) -> Callable[[RecordedRequest, str], Reply]:
    """sts:GetCallerIdentity answers (reads) or is refused (listing); every other call is
    refused with the echo in the service's own error format. ListBuckets answers one bucket
    in ``reads`` mode (ListBuckets response, S3 API reference)."""

    def answer(req: RecordedRequest, echo: str) -> Reply:
        message = html.escape(echo)
        action = parse_qs(req.body.decode("utf-8", "replace")).get("Action", [""])[0]
        if action == "GetCallerIdentity":  # STS API reference: GetCallerIdentity, errors
            if mode == "listing":
                return Reply(403, _xml(
                    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
                    f"<Type>Sender</Type><Code>AccessDenied</Code><Message>{message}</Message>"
                    "</Error><RequestId>4a3c2e1b-0000-4000-8000-000000000001</RequestId>"
                    "</ErrorResponse>"), "text/xml")
            return Reply(200, _xml(
                '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                f"<GetCallerIdentityResult><Arn>arn:aws:iam::{AWS_ACCOUNT}:user/auditor</Arn>"
                f"<UserId>AIDACKCEVSQ6C2EXAMPLE</UserId><Account>{AWS_ACCOUNT}</Account>"
                "</GetCallerIdentityResult><ResponseMetadata><RequestId>"
                "4a3c2e1b-0000-4000-8000-000000000002</RequestId></ResponseMetadata>"
                "</GetCallerIdentityResponse>"), "text/xml")
        if action:  # EC2 API reference: error response structure
            return Reply(403, _xml(
                "<Response><Errors><Error><Code>UnauthorizedOperation</Code>"
                f"<Message>{message}</Message></Error></Errors>"
                "<RequestID>4a3c2e1b-0000-4000-8000-000000000003</RequestID></Response>"),
                "text/xml;charset=UTF-8")
        if req.headers.get("x-amz-target", "").startswith("TrentService."):
            # AWS KMS API reference: common errors, JSON protocol
            return Reply(400, json.dumps({"__type": "AccessDeniedException",
                                          "message": echo}).encode(),
                         "application/x-amz-json-1.1")
        if req.path == "/" and mode == "reads":  # S3 ListBuckets
            return Reply(200, _xml(
                '<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                "<Buckets><Bucket><Name>canary-bucket</Name>"
                "<CreationDate>2024-03-04T09:15:27.000Z</CreationDate>"
                "<BucketRegion>us-east-1</BucketRegion></Bucket></Buckets>"
                "<Owner><DisplayName>auditor</DisplayName><ID>"
                "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID></Owner>"
                "</ListAllMyBucketsResult>"), "application/xml")
        # S3 API reference, Error responses: 500 InternalError is retried, then given up.
        status, code = (500, "InternalError") if req.path.startswith("/v20180820/") else \
            (403, "AccessDenied")
        return Reply(status, _xml(
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            "<RequestId>4A3C2E1B00000001</RequestId><HostId>aG9zdA==</HostId></Error>"),
            "application/xml")

    return answer


# --- Google Cloud: the JSON error of Cloud Storage, Cloud KMS and Org Policy -----------

GCP_PROJECT = "canary-project"


def gcp_answer(mode: str) -> Callable[[RecordedRequest, str], Reply]:
    """buckets.list answers one bucket (reads) or is refused (listing); every other call is
    refused: ``{"error": {"code", "message", "errors": [{"reason"}], "status"}}`` (Cloud
    Storage JSON API: HTTP status and error codes; Cloud APIs: errors)."""

    def answer(req: RecordedRequest, echo: str) -> Reply:
        if req.path.rstrip("/") == "/storage/v1/b" and mode == "reads":
            bucket = {"kind": "storage#bucket", "id": "canary-bucket", "name": "canary-bucket",
                      "selfLink": "http://127.0.0.1/storage/v1/b/canary-bucket",
                      "projectNumber": "100000000001", "generation": "1709543727418392",
                      "metageneration": "1", "location": "US-EAST1", "locationType": "region",
                      "storageClass": "STANDARD", "etag": "CAE=",
                      "timeCreated": "2024-03-04T09:15:27.418Z",
                      "updated": "2024-03-04T09:15:27.418Z",
                      "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": True},
                                           "bucketPolicyOnly": {"enabled": True},
                                           "publicAccessPrevention": "inherited"}}
            return Reply(200, json.dumps({"kind": "storage#buckets",
                                          "items": [bucket]}).encode())
        error = {"code": 403, "message": echo, "status": "PERMISSION_DENIED",
                 "errors": [{"message": echo, "domain": "global", "reason": "forbidden"}]}
        return Reply(403, json.dumps({"error": error}).encode())

    return answer


# --- Alibaba Cloud: OSS XML errors, KMS and ECS (RPC) JSON errors ------------------------


def alibaba_answer(mode: str) -> Callable[[RecordedRequest, str], Reply]:
    """OSS ListBuckets answers one bucket (reads) or is refused (listing); every other OSS
    call is refused with ``<Error><Code>`` XML, every KMS/ECS call with the RPC JSON error
    (OSS API reference: error responses; Alibaba Cloud OpenAPI: error codes)."""

    def answer(req: RecordedRequest, echo: str) -> Reply:
        headers = {"x-oss-request-id": "65F0A1B2C3D4E5F600000001"}
        if req.headers.get("x-acs-action") or "Action" in req.query:
            return Reply(403, json.dumps({
                "RequestId": "3F9C1A2B-0000-4000-8000-000000000001",
                "HostId": "kms.cn-hangzhou.aliyuncs.com", "Code": "Forbidden.NoPermission",
                "Message": echo,
                "Recommend": "https://api.aliyun.com/troubleshoot?q=Forbidden.NoPermission",
            }).encode(), "application/json;charset=utf-8")
        if req.path == "/" and not req.query.keys() & {"publicAccessBlock"} \
                and mode == "reads":
            return Reply(200, _xml(
                "<ListAllMyBucketsResult><Owner><ID>1234567890123456</ID>"
                "<DisplayName>1234567890123456</DisplayName></Owner><Buckets><Bucket>"
                "<CreationDate>2024-03-04T09:15:27.000Z</CreationDate>"
                "<ExtranetEndpoint>oss-cn-hangzhou.aliyuncs.com</ExtranetEndpoint>"
                "<IntranetEndpoint>oss-cn-hangzhou-internal.aliyuncs.com</IntranetEndpoint>"
                "<Location>oss-cn-hangzhou</Location><Name>canary-bucket</Name>"
                "<Region>cn-hangzhou</Region><StorageClass>Standard</StorageClass>"
                "</Bucket></Buckets></ListAllMyBucketsResult>"), "application/xml", headers)
        return Reply(403, _xml(
            f"<Error><Code>AccessDenied</Code><Message>{html.escape(echo)}</Message>"
            "<RequestId>65F0A1B2C3D4E5F600000001</RequestId>"
            "<HostId>canary-bucket.oss-cn-hangzhou.aliyuncs.com</HostId>"
            "<EC>0003-00000001</EC></Error>"), "application/xml", headers)

    return answer
