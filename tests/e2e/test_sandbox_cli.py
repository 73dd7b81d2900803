"""``auditor sandbox up`` keeps the stand-ins running with its state in the XDG state
directory; ``eval "$(auditor sandbox up --env)"`` points a shell at them; ``status`` and
``down`` find it from any directory; ``down`` stops every server."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess

EXPORT = re.compile(r"export [A-Z][A-Z0-9_]*=\S+")


def _refused(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _sh(script: str, cwd, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)


def test_sandbox_up_env_in_sh_scan_status_elsewhere_down(auditor, tmp_path):
    state_home = tmp_path / "state"
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    env = {**os.environ, "XDG_STATE_HOME": str(state_home), "NO_COLOR": "1",
           "PATH": f"{os.path.dirname(shutil.which('auditor'))}:{os.environ['PATH']}"}
    for name in ("AWS_ENDPOINT_URL", "STORAGE_EMULATOR_HOST", "GOOGLE_CLOUD_PROJECT"):
        env.pop(name, None)
    state_file = state_home / "safeguard-auditor" / "sandbox" / "state.json"
    try:
        up = auditor("sandbox", "up", "--env", cwd=work, env={"XDG_STATE_HOME": str(state_home)})
        assert up.returncode == 0, up.stderr
        lines = up.stdout.splitlines()
        assert lines and all(EXPORT.fullmatch(line) for line in lines), up.stdout
        exported = {k: shlex.split(v)[0] for k, v in (line[7:].split("=", 1) for line in lines)}
        assert {"AWS_ENDPOINT_URL", "STORAGE_EMULATOR_HOST", "GOOGLE_CLOUD_PROJECT"} <= set(exported)
        assert state_file.is_file() and list(work.iterdir()) == []  # nothing in the cwd
        pid = json.loads(state_file.read_text())["pid"]

        # a shell that evals the exports scans the stand-in with no endpoint flag at all
        out = tmp_path / "out"
        scan = _sh(f'eval "$(auditor sandbox up --env)" && '
                   f'auditor scan gcp -q --no-history -f json -o {shlex.quote(str(out))}; '
                   'echo "exit=$?"; echo "endpoint=$STORAGE_EMULATOR_HOST"', work, env)
        assert "exit=3" in scan.stdout, scan.stdout + scan.stderr  # the estate denies some calls
        assert f"endpoint={exported['STORAGE_EMULATOR_HOST']}" in scan.stdout
        report = json.loads((out / "auditor-report.json").read_text())
        assert report["findings"] and {r["provider"] for r in report["runs"]} == {"gcp"}
        assert json.loads(state_file.read_text())["pid"] == pid  # the same sandbox, not another

        # status from another directory finds it and names which port is which cloud
        status = auditor("sandbox", "status", cwd=elsewhere,
                         env={"XDG_STATE_HOME": str(state_home)})
        assert status.returncode == 0 and f"sandbox running (pid {pid})" in status.stdout
        named = dict(re.findall(r"^  (aws|gcp|alibaba) +(http://127\.0\.0\.1:\d+)", status.stdout,
                                flags=re.M))
        assert set(named) == {"aws", "gcp", "alibaba"}
        assert named["aws"] == exported["AWS_ENDPOINT_URL"]
        assert named["gcp"] == exported["STORAGE_EMULATOR_HOST"]
        commands = [shlex.split(line) for line in status.stdout.splitlines()
                    if line.startswith("auditor scan ")]
        assert {c[2] for c in commands} == {"aws", "gcp", "alibaba"}
        ports = {int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", up.stdout)}
        assert ports and not any(_refused(p) for p in ports)
    finally:
        down = _sh('eval "$(auditor sandbox down --env)"; echo "left=${AWS_ENDPOINT_URL-}"',
                   elsewhere, {**env, "AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
    assert down.returncode == 0, down.stderr
    assert "left=\n" in down.stdout  # the unset lines ran in the shell
    assert all(_refused(p) for p in ports)
    assert not state_file.exists() and not _alive(pid)
    again = auditor("sandbox", "status", cwd=work, env={"XDG_STATE_HOME": str(state_home)})
    assert again.stdout.startswith("no sandbox running")


def test_status_env_with_nothing_running_prints_no_shell_line(auditor, tmp_path):
    out = auditor("sandbox", "status", "--env", env={"XDG_STATE_HOME": str(tmp_path)})
    assert out.returncode == 0 and out.stdout == ""
    assert out.stderr.startswith("no sandbox running (looked in "
                                 f"{tmp_path / 'safeguard-auditor' / 'sandbox' / 'state.json'})")


def test_a_state_file_flag_overrides_the_state_directory(auditor, tmp_path):
    state = tmp_path / "elsewhere.json"
    state.write_text("not json")
    out = auditor("sandbox", "status", "--state-file", str(state))
    assert out.returncode == 2
    assert out.stderr.startswith(f"auditor: error: {state}: not a sandbox state file")


def test_the_default_state_directory_is_under_the_home(monkeypatch, tmp_path):
    from auditor.sandbox.manage import state_dir

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_STATE_HOME")
    assert state_dir() == tmp_path / ".local" / "state" / "safeguard-auditor" / "sandbox"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")
    assert state_dir() == tmp_path / ".local" / "state" / "safeguard-auditor" / "sandbox"
