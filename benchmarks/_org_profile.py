"""What the coordinator holds at its peak: one scan in this child process under tracemalloc.

    python benchmarks/_org_profile.py TREE ACCOUNTS [scan flags...]

Run by ``org_scale.py --profile N`` with the stand-in's environment. A watcher thread keeps
the snapshot taken when the traced memory was highest (checked every 0.25 s), then prints the
top allocation sites of that snapshot by file and line, and by file, as JSON on stdout's last
line.
"""

from __future__ import annotations

import json
import sys
import threading
import tracemalloc
from typing import Any

POLL_S = 0.25


class Peak(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True, name="org-profile-peak")
        self.stop = threading.Event()
        self.best = 0
        self.snapshot: tracemalloc.Snapshot | None = None

    def run(self) -> None:
        while not self.stop.wait(POLL_S):
            current, _ = tracemalloc.get_traced_memory()
            if current > self.best * 1.05:  # a new high by 5 %: worth a (slow) snapshot
                self.snapshot = tracemalloc.take_snapshot()
                self.best = tracemalloc.get_traced_memory()[0]


def top(snapshot: tracemalloc.Snapshot, key: str, n: int) -> list[dict[str, Any]]:
    return [{"where": str(stat.traceback[0]) if key == "lineno" else stat.traceback[0].filename,
             "mib": round(stat.size / 2**20, 2), "blocks": stat.count}
            for stat in snapshot.statistics(key)[:n]]


def main() -> int:
    tree, flags = sys.argv[1], sys.argv[2:]
    sys.path.insert(0, tree)
    import auditor.providers._runtime as runtime

    runtime.derive  # noqa: B018  (the lazy name resolved before threads, as org_scale.AUDITOR)
    from auditor.cli import main as auditor_main

    tracemalloc.start(1)
    peak = Peak()
    peak.start()
    code = auditor_main(["scan", "gcp", "--gcp-all-projects", *flags])
    peak.stop.set()
    peak.join()
    traced_peak = tracemalloc.get_traced_memory()[1]
    snapshot = peak.snapshot or tracemalloc.take_snapshot()
    print(json.dumps({"exit_code": code, "traced_peak_mib": round(traced_peak / 2**20, 1),
                      "snapshot_mib": round(peak.best / 2**20, 1),
                      "by_line": top(snapshot, "lineno", 15),
                      "by_file": top(snapshot, "filename", 12)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
