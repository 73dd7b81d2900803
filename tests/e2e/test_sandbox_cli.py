"""``auditor sandbox up`` keeps the stand-ins running; the printed commands work; ``down`` stops them."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket


def _refused(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_sandbox_up_scan_down(auditor, tmp_path):
    state = tmp_path / "sandbox.json"
    up = auditor("sandbox", "up", "--state-file", str(state), cwd=tmp_path)
    try:
        assert up.returncode == 0, up.stderr
        env = dict(re.findall(r"^export (\w+)=(\S+)$", up.stdout, flags=re.M))
        env = {k: shlex.split(v)[0] for k, v in env.items()}
        assert "AWS_ENDPOINT_URL" in env and "STORAGE_EMULATOR_HOST" in env
        commands = [shlex.split(line) for line in up.stdout.splitlines()
                    if line.startswith("auditor scan ")]
        assert {c[2] for c in commands} == {"aws", "gcp", "alibaba"}
        gcp = next(c for c in commands if c[2] == "gcp")
        scan = auditor(*gcp[1:], "-q", "-o", str(tmp_path / "out"), "-f", "json", env=env,
                       cwd=tmp_path)
        assert scan.returncode == 3, scan.stderr
        report = json.loads((tmp_path / "out" / "auditor-report.json").read_text())
        assert report["findings"]
        again = auditor("sandbox", "status", "--state-file", str(state), cwd=tmp_path)
        assert "sandbox running" in again.stdout
        ports = {int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", up.stdout)}
        assert ports and not any(_refused(p) for p in ports)
        pid = json.loads(state.read_text())["pid"]
    finally:
        down = auditor("sandbox", "down", "--state-file", str(state), cwd=tmp_path)
    assert down.returncode == 0 and "sandbox stopped" in down.stdout
    assert all(_refused(p) for p in ports)
    assert not state.exists()
    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive
