"""A finding spool cleans what it is given (auditor.safe_text), so a report holding it is
written without a second clean per finding and per pass (H1: that re-clean was 11% of a
1,000-bucket scan's CPU)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from auditor import reports
from auditor.documents import write_all_streamed
from auditor.engine import evaluate
from auditor.finding_spool import FindingSpool
from auditor.model import Report
from auditor.pipeline import assemble_report
from auditor.reports._clean_source import CleanFindings, cleaned
from auditor.safe_text import clean
from tests.spool.spool_support import CHECKS, golden


def _report(findings: object) -> Report:
    return assemble_report(golden().runs, findings, CHECKS, lambda provider: None,
                           today=dt.date(2026, 1, 1))


def _findings() -> list:
    found = evaluate(golden(), CHECKS)
    found[0] = dataclasses.replace(found[0], resource_name="bad\ud800name")
    return found


@pytest.mark.parametrize("memory_limit", [0, 10**9])  # on disk after the first / all held
def test_a_spool_holds_its_findings_cleaned(memory_limit: int) -> None:
    found = _findings()
    with FindingSpool([c.check.id for c in CHECKS], memory_limit=memory_limit) as spool:
        half = len(found) // 2
        spool.add_segment((0,), found[:half])
        spool.add_segment((1,), found[half:])
        assert list(spool) == clean(found)  # the surrogate is U+FFFD, the rest unchanged
        assert next(iter(spool)).resource_name == "bad\ufffdname"


def test_the_writers_read_a_spool_as_it_is(tmp_path: Path) -> None:
    found = _findings()
    with FindingSpool([c.check.id for c in CHECKS]) as spool:
        spool.add_segment((0,), found)
        report = _report(spool)
        assert cleaned(report).findings is spool  # not wrapped in a per-finding clean
        written = write_all_streamed(reports.report_writers(report, ["json", "csv"], tmp_path))
        assert len(written) == 2
        document = json.loads((tmp_path / "auditor-report.json").read_text())
        assert document["findings"][0]["resource_name"] == "bad\ufffdname"
        assert "bad\ufffdname" in (tmp_path / "auditor-report.csv").read_text()


def test_a_source_not_known_clean_is_still_cleaned_as_read() -> None:
    found = _findings()

    class Source:
        def __iter__(self):
            return iter(found)

        def __len__(self) -> int:
            return len(found)

    report = cleaned(_report(Source()))
    assert isinstance(report.findings, CleanFindings)
    assert next(iter(report.findings)).resource_name == "bad\ufffdname"
