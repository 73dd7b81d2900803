"""The history database: record a run's report, list runs, load one back, prune old ones."""

from __future__ import annotations

import json
import re
import uuid
import zlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError, UsageError
from auditor.history._migrations import migrate
from auditor.history._scope import accounts_by_provider, scope_of
from auditor.history._sqlite import Connection, create_private
from auditor.model import SCHEMA_VERSION, Report

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # UTC; sorts as text, which retention relies on
_COLUMNS = ("id, recorded_at, command, scope, providers, accounts, counts, exit_code, "
            "tool_version")
_LAST = re.compile(r"last(?:~(\d+))?")


@dataclass(frozen=True)
class RunRecord:
    """One stored run, without its report (History.load reads that)."""

    id: int
    recorded_at: str
    command: str
    scope: str
    providers: list[str]
    accounts: list[str]
    counts: dict[str, int]
    exit_code: int
    tool_version: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: tuple) -> RunRecord:
        return cls(int(row[0]), row[1], row[2], row[3], json.loads(row[4]), json.loads(row[5]),
                   json.loads(row[6]), int(row[7]), row[8])


def compressed_document(report: Report) -> bytes:
    """zlib of the report's compact JSON text, encoded one finding at a time: the findings
    (a list, or a spool on disk) are never held as one text or one list of dicts."""
    token = uuid.uuid4().hex  # stands where the findings go: no other string can be it
    document = report.to_dict(findings=False)
    document["findings"] = token
    head, tail = json.dumps(document, ensure_ascii=False, separators=(",", ":")).split(
        f'"{token}"')
    packer = zlib.compressobj()
    pieces = [packer.compress(head.encode("utf-8") + b"[")]
    dumps = json.dumps
    for number, finding in enumerate(report.findings):
        text = dumps(finding.to_dict(), ensure_ascii=False, separators=(",", ":"))
        pieces.append(packer.compress((b"," if number else b"") + text.encode("utf-8")))
    pieces.append(packer.compress(b"]" + tail.encode("utf-8")))
    pieces.append(packer.flush())
    return b"".join(pieces)


def _now() -> datetime:
    return datetime.now(UTC)


class History:
    """A history database, opened (created, migrated) on construction; a context manager
    that closes it. One instance per thread (sqlite3 connections are not shared)."""

    def __init__(self, path: Path, *, lock_timeout: float = 30.0) -> None:
        self.path = Path(path)
        create_private(self.path)
        self._db = Connection(self.path, lock_timeout)
        try:
            migrate(self._db)
        except BaseException:
            self._db.close()
            raise

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # --- writing ---------------------------------------------------------------------

    def record(self, report: Report, *, exit_code: int, command: str) -> RunRecord:
        """Store the report (as the scan's own files hold it: clean text) in one
        transaction; an interrupt before the commit leaves no trace of it."""
        from auditor.safe_text import clean

        report = clean(report)
        blob = compressed_document(report)
        by_provider = accounts_by_provider(report)
        accounts = sorted({a for listed in by_provider.values() for a in listed})
        recorded_at = _now().strftime(TIME_FORMAT)
        counts = report.counts()
        with self._db.transaction() as raw:
            cursor = raw.execute(
                "INSERT INTO runs (recorded_at, command, scope, providers, accounts, counts, "
                "exit_code, tool_version, report_schema, report) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (recorded_at, command, scope_of(report), json.dumps(list(by_provider)),
                 json.dumps(accounts), json.dumps(counts), int(exit_code),
                 report.tool_version, SCHEMA_VERSION, blob))
            run_id = int(cursor.lastrowid or 0)
        return RunRecord(run_id, recorded_at, command, scope_of(report), list(by_provider),
                         accounts, counts, int(exit_code), report.tool_version)

    def prune(self, *, keep: int | None = None, keep_days: int | None = None,
              now: datetime | None = None) -> int:
        """Delete the runs beyond the newest ``keep`` of each scope, and those recorded more
        than ``keep_days`` days before ``now``; a run survives only if every rule given
        keeps it. Returns how many were deleted."""
        for flag, value in (("--keep", keep), ("--keep-days", keep_days)):
            if value is not None and value < 1:
                raise UsageError(flag, "$", "must be at least 1")
        doomed: set[int] = set()
        with self._db.transaction() as raw:
            if keep is not None:
                doomed.update(row[0] for row in raw.execute(
                    "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY scope "
                    "ORDER BY id DESC) AS newer FROM runs) WHERE newer > ?", (keep,)))
            if keep_days is not None:
                cutoff = ((now or _now()) - timedelta(days=keep_days)).strftime(TIME_FORMAT)
                doomed.update(row[0] for row in raw.execute(
                    "SELECT id FROM runs WHERE recorded_at < ?", (cutoff,)))
            raw.executemany("DELETE FROM runs WHERE id = ?", [(i,) for i in sorted(doomed)])
        return len(doomed)

    # --- reading ---------------------------------------------------------------------

    def runs(self, *, scope: str | None = None, limit: int | None = None) -> list[RunRecord]:
        """The stored runs, newest first (of one scope, when given)."""
        where, params = ("WHERE scope = ?", (scope,)) if scope is not None else ("", ())
        rows = self._db.read(f"SELECT {_COLUMNS} FROM runs {where} ORDER BY id DESC "
                             f"LIMIT ?", (*params, -1 if limit is None else limit))
        return [RunRecord.from_row(row) for row in rows]

    def resolve(self, ref: str) -> int:
        """A run id from ``"12"``, ``"last"`` or ``"last~N"`` (N runs before the last)."""
        text = ref.strip()
        if text.isdigit():
            if self._db.read("SELECT 1 FROM runs WHERE id = ?", (int(text),)):
                return int(text)
            raise self._no_run(f"no run {text}")
        match = _LAST.fullmatch(text)
        if not match:
            raise UsageError(str(self.path), "$", f"not a run: {ref[:40]!r} (a run id, "
                             f"'last' or 'last~N')")
        back = int(match.group(1) or 0)
        rows = self._db.read("SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?", (back,))
        if not rows:
            raise self._no_run(f"no run {text}: {self._count()} run(s) stored")
        return int(rows[0][0])

    def record_of(self, run_id: int) -> RunRecord:
        rows = self._db.read(f"SELECT {_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise self._no_run(f"no run {run_id}")
        return RunRecord.from_row(rows[0])

    def previous(self, run_id: int) -> RunRecord | None:
        """The run recorded before ``run_id`` with the same scope, if any."""
        scope = self.record_of(run_id).scope
        rows = self._db.read(f"SELECT {_COLUMNS} FROM runs WHERE scope = ? AND id < ? "
                             f"ORDER BY id DESC LIMIT 1", (scope, run_id))
        return RunRecord.from_row(rows[0]) if rows else None

    def load(self, run_id: int) -> Report:
        """The stored report, as it was recorded (its transparency block included)."""
        from auditor.schema import validate

        rows = self._db.read("SELECT report FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise self._no_run(f"no run {run_id}")
        where = f"$.runs[{run_id}].report"
        try:
            document = json.loads(zlib.decompress(rows[0][0]).decode("utf-8"))
        except (zlib.error, UnicodeDecodeError, ValueError, TypeError) as exc:
            raise ConfigError(str(self.path), where, f"stored report is damaged: "
                              f"{str(exc)[:120]}") from exc
        validate("report", document, f"{self.path} (run {run_id})", ConfigError)
        return Report.from_dict(document)

    def _count(self) -> int:
        return int(self._db.read("SELECT count(*) FROM runs")[0][0])

    def _no_run(self, reason: str) -> UsageError:
        return UsageError(str(self.path), "$", f"{reason}; `auditor history list` shows the "
                          f"stored runs")
