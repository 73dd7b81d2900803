"""Ctrl-C is prompt and atomic: against an endpoint that never answers, SIGINT ends the scan
with exit 130 within 2 s, one line on stderr, and no report file (nor a temp file) written.

The stalls are real: a 127.0.0.1 server holds the SDK's HTTP request open far longer than
any timeout the tool sets, in front of the AWS stand-in (moto) for the calls that pass.
"""

from __future__ import annotations

import shutil
import time

import pytest
from interrupt_support import SlowEndpoint, interrupt, start_interruptible

from auditor.reports import FORMATS
from auditor.sandbox.estate import load_estate, make_sandbox
from auditor.sandbox.manage import scan_flags

PROMPT = 2.0  # seconds from SIGINT to exit
ALL_FORMATS = ",".join(f for f in FORMATS if f != "table")
AWS_TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
                        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}


def _assert_interrupted(elapsed: float, out: str, err: str, code: int, folder) -> None:
    assert code == 130, err
    assert elapsed < PROMPT, f"exited {elapsed:.2f}s after SIGINT"
    assert err == "auditor: interrupted\n"
    assert "wrote" not in out
    left = sorted(p.name for p in folder.rglob("*")) if folder.exists() else []
    assert left == [], f"files left behind: {left}"


def test_interrupt_while_the_first_call_hangs(tmp_path):
    """Identity (STS) never answers: the provider's own thread is in the call."""
    with SlowEndpoint() as slow:
        env = {**AWS_TEST_CREDENTIALS, "AWS_ENDPOINT_URL": slow.url}
        proc = start_interruptible(
            [shutil.which("auditor"), "scan", "aws", "-o", str(tmp_path / "out"),
             "-f", ALL_FORMATS, "--save-inventory"], env, str(tmp_path))
        slow.wait_for_stalls(1)
        elapsed, out, err = interrupt(proc)
    _assert_interrupted(elapsed, out, err, proc.returncode, tmp_path / "out")


@pytest.fixture(scope="module")
def aws_stand_in():
    sandbox = make_sandbox("aws")
    sandbox.start()
    try:
        sandbox.seed(load_estate()["aws"])
        yield sandbox
    finally:
        sandbox.stop()


def test_interrupt_while_many_bucket_calls_hang(aws_stand_in, tmp_path):
    """Listing answers, every GetBucketEncryption hangs: many pool workers are in calls, and
    the retry policy would try each again. Nothing of the half-collected estate is written."""
    upstream = aws_stand_in.environment()["AWS_ENDPOINT_URL"]
    with SlowEndpoint(upstream, stalls=lambda method, path: "encryption" in path) as slow:
        env = {**aws_stand_in.environment(), "AWS_ENDPOINT_URL": slow.url}
        proc = start_interruptible(
            [shutil.which("auditor"), "scan", "aws",
             *scan_flags("aws", aws_stand_in.scan_options()), "-o", str(tmp_path / "out"),
             "-f", ALL_FORMATS, "--save-inventory", "--max-workers", "8"], env, str(tmp_path))
        slow.wait_for_stalls(4)
        assert slow.answered > 0  # the run got past identity and listing
        elapsed, out, err = interrupt(proc)
    _assert_interrupted(elapsed, out, err, proc.returncode, tmp_path / "out")


def test_timeout_bounds_each_call(tmp_path, auditor):
    """--timeout reaches the SDK: a hung endpoint costs seconds per call, not 30."""
    with SlowEndpoint() as slow:
        env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAItest", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "x"}
        started = time.monotonic()
        out = auditor("scan", "alibaba", "--region", "cn-hangzhou", "--oss-endpoint", slow.url,
                      "--alibaba-kms-endpoint", slow.url, "--alibaba-ecs-endpoint", slow.url,
                      "--alibaba-nas-endpoint", slow.url, "--alibaba-rds-endpoint", slow.url,
                      # one check per stalled service (OSS, KMS, ECS): the bound is per call
                      "--checks", "bucket-encryption-enabled,kms-key-rotation,"
                      "account-block-storage-encryption",
                      "--timeout", "0.5", "-o", str(tmp_path / "out"), "-f", "json",
                      env=env, timeout=90)
        elapsed = time.monotonic() - started
    assert out.returncode == 5, out.stderr  # nothing answered: nothing collected
    assert slow.stalled > 0
    assert elapsed < 25, f"took {elapsed:.0f}s with --timeout 0.5"
