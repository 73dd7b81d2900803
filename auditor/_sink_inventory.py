"""The collected resources kept on disk while a scan runs, for the inventory file it saves.

Each unit's resources are written (as the inventory file's own text of each, cleaned and
validated: auditor.inventory_write) to one private temporary file as they arrive, one segment
per unit, and dropped. :meth:`ResourceSpool.writer` then writes the inventory document piece by
piece: the runs (known at the end), then the segments in inventory order (provider asked,
account listed, shard), so the file is the text ``documents.inventory_text`` gives the merged
inventory, byte for byte, without the resources in memory.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from auditor.errors import InventoryError
from auditor.finding_spool import private_file
from auditor.inventory_write import _resource_text
from auditor.model import SCHEMA_VERSION, ProviderRun, Resource
from auditor.safe_text import clean
from auditor.schema import validate

_SOURCE = "<collected inventory>"
_TAIL = '\n  "resources": []\n}'
Writer = Callable[[IO[str]], None]


class ResourceSpool:
    """Resource texts on disk by segment position; thread-safe appends."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "resources.jsonl"
        self._file = private_file(self.path)
        self._lock = threading.Lock()
        self._segments: list[tuple[tuple[int, ...], int, int, int]] = []  # pos, off, size, n
        self._end = 0
        self._finalizer = weakref.finalize(self, self._file.close)

    def add_segment(self, position: tuple[int, ...], resources: Sequence[Resource]) -> None:
        if not resources:
            return
        # json.dumps escapes control characters: a record separator is never in a text
        data = "\x1e".join(_resource_text(r, i) for i, r in enumerate(resources))
        raw = data.encode("ascii")  # json.dumps escapes every non-ASCII character
        with self._lock:
            self._file.seek(self._end)
            self._file.write(raw)
            self._segments.append((position, self._end, len(raw), len(resources)))
            self._end += len(raw)

    def writer(self, runs: Sequence[ProviderRun]) -> SavedInventory:
        """``write(out)``: the inventory document of ``runs`` and the spooled resources."""

        def write(out: IO[str]) -> None:
            skeleton = clean({"schema_version": SCHEMA_VERSION,
                              "runs": [r.to_dict() for r in runs], "resources": []})
            validate("inventory", skeleton, _SOURCE, InventoryError)
            head = json.dumps(skeleton, indent=2, sort_keys=False)
            if not self._segments:
                out.write(head + "\n")
                return
            if not head.endswith(_TAIL):  # the skeleton's last key is "resources", empty
                raise AssertionError("unexpected skeleton text")
            out.write(head[: -len(_TAIL)] + '\n  "resources": [\n')
            with self._lock:
                self._file.flush()
                segments = sorted(self._segments, key=lambda s: s[0])
            with open(self.path, "rb") as fh:
                for number, (_, offset, size, _) in enumerate(segments):
                    fh.seek(offset)
                    text = fh.read(size).decode("ascii")
                    out.write((",\n" if number else "") + text.replace("\x1e", ",\n"))
            out.write("\n  ]\n}\n")

        return SavedInventory(write)

    def close(self) -> None:
        self._finalizer()
        self.path.unlink(missing_ok=True)


class SavedInventory:
    """The saved inventory as emission takes it: called, it writes the document to ``out``
    piece by piece; ``to_dict()`` gives the document whole, for an emitter that renders an
    Inventory's dict (it then holds the document, as it always did)."""

    def __init__(self, write: Writer) -> None:
        self._write = write

    def __call__(self, out: IO[str]) -> None:
        self._write(out)

    def to_dict(self) -> dict[str, Any]:
        import io

        buffer = io.StringIO()
        self._write(buffer)
        return json.loads(buffer.getvalue())
