"""Progress per provider on a terminal; nothing of it when the output is not a terminal."""

from __future__ import annotations

import os
import shutil

from terminal_support import run_on_terminal

from auditor.sandbox.estate import load_estate, make_sandbox
from auditor.sandbox.manage import scan_flags


def test_progress_shows_on_a_terminal_only(auditor, tmp_path):
    sandbox = make_sandbox("gcp")
    sandbox.start()
    try:
        sandbox.seed(load_estate()["gcp"])
        flags = scan_flags("gcp", sandbox.scan_options())
        env = {**os.environ, **sandbox.environment(), "TERM": "xterm", "COLUMNS": "120"}
        env.pop("NO_COLOR", None)
        code, screen = run_on_terminal(
            [shutil.which("auditor"), "scan", "gcp", *flags, "-o", str(tmp_path), "-f", "json"],
            env)
        # FORCE_COLOR colours a pipe's text; it never draws a live bar where no one sees it
        piped = auditor("scan", "gcp", *flags, "-o", str(tmp_path / "p"), "-f", "json",
                        env={**sandbox.environment(), "FORCE_COLOR": "1", "NO_COLOR": ""})
    finally:
        sandbox.stop()
    assert code == 3
    assert "gcp" in screen and "\x1b[" in screen  # a live, styled progress line
    assert "━" in screen  # rich draws the bar with it; nothing else prints it
    assert piped.returncode == 3
    assert "\x1b[1;31m" in piped.stdout  # forced colour reached the summary
    assert "\x1b[" not in piped.stderr and "━" not in piped.stderr
