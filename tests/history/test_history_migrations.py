"""The history schema and its migrations: from an empty file, from a version-1 database,
and the files that are not ours (newer, foreign, not SQLite, a folder)."""

from __future__ import annotations

import json
import sqlite3
import zlib

import pytest

from auditor.errors import ConfigError
from auditor.history import History
from auditor.history._migrations import CURRENT_VERSION, MIGRATIONS, migrate, schema_version
from auditor.history._sqlite import Connection, create_private


def _version(db) -> int:
    return sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0]


def _indexes(db) -> set[str]:
    rows = sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type = 'index'")
    return {name for (name,) in rows}


def test_a_new_file_is_created_at_the_current_version_in_wal_mode(tmp_path):
    db = tmp_path / "new" / "history.sqlite"
    History(db).close()
    assert _version(db) == CURRENT_VERSION == len(MIGRATIONS) == 2
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert "runs_by_scope" in _indexes(db)


def test_an_empty_existing_file_is_migrated(tmp_path):
    db = tmp_path / "history.sqlite"
    db.write_bytes(b"")  # a zero-byte file is an empty SQLite database
    with History(db) as history:
        assert history.runs() == []
    assert _version(db) == CURRENT_VERSION


def _version_one_database(db, report) -> None:
    """A database as a version-1 tool left it (its migration, a run stored by its code)."""
    create_private(db)
    conn = Connection(db, 5.0)
    assert migrate(conn, target=1) == 1
    text = json.dumps(report.to_dict())
    conn.raw.execute(
        "INSERT INTO runs (recorded_at, command, scope, providers, accounts, counts, exit_code,"
        " tool_version, report_schema, report) VALUES (?,?,?,?,?,?,?,?,?,?)",
        ("2024-05-01T02:00:00Z", "scan", "aws:111", '["aws"]', '["111"]',
         json.dumps(report.counts()), 3, "0.0.9", "1.0", zlib.compress(text.encode())))
    conn.close()


def test_upgrade_from_version_one_keeps_its_runs(tmp_path, report):
    db = tmp_path / "v1.sqlite"
    _version_one_database(db, report)
    assert _version(db) == 1 and "runs_by_scope" not in _indexes(db)
    with History(db) as history:
        (old,) = history.runs()
        assert (old.recorded_at, old.scope, old.tool_version) == (
            "2024-05-01T02:00:00Z", "aws:111", "0.0.9")
        assert history.load(old.id).to_dict() == report.to_dict()
        new = history.record(report, exit_code=0, command="scan")
        assert new.id > old.id
    assert _version(db) == 2 and "runs_by_scope" in _indexes(db)


def test_a_failing_migration_changes_nothing(tmp_path, report):
    """Migration 2 cannot run (its index name is taken): one line, and the database stays
    at version 1 with its run, usable by the next tool that can migrate it."""
    db = tmp_path / "v1.sqlite"
    _version_one_database(db, report)
    with sqlite3.connect(db) as raw:
        raw.execute("CREATE INDEX runs_by_scope ON runs (recorded_at)")
    with pytest.raises(ConfigError) as caught:
        History(db)
    assert str(caught.value) == f"{db}: SQLite: index runs_by_scope already exists"
    assert _version(db) == 1
    assert sqlite3.connect(db).execute("SELECT count(*) FROM runs").fetchone()[0] == 1


def test_a_database_from_a_newer_tool_is_refused_untouched(tmp_path):
    db = tmp_path / "future.sqlite"
    with sqlite3.connect(db) as raw:
        raw.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, shape TEXT)")
        raw.execute("PRAGMA user_version = 7")
    with pytest.raises(ConfigError) as caught:
        History(db)
    assert str(caught.value) == (
        f"{db}: written by a newer Safeguard Auditor (history schema 7, this version "
        f"reads up to {CURRENT_VERSION}): upgrade, or pass another --history-db")
    assert _version(db) == 7
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_another_programs_database_is_refused_untouched(tmp_path):
    db = tmp_path / "other.sqlite"
    with sqlite3.connect(db) as raw:
        raw.execute("CREATE TABLE notes (body TEXT)")
    with pytest.raises(ConfigError, match="not a Safeguard Auditor history"):
        History(db)
    names = {n for (n,) in sqlite3.connect(db).execute("SELECT name FROM sqlite_master")}
    assert names == {"notes"} and _version(db) == 0


def test_a_file_that_is_not_sqlite_is_one_line_naming_it(tmp_path):
    db = tmp_path / "notes.txt"
    text = "these are my notes, not a database\n" * 10
    db.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        History(db)
    assert str(caught.value) == (f"{db}: not an SQLite database (move it away or pass "
                                 f"another --history-db)")
    assert db.read_text(encoding="utf-8") == text


def test_a_folder_is_not_a_database(tmp_path):
    with pytest.raises(ConfigError, match=r": is a directory, not a history database"):
        History(tmp_path)


def test_schema_version_reads_the_file(tmp_path):
    db = tmp_path / "h.sqlite"
    History(db).close()
    conn = Connection(db, 1.0)
    assert schema_version(conn) == CURRENT_VERSION
    conn.close()
