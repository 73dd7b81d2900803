"""Every format written through ``write()`` from findings that are not a list (a source that
can only be iterated, counted and ordered) is the text ``render()`` gives for the same findings
in a list: no writer indexes, slices, copies or sorts the findings itself."""

from __future__ import annotations

import dataclasses
import io
import json
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tabulate import tabulate

from auditor import reports
from auditor.checks import load_checks
from auditor.config import compile_with_params
from auditor.documents import load_inventory
from auditor.finding_source import SortKey
from auditor.model import Finding, Report
from auditor.pipeline import build_report
from auditor.reports import _simple_table, json_report
from auditor.reports._html_summary import TOP_FAILURES
from auditor.reports._stream import array_mark, write_indented
from auditor.schema import own_document_json

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
# One pass to size or count, one to write; HTML reads its findings in its summary (counts,
# charts, worst failures, gaps, accounts) and twice for its JSON block. More than this would
# mean a writer reads the findings once per check or per group.
MAX_PASSES = 14
# Findings held at once: the one being written, and the HTML summary's ten worst failures.
MAX_HELD = TOP_FAILURES + 3


class _Tracked(Finding):
    """A finding the source can see die: how many a writer holds at once is counted."""

    __slots__ = ("__weakref__",)


class OnlySource:
    """Findings that may only be iterated, counted and ordered: anything else raises. Each
    pass gives fresh copies, so ``peak`` is the most findings a reader held at once."""

    def __init__(self, findings: list[Finding]) -> None:
        self._findings = list(findings)
        self.passes = 0
        self.peak = 0
        self._alive = 0

    def _died(self) -> None:
        self._alive -= 1

    def _copies(self, findings: list[Finding]) -> Iterator[Finding]:
        for finding in findings:
            copy = _Tracked(**{f.name: getattr(finding, f.name)
                               for f in dataclasses.fields(finding)})
            weakref.finalize(copy, self._died)
            self._alive += 1
            self.peak = max(self.peak, self._alive)
            yield copy
            del copy

    def __iter__(self) -> Iterator[Finding]:
        self.passes += 1
        return self._copies(self._findings)

    def __len__(self) -> int:
        return len(self._findings)

    def ordered(self, key: SortKey) -> Iterator[Finding]:
        self.passes += 1
        return self._copies(sorted(self._findings, key=key))

    def __getitem__(self, index: Any) -> Finding:
        raise AssertionError(f"a writer indexed the findings: [{index!r}]")

    def __reversed__(self) -> Iterator[Finding]:
        raise AssertionError("a writer reversed the findings")

    def __contains__(self, item: object) -> bool:
        raise AssertionError("a writer searched the findings")


@pytest.fixture(scope="module")
def golden_report() -> Report:
    inventory = load_inventory(GOLDEN / "mixed-inventory.json")
    return build_report(inventory, compile_with_params(load_checks(), {}, "stream-test"),
                        lambda p: None)


def _streamed(report: Report, fmt: str, color: bool) -> tuple[str, OnlySource]:
    source = OnlySource(report.findings)
    out = io.StringIO()
    reports.writer(fmt)(dataclasses.replace(report, findings=source), out, color=color)
    return out.getvalue(), source


@pytest.mark.parametrize("fmt", reports.FORMATS)
@pytest.mark.parametrize("color", [False, True])
def test_a_source_that_is_not_a_list_gives_the_same_text(report: Report, golden_report: Report,
                                                          fmt: str, color: bool) -> None:
    for built in (report, golden_report):
        expected = reports.renderer(fmt)(built, color=color)
        text, source = _streamed(built, fmt, color)
        assert text == expected
        assert 1 <= source.passes <= MAX_PASSES, source.passes
        assert source.peak <= MAX_HELD, source.peak  # never a copy of them all (310 here)


@pytest.mark.parametrize("fmt", reports.FORMATS)
def test_an_empty_source_gives_the_empty_report_text(empty_report: Report, fmt: str) -> None:
    text, _ = _streamed(empty_report, fmt, False)
    assert text == reports.renderer(fmt)(empty_report, color=False)


def test_the_json_report_is_the_whole_document_checked_and_written_at_once(
        report: Report, golden_report: Report, empty_report: Report) -> None:
    for built in (report, golden_report, empty_report):
        whole = own_document_json(built.to_dict(), "report", RuntimeError)
        assert json_report.render(built) == whole
        assert json.loads(whole)["summary"] == built.counts()


def test_a_finding_off_the_schema_is_named_by_its_place_in_one_line(report: Report) -> None:
    findings = list(report.findings)
    findings[2] = dataclasses.replace(findings[2], severity="catastrophic")
    broken = dataclasses.replace(report, findings=OnlySource(findings))
    with pytest.raises(json_report.ReportSchemaViolation) as caught:
        json_report.write(broken, io.StringIO())
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("internal error: the report does not fit "
                              "schemas/report.schema.json at $.findings[2].severity: ")


def test_a_skeleton_off_the_schema_fails_before_any_finding_is_written(report: Report) -> None:
    broken = dataclasses.replace(report, tool_version=12)  # type: ignore[arg-type]
    out = io.StringIO()
    with pytest.raises(json_report.ReportSchemaViolation, match=r"at \$\.tool_version: "):
        json_report.write(broken, out)
    assert out.getvalue() == ""


@pytest.mark.parametrize("items", [[], [{"a": [1, {"b": []}], "c": "é<"}], [1, "x", [2, 3]],
                                   [{"deep": {"er": [{"x": 1}, {"y": [2]}]}}] * 3])
def test_streamed_arrays_are_json_dumps_text_at_any_depth(items: list[Any]) -> None:
    def document(results: Any, events: Any) -> dict[str, Any]:
        return {"$schema": "s", "runs": [{"tool": {"rules": [{"id": 1}]}, "results": results,
                                          "more": {"events": events, "n": None}}],
                "after": [1, 2]}

    out = io.StringIO()
    write_indented(out, document(array_mark("r"), array_mark("e")),
                   {"r": iter(items), "e": iter(items[::-1])})
    assert out.getvalue() == json.dumps(document(items, items[::-1]), indent=2,
                                        ensure_ascii=False)


@pytest.mark.parametrize("cells", [
    [["FAIL", "宽字符桶", "ok"], ["PASS", "x", "a" * 30]],
    [["\x1b[1;31mFAIL\x1b[0m", "café\u0301", ""], ["\x1b[32mPASS\x1b[0m", "🪣 bucket", "z"]],
    [["  padded  ", "tab\tinside", "e"], ["", "", ""]],
])
def test_the_simple_table_is_tabulates(cells: list[list[str]]) -> None:
    headers = ("Status", "Name", "Message")
    expected = tabulate(cells, headers=headers, tablefmt="simple", disable_numparse=True)
    out = io.StringIO()
    _simple_table.write_table(out, headers, _simple_table.column_widths(headers, cells), cells)
    assert out.getvalue() == expected
