"""The SQLite connection of a history database: opened owner-only, in WAL mode, with lock
waits that a Ctrl-C can cut short, and every sqlite3 error as one line naming the file."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

from auditor.errors import ConfigError

T = TypeVar("T")

# SQLite's own busy wait is one uninterruptible C call, so it is kept short and repeated
# here until the lock timeout: a SIGINT is then noticed within this slice.
BUSY_SLICE = 0.1  # seconds
_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def _busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and (code & 0xFF) in _BUSY_CODES


def _reason(exc: sqlite3.Error) -> str:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and (code & 0xFF) == sqlite3.SQLITE_NOTADB:
        return "not an SQLite database (move it away or pass another --history-db)"
    return f"SQLite: {exc}"


def create_private(path: Path) -> None:
    """The folder (owner-only when new) and an empty owner-only file: a stored report maps an
    estate's weaknesses, and SQLite gives its -wal and -shm files the database's mode."""
    if path.is_dir():
        raise ConfigError(str(path), "$", "is a directory, not a history database file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    except OSError as exc:
        raise ConfigError(str(path), "$", exc.strerror or str(exc)) from exc


class Connection:
    """One sqlite3 connection (autocommit: transactions are explicit) and its lock timeout."""

    def __init__(self, path: Path, lock_timeout: float) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        with self.errors():
            self.raw = sqlite3.connect(str(path), timeout=BUSY_SLICE, isolation_level=None)

    def use_wal(self) -> None:
        """Readers never wait for the writer, and a crash mid-write leaves the database as
        its last commit (the mode persists in the file; setting it again is a no-op)."""
        self.retrying(lambda: self.raw.execute("PRAGMA journal_mode=WAL").fetchone())

    @contextmanager
    def errors(self) -> Iterator[None]:
        """An sqlite3 error inside: one line, ``ConfigError(<database>, $, reason)``."""
        try:
            yield
        except sqlite3.Error as exc:
            raise ConfigError(str(self.path), "$", _reason(exc)) from exc

    def retrying(self, action: Callable[[], T]) -> T:
        """Run ``action``, again while the database is locked, until the lock timeout."""
        deadline = time.monotonic() + self.lock_timeout
        with self.errors():
            while True:
                try:
                    return action()
                except sqlite3.OperationalError as exc:
                    if not _busy(exc) or time.monotonic() >= deadline:
                        if _busy(exc):
                            raise ConfigError(str(self.path), "$",
                                              f"locked by another process for "
                                              f"{self.lock_timeout:g}s") from exc
                        raise

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE (the write lock, waited for) ... COMMIT; any exception, a
        KeyboardInterrupt included, rolls back, so the database keeps every earlier run and
        none of this one."""
        self.retrying(lambda: self.raw.execute("BEGIN IMMEDIATE"))
        try:
            with self.errors():
                yield self.raw
                self.raw.execute("COMMIT")
        except BaseException:
            if self.raw.in_transaction:
                # the error that got us here is the one to report; if even the rollback
                # fails, closing the connection discards the uncommitted write anyway
                with suppress(sqlite3.Error):
                    self.raw.execute("ROLLBACK")
            raise

    def read(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self.retrying(lambda: self.raw.execute(sql, params).fetchall())

    def close(self) -> None:
        self.raw.close()
