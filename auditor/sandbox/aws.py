"""AWS stand-in: moto's ThreadedMotoServer on 127.0.0.1, seeded with boto3, recorded by moto.

Seeding writes with throw-away admin keys while moto's IAM enforcement is off. Afterwards the
sandbox turns enforcement on and hands out the keys of a read-only scanner user, so the denials
the estate asks for are real AccessDenied answers, and starts moto's request recorder.
"""

from __future__ import annotations

import base64
import json
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests as http

from auditor.sandbox.base import RecordedRequest

ACCOUNT = "123456789012"  # moto's default account
_ADMIN = {"aws_access_key_id": "sandboxadmin", "aws_secret_access_key": "sandboxadmin"}
SCANNER_ACTIONS = ["s3:Get*", "s3:List*", "kms:Describe*", "kms:Get*", "kms:List*",
                   "ec2:Describe*", "ec2:Get*", "sts:GetCallerIdentity", "sts:AssumeRole"]
S3_SUBRESOURCES = {
    "encryption": "GetBucketEncryption", "publicAccessBlock": "GetPublicAccessBlock",
    "policyStatus": "GetBucketPolicyStatus", "policy": "GetBucketPolicy",
    "ownershipControls": "GetBucketOwnershipControls", "acl": "GetBucketAcl",
    "versioning": "GetBucketVersioning", "object-lock": "GetObjectLockConfiguration",
    "logging": "GetBucketLogging", "replication": "GetBucketReplication",
    "location": "GetBucketLocation", "tagging": "GetBucketTagging",
    "lifecycle": "GetBucketLifecycleConfiguration",
}


def _tls(arn: str, condition: dict[str, Any], principal: Any = "*",
         resource: list[str] | None = None) -> dict[str, Any]:
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": principal,
            "Action": "s3:*", "Resource": resource or [arn, f"{arn}/*"], "Condition": condition}


_INSECURE = {"Bool": {"aws:SecureTransport": "false"}}
POLICY_TEMPLATES: dict[str, Callable[[str], dict[str, Any]]] = {
    "tls": lambda arn: _tls(arn, _INSECURE),
    "tls-version": lambda arn: _tls(arn, {"NumericLessThan": {"s3:TlsVersion": "1.2"}}),
    "tls-narrowed-condition": lambda arn: _tls(
        arn, {**_INSECURE, "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
    "tls-narrowed-principal": lambda arn: _tls(
        arn, _INSECURE, principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/someone"}),
    "tls-objects-only": lambda arn: _tls(arn, _INSECURE, resource=[f"{arn}/*"]),
    "public-read": lambda arn: {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
                                "Action": "s3:GetObject", "Resource": f"{arn}/*"},
    "account-read": lambda arn: {"Sid": "AccountRead", "Effect": "Allow",
                                 "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                 "Action": "s3:GetObject", "Resource": f"{arn}/*"},
}


def _key_policy(public: bool, deny_describe: bool) -> str:
    statements: list[dict[str, Any]] = [
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"}]
    if public:
        statements.append({"Sid": "Everyone", "Effect": "Allow", "Principal": "*",
                           "Action": "kms:Decrypt", "Resource": "*"})
    if deny_describe:
        statements.append({"Sid": "HideKey", "Effect": "Deny", "Principal": "*",
                           "Action": "kms:DescribeKey", "Resource": "*"})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _pab_flags(block: bool | dict[str, bool]) -> dict[str, bool]:
    """``true``/``false`` for all four Block Public Access flags, or the flags by name."""
    names = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    if isinstance(block, dict):
        return {name: bool(block.get(name, False)) for name in names}
    return dict.fromkeys(names, bool(block))


class EstateSeeder:
    """Writes an estate section with boto3; ``client(service, region)`` makes admin clients."""

    def __init__(self, client: Callable[[str, str], Any]) -> None:
        self.client = client
        self.key_ids: dict[str, str] = {}  # alias name -> key id

    def seed(self, section: dict[str, Any]) -> dict[str, str]:
        """Seed everything; return the scanner's credentials (and role ARN, if any)."""
        for key in section.get("keys", []):
            self._key(key)
        buckets = section.get("buckets", [])
        for bucket in buckets:  # targets of logging/replication must exist first
            self._create(bucket)
        for bucket in buckets:
            self._configure(bucket)
        self._account(section.get("account", {}), list(section.get("regions") or []))
        return self._scanner(section.get("scanner", {}))

    def _key(self, spec: dict[str, Any]) -> None:
        kms = self.client("kms", spec["region"])
        key = kms.create_key(Description=spec.get("description", spec["alias"]),
                             Origin=spec.get("origin", "AWS_KMS"),
                             Policy=_key_policy(spec.get("public", False),
                                                spec.get("deny_describe", False)))
        key_id = key["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=f"alias/{spec['alias']}", TargetKeyId=key_id)
        self.key_ids[spec["alias"]] = key_id
        if spec.get("rotation"):
            kms.enable_key_rotation(KeyId=key_id)
        if spec.get("state") == "Disabled":
            kms.disable_key(KeyId=key_id)
        elif spec.get("state") == "PendingDeletion":
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)

    def _create(self, spec: dict[str, Any]) -> None:
        s3 = self.client("s3", spec["region"])
        kwargs: dict[str, Any] = {"Bucket": spec["name"]}
        if spec["region"] != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": spec["region"]}
        if spec.get("object_lock"):
            kwargs["ObjectLockEnabledForBucket"] = True
        s3.create_bucket(**kwargs)
        if spec.get("log_target"):
            s3.put_bucket_acl(Bucket=spec["name"], ACL="log-delivery-write")
        if spec.get("versioning"):
            versioning = {"Status": spec["versioning"]}
            extra: dict[str, Any] = {}
            if spec.get("mfa_delete"):
                versioning["MFADelete"] = "Enabled"
                extra["MFA"] = "arn:aws:iam::123456789012:mfa/root 123456"
            s3.put_bucket_versioning(Bucket=spec["name"], VersioningConfiguration=versioning,
                                     **extra)

    def _configure(self, spec: dict[str, Any]) -> None:
        name, s3 = spec["name"], self.client("s3", spec["region"])
        arn = f"arn:aws:s3:::{name}"
        if spec.get("public_access_block") is None:
            # S3 (and moto >= 5.2.5) turns Block Public Access on for new buckets; the estate
            # means "not configured" when it names none, whatever the moto version.
            s3.delete_public_access_block(Bucket=name)
        encryption = spec.get("encryption")
        if encryption:
            default: dict[str, Any] = {"SSEAlgorithm": encryption["algorithm"]}
            if encryption.get("key"):
                alias = encryption["key"]
                default["KMSMasterKeyID"] = (
                    f"arn:aws:kms:{encryption.get('key_region', spec['region'])}:{ACCOUNT}:"
                    f"key/{self.key_ids[alias]}" if alias in self.key_ids else alias)
            elif encryption["algorithm"] != "AES256":
                # Create moto's AWS managed aws/s3 key now, as S3 would on first use.
                self.client("kms", spec["region"]).describe_key(KeyId="alias/aws/s3")
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
                {"ApplyServerSideEncryptionByDefault": default,
                 "BucketKeyEnabled": bool(encryption.get("bucket_key"))}]})
        if spec.get("ownership"):
            s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={
                "Rules": [{"ObjectOwnership": spec["ownership"]}]})
        if spec.get("acl"):
            s3.put_bucket_acl(Bucket=name, ACL=spec["acl"])
        if spec.get("policy"):
            statements = [POLICY_TEMPLATES[t](arn) for t in spec["policy"]]
            s3.put_bucket_policy(Bucket=name, Policy=json.dumps(
                {"Version": "2012-10-17", "Statement": statements}))
        if spec.get("public_access_block") is not None:
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=_pab_flags(
                spec["public_access_block"]))
        lock = spec.get("object_lock")
        if isinstance(lock, dict):
            retention = {"Mode": lock["mode"]}
            retention.update({"Years": lock["years"]} if "years" in lock else
                             {"Days": lock.get("days", 1)})
            s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": retention}})
        if spec.get("logging"):
            s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={"LoggingEnabled": {
                "TargetBucket": spec["logging"], "TargetPrefix": f"{name}/"}})
        if spec.get("replication"):
            s3.put_bucket_replication(Bucket=name, ReplicationConfiguration={
                "Role": f"arn:aws:iam::{ACCOUNT}:role/replication",
                "Rules": [{"ID": "all", "Priority": 1, "Status": "Enabled", "Filter": {},
                           "DeleteMarkerReplication": {"Status": "Disabled"},
                           "Destination": {"Bucket": f"arn:aws:s3:::{spec['replication']}"}}]})

    def _account(self, spec: dict[str, Any], regions: list[str]) -> None:
        block = spec.get("public_access_block")
        if block:
            self.client("s3control", "us-east-1").put_public_access_block(
                AccountId=ACCOUNT, PublicAccessBlockConfiguration=_pab_flags(block))
        ebs_regions = spec.get("ebs") or {}
        for region in dict.fromkeys([*regions, *ebs_regions]):
            ec2 = self.client("ec2", region)
            # moto builds a region's EC2 backend on first use (slow): do it now, not mid-scan.
            ec2.get_ebs_encryption_by_default()
            ebs = ebs_regions.get(region) or {}
            if ebs.get("encryption"):
                ec2.enable_ebs_encryption_by_default()
            if ebs.get("key"):
                ec2.modify_ebs_default_kms_key_id(KmsKeyId=self.key_ids[ebs["key"]])

    def _scanner(self, spec: dict[str, Any]) -> dict[str, str]:
        iam = self.client("iam", "us-east-1")
        user = spec.get("user", "auditor-readonly")
        user_arn = iam.create_user(UserName=user)["User"]["Arn"]
        iam.put_user_policy(UserName=user, PolicyName="read-only",
                            PolicyDocument=_read_only_policy(spec.get("deny", [])))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        out = {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}
        role = spec.get("role")
        if role:
            trust: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": user_arn},
                                     "Action": "sts:AssumeRole"}
            if role.get("external_id"):
                trust["Condition"] = {"StringEquals": {"sts:ExternalId": role["external_id"]}}
            out["role_arn"] = iam.create_role(
                RoleName=role["name"], AssumeRolePolicyDocument=json.dumps(
                    {"Version": "2012-10-17", "Statement": [trust]}))["Role"]["Arn"]
            iam.put_role_policy(RoleName=role["name"], PolicyName="read-only",
                                PolicyDocument=_read_only_policy(role.get("deny", [])))
        return out


def _read_only_policy(denies: list[dict[str, str]]) -> str:
    """Allow the scanner's reads; deny what the estate lists (a bucket, or everything)."""
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": SCANNER_ACTIONS, "Resource": "*"}]
    statements += [{"Effect": "Deny", "Action": deny["action"],
                    "Resource": f"arn:aws:s3:::{deny['bucket']}" if deny.get("bucket") else "*"}
                   for deny in denies]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def recorded_action(method: str, url: str, headers: dict[str, str], body: bytes) -> str:
    """The AWS operation a recorded request stands for (``service:Operation``)."""
    target = headers.get("X-Amz-Target") or headers.get("x-amz-target")
    if target:
        service = "kms" if target.startswith("TrentService") else target.split("_")[0]
        return f"{service}:{target.rsplit('.', 1)[-1]}"
    parts = urlsplit(url)
    form = parse_qs(body.decode("utf-8", "replace")) if body else {}
    if "Action" in form:
        auth = headers.get("Authorization") or headers.get("authorization") or ""
        scope = auth.split("Credential=", 1)[-1].split(",", 1)[0].split("/")
        service = scope[3] if len(scope) > 3 else "unknown"
        return f"{service}:{form['Action'][0]}"
    query = parse_qs(parts.query, keep_blank_values=True)
    if parts.path.startswith("/v20180820/"):
        verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}.get(method, method)
        last = parts.path.rsplit("/", 1)[-1]
        return f"s3control:{verb}{last[:1].upper()}{last[1:]}"
    if parts.path in ("", "/"):
        return "s3:ListBuckets" if method == "GET" else f"s3:{method}"
    if method == "GET":
        sub = next((S3_SUBRESOURCES[k] for k in query if k in S3_SUBRESOURCES), "ListObjects")
        return f"s3:{sub}"
    return f"s3:{method}"


class AwsSandbox:
    """The AWS stand-in (implements auditor.sandbox.base.Sandbox)."""

    provider = "aws"

    def __init__(self) -> None:
        self._server: Any = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._recorder_location: str | None = None
        self._credentials: dict[str, str] = dict(
            access_key_id=_ADMIN["aws_access_key_id"],
            secret_access_key=_ADMIN["aws_secret_access_key"])
        self.regions: list[str] = ["us-east-1"]
        self.role_arn: str | None = None

    @property
    def url(self) -> str:
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def start(self) -> None:
        from moto.moto_api import recorder
        from moto.server import ThreadedMotoServer

        # moto records to ./moto_recording by default; keep it out of the user's directory.
        self._tmp = tempfile.TemporaryDirectory(prefix="auditor-moto-")
        self._recorder_location = recorder._location
        recorder._location = str(Path(self._tmp.name) / "recording.jsonl")
        # No log line per request, nor a traceback per unimplemented call (clients see a 500).
        logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        self._api("reset-auth", b"inf")

    def _api(self, path: str, body: bytes = b"", method: str = "POST") -> str:
        reply = http.request(method, f"{self.url}/moto-api/{path}", data=body, timeout=30)
        reply.raise_for_status()
        return reply.text

    def _client(self, service: str, region: str) -> Any:
        import boto3

        from auditor.providers.aws._session import strip_account_label

        client = boto3.client(service, region_name=region, endpoint_url=self.url, **_ADMIN)
        if service == "s3control":
            client.meta.events.register("before-sign.s3-control", strip_account_label)
        return client

    def seed(self, estate: dict[str, Any]) -> None:
        section = estate.get("aws", estate) if isinstance(estate, dict) else {}
        self._api("recorder/stop-recording")
        self._api("reset-auth", b"inf")
        found = {b["region"] for b in section.get("buckets", [])} | {
            k["region"] for k in section.get("keys", [])}
        self.regions = list(section.get("regions") or sorted(found) or ["us-east-1"])
        scanner = EstateSeeder(self._client).seed(section)
        self.role_arn = scanner.pop("role_arn", None)
        self._credentials = scanner
        self._api("reset-auth", b"0")  # from now on, IAM decides (the scanner is read-only)
        self.reset_requests()
        self._api("recorder/start-recording")

    def scan_options(self) -> dict[str, Any]:
        return {"region": list(self.regions)}

    def environment(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": self._credentials["access_key_id"],
            "AWS_SECRET_ACCESS_KEY": self._credentials["secret_access_key"],
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.url,
        }

    def requests(self) -> list[RecordedRequest]:
        out = []
        for line in self._api("recorder/download-recording", method="GET").splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            body = entry.get("body") or ""
            raw = base64.b64decode(body) if entry.get("body_encoded") else body.encode()
            headers = {str(k): str(v) for k, v in (entry.get("headers") or {}).items()}
            parts = urlsplit(entry["url"])
            out.append(RecordedRequest(
                entry["method"], parts.path, parse_qs(parts.query, keep_blank_values=True),
                {k.lower(): v for k, v in headers.items()}, raw,
                recorded_action(entry["method"], entry["url"], headers, raw)))
        return out

    def reset_requests(self) -> None:
        self._api("recorder/reset-recording")

    def stop(self) -> None:
        if self._server is None:
            return
        from moto.moto_api import recorder

        self._api("recorder/stop-recording")
        self._api("reset-auth", b"inf")  # IAM enforcement is process-wide in moto
        self._api("reset")
        self._server.stop()
        self._server = None
        if self._recorder_location is not None:
            recorder._location = self._recorder_location
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
