"""Run one ``auditor scan`` as a child and measure it: wall time, the coordinator's own peak
RSS and CPU, and its descendants' (Dask worker processes of a LocalCluster) apart.

Linux /proc only, no dependency: every ``SAMPLE_S`` the coordinator's ``VmHWM`` (the kernel's
peak-RSS high-water mark of that one process, so a sample between two spikes misses nothing
but the last interval) and its utime+stime are read, and so are those of every process
descending from it. ``os.wait4`` then gives the CPU of the coordinator and of every child it
reaped.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

SAMPLE_S = 0.1
TICK = os.sysconf("SC_CLK_TCK")


def _status_kib(pid: int, field: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, utime+stime seconds) of a live process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None:
                parents[int(entry)] = stat[0]
    found, frontier = [], [root]
    while frontier:
        current = frontier.pop()
        children = [p for p, pp in parents.items() if pp == current]
        found += children
        frontier += children
    return found


class _Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True, name="org-bench-sampler")
        self.pid = pid
        self.stop = threading.Event()
        self.coordinator_hwm_kib = 0
        self.coordinator_cpu_s = 0.0
        self.worker_hwm_kib: dict[int, int] = {}
        self.worker_cpu_s: dict[int, float] = {}
        self.workers_rss_sum_peak_kib = 0

    def run(self) -> None:
        while not self.stop.is_set():
            self.coordinator_hwm_kib = max(self.coordinator_hwm_kib,
                                           _status_kib(self.pid, "VmHWM"))
            own = _stat(self.pid)
            if own is not None:
                self.coordinator_cpu_s = own[1]
            total = 0
            for child in _descendants(self.pid):
                self.worker_hwm_kib[child] = max(self.worker_hwm_kib.get(child, 0),
                                                 _status_kib(child, "VmHWM"))
                stat = _stat(child)
                if stat is not None:
                    self.worker_cpu_s[child] = stat[1]
                total += _status_kib(child, "VmRSS")
            self.workers_rss_sum_peak_kib = max(self.workers_rss_sum_peak_kib, total)
            self.stop.wait(SAMPLE_S)


def run_measured(cmd: list[str], env: dict[str, str], timeout_s: float,
                 cwd: Path | None = None) -> dict[str, Any]:
    """Run ``cmd`` in ``cwd``; its figures, exit code and the tail of its stderr. (``python
    -c`` puts its working folder first on sys.path: run from the shared tree, the scans
    would import its uncommitted code, not the tree on PYTHONPATH.)"""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            cwd=cwd)
    sampler = _Sampler(proc.pid)
    sampler.start()
    stderr: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr.append(proc.stderr.read()), daemon=True)
    reader.start()
    deadline = started + timeout_s
    status, usage = 0, None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait for it again
    sampler.stop.set()
    sampler.join()
    reader.join(timeout=5)
    cpu_all = usage.ru_utime + usage.ru_stime if usage is not None else 0.0
    workers_cpu = sum(sampler.worker_cpu_s.values())
    return {
        "exit_code": proc.returncode, "timed_out": wall > timeout_s,
        "wall_s": round(wall, 2),
        "coordinator_peak_rss_mib": round(sampler.coordinator_hwm_kib / 1024, 1),
        "coordinator_cpu_s": round(sampler.coordinator_cpu_s, 2),
        "cpu_s_with_children": round(cpu_all, 2),
        "worker_processes": len(sampler.worker_hwm_kib),
        "worker_peak_rss_mib": round(max(sampler.worker_hwm_kib.values(), default=0) / 1024, 1),
        "workers_rss_sum_peak_mib": round(sampler.workers_rss_sum_peak_kib / 1024, 1),
        "workers_cpu_s": round(workers_cpu, 2),
        "stderr_tail": b"".join(stderr).decode("utf-8", "replace").strip()[-600:],
    }
