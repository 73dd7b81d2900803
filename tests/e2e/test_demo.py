"""``auditor demo`` as a newcomer runs it: reports exist, validate, show every status, no leftovers."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from jsonschema import Draft7Validator, Draft202012Validator

from auditor.schema import load_schema

SARIF_SCHEMA = Path(__file__).parent.parent / "reports" / "data" / "sarif-schema-2.1.0.json"


def _refused(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _accepting(port: int, within: float = 10.0) -> bool:
    # a stand-in started in its own thread may take a moment to listen on a loaded machine
    deadline = time.monotonic() + within
    while _refused(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _endpoint_lines(lines) -> dict[str, str]:
    """cloud -> its line(s) of ports, as the demo prints them before it collects."""
    named: dict[str, str] = {}
    last = ""
    for line in lines:
        if line.startswith("collecting"):
            return named
        words = line.split()
        if line.startswith("  ") and words and not line.startswith("    "):
            last = words[0]
            named[last] = line
        elif line.startswith("    ") and last:  # a cloud's entries wrapped
            named[last] += line
    raise AssertionError(f"no 'collecting' line after the endpoints: {named}")


def test_demo_end_to_end(tmp_path):
    out_dir = tmp_path / "demo"
    started = time.monotonic()
    proc = subprocess.run([shutil.which("auditor"), "demo", "-o", str(out_dir)],
                          capture_output=True, text=True, timeout=180, cwd=tmp_path,
                          env={**os.environ, "NO_COLOR": "1"}, stdin=subprocess.DEVNULL)
    elapsed = time.monotonic() - started
    assert proc.returncode == 3, proc.stderr[-2000:]  # the estate denies some calls
    assert "exit code 3" in proc.stdout
    assert "LOCAL STAND-INS" in proc.stdout
    assert "exposure" in proc.stdout or "api" in proc.stdout
    # each cloud's stand-in is named with its port(s) and services
    named = _endpoint_lines(iter(proc.stdout.splitlines()))
    assert set(named) == {"aws", "gcp", "alibaba"}
    assert "every service" in named["aws"] and "storage" in named["gcp"]
    assert "oss" in named["alibaba"] and "kms" in named["alibaba"]
    assert all(re.search(r":\d+", line) for line in named.values())
    # the screen shows the summary; every finding is in the table file
    assert not re.search(r"^(FAIL|PASS)\s+(critical|high|medium|low|info)\s", proc.stdout,
                         flags=re.M)
    names = {p.name for p in out_dir.iterdir()}
    assert {"auditor-report.txt", "auditor-report.json", "auditor-report.csv", "auditor-report.sarif",
            "auditor-report.ocsf.json", "auditor-report.html", "auditor-report.md",
            "auditor-report.xml", "auditor-compare.md", "auditor-compare.html",
            "auditor-inventory.json"} <= names
    report = json.loads((out_dir / "auditor-report.json").read_text())
    Draft202012Validator(load_schema("report")).validate(report)
    inventory = json.loads((out_dir / "auditor-inventory.json").read_text())
    Draft202012Validator(load_schema("inventory")).validate(inventory)
    sarif = json.loads((out_dir / "auditor-report.sarif").read_text())
    Draft7Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)
    ET.parse(out_dir / "auditor-report.xml")
    for status, count in report["summary"].items():
        assert count > 0, f"demo shows no {status}"
    table = (out_dir / "auditor-report.txt").read_text(encoding="utf-8")
    assert len(table.splitlines()) > len(report["findings"])
    providers = {r["provider"] for r in report["runs"]}
    assert providers == {"aws", "gcp", "alibaba"}
    for provider in providers:
        buckets = {r["name"] for r in inventory["resources"]
                   if r["provider"] == provider and r["kind"] == "storage.bucket"}
        assert 20 <= len(buckets) <= 40, (provider, len(buckets))
    assert elapsed < 120, f"demo took {elapsed:.0f}s"


def test_demo_interrupted_leaves_nothing_running(tmp_path):
    proc = subprocess.Popen([shutil.which("auditor"), "demo", "-o", str(tmp_path / "d")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path, stdin=subprocess.DEVNULL)
    try:
        assert "LOCAL STAND-INS" in proc.stdout.readline()
        named = _endpoint_lines(proc.stdout)
        ports = [int(p) for line in named.values() for p in re.findall(r":(\d+)", line)]
        assert set(named) == {"aws", "gcp", "alibaba"} and len(ports) >= 3, named
        assert not any(_refused(p) for p in ports)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 130
    assert all(_refused(p) for p in ports)
    assert not (tmp_path / "d" / "auditor-report.json").exists()


def test_servers_stop_when_the_run_fails():
    from auditor.sandbox.running import running_sandboxes

    ports: list[int] = []
    try:
        with running_sandboxes() as sandboxes:
            for sandbox in sandboxes.values():
                for value in sandbox.environment().values():
                    ports += [int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", value)]
            assert ports and all(_accepting(p) for p in ports)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert all(_refused(p) for p in ports)
