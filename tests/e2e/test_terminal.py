"""`auditor scan` of the demo estate as a person at a terminal (or a pipe) sees it: a summary
under 60 lines, a quiet end when the reader of a pipe goes away, colours only when wanted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter

import pytest
from terminal_support import run_on_terminal

from auditor.sandbox.manage import scan_flags
from auditor.sandbox.running import running_sandboxes

STATUSES = ("PASS", "FAIL", "OPAQUE", "UNVERIFIED", "NOT_APPLICABLE", "MUTED")


@pytest.fixture(scope="module")
def demo_scan(tmp_path_factory, auditor_cli):
    """Every stand-in seeded with the demo estate, scanned by one `auditor scan aws gcp
    alibaba` that also writes the JSON report and the inventory."""
    out = tmp_path_factory.mktemp("demo-scan")
    with running_sandboxes() as sandboxes:
        env: dict[str, str] = {}
        flags: list[str] = []
        for provider, sandbox in sandboxes.items():
            env.update(sandbox.environment())
            flags += scan_flags(provider, sandbox.scan_options())
        proc = auditor_cli("scan", *sandboxes, *flags, "-f", "json", "-o", str(out),
                           "--save-inventory", "--no-history", env=env, timeout=300)
    report = json.loads((out / "auditor-report.json").read_text(encoding="utf-8"))
    return proc, report, out


def test_the_demo_estate_scan_prints_a_summary_under_60_lines(demo_scan):
    proc, report, _ = demo_scan
    assert proc.returncode == 3, proc.stderr[-2000:]  # the estate denies some calls
    lines = proc.stdout.splitlines()
    assert len(lines) < 60, proc.stdout
    assert len(report["findings"]) > 1000  # many findings, yet one screen
    ids = [c["id"] for c in report["checks"]]
    rows = {line.split()[0]: line.split()[2:] for line in lines
            if line.split()[:1] and line.split()[0] in ids}
    assert set(rows) == set(ids)
    for check_id, counts in rows.items():
        tally = Counter(f["status"] for f in report["findings"] if f["check_id"] == check_id)
        assert [int(c) for c in counts] == [tally[s] for s in STATUSES], check_id
    providers = sorted(report["transparency"]["providers"])
    assert next(line for line in lines if line.startswith("transparency ")).split()[1:] == providers
    scores = report["transparency"]["providers"]
    shown = next(line for line in lines if line.startswith("verifiability ")).split()[1:]
    assert shown == [f"{scores[p]['verifiability'] * 100:.0f}%" for p in providers]
    assert f"{len(report['findings'])} findings: --details prints each one" in proc.stdout


def test_a_pipe_closed_by_its_reader_ends_quietly_with_the_run_s_code(demo_scan, tmp_path):
    proc, _, out = demo_scan
    inventory = out / "auditor-inventory.json"
    db = tmp_path / "history.sqlite"
    # a real pipe, closed after one line while the tool still has most of its output to write
    reader = subprocess.Popen([shutil.which("auditor"), "evaluate", str(inventory), "--details",
                               "--history-db", str(db)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                              env={**os.environ, "NO_COLOR": "1"})
    first = reader.stdout.readline()
    reader.stdout.close()
    stderr = reader.stderr.read().decode()
    code = reader.wait(timeout=300)
    assert first.startswith(b"Status ")
    assert code == proc.returncode == 3  # the run's own code: the reader leaving is no error
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr and "Exception" not in stderr
    # the run finished its work: it is in the history, with its exit code
    listed = subprocess.run([shutil.which("auditor"), "history", "list", "--history-db", str(db),
                             "--format", "json"], capture_output=True, text=True, timeout=60)
    runs = json.loads(listed.stdout)["runs"]
    assert len(runs) == 1 and runs[0]["exit_code"] == 3, listed.stdout


def test_head_in_a_shell_sees_no_traceback(demo_scan):
    _, _, out = demo_scan
    shell = subprocess.run(
        ["sh", "-c", f'"$0" report {out / "auditor-report.json"} --details | head -n 2',
         shutil.which("auditor")], capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_COLOR": "1"})
    assert shell.returncode == 0
    assert len(shell.stdout.splitlines()) == 2 and shell.stderr == ""


@pytest.mark.parametrize(("extra_env", "flags", "painted"), [
    ({}, [], True),
    ({"NO_COLOR": "1"}, [], False),
    ({}, ["--no-color"], False),
])
def test_colours_on_a_terminal_follow_no_color_and_the_flag(demo_scan, extra_env, flags,
                                                            painted):
    _, _, out = demo_scan
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    code, screen = run_on_terminal([shutil.which("auditor"), "report",
                                    str(out / "auditor-report.json"), *flags],
                                   {**env, "TERM": "xterm", **extra_env})
    assert code == 0
    assert "transparency" in screen
    assert ("\x1b[1;31m" in screen) is painted  # FAIL counts in bold red
