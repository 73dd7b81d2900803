"""Canary credentials never reach an output, even when the endpoint echoes every request.

``auditor scan <provider>`` runs as a user runs it (the console script, a fresh process, the
credentials where the adapter reads them) against a 127.0.0.1 endpoint that answers with
the provider's documented error format, its message carrying every request header, the
signed target and the credentials in use (echo_support). stdout, stderr and every report
file (all formats, and the inventory) must hold no canary, in no encoding, not even a
16-character piece of one; the failures must still be reported, one line each, naming the
operation.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from echo_support import (
    GCP_PROJECT,
    MODES,
    EchoServer,
    alibaba_answer,
    aws_answer,
    canary,
    gcp_answer,
    leaks,
)

FORMATS = "table,json,csv,sarif,ocsf,html,markdown,junit"
_FOREIGN = ("AWS_", "ALIBABA_CLOUD_", "GOOGLE_", "GCLOUD_", "CLOUDSDK_", "AUDITOR_",
            "STORAGE_EMULATOR_HOST")


@dataclass
class Setup:
    env: dict[str, str]
    flags: list[str]
    secrets: list[str]  # must appear nowhere


def aws(tmp_path: Path, url: str) -> Setup:
    key_id = "CNRY" + canary("aws-key-id", 16, "upper")
    secret = canary("aws-secret", 40)
    token = canary("aws-session-token", 720)
    env = {"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret,
           "AWS_SESSION_TOKEN": token, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": url, "AWS_EC2_METADATA_DISABLED": "true"}
    return Setup(env, ["--aws-region", "us-east-1"], [key_id, secret, token])


def alibaba(tmp_path: Path, url: str) -> Setup:
    key_id = "CNRY" + canary("ali-key-id", 20, "alnum")
    secret = canary("ali-secret", 30, "alnum")
    token = canary("ali-security-token", 640)
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": key_id, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret,
           "ALIBABA_CLOUD_SECURITY_TOKEN": token, "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}
    flags = ["--alibaba-region", "cn-hangzhou", "--alibaba-oss-endpoint", url,
             "--alibaba-kms-endpoint", url, "--alibaba-ecs-endpoint", url,
             "--alibaba-nas-endpoint", url, "--alibaba-rds-endpoint", url]
    return Setup(env, flags, [key_id, secret, token])


def gcp(tmp_path: Path, url: str) -> Setup:
    """A service-account key file of canary values (a real RSA key, so google-auth loads it;
    against overridden endpoints the clients go anonymous, so the echo quotes the file)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    key_id = canary("gcp-private-key-id", 40).encode().hex()[:40]
    info = {"type": "service_account", "project_id": GCP_PROJECT, "private_key_id": key_id,
            "private_key": pem, "client_email": f"auditor@{GCP_PROJECT}.iam.gserviceaccount.com",
            "client_id": "100000000000000000001", "token_uri": f"{url}/token",
            "auth_uri": f"{url}/auth"}
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(info))
    flags = ["--gcp-project", GCP_PROJECT, "--gcp-credentials-file", str(path),
             "--gcp-gcs-endpoint", url, "--gcp-kms-endpoint", url,
             "--gcp-orgpolicy-endpoint", url, "--gcp-compute-endpoint", url,
             "--gcp-sqladmin-endpoint", url, "--gcp-filestore-endpoint", url]
    body_lines = [line for line in pem.splitlines() if "-----" not in line]
    return Setup({}, flags, [key_id, pem, *body_lines])


SETUPS = {"aws": (aws, aws_answer), "gcp": (gcp, gcp_answer),
          "alibaba": (alibaba, alibaba_answer)}


def scan(provider: str, tmp_path: Path, setup: Setup, url: str) -> subprocess.CompletedProcess:
    exe = shutil.which("auditor")
    assert exe, "the auditor console script is not installed"
    env = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN)}
    env.update(setup.env, HOME=str(tmp_path / "home"), NO_COLOR="1")
    (tmp_path / "home").mkdir(exist_ok=True)
    return subprocess.run([exe, "scan", provider, *setup.flags, "-o", str(tmp_path / "out"),
                           "-f", FORMATS, "--save-inventory"], env=env, capture_output=True,
                          text=True, timeout=180, stdin=subprocess.DEVNULL, cwd=tmp_path)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("provider", sorted(SETUPS))
def test_no_canary_reaches_any_output(provider: str, mode: str, tmp_path: Path):
    make, answer = SETUPS[provider]
    with EchoServer(answer(mode), []) as echo:
        setup = make(tmp_path, echo.url)
        echo.quoted = setup.secrets  # the echo also quotes what the adapter holds
        proc = scan(provider, tmp_path, setup, echo.url)
        requests = echo.server.requests()
    assert requests, proc.stderr
    sent = json.dumps([r.headers for r in requests])
    if provider != "gcp":  # the signed requests did carry the canaries
        assert setup.secrets[0] in sent and setup.secrets[2] in sent
    out = tmp_path / "out"
    outputs = {"stdout": proc.stdout, "stderr": proc.stderr}
    outputs |= {f.name: f.read_text() for f in sorted(out.iterdir())}
    assert {"auditor-report.json", "auditor-report.sarif", "auditor-report.html"} <= outputs.keys()
    for name, text in outputs.items():
        assert not leaks(text, setup.secrets), f"{name}: {leaks(text, setup.secrets)}"
    assert "Traceback" not in proc.stderr, proc.stderr
    # completed, not everything verified; a failed listing of the one provider: nothing at all
    assert proc.returncode == (5 if mode == "listing" else 3), proc.stderr
    report = json.loads((out / "auditor-report.json").read_text())
    (run,) = [r for r in report["runs"] if r["provider"] == provider]
    assert run["errors"], run
    for error in run["errors"]:
        assert error["operation"] and "\n" not in error["message"], error
    echoed = [e for e in run["errors"] if "***" in e["message"]]
    assert echoed, run["errors"]  # the failure is reported, the credential taken out of it
    if mode == "listing":
        assert run["status"] == "failed"
        (line,) = [ln for ln in proc.stderr.splitlines() if "not collected" in ln
                   and provider in ln and ":" in ln and "***" in ln]
        assert any(op in line for op in ("ListBuckets", "GetCallerIdentity", "buckets.list",
                                         "storage")), line
    else:
        assert run["status"] == "partial"
        assert any(e["scope"] != "provider" and e["kind"] == "call" for e in echoed)
