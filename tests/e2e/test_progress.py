"""Progress per provider on a terminal; nothing of it when the output is not a terminal."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import time

from auditor.sandbox.estate import load_estate, make_sandbox
from auditor.sandbox.manage import scan_flags


def _run_on_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=secondary, stderr=secondary,
                            env=env, close_fds=True)
    os.close(secondary)
    chunks = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 0.5)
        if ready:
            try:
                data = os.read(primary, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(primary)
    return proc.wait(timeout=30), b"".join(chunks).decode(errors="replace")


def test_progress_shows_on_a_terminal_only(auditor, tmp_path):
    sandbox = make_sandbox("gcp")
    sandbox.start()
    try:
        sandbox.seed(load_estate()["gcp"])
        flags = scan_flags("gcp", sandbox.scan_options())
        env = {**os.environ, **sandbox.environment(), "TERM": "xterm", "COLUMNS": "120"}
        env.pop("NO_COLOR", None)
        code, screen = _run_on_terminal(
            [shutil.which("auditor"), "scan", "gcp", *flags, "-o", str(tmp_path), "-f", "json"],
            env)
        piped = auditor("scan", "gcp", *flags, "-o", str(tmp_path / "p"), "-f", "json",
                        env=sandbox.environment())
    finally:
        sandbox.stop()
    assert code == 3
    assert "gcp" in screen and "\x1b[" in screen  # a live, styled progress line
    assert "━" in screen  # rich draws the bar with it; nothing else prints it
    assert piped.returncode == 3
    assert "\x1b[" not in piped.stderr and "━" not in piped.stderr
