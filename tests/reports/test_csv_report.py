"""CSV: stable header, one row per finding, flattened evidence, no formula injection."""

from __future__ import annotations

import csv
import io

from auditor.model import Report, Status
from auditor.reports import render
from auditor.reports.csv_report import HEADER, safe_cell


def _rows(report: Report) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(render(report, "csv"), newline="")))


def test_header_is_stable(report: Report) -> None:
    first = render(report, "csv").split("\r\n", 1)[0]
    assert first == ",".join(HEADER)
    assert HEADER[:3] == ("status", "severity", "check_id")


def test_one_row_per_finding_with_every_status(report: Report) -> None:
    rows = _rows(report)
    assert len(rows) == len(report.findings)
    assert {r["status"] for r in rows} == {s.value for s in Status}
    assert rows[0]["status"] == "FAIL" and rows[-1]["status"] == "MUTED"


def test_evidence_is_flattened(report: Report, hostile) -> None:
    rows = {r["resource_id"]: r for r in _rows(report)}
    public = rows[f"projects/_/buckets/{hostile.html}"]
    assert public["evidence"] == ('public_exposure.is_public=true (observed); '
                                  'public_exposure.reasons=["iam:allUsers"] (observed)')
    assert rows["acs:oss:*:*:" + hostile.formula]["evidence"] == (
        "key_rotation.enabled=null (denied)")
    assert public["frameworks"] == "cis_gcp: 5.1"
    muted = next(r for r in rows.values() if r["status"] == "MUTED")
    assert muted["muted_reason"] == "FAIL muted: archive bucket, ticket SEC-42"


def test_formula_cells_get_an_apostrophe(report: Report, hostile) -> None:
    rows = _rows(report)
    names = {r["resource_name"] for r in rows}
    assert "'" + hostile.formula in names
    assert "'-1+1" in names  # a MUTED finding named like arithmetic
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_safe_cell_cases() -> None:
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("+1") == "'+1"
    assert safe_cell("\t=1") == "'\t=1"
    assert safe_cell("plain=ok") == "plain=ok"
    assert safe_cell("a\x1bb") == "a\ufffdb"


def test_hostile_values_survive_quoting(report: Report, hostile) -> None:
    names = {r["resource_name"] for r in _rows(report)}
    assert hostile.html in names  # commas, quotes and pipes round-trip through csv
    assert not any("\x1b" in n for n in names)
    assert hostile.escape.replace("\x1b", "\ufffd").replace("\x07", "\ufffd") in names


def test_multiline_message_stays_in_one_cell(report: Report) -> None:
    report.findings[0].message = "line one\nline two, with comma"
    rows = _rows(report)
    assert len(rows) == len(report.findings)
    assert "line one\nline two, with comma" in {r["message"] for r in rows}
