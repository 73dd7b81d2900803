"""Benchmark harness: one moto_server process on 127.0.0.1, re-seeded per tool, its request log.

Shared by benchmarks/peers.py and benchmarks/floor.py. Test-harness code, not shipped.

- ``MotoServer``: ``moto_server`` as a child process with moto's request recorder writing to a
  file of ours (MOTO_RECORDER_FILEPATH); ``seed(n)`` resets moto and writes an estate of ``n``
  buckets with the project's own seeder (auditor/providers/aws/sandbox/_seed.py) while the
  recorder is off, then starts it, so the log holds the audited tool's requests only.
- ``estate(n)``: the demo estate's AWS section grown to ``n`` buckets (scan_scale's cloning):
  a mix of SSE-S3/SSE-KMS, Block Public Access on/off, public and TLS policies, ACLs,
  versioning, logging, replication, object lock; and the estate's KMS keys with and without
  rotation. IAM enforcement stays off: every tool signs with the same admin keys, so no tool
  meets a denial the others do not.
- ``measure(cmd, env)``: runs a tool in a child of a small wrapper process that waits for it
  and reports wall time, the process tree's peak RSS and user+sys CPU (RUSAGE_CHILDREN).
"""

from __future__ import annotations

import base64
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests as http

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # scan_scale (the estate's cloning)

ADMIN = {"aws_access_key_id": "sandboxadmin", "aws_secret_access_key": "sandboxadmin"}
REGIONS = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-1"]

# Runs argv[2:], waits, writes {"seconds", "peak_rss_mib", "cpu_s", "rc"} as JSON to fd argv[1].
_WRAPPER = r"""
import json, os, resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.call(sys.argv[2:])
wall = time.perf_counter() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
with os.fdopen(int(sys.argv[1]), "w") as out:
    json.dump({"seconds": round(wall, 2), "peak_rss_mib": round(u.ru_maxrss / 1024),
               "cpu_s": round(u.ru_utime + u.ru_stime, 2), "user_s": round(u.ru_utime, 2),
               "sys_s": round(u.ru_stime, 2), "rc": rc}, out)
"""


# moto_server's own main, after the sandbox's patch that makes GetBucketVersioning carry its
# documented root element (auditor/providers/aws/sandbox/_documented.py), as S3 answers.
_MOTO = r"""
import sys
from auditor.providers.aws.sandbox._documented import documented_answers
documented_answers()
from moto.server import main
main(["-H", "127.0.0.1", "-p", sys.argv[1]])
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def estate(n: int) -> dict[str, Any]:
    """The demo estate's AWS section with ``n`` buckets (clones of the demo's own)."""
    from scan_scale import scaled_section

    section = scaled_section("aws", n)
    section["scanner"] = {}  # IAM enforcement stays off: no role, no deny statements
    section["regions"] = list(REGIONS)
    return section


class MotoServer:
    """moto_server (its main) on 127.0.0.1 in its own process, with a request log of ours."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-moto-")
        self.log = Path(self._tmp.name) / "recording.jsonl"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "MOTO_RECORDER_FILEPATH": str(self.log)}
        env.pop("MOTO_ENABLE_RECORDING", None)
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _MOTO, str(self.port)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                http.get(f"{self.url}/moto-api/data.json", timeout=2)
                return
            except http.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"moto_server did not answer on {self.url}")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=30)
            self._proc = None
        self._tmp.cleanup()

    def rss_mib(self) -> int:
        """moto's own resident memory now (it grows with the estate)."""
        if self._proc is None:
            return 0
        for line in Path(f"/proc/{self._proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
        return 0

    def _api(self, path: str, body: bytes = b"") -> None:
        http.post(f"{self.url}/moto-api/{path}", data=body, timeout=120).raise_for_status()

    def _client(self, service: str, region: str) -> Any:
        import boto3

        from auditor.providers.aws._session import strip_account_label

        client = boto3.client(service, region_name=region, endpoint_url=self.url, **ADMIN)
        if service == "s3control":
            client.meta.events.register("before-sign.s3-control", strip_account_label)
        return client

    def seed(self, n: int) -> float:
        """Forget everything, write the estate of ``n`` buckets, start the request log.

        Returns the seconds seeding took."""
        from auditor.providers.aws.sandbox._seed import EstateSeeder

        started = time.perf_counter()
        self._api("recorder/stop-recording")
        self._api("reset")
        self._api("reset-auth", b"inf")  # IAM enforcement off
        _seed_parallel(EstateSeeder(self._client), estate(n))
        self._api("recorder/reset-recording")
        self._api("recorder/start-recording")
        return time.perf_counter() - started

    def requests(self) -> list[dict[str, Any]]:
        """The recorded requests since the last seed: method, url, headers, body (bytes)."""
        self._api("recorder/stop-recording")
        out = []
        if not self.log.exists():
            return out
        for line in self.log.read_text().splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            body = entry.get("body") or ""
            entry["body"] = base64.b64decode(body) if entry.get("body_encoded") else (
                body.encode())
            out.append(entry)
        return out


def _seed_parallel(seeder: Any, section: dict[str, Any], workers: int = 8) -> None:
    """EstateSeeder.seed's steps in its order, each step's items on a thread pool (seeding
    1,000 buckets serially takes minutes; the steps' order keeps targets before referrers)."""
    from concurrent.futures import ThreadPoolExecutor

    from auditor.providers.aws.sandbox._seed import effective_bucket

    for key in section.get("keys", []):
        seeder._key(key)
    defaults = section.get("bucket_defaults") or {}
    buckets = [effective_bucket(b, defaults) for b in section.get("buckets", [])]
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(seeder._create, buckets))
        list(pool.map(seeder._configure, buckets))
    seeder._account(section.get("account", {}), list(section.get("regions") or []))


def action(entry: dict[str, Any]) -> str:
    """``service:Operation`` of one recorded request (the sandbox's own mapping)."""
    from auditor.providers.aws.sandbox import recorded_action

    headers = {str(k): str(v) for k, v in (entry.get("headers") or {}).items()}
    return recorded_action(entry["method"], entry["url"], headers, entry["body"])


def count_actions(entries: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in entries:
        name = action(entry)
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def query_of(entry: dict[str, Any]) -> dict[str, list[str]]:
    return parse_qs(urlsplit(entry["url"]).query, keep_blank_values=True)


def measure(cmd: list[str], env: dict[str, str], cwd: str | None = None,
            log: Path | None = None) -> dict[str, Any]:
    """Run ``cmd`` under the wrapper; its stdout/stderr go to ``log``."""
    read, write = os.pipe()
    out = open(log, "wb") if log else subprocess.DEVNULL
    try:
        proc = subprocess.Popen([sys.executable, "-c", _WRAPPER, str(write), *cmd], env=env, cwd=cwd,
                                stdout=out, stderr=subprocess.STDOUT, pass_fds=(write,))
        os.close(write)
        with os.fdopen(read) as pipe:
            figures = pipe.read()
        proc.wait()
    finally:
        if log:
            out.close()  # type: ignore[union-attr]
    return json.loads(figures) if figures else {"rc": proc.returncode, "seconds": None}


def machine() -> dict[str, Any]:
    import boto3
    import moto

    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "boto3": boto3.__version__,
            "moto": moto.__version__, "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "load_at_start": [round(x, 2) for x in os.getloadavg()],
            "note": "2 cores shared with other engineers' runs; figures are medians of repeats"}


def base_env(url: str) -> dict[str, str]:
    """The environment every tool gets: admin keys, the endpoint, no instance metadata."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "PYTHONPATH", "VIRTUAL_ENV"))}
    env.update({"AWS_ACCESS_KEY_ID": ADMIN["aws_access_key_id"],
                "AWS_SECRET_ACCESS_KEY": ADMIN["aws_secret_access_key"],
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                "AWS_ENDPOINT_URL": url, "AWS_EC2_METADATA_DISABLED": "true",
                "NO_PROXY": "*", "no_proxy": "*"})
    return env
