"""A scan's spool lives in a private temporary folder that is gone when the scan ends: after
a finished scan, and after one interrupted (Ctrl-C) while its accounts are being spooled."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest
from spool_support import gcp_org

ORG = "905531727110"  # the stand-in's demo organization


@pytest.fixture(scope="module")
def slow_org(tmp_path_factory: pytest.TempPathFactory):
    with gcp_org(tmp_path_factory.mktemp("home"), latency=0.3) as box:
        yield box


def _scan(tmp: Path, out: Path) -> subprocess.Popen[str]:
    exe = shutil.which("auditor")
    assert exe, "the auditor console script is not installed"
    env = {**os.environ, "TMPDIR": str(tmp), "NO_COLOR": "1"}
    env = {**env, "AUDITOR_SPOOL_MEMORY": "0"}  # every account after the first on disk
    return subprocess.Popen([exe, "scan", "gcp", "--gcp-organization-id", ORG,
                             "--max-accounts", "1", "--no-history", "-q", "-f", "json",
                             "-o", str(out)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)


def _spools(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("auditor-spool-*"))


def test_a_finished_scan_leaves_no_spool(slow_org, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = _scan(tmp, tmp_path / "out")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 3, err  # one project of the organization has every API off
    assert (tmp_path / "out" / "auditor-report.json").stat().st_size > 1000
    assert _spools(tmp) == []


def test_ctrl_c_while_accounts_are_spooled_removes_the_spool(slow_org, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = _scan(tmp, tmp_path / "out")
    try:
        deadline = time.monotonic() + 240
        findings = None
        while time.monotonic() < deadline and proc.poll() is None:
            found = _spools(tmp)
            if found and (found[0] / "findings.jsonl").exists() and (
                    found[0] / "findings.jsonl").stat().st_size:
                findings = found[0] / "findings.jsonl"
                break
            time.sleep(0.05)
        assert findings is not None, "no account was spooled before the scan ended"
        assert stat.S_IMODE(findings.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(findings.stat().st_mode) == 0o600  # no other user reads it
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert _spools(tmp) == []
    assert not (tmp_path / "out" / "auditor-report.json").exists()
