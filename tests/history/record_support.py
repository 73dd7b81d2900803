"""Run as a separate process by the history tests: record runs into one database, or die
(SIGKILL) in the middle of a record, as a crashing or killed scan would.

    python record_support.py record DB REPORT COUNT
    python record_support.py crash DB REPORT insert|commit
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from auditor.documents import load_report
from auditor.history import History


def record(db: Path, report_path: Path, count: int) -> None:
    report = load_report(report_path)
    for _ in range(count):
        with History(db) as history:
            history.record(report, exit_code=3, command="evaluate")


def crash(db: Path, report_path: Path, when: str) -> None:
    """Kill this process while History.record's transaction is open: during the INSERT (a
    progress handler fires inside the statement) or as COMMIT starts (the trace callback
    sees it before it runs, the row inserted). A one-page cache makes SQLite spill the
    uncommitted pages into the WAL file before COMMIT, so recovery has real uncommitted
    frames to throw away. The hooks
    are sqlite3's own public callbacks on the store's real connection."""
    report = load_report(report_path)
    report.findings = report.findings * 40  # a record of many pages
    history = History(db)
    raw = history._db.raw
    raw.execute("PRAGMA cache_size = 1")
    inserting = []

    def traced(statement: str) -> None:
        if statement.startswith("INSERT INTO runs"):
            inserting.append(True)
        if when == "commit" and statement == "COMMIT":
            os.kill(os.getpid(), signal.SIGKILL)

    def progress() -> int:
        if when == "insert" and inserting:
            Path(str(db) + ".crashed").write_text("in INSERT", encoding="utf-8")
            os.kill(os.getpid(), signal.SIGKILL)
        return 0

    raw.set_trace_callback(traced)
    raw.set_progress_handler(progress, 1)
    history.record(report, exit_code=3, command="evaluate")
    print("recorded: the crash did not happen", flush=True)


if __name__ == "__main__":
    action, db, source = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    if action == "record":
        record(db, source, int(sys.argv[4]))
    else:
        crash(db, source, sys.argv[4])
