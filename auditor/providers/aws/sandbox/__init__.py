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
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests as http

from auditor.providers.aws.sandbox._documented import omit_from_listing
from auditor.providers.aws.sandbox._seed import _ADMIN, ACCOUNT, S3_SUBRESOURCES, EstateSeeder
from auditor.sandbox.base import RecordedRequest, check_deniable

__all__ = ["AwsSandbox", "EstateSeeder", "recorded_action"]


# X-Amz-Target prefix of a JSON service -> its IAM service name
_JSON_TARGETS = {"TrentService": "kms", "AWSOrganizationsV20161128": "organizations"}


_EFS_PREFIX = "/2015-02-01/"


def _efs_operation(method: str, path: str) -> str:
    parts = path.removeprefix(_EFS_PREFIX).strip("/").split("/")
    if method == "GET" and parts == ["file-systems"]:
        return "DescribeFileSystems"
    if method == "GET" and len(parts) == 3 and parts[0] == "file-systems" and parts[2] == "policy":
        return "DescribeFileSystemPolicy"
    return f"{method}:{'/'.join(parts[:1] + parts[2:])}"


def recorded_action(method: str, url: str, headers: dict[str, str], body: bytes) -> str:
    """The AWS operation a recorded request stands for (``service:Operation``)."""
    target = headers.get("X-Amz-Target") or headers.get("x-amz-target")
    if target:
        prefix = target.rsplit(".", 1)[0]
        service = _JSON_TARGETS.get(prefix, prefix.split("_")[0])
        return f"{service}:{target.rsplit('.', 1)[-1]}"
    parts = urlsplit(url)
    form = parse_qs(body.decode("utf-8", "replace")) if body else {}
    if "Action" in form:
        auth = headers.get("Authorization") or headers.get("authorization") or ""
        scope = auth.split("Credential=", 1)[-1].split(",", 1)[0].split("/")
        service = scope[3] if len(scope) > 3 else "unknown"
        return f"{service}:{form['Action'][0]}"
    query = parse_qs(parts.query, keep_blank_values=True)
    if parts.path.startswith(_EFS_PREFIX):  # EFS: REST paths under its API version
        return f"elasticfilesystem:{_efs_operation(method, parts.path)}"
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
    estate_file = Path(__file__).with_name("estate.yaml")  # its demo-estate section
    # Operations whose IAM action is the operation's own name and which moto's IAM enforcement
    # checks (moto/s3/responses.py ACTION_MAP): denying them is a real AccessDenied.
    deniable = ("s3:GetBucketVersioning", "s3:GetBucketPolicy", "s3:GetBucketPolicyStatus",
                "s3:GetBucketLogging", "s3:GetBucketAcl")

    def __init__(self) -> None:
        self._server: Any = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._recorder_location: str | None = None
        self._credentials: dict[str, str] = dict(
            access_key_id=_ADMIN["aws_access_key_id"],
            secret_access_key=_ADMIN["aws_secret_access_key"])
        self.regions: list[str] = ["us-east-1"]
        self.role_arn: str | None = None
        self._denied: list[str] = []

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
        if self._denied:  # Deny statements in the scanner's (and its role's) IAM policy
            scanner_spec = dict(section.get("scanner") or {})
            extra = [{"action": op} for op in self._denied]
            scanner_spec["deny"] = [*scanner_spec.get("deny", []), *extra]
            if scanner_spec.get("role"):
                role = dict(scanner_spec["role"])
                role["deny"] = [*role.get("deny", []), *extra]
                scanner_spec["role"] = role
            section = {**section, "scanner": scanner_spec}
        scanner = EstateSeeder(self._client).seed(section)
        omit_from_listing(section.get("buckets", []), ACCOUNT)
        self.role_arn = scanner.pop("role_arn", None)
        self._credentials = scanner
        self._api("reset-auth", b"0")  # from now on, IAM decides (the scanner is read-only)
        self.reset_requests()
        self._api("recorder/start-recording")

    def deny(self, operation: str) -> None:
        check_deniable(self, operation)
        self._denied.append(operation)

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
