"""A tiny AWS stand-in on 127.0.0.1 for answer-shape tests: each operation answers the sample
body its API reference page documents (Response Syntax), unless a test scripts another.

Requests are routed with the sandbox's own ``recorded_action`` (X-Amz-Target for KMS, the
Action form field for STS/EC2, path and subresource for S3 and S3 Control).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from answer_samples_kinds import BODIES as KIND_BODIES
from aws_support import aws_environment

from auditor.providers.aws.sandbox import recorded_action

ACCOUNT = "123456789012"
REGION = "eu-west-1"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"
S3_NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
EC2_NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'
XML = "application/xml"
JSON = "application/x-amz-json-1.1"

Reply = tuple[int, str, bytes]
Script = Callable[[dict[str, list[str]]], Reply]  # query/form parameters -> reply


def xml(body: str, status: int = 200) -> Reply:
    return status, XML, f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'.encode()


def as_json(value: Any, status: int = 200) -> Reply:
    return status, JSON, json.dumps(value).encode()


TLS_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "DenyInsecure", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
    "Resource": ["arn:aws:s3:::sample-bucket", "arn:aws:s3:::sample-bucket/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
KEY_POLICY = json.dumps({"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{
    "Sid": "Enable IAM User Permissions", "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}]})
_PAB = ("<BlockPublicAcls>false</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls>"
        "<BlockPublicPolicy>false</BlockPublicPolicy>"
        "<RestrictPublicBuckets>false</RestrictPublicBuckets>")

# operation -> its documented sample answer: one public-read bucket (an AllUsers READ grant,
# Block Public Access off), TLS enforced, versioned, locked, logged, replicated; one
# customer-managed KMS key with rotation on; EBS encryption by default on.
DOCUMENTED: dict[str, Reply] = {
    "sts:GetCallerIdentity": xml(
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<GetCallerIdentityResult><Arn>arn:aws:iam::{ACCOUNT}:user/Alice</Arn>"
        f"<UserId>AIDACKCEVSQ6C2EXAMPLE</UserId><Account>{ACCOUNT}</Account>"
        "</GetCallerIdentityResult><ResponseMetadata><RequestId>01234567-89ab-cdef-0123-"
        "456789abcdef</RequestId></ResponseMetadata></GetCallerIdentityResponse>"),
    "ec2:DescribeRegions": xml(
        f"<DescribeRegionsResponse {EC2_NS}><requestId>r</requestId><regionInfo><item>"
        f"<regionName>{REGION}</regionName><regionEndpoint>ec2.{REGION}.amazonaws.com"
        "</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>"
        "</regionInfo></DescribeRegionsResponse>"),
    "ec2:GetEbsEncryptionByDefault": xml(
        f"<GetEbsEncryptionByDefaultResponse {EC2_NS}><requestId>r</requestId>"
        "<ebsEncryptionByDefault>true</ebsEncryptionByDefault>"
        "</GetEbsEncryptionByDefaultResponse>"),
    "ec2:GetEbsDefaultKmsKeyId": xml(
        f"<GetEbsDefaultKmsKeyIdResponse {EC2_NS}><requestId>r</requestId>"
        f"<kmsKeyId>{KEY_ARN}</kmsKeyId></GetEbsDefaultKmsKeyIdResponse>"),
    "s3control:GetPublicAccessBlock": xml(
        '<PublicAccessBlockConfiguration xmlns="http://awss3control.amazonaws.com/doc/'
        f'2018-08-20/">{_PAB}</PublicAccessBlockConfiguration>'),
    "s3:ListBuckets": xml(
        f"<ListAllMyBucketsResult {S3_NS}><Owner><ID>owner</ID></Owner><Buckets><Bucket>"
        "<Name>sample-bucket</Name><CreationDate>2019-12-11T23:32:47.000Z</CreationDate>"
        "</Bucket></Buckets></ListAllMyBucketsResult>"),
    "s3:GetBucketLocation": xml(f"<LocationConstraint {S3_NS}>{REGION}</LocationConstraint>"),
    "s3:GetBucketEncryption": xml(
        f"<ServerSideEncryptionConfiguration {S3_NS}><Rule><ApplyServerSideEncryptionByDefault>"
        "<SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>"
        "<BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>"),
    "s3:GetPublicAccessBlock": xml(
        f"<PublicAccessBlockConfiguration {S3_NS}>{_PAB}</PublicAccessBlockConfiguration>"),
    "s3:GetBucketPolicy": (200, "application/json", TLS_POLICY.encode()),
    "s3:GetBucketPolicyStatus": xml(
        f"<PolicyStatus {S3_NS}><IsPublic>false</IsPublic></PolicyStatus>"),
    "s3:GetBucketOwnershipControls": xml(
        f"<OwnershipControls {S3_NS}><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership>"
        "</Rule></OwnershipControls>"),
    "s3:GetBucketAcl": xml(
        f'<AccessControlPolicy {S3_NS}><Owner><ID>owner</ID></Owner><AccessControlList>'
        '<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:type="CanonicalUser"><ID>owner</ID></Grantee><Permission>FULL_CONTROL'
        '</Permission></Grant><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/'
        'XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/'
        "AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList>"
        "</AccessControlPolicy>"),
    "s3:GetBucketVersioning": xml(
        f"<VersioningConfiguration {S3_NS}><Status>Enabled</Status><MfaDelete>Disabled"
        "</MfaDelete></VersioningConfiguration>"),
    "s3:GetObjectLockConfiguration": xml(
        f"<ObjectLockConfiguration {S3_NS}><ObjectLockEnabled>Enabled</ObjectLockEnabled>"
        "<Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>30</Days></DefaultRetention>"
        "</Rule></ObjectLockConfiguration>"),
    "s3:GetBucketLogging": xml(
        f"<BucketLoggingStatus {S3_NS}><LoggingEnabled><TargetBucket>logs-bucket"
        "</TargetBucket><TargetPrefix>sample/</TargetPrefix></LoggingEnabled>"
        "</BucketLoggingStatus>"),
    "s3:GetBucketReplication": xml(
        f"<ReplicationConfiguration {S3_NS}><Role>arn:aws:iam::{ACCOUNT}:role/replication"
        "</Role><Rule><ID>all</ID><Priority>1</Priority><Status>Enabled</Status><Filter>"
        "<Prefix></Prefix></Filter><Destination><Bucket>arn:aws:s3:::replica-bucket</Bucket>"
        "</Destination><DeleteMarkerReplication><Status>Disabled</Status>"
        "</DeleteMarkerReplication></Rule></ReplicationConfiguration>"),
    "kms:ListKeys": as_json({"Keys": [{"KeyArn": KEY_ARN, "KeyId": KEY_ID}], "Truncated": False}),
    "kms:ListAliases": as_json({"Aliases": [{
        "AliasArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/sample", "AliasName": "alias/sample",
        "TargetKeyId": KEY_ID}], "Truncated": False}),
    "kms:DescribeKey": as_json({"KeyMetadata": {
        "AWSAccountId": ACCOUNT, "Arn": KEY_ARN, "KeyId": KEY_ID, "CreationDate": 1499288695.918,
        "Enabled": True, "KeyManager": "CUSTOMER", "KeyState": "Enabled", "Origin": "AWS_KMS",
        "KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT", "MultiRegion": False}}),
    "kms:GetKeyRotationStatus": as_json({"KeyRotationEnabled": True, "KeyId": KEY_ARN,
                                         "RotationPeriodInDays": 365}),
    "kms:GetKeyPolicy": as_json({"Policy": KEY_POLICY, "PolicyName": "default"}),
    # volumes, snapshots, file systems and databases (answer_samples_kinds.py)
    **{op: (200, "application/json", body.encode()) if body.startswith("{") else xml(body)
       for op, body in KIND_BODIES.items()},
}


class Stand:
    """The running stand-in: ``scripts[operation]`` overrides the documented answer."""

    def __init__(self) -> None:
        self.scripts: dict[str, Script] = {}
        self.calls: Counter[str] = Counter()
        stand = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items()}
                action = recorded_action(self.command, self.path, headers, body)
                stand.calls[action] = stand.calls[action] + 1
                params = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
                if body and not headers.get("X-Amz-Target"):
                    params.update(parse_qs(body.decode(), keep_blank_values=True))
                if body and headers.get("X-Amz-Target"):
                    params = {k: [str(v)] for k, v in json.loads(body).items()}
                script = stand.scripts.get(action)
                status, kind, payload = script(params) if script else DOCUMENTED.get(
                    action, xml("<Error><Code>NotImplemented</Code></Error>", 501))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, operation: str, reply: Reply) -> None:
        self.scripts[operation] = lambda _: reply


@contextlib.contextmanager
def running_stand(tmp: Path) -> Iterator[Stand]:
    stand = Stand()
    thread = threading.Thread(target=stand.server.serve_forever, daemon=True)
    thread.start()
    try:
        with aws_environment(tmp, AWS_ENDPOINT_URL=stand.url):
            yield stand
    finally:
        stand.server.shutdown()
        stand.server.server_close()
