"""Report files written piece by piece, all or none (documents.write_all_streamed), and what
emit_report writes with them."""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path
from typing import IO

import pytest

from auditor import reports
from auditor.documents import inventory_text, load_inventory, write_all, write_all_streamed
from auditor.emission import INVENTORY_FILE, Emission, emit_report
from auditor.errors import OutputError
from auditor.model import Report

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def _everything(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_streamed_files_are_the_rendered_texts_owner_only(report: Report, tmp_path: Path) -> None:
    strings, streamed = tmp_path / "strings", tmp_path / "streamed"
    write_all(reports.report_files(report, reports.FORMATS, strings))
    written = write_all_streamed(reports.report_writers(report, reports.FORMATS, streamed))
    assert [p.name for p in written] == [reports.file_name(f) for f in reports.FORMATS]
    for path in written:
        assert path.read_bytes() == (strings / path.name).read_bytes()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _everything(streamed) == _everything(strings)  # no temp file left beside them


class Halfway(RuntimeError):
    pass


def test_a_writer_failing_half_way_leaves_no_file_and_no_temp_file(report: Report,
                                                                   tmp_path: Path) -> None:
    old = tmp_path / "auditor-report.csv"
    old.write_text("the previous run\n")
    writers = reports.report_writers(report, ["json", "csv"], tmp_path)

    def broken(out: IO[str]) -> None:
        out.write("<testsuites>\n" * 1000)  # some text is already in its temp file
        raise Halfway("a bug half way through")

    writers[tmp_path / "auditor-report.xml"] = broken
    with pytest.raises(Halfway):
        write_all_streamed(writers)
    assert _everything(tmp_path) == ["auditor-report.csv"]
    assert old.read_text() == "the previous run\n"


def test_a_folder_in_the_way_is_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / "auditor-report.json").mkdir()
    with pytest.raises(OutputError) as caught:
        write_all_streamed({tmp_path / "auditor-report.csv": lambda out: out.write("x"),
                            tmp_path / "auditor-report.json": lambda out: out.write("{}")})
    assert str(tmp_path / "auditor-report.json") in str(caught.value)
    assert "\n" not in str(caught.value)
    assert _everything(tmp_path) == ["auditor-report.json"]


def test_an_unwritable_folder_is_an_output_error_and_leaves_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError) as caught:
        write_all_streamed({tmp_path / "ok.txt": lambda out: out.write("x"),
                            blocker / "out" / "a.json": lambda out: out.write("{}")})
    assert str(blocker / "out" / "a.json") in str(caught.value)
    assert _everything(tmp_path) == ["file"]


def test_emit_report_writes_an_inventory_given_as_an_object_or_a_writer(
        report: Report, tmp_path: Path) -> None:
    inventory = load_inventory(GOLDEN / "mixed-inventory.json")
    out = Emission(["json", "csv"], tmp_path / "object", quiet=True, save_inventory=True)
    written = emit_report(report, out, inventory)
    assert [p.name for p in written] == ["auditor-report.json", "auditor-report.csv",
                                         INVENTORY_FILE]
    assert (out.directory / INVENTORY_FILE).read_text() == inventory_text(inventory)
    assert (out.directory / "auditor-report.json").read_text() == reports.render(report, "json")

    pieces = []

    def write_inventory(stream: IO[str]) -> None:
        for piece in ('{"schema_version": ', '"x"}\n'):
            pieces.append(piece)
            stream.write(piece)

    out = Emission(["csv"], tmp_path / "writer", quiet=True, save_inventory=True)
    emit_report(report, out, write_inventory)
    assert (out.directory / INVENTORY_FILE).read_text() == '{"schema_version": "x"}\n'
    assert len(pieces) == 2


class Source:
    """Findings kept somewhere else than a list: iterated and counted only."""

    def __init__(self, findings: list) -> None:
        self._findings = findings

    def __iter__(self):
        return iter(self._findings)

    def __len__(self) -> int:
        return len(self._findings)


def test_findings_not_in_a_list_are_made_encodable_as_they_are_read(report: Report,
                                                                    tmp_path: Path) -> None:
    odd = dataclasses.replace(report.findings[0], resource_name="bad\ud800name")
    spooled = dataclasses.replace(report, findings=Source([odd, *report.findings[1:]]))
    written = write_all_streamed(reports.report_writers(spooled, reports.FORMATS, tmp_path))
    assert len(written) == len(reports.FORMATS)
    assert '"resource_name": "bad\ufffdname"' in (tmp_path / "auditor-report.json").read_text()
    assert "bad\ufffdname" in (tmp_path / "auditor-report.csv").read_text()
