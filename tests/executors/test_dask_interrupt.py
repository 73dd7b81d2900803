"""Ctrl-C during a scan on Dask: ``auditor scan ... --executor dask`` interrupted while its local
cluster's worker is collecting a project exits 130 within seconds, says one line, writes no
report and leaves no worker process behind. A terminal's Ctrl-C reaches the whole foreground
process group (the worker processes too, which ignore it: the coordinator stops them); ``kill
-INT`` reaches the coordinator alone. The GCP stand-in answers every request after 0.3 s, so a
project's collection takes seconds."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dask_support import ORG, gcp_organization

from auditor.exit_codes import EXIT_INTERRUPTED

LATENCY = 0.3  # seconds per stand-in answer
START_BOUND = 240  # seconds: the local cluster's start (10-60 s under load) and the listing
EXIT_BOUND = 20  # seconds from the interrupt to the exit (1.1 to 2.6 s measured, load ~10)
BUCKETS = "/storage/v1/b"  # a project's bucket listing: only a worker's collection sends it


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with gcp_organization(tmp_path_factory.mktemp("home"), latency=LATENCY) as box:
        yield box


def _processes() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, command line) of every process (Linux /proc)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # it ended meanwhile
            continue
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        out[int(entry.name)] = (int(parent), state, command)
    return out


def _descendants(pid: int) -> dict[int, str]:
    """pid -> command line of every process below ``pid``."""
    table = _processes()
    found: dict[int, str] = {}
    parents = {pid}
    while parents:
        below = {p: c for p, (parent, _, c) in table.items() if parent in parents and p not in found}
        found.update(below)
        parents = set(below)
    return found


def _alive(pids: list[int]) -> list[int]:
    table = _processes()
    return [pid for pid in pids if pid in table and table[pid][1] != "Z"]


def _collecting(box: Any) -> bool:
    return any(r.path.startswith(BUCKETS) for r in box.requests())


def _listing(box: Any) -> bool:
    """The coordinator lists the organization's projects: the cluster is up, its worker idle."""
    requests = box.requests()
    return bool(requests) and not any(r.path.startswith(BUCKETS) for r in requests)


def _when(ready: Callable[[Any], bool], box: Any, scan: subprocess.Popen,
          deadline: float) -> dict[int, str]:
    """The coordinator's descendant processes once ``ready`` holds of the stand-in."""
    while time.monotonic() < deadline:
        assert scan.poll() is None, scan.communicate()
        children = _descendants(scan.pid)
        if children and ready(box):
            return children
        time.sleep(0.1)
    raise AssertionError(f"{ready.__name__} did not start in time")


def _interrupted_scan(box: Any, out: Path, interrupt: Callable[[int], None],
                      ready: Callable[[Any], bool]) -> tuple[int, str, float, list[int]]:
    """(exit code, stderr, seconds from the interrupt to the exit, worker processes left)."""
    box.reset_requests()
    scan = subprocess.Popen(
        [shutil.which("auditor") or "auditor", "scan", "gcp", "--gcp-organization-id", ORG,
         "--executor", "dask", "--dask-workers", "1", "--no-history", "-o", str(out),
         "-f", "json"],
        env={**os.environ, "NO_COLOR": "1"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    children: list[int] = []
    try:
        below = _when(ready, box, scan, time.monotonic() + START_BOUND)
        children = list(below)
        assert any("spawn" in command for command in below.values())  # a worker process
        interrupted = time.monotonic()
        interrupt(scan.pid)
        _, stderr = scan.communicate(timeout=EXIT_BOUND + 30)
        elapsed = time.monotonic() - interrupted
        deadline = time.monotonic() + 5  # an exiting child may take a moment to be reaped
        while _alive(children) and time.monotonic() < deadline:
            time.sleep(0.1)
        return scan.returncode, stderr, elapsed, _alive(children)
    finally:
        if scan.poll() is None:
            os.killpg(scan.pid, signal.SIGKILL)
            scan.wait()
        for child in _alive(children):  # never leave a process of ours behind
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _group(pid: int) -> None:
    os.killpg(pid, signal.SIGINT)  # Ctrl-C in a terminal: the whole foreground group


def _coordinator(pid: int) -> None:
    os.kill(pid, signal.SIGINT)  # kill -INT: the coordinator alone


@pytest.mark.parametrize(("interrupt", "ready"), [
    (_group, _collecting), (_coordinator, _collecting),
    # an idle worker that got the group's SIGINT printed its KeyboardInterrupt traceback
    # before its preload ignored SIGINT (auditor/executors/_worker_setup.py)
    (_group, _listing)], ids=["ctrl-c-collecting", "kill-int-collecting", "ctrl-c-listing"])
def test_an_interrupted_dask_scan_exits_130_with_no_report_and_no_worker_left(
        estate, tmp_path, interrupt, ready):
    out = tmp_path / "out"
    code, stderr, elapsed, left = _interrupted_scan(estate, out, interrupt, ready)
    assert code == EXIT_INTERRUPTED, stderr
    # no worker's traceback: the only other lines are the listing's skipped projects
    lines = stderr.splitlines()
    assert lines[-1] == "auditor: interrupted"
    assert all(line.endswith("is DELETE_REQUESTED: not scanned") for line in lines[:-1]), lines
    assert elapsed < EXIT_BOUND
    assert not left
    assert not out.exists() or not any(out.iterdir())  # no half report
