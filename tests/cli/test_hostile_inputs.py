"""Hostile files through the installed CLI, as a user (or the acceptance cases) would give
them: each is exit 2 (auditor/exit_codes.py EXIT_INPUT: usage or input error) with one line
on stderr naming the file, where, and the reason; never a traceback, exit 4 or a hang."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from auditor.exit_codes import EXIT_INPUT

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = ROOT / "tests/golden/mixed-inventory.json"
CHECK = (ROOT / "checks/data-legal-reach.yaml").read_text(encoding="utf-8")


def _report_text() -> str:
    return json.dumps({"schema_version": 1, "findings": [{"status": float("nan")}]})


# (case, file name, its bytes, argv with {file} for its path, what the line must name)
CASES = [
    ("inventory-cut-short", "inv.json", INVENTORY.read_bytes()[:5000],
     ["evaluate", "{file}"], "not valid JSON"),
    ("inventory-json-null", "inv.json", b"null", ["evaluate", "{file}"], "not of type"),
    ("inventory-not-utf8", "inv.json", b'{"runs": "\xff"}', ["evaluate", "{file}"],
     "not UTF-8 text"),
    ("inventory-too-deep", "inv.json", b"[" * 50_000 + b"]" * 50_000, ["evaluate", "{file}"],
     "nested deeper than 100 levels"),
    # mute: null iterated as the rules' list was a TypeError: exit 4, "internal error"
    ("mutelist-null", "m.yaml", b"mute: null\n",
     ["evaluate", str(INVENTORY), "--mutelist", "{file}"], "$.mute"),
    ("mutelist-bom-and-alias-bomb", "m.yaml",
     b"\xef\xbb\xbfa: &a [x, x]\n" + b"".join(b"k%d: &a%d [*a, *a]\n" % (i, i)
                                              for i in range(120)),
     ["evaluate", str(INVENTORY), "--mutelist", "{file}"], "YAML aliases"),
    ("report-nan-status", "r.json", _report_text().encode(), ["report", "{file}"], "$"),
    ("compare-lone-surrogate", "r.json", b'{"findings": ["\\ud800"]}', ["compare", "{file}"],
     "$"),
    ("check-id-a-list", "checks/mine.yaml", CHECK.replace("id: data-legal-reach",
                                                          "id: [1]").encode(),
     ["evaluate", str(INVENTORY), "--checks-dir", "{dir}"], "$.id"),
]


@pytest.mark.parametrize("name, data, argv, named", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_a_hostile_file_is_exit_2_and_one_line(auditor, tmp_path: Path, name: str,
                                               data: bytes, argv: list[str], named: str):
    path = tmp_path / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    args = [a.format(file=path, dir=path.parent) for a in argv]
    done = auditor(*args, "--no-history" if args[0] == "evaluate" else "-q",
                   timeout=120, cwd=tmp_path)
    lines = done.stderr.splitlines()
    assert done.returncode == EXIT_INPUT, done.stderr
    assert len(lines) == 1 and lines[0].startswith(f"auditor: error: {path}"), done.stderr
    assert named in lines[0]
    assert "Traceback" not in done.stdout + done.stderr


def test_a_fifo_is_refused_at_once_not_read(auditor, tmp_path: Path):
    fifo = tmp_path / "inv.json"
    os.mkfifo(fifo)  # opening it would block until a writer came
    done = auditor("evaluate", str(fifo), "--no-history", timeout=60, cwd=tmp_path)
    assert done.returncode == EXIT_INPUT
    assert done.stderr.splitlines() == [f"auditor: error: {fifo}: not a regular file"]
