"""Runs recorded at once into one database all land: processes (the API and two real
`auditor evaluate` runs) and threads, each with its own connection."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import GOLDEN_INVENTORY

from auditor.errors import ConfigError
from auditor.history import History

SUPPORT = Path(__file__).with_name("record_support.py")


def _intact(db: Path) -> None:
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_processes_recording_at_once_all_land(tmp_path, report_file):
    db = tmp_path / "shared.sqlite"  # created by whichever process is first
    procs = [subprocess.Popen([sys.executable, str(SUPPORT), "record", str(db),
                               str(report_file), "5"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    _intact(db)
    with History(db) as history:
        runs = history.runs()
        assert len(runs) == 20
        assert sorted(r.id for r in runs) == list(range(1, 21))
        assert history.load(runs[0].id).counts() == runs[0].counts


def test_threads_recording_at_once_all_land(tmp_path, report):
    db = tmp_path / "threads.sqlite"
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def work() -> None:
        try:
            start.wait()
            with History(db) as history:  # one connection per thread
                for _ in range(5):
                    history.record(report, exit_code=0, command="scan")
        except BaseException as exc:  # reported below, with the others
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert failures == []
    with History(db) as history:
        assert len(history.runs()) == 20
    _intact(db)


def test_two_auditor_runs_at_once_both_record(tmp_path):
    db = tmp_path / "cli.sqlite"
    exe = shutil.which("auditor")
    env = {**os.environ, "NO_COLOR": "1"}
    procs = [subprocess.Popen([exe, "evaluate", str(GOLDEN_INVENTORY), "-f", "json", "-o",
                               str(tmp_path / f"out{i}"), "--history-db", str(db)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, stdin=subprocess.DEVNULL) for i in range(2)]
    outs = [proc.communicate(timeout=180) for proc in procs]
    assert [p.returncode for p in procs] == [3, 3], outs
    recorded = sorted(line for out, _ in outs for line in out.splitlines()
                      if line.startswith("recorded run"))
    assert recorded == [f"recorded run 1 in {db}", f"recorded run 2 in {db}"]
    with History(db) as history:
        assert [r.command for r in history.runs()] == ["evaluate", "evaluate"]


def test_a_writer_holding_the_lock_past_the_timeout_is_one_line(tmp_path, report):
    db = tmp_path / "busy.sqlite"
    History(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with History(db, lock_timeout=0.5) as history:
            with pytest.raises(ConfigError) as caught:
                history.record(report, exit_code=0, command="scan")
            assert str(caught.value) == f"{db}: locked by another process for 0.5s"
            assert history.runs() == []  # readers are not blocked by the writer (WAL)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
