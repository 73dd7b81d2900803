"""What `evaluate` (and so `scan`) prints: the summary per check and the transparency scores by
default, every finding with --details or in the table file with -o; colour rules."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.emission import written_lines
from auditor.reports.table import SCREEN, columns
from auditor.terminal import use_color

SGR = re.compile(r"\x1b\[[0-9;]*m")
GOLDEN = Path(__file__).parent.parent / "golden"


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """The golden inventory evaluated once: its JSON report, to check the summary against."""
    out = tmp_path_factory.mktemp("json")
    code = main(["evaluate", str(GOLDEN / "mixed-inventory.json"), "-q", "--no-history",
                 "-f", "json", "-o", str(out)])
    return code, json.loads((out / "auditor-report.json").read_text(encoding="utf-8"))


def _evaluate(capsys, golden, *flags: str) -> tuple[int, str]:
    code = main(["evaluate", str(golden / "mixed-inventory.json"), "--no-history", *flags])
    return code, capsys.readouterr().out


def _check_rows(printed: str, check_ids: list[str]) -> dict[str, list[int]]:
    rows = {}
    for line in printed.splitlines():
        words = line.split()
        if words and words[0] in check_ids:
            assert words[0] not in rows, f"{words[0]} printed twice"
            rows[words[0]] = [int(w) for w in words[2:]]
    return rows


def test_the_summary_counts_every_check_as_the_report_does(capsys, golden, evaluated):
    expected_code, report = evaluated
    code, printed = _evaluate(capsys, golden)
    assert code == expected_code
    ids = [c["id"] for c in report["checks"]]
    rows = _check_rows(printed, ids)
    assert set(rows) == set(ids)
    order = ("PASS", "FAIL", "OPAQUE", "UNVERIFIED", "NOT_APPLICABLE", "MUTED")
    for check_id, counts in rows.items():
        tally = Counter(f["status"] for f in report["findings"] if f["check_id"] == check_id)
        assert counts == [tally[s] for s in order], check_id
    totals = " · ".join(f"{s} {report['summary'][s]}" for s in order)
    assert totals in printed
    # not one finding row: no resource's message is on screen
    assert not any(f["message"][:60] in printed for f in report["findings"])
    assert f"{len(report['findings'])} findings: --details prints each one" in printed


def test_the_summary_shows_the_transparency_scores_per_provider(capsys, golden, evaluated):
    _, report = evaluated
    _, printed = _evaluate(capsys, golden)
    providers = sorted(report["transparency"]["providers"])
    header = next(line for line in printed.splitlines() if line.startswith("transparency "))
    assert header.split()[1:] == providers
    for label, key in (("verifiability", "verifiability"), ("access gap", "access_gap"),
                       ("provider opacity", "provider_opacity")):
        line = next(line for line in printed.splitlines() if line.startswith(label + " "))
        shown = line[len(label):].split()
        figures = [report["transparency"]["providers"][p][key] for p in providers]
        assert shown == [f"{v * 100:.0f}%" if v is not None else "n/a" for v in figures], label


def test_details_prints_every_finding_above_the_summary(capsys, golden, evaluated):
    _, report = evaluated
    _, printed = _evaluate(capsys, golden, "--details")
    lines = printed.splitlines()
    assert lines[0].split()[:3] == ["Status", "Severity", "Check"]
    finding_rows = [line for line in lines if line.split()[:1] and " · " not in line
                    and line.split()[0] in {"PASS", "FAIL", "OPAQUE", "UNVERIFIED",
                                            "NOT_APPLICABLE", "MUTED"}]
    assert len(finding_rows) == len(report["findings"])
    assert any(line.startswith("transparency ") for line in lines)
    assert "--details prints each one" not in printed


def test_an_output_directory_alone_writes_no_table_file(capsys, golden, tmp_path):
    # -f defaults to table, which is the terminal summary: a million-finding table file is
    # written only when asked for by name
    _, printed = _evaluate(capsys, golden, "-o", str(tmp_path))
    assert list(tmp_path.iterdir()) == []
    assert "--details prints each one" in printed


def test_table_named_with_an_output_directory_gets_the_full_file(capsys, golden, evaluated,
                                                                  tmp_path):
    _, report = evaluated
    _, printed = _evaluate(capsys, golden, "-f", "table", "-o", str(tmp_path))
    table = (tmp_path / "auditor-report.txt").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["auditor-report.txt"]
    assert len(table.splitlines()) > len(report["findings"])
    assert f"wrote {tmp_path / 'auditor-report.txt'}" in printed
    assert "--details prints each one" not in printed  # the file has them
    assert "\x1b[" not in table


def test_other_formats_alone_write_no_table_file(capsys, golden, tmp_path):
    _evaluate(capsys, golden, "-f", "json", "-o", str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["auditor-report.json"]


def test_quiet_prints_nothing(capsys, golden, evaluated):
    code, printed = _evaluate(capsys, golden, "-q")
    assert code == evaluated[0] and printed == ""


def test_run_problems_are_cut_on_screen_and_whole_in_the_file(capsys, golden, tmp_path):
    _, printed = _evaluate(capsys, golden, "-f", "table", "-o", str(tmp_path))
    table = (tmp_path / "auditor-report.txt").read_text(encoding="utf-8")
    problems = [line for line in printed.splitlines() if ": partial" in line]
    assert problems and all(len(line) <= SCREEN.problem_width for line in problems)
    for line in problems:
        assert line.rstrip("…") in table


@pytest.mark.parametrize(("flag", "env", "tty", "expected"), [
    (False, {}, True, True),
    (False, {}, False, False),
    (True, {}, True, False),
    (False, {"NO_COLOR": "1"}, True, False),
    (False, {"NO_COLOR": ""}, True, True),  # present but empty: not set (no-color.org)
    (False, {"FORCE_COLOR": "1"}, False, True),
    (False, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
    (True, {"FORCE_COLOR": "1"}, False, False),
])
def test_colour_rules(monkeypatch, flag, env, tty, expected):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    class Stream:
        def isatty(self) -> bool:
            return tty

    assert use_color(flag, Stream()) is expected


def test_forced_colour_paints_the_counts_and_no_color_wins(capsys, golden, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    _, painted = _evaluate(capsys, golden)
    assert "\x1b[1;31m" in painted  # a FAIL count in bold red
    assert SGR.sub("", painted) == _evaluate(capsys, golden, "--no-color")[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in _evaluate(capsys, golden)[1]


def test_columns_are_as_narrow_as_their_cells():
    text = columns(["a", "n"], [["long-name", "\x1b[31m7\x1b[0m"], ["b", "12"]], right=1)
    assert SGR.sub("", text).splitlines() == ["a           n", "---------  --",
                                              "long-name   7", "b          12"]


def test_many_files_are_one_wrapped_entry_per_folder(tmp_path):
    few = [tmp_path / "a.json", tmp_path / "b.csv"]
    assert written_lines(few) == [f"wrote {few[0]}", f"wrote {few[1]}"]
    many = [tmp_path / f"auditor-report-{i}.json" for i in range(8)]
    lines = written_lines(many, width=60)
    assert len(lines) > 2 and lines[0] == f"wrote 8 files to {tmp_path}/:"
    assert all(line.startswith("  ") for line in lines[1:])
    named = " ".join(lines).replace(",", " ").split()
    assert all(p.name in named for p in many)
    assert all(len(line) <= 60 for line in lines[1:])


def test_an_organization_s_accounts_and_problems_are_capped_on_screen(evaluated):
    from auditor.model import Report
    from auditor.reports.table import render, render_summary

    document = json.loads(json.dumps(evaluated[1]))
    template = document["runs"][0]
    document["runs"] = [{**template, "accounts": [f"{i:012d}"], "errors": [],
                         "status": "complete" if i % 2 else "partial"} for i in range(30)]
    document["account_failures"] = [{"provider": template["provider"], "account": f"9{i:011d}",
                                     "reason": "AccessDenied: sts:AssumeRole"} for i in range(20)]
    report = Report.from_dict(document)
    summary = render_summary(report)
    account_rows = [line for line in summary.splitlines() if line.split()[:1] == ["aws"]
                    and line.split()[2:3] in (["complete"], ["partial"])]
    assert len(account_rows) == SCREEN.rows
    assert f"... and {30 - SCREEN.rows} more account runs" in summary
    assert "more problems (--details, or the table file, lists all)" in summary
    full = render(report)
    assert all(f"9{i:011d}: not collected" in full for i in range(20))
    assert all(f"{i:012d}" in full for i in range(30)) and "... and" not in full
