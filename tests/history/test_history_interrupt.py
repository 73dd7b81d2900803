"""No loss on interrupt: a scan interrupted (SIGINT) while it waits to record, or a process
killed (SIGKILL) in the middle of its record transaction, leaves the database readable,
every earlier run intact and that run absent."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import GOLDEN_INVENTORY, report_json

from auditor.history import History

SUPPORT = Path(__file__).with_name("record_support.py")
PROMPT = 2.0  # seconds from SIGINT to exit


def _intact(db: Path) -> None:
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _wait_for(path: Path, proc: subprocess.Popen, limit: float = 90.0) -> None:
    deadline = time.monotonic() + limit
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_sigint_while_waiting_to_record_leaves_the_run_absent(tmp_path, report):
    """Another writer holds the lock: the scan has written its report and waits in
    BEGIN IMMEDIATE; Ctrl-C ends it at once (exit 130) and the database is as it was."""
    db = tmp_path / "h.sqlite"
    with History(db) as history:
        earlier = history.record(report, exit_code=3, command="evaluate")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    out = tmp_path / "out"
    try:
        proc = subprocess.Popen(
            [shutil.which("auditor"), "evaluate", str(GOLDEN_INVENTORY), "-f", "json", "-o",
             str(out), "--history-db", str(db)], env={**os.environ, "NO_COLOR": "1"},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        _wait_for(out / "auditor-report.json", proc)  # written just before the record
        time.sleep(1.0)  # now in the lock wait
        assert proc.poll() is None
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode == 130, err
    assert err == "auditor: interrupted\n"
    assert elapsed < PROMPT, f"exited {elapsed:.2f}s after SIGINT"
    _intact(db)
    with History(db) as history:
        assert history.runs() == [earlier]
        assert history.load(earlier.id).to_dict() == report.to_dict()
        assert history.record(report, exit_code=0, command="scan").id == earlier.id + 1
    assert report_json(out / "auditor-report.json")["summary"] == report.counts()


@pytest.mark.parametrize("when", ["insert", "commit"])
def test_killed_mid_record_leaves_the_database_as_its_last_commit(tmp_path, report,
                                                                  report_file, when):
    db = tmp_path / "h.sqlite"
    with History(db) as history:
        earlier = [history.record(report, exit_code=3, command="evaluate") for _ in range(2)]
    proc = subprocess.run([sys.executable, str(SUPPORT), "crash", str(db), str(report_file),
                           when], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    if when == "insert":
        assert (tmp_path / "h.sqlite.crashed").exists()  # it died inside the INSERT
    else:
        wal = db.with_name(db.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0  # uncommitted pages were spilled
    _intact(db)
    with History(db) as history:
        assert history.runs() == earlier[::-1]
        for run in earlier:
            assert history.load(run.id).to_dict() == report.to_dict()
        later = history.record(report, exit_code=0, command="scan")
        assert later.id > earlier[-1].id
    _intact(db)
