"""The history schema, as an ordered list of migrations: migration N takes a database from
version N-1 to N (PRAGMA user_version) in one transaction. Append, never edit one that
shipped: databases out there were built by it."""

from __future__ import annotations

from auditor.errors import ConfigError
from auditor.history._sqlite import Connection

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: one row per recorded run; the report as zlib-compressed JSON (Report.to_dict)
    ("""CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            recorded_at TEXT NOT NULL,      -- UTC, 2024-05-01T02:00:00Z
            command TEXT NOT NULL,          -- scan | evaluate
            scope TEXT NOT NULL,            -- aws:111,222|gcp:proj-a (scope_of)
            providers TEXT NOT NULL,        -- JSON array
            accounts TEXT NOT NULL,         -- JSON array
            counts TEXT NOT NULL,           -- JSON object: status -> findings
            exit_code INTEGER NOT NULL,
            tool_version TEXT NOT NULL,
            report_schema TEXT NOT NULL,    -- the report's schema_version
            report BLOB NOT NULL            -- zlib(JSON of the report)
        )""",),
    # 2: drift and retention look runs up by scope, newest first
    ("CREATE INDEX runs_by_scope ON runs (scope, id)",),
)
CURRENT_VERSION = len(MIGRATIONS)


def schema_version(db: Connection) -> int:
    return int(db.read("PRAGMA user_version")[0][0])


def _inspect(db: Connection) -> tuple[int, int]:
    """(schema version, tables), read in one statement so that both come from one snapshot
    (another process may be migrating the file right now)."""
    row = db.read("SELECT (SELECT user_version FROM pragma_user_version), "
                  "(SELECT count(*) FROM sqlite_master)")[0]
    return int(row[0]), int(row[1])


def _refuse_foreign(db: Connection) -> None:
    """Version 0 with tables in it is some other program's database: leave it alone."""
    raise ConfigError(str(db.path), "$", "an SQLite database, but not a Safeguard Auditor "
                      "history (it has tables of its own); pass another --history-db")


def _refuse_newer(db: Connection, version: int) -> None:
    if version > CURRENT_VERSION:
        raise ConfigError(str(db.path), "$",
                          f"written by a newer Safeguard Auditor (history schema {version}, "
                          f"this version reads up to {CURRENT_VERSION}): upgrade, or pass "
                          f"another --history-db")


def migrate(db: Connection, target: int = CURRENT_VERSION) -> int:
    """Bring the database to ``target`` (default: current), one transaction per migration;
    the version is re-read under the write lock, since another process may be migrating the
    same file. Returns the version reached."""
    version, tables = _inspect(db)  # a file that is not SQLite fails here, untouched
    _refuse_newer(db, version)
    if version == 0 and tables:
        _refuse_foreign(db)
    db.use_wal()
    while version < target:
        with db.transaction() as raw:
            version = int(raw.execute("PRAGMA user_version").fetchone()[0])
            _refuse_newer(db, version)
            if version >= target:
                break
            if version == 0 and raw.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                _refuse_foreign(db)
            for statement in MIGRATIONS[version]:
                raw.execute(statement)
            version += 1
            raw.execute(f"PRAGMA user_version = {version:d}")
    return version
