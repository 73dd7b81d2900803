"""A report's findings kept on disk while an organization is scanned (auditor.finding_source).

The coordinator evaluates each unit of work (an account, a shard of one) as it arrives and
appends its findings here as one *segment*; the unit's resources are then dropped. What stays
in memory is one small index per segment: its position and, per check with findings, where
they start in the file (two compact arrays: a few bytes per check). So memory grows by a few
hundred bytes per unit, not with the findings.

Segments are held in memory, as the findings themselves, until ``memory_limit`` findings are
held (the first segment always is: one account's scan is as fast as with a list); later ones
are written to disk.

- ``iter(spool)``: evaluation order, the order ``engine.evaluate`` gives the merged inventory:
  check-major, then inventory order (``position``: provider asked, account listed, shard),
  whichever unit finished first; one block is read at a time;
- ``len(spool)``: the count;
- ``ordered(key)``: sorted by ``key``, stable, in bounded memory: the findings in evaluation
  order are cut into runs of at most ``run_size``, each sorted and written to its own file,
  and the runs are merged (heapq.merge keeps equal keys in run order, so evaluation order).

Encoding: one JSON line per finding (``Finding.to_dict``); ``add_segment`` cleans the findings
it is given (auditor.safe_text), so a spool is clean by construction (``encodable``): a report
holding it needs no clean of its findings as they are read. Files live
in a private temporary folder (0700, each file 0600) removed by :meth:`close`, on exit of the
``with`` block (an error or Ctrl-C too) and, at the latest, when the interpreter exits.
"""

from __future__ import annotations

import heapq
import json
import os
import shutil
import tempfile
import threading
import weakref
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from operator import attrgetter
from pathlib import Path
from typing import IO, Any

from auditor.finding_source import SortKey
from auditor.model import Finding
from auditor.safe_text import clean

# Findings kept as objects before segments go to disk: a single account's scan (20k findings
# at 1,000 buckets) stays in memory, as fast as a list; an organization's memory stops
# growing with its findings once this many are held.
MEMORY_LIMIT = 25_000
MEMORY_ENV = "AUDITOR_SPOOL_MEMORY"  # overrides MEMORY_LIMIT (0: every segment but the first on disk)
RUN_SIZE = 2_000  # findings per sorted run of ordered(): what ordered() holds at once (a
# decoded finding is ~1.5 KB: its evidence and mappings are no longer shared; 20,000 held
# ~30 MiB at 1,000 accounts, the growth org_scale saw)
_FILE_MODE = 0o600
_Position = tuple[int, ...]


def memory_limit_env() -> int:
    """MEMORY_LIMIT, or the whole number of findings AUDITOR_SPOOL_MEMORY gives."""
    from auditor.errors import UsageError

    text = os.environ.get(MEMORY_ENV)
    if text is None:
        return MEMORY_LIMIT
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise UsageError(MEMORY_ENV, "$", f"must be a whole number of findings, not {text[:40]!r}")
    return value


def private_dir(prefix: str) -> Path:
    """A new temporary folder only this user can enter (mkdtemp makes it 0700)."""
    return Path(tempfile.mkdtemp(prefix=prefix))


def private_file(path: Path, mode: str = "w+b") -> IO[Any]:
    """``path`` created for this user alone (0600), whatever the umask."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, _FILE_MODE)
    return os.fdopen(fd, mode)


class FindingSpool:
    """Findings on disk, per segment; re-iterable in evaluation order, sized, sortable."""

    encodable = True  # every finding was cleaned (safe_text.clean) as it was added

    def __init__(self, check_ids: Sequence[str], *, directory: Path | None = None,
                 run_size: int = RUN_SIZE, memory_limit: int | None = None) -> None:
        self._check_index = {cid: i for i, cid in enumerate(check_ids)}
        self.directory = directory if directory is not None else private_dir("auditor-spool-")
        self._owns_dir = directory is None
        self.path = self.directory / "findings.jsonl"
        self._file = private_file(self.path)
        self._lock = threading.Lock()
        self._segments: list[_Segment] = []  # in the order appended
        self._count = 0
        self._end = 0
        self._runs = 0
        self.run_size = max(1, run_size)
        self.memory_limit = memory_limit if memory_limit is not None else memory_limit_env()
        self._held = 0  # findings of the segments kept in memory
        self.closed = False
        self._finalizer = weakref.finalize(self, _remove, self._file, self.directory,
                                           self._owns_dir)

    # --- writing ------------------------------------------------------------------

    def add_segment(self, position: _Position, findings: Iterable[Finding]) -> int:
        """Append one unit's findings (in ``engine.evaluate`` order: check-major) as the
        segment at ``position``, cleaned (auditor.safe_text); the count added. Thread-safe."""
        found = clean(list(findings))
        checks, starts = array("H"), array("Q", [0])
        index_of = self._check_index
        for at, finding in enumerate(found):
            index = index_of[finding.check_id]
            if not checks or checks[-1] != index:
                if checks and index < checks[-1]:
                    raise ValueError("a segment's findings are not in check order")
                if checks:
                    starts.append(at)
                checks.append(index)
        if not checks:
            return 0
        starts.append(len(found))
        with self._lock:
            self._refuse_closed()
            if not self._segments or self._held + len(found) <= self.memory_limit:
                self._segments.append(_Segment(position, -1, checks, starts, found))
                self._held += len(found)
                self._count += len(found)
                return len(found)
        return self._to_disk(position, found, checks, starts)

    def _to_disk(self, position: _Position, found: list[Finding], checks: array,
                 starts: array) -> int:
        dumps, lines, size = json.dumps, [], 0
        offsets = {}
        bounds = set(starts)
        for at, finding in enumerate(found):
            if at in bounds:
                offsets[at] = size
            line = dumps(finding.to_dict(), ensure_ascii=False).encode("utf-8") + b"\n"
            lines.append(line)
            size += len(line)
        byte_starts = array("Q", [offsets.get(at, size) for at in starts])
        with self._lock:
            self._refuse_closed()
            self._file.seek(self._end)
            self._file.write(b"".join(lines))
            self._segments.append(_Segment(position, self._end, checks, byte_starts))
            self._end += size
            self._count += len(lines)
        return len(lines)

    # --- the FindingSource protocol -------------------------------------------------

    def __len__(self) -> int:
        return self._count

    @property
    def alive(self) -> bool:
        """Every finding is held as an object (none on disk): each pass gives the same
        objects, so what they share may be worked out once per shared object."""
        return self._end == 0

    def __iter__(self) -> Iterator[Finding]:
        with self._lock:
            self._refuse_closed()
            self._file.flush()
            segments = sorted(self._segments, key=attrgetter("position"))
        return self._read(segments)

    def _read(self, segments: list[_Segment]) -> Iterator[Finding]:
        loads, from_dict = json.loads, Finding.from_dict
        used = sorted({c for segment in segments for c in segment.checks})
        with open(self.path, "rb") as fh:
            for check in used:
                for segment in segments:
                    block = segment.block(check)
                    if block is None:
                        continue
                    if segment.held is not None:  # in memory: the findings themselves
                        yield from segment.held[block[0]:block[0] + block[1]]
                        continue
                    fh.seek(block[0])
                    for line in fh.read(block[1]).splitlines():
                        yield from_dict(loads(line))

    def ordered(self, key: SortKey) -> Iterator[Finding]:
        """The findings sorted by ``key`` (stable), at most ``run_size`` of them in memory
        beyond those the spool holds anyway."""
        if self._end == 0:  # every segment in memory: sorted there
            return iter(sorted(self, key=key))
        runs: list[Path] = []
        chunk: list[Finding] = []
        for finding in self:
            chunk.append(finding)
            if len(chunk) >= self.run_size:
                runs.append(self._sorted_run(chunk, key))
                chunk = []
        if not runs:  # all of them fit in one run: sorted here
            return iter(sorted(chunk, key=key))
        if chunk:
            runs.append(self._sorted_run(chunk, key))
        return _merged(runs, key)

    def _sorted_run(self, chunk: list[Finding], key: SortKey) -> Path:
        with self._lock:
            self._refuse_closed()
            self._runs += 1
            path = self.directory / f"run-{self._runs}.jsonl"
        with private_file(path, "wb") as fh:
            for finding in sorted(chunk, key=key):
                fh.write(json.dumps(finding.to_dict(), ensure_ascii=False).encode("utf-8")
                         + b"\n")
        return path

    # --- lifetime -------------------------------------------------------------------

    def close(self) -> None:
        """Remove the spool's files (and its folder when it made it); idempotent."""
        with self._lock:
            self.closed = True
        self._finalizer()

    def __enter__(self) -> FindingSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _refuse_closed(self) -> None:
        if self.closed:
            raise ValueError("the finding spool is closed")


class _Segment:
    """One unit's findings: a block per check (``checks``, ascending) whose offsets are
    ``starts`` (one more: the end): from ``start`` in the file, or indexes into ``held`` when
    the segment is kept in memory."""

    __slots__ = ("checks", "held", "position", "start", "starts")

    def __init__(self, position: _Position, start: int, checks: array, starts: array,
                 held: list[Finding] | None = None) -> None:
        self.position, self.start, self.checks, self.starts = position, start, checks, starts
        self.held = held

    def block(self, check: int) -> tuple[int, int] | None:
        """(offset, size) of the check's findings in this segment, None if it has none."""
        at = bisect_left(self.checks, check)
        if at == len(self.checks) or self.checks[at] != check:
            return None
        begin = self.starts[at] + (self.start if self.held is None else 0)
        return begin, self.starts[at + 1] - self.starts[at]


def _run_reader(path: Path) -> Iterator[Finding]:
    with open(path, "rb") as fh:
        for line in fh:
            yield Finding.from_dict(json.loads(line))
    path.unlink(missing_ok=True)


def _merged(runs: list[Path], key: SortKey) -> Iterator[Finding]:
    try:
        yield from heapq.merge(*map(_run_reader, runs), key=key)
    finally:
        for path in runs:
            path.unlink(missing_ok=True)


def _remove(fh: IO[Any], directory: Path, owns_dir: bool) -> None:
    fh.close()
    if owns_dir:
        shutil.rmtree(directory, ignore_errors=True)
    else:
        (directory / "findings.jsonl").unlink(missing_ok=True)
