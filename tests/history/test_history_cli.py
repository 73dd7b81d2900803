"""`auditor history list | show | prune` and the recording by evaluate, through
auditor.cli.main over a real database."""

from __future__ import annotations

import argparse
import json
import stat

from conftest import GOLDEN_INVENTORY, report_json

from auditor.cli import main
from auditor.history import History, record_run


def _evaluate(tmp_path, db, *extra: str, out: str = "out") -> int:
    return main(["evaluate", str(GOLDEN_INVENTORY), "-f", "json", "-o", str(tmp_path / out),
                 "--history-db", str(db), *extra])


def test_evaluate_records_and_history_show_json_equals_the_report_it_wrote(tmp_path, capsys):
    db = tmp_path / "h.sqlite"
    assert _evaluate(tmp_path, db) == 3
    assert f"recorded run 1 in {db}" in capsys.readouterr().out
    assert main(["history", "show", "last", "-f", "json", "-f", "sarif", "-o",
                 str(tmp_path / "again"), "--history-db", str(db), "-q"]) == 0
    assert report_json(tmp_path / "again" / "auditor-report.json") == report_json(
        tmp_path / "out" / "auditor-report.json")
    sarif = report_json(tmp_path / "again" / "auditor-report.sarif")
    assert sarif["runs"][0]["results"]  # re-rendered through the same emission


def test_history_list_table_and_json(tmp_path, capsys):
    db = tmp_path / "h.sqlite"
    _evaluate(tmp_path, db)
    _evaluate(tmp_path, db, "--fail-on", "high")
    capsys.readouterr()
    assert main(["history", "--history-db", str(db)]) == 0  # list is the default action
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "recorded", "(UTC)", "command", "providers", "accounts",
                                "PASS", "FAIL", "OPAQUE", "UNVERIFIED", "exit"]
    newest, oldest = lines[2].split(), lines[3].split()
    assert (newest[0], newest[-1], oldest[0], oldest[-1]) == ("2", "1", "1", "3")
    assert "acme, alibaba, aws, gcp" in lines[2]
    assert main(["history", "list", "--format", "json", "--limit", "1",
                 "--history-db", str(db)]) == 0
    listed = json.loads(capsys.readouterr().out)
    (run,) = listed["runs"]
    summary = report_json(tmp_path / "out" / "auditor-report.json")["summary"]
    assert (run["id"], run["exit_code"], run["command"]) == (2, 1, "evaluate")
    assert run["counts"] == summary
    assert listed["database"] == str(db)


def test_no_history_and_a_missing_database(tmp_path, capsys):
    db = tmp_path / "never.sqlite"
    assert _evaluate(tmp_path, db, "--no-history") == 3
    assert "recorded run" not in capsys.readouterr().out
    assert not db.exists()
    assert main(["history", "list", "--history-db", str(db)]) == 0
    assert capsys.readouterr().out == f"no runs recorded in {db}\n"
    assert not db.exists()  # looking does not create it


def test_show_of_an_unknown_run_is_a_usage_error(tmp_path, capsys):
    db = tmp_path / "h.sqlite"
    assert main(["history", "show", "99", "--history-db", str(db)]) == 2
    assert capsys.readouterr().err == (f"auditor: error: {db}: no run '99': no history "
                                       f"database here\n")
    History(db).close()  # an empty database
    assert main(["history", "show", "99", "--history-db", str(db)]) == 2
    assert capsys.readouterr().err == (f"auditor: error: {db}: no run 99; `auditor history "
                                       f"list` shows the stored runs\n")


def test_prune_prints_how_many_were_deleted(tmp_path, capsys):
    db = tmp_path / "h.sqlite"
    for _ in range(3):
        _evaluate(tmp_path, db, "-q")
    assert main(["history", "--history-db", str(db), "prune", "--keep", "1"]) == 0
    assert capsys.readouterr().out == f"deleted 2 run(s) from {db}\n"
    with History(db) as history:
        assert [r.id for r in history.runs()] == [3]
    assert main(["history", "prune", "--keep-days", "30", "--history-db", str(db)]) == 0
    assert capsys.readouterr().out == f"deleted 0 run(s) from {db}\n"
    assert main(["history", "prune", "--history-db", str(db)]) == 2
    assert "give --keep N or --keep-days DAYS" in capsys.readouterr().err
    assert main(["history", "prune", "--keep", "0", "--history-db", str(db)]) == 2
    assert capsys.readouterr().err == "auditor: error: --keep: must be at least 1\n"


def test_a_history_that_cannot_be_written_warns_and_keeps_the_exit_code(tmp_path, capsys):
    db = tmp_path / "notes.sqlite"
    db.write_text("not a database, some notes\n" * 20, encoding="utf-8")
    assert _evaluate(tmp_path, db) == 3  # the run's own outcome
    captured = capsys.readouterr()
    assert captured.err.splitlines()[-1] == (
        f"auditor: warning: run not stored in the history: {db}: not an SQLite database "
        f"(move it away or pass another --history-db)")
    assert (tmp_path / "out" / "auditor-report.json").exists()  # the report is not lost
    assert "recorded run" not in captured.out


def test_the_default_database_is_in_the_xdg_data_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert main(["evaluate", str(GOLDEN_INVENTORY), "-q", "-o", str(tmp_path / "out")]) == 3
    folder = tmp_path / "data" / "safeguard-auditor"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    with History(folder / "history.sqlite") as history:
        assert len(history.runs()) == 1
    assert main(["history"]) == 0
    assert capsys.readouterr().out.splitlines()[2].split()[0] == "1"


def _args(**values) -> argparse.Namespace:
    return argparse.Namespace(**{"quiet": True, "config": None, "history_db": None,
                                 "no_history": False, **values})


def test_the_configured_history_section(tmp_path, report):
    """[history] enabled = false records nothing; keep / keep_days prune after each record;
    a relative path is taken from the config file's folder."""
    config_file = str(tmp_path / "job" / "auditor.toml")
    off = {"history": {"enabled": False, "path": "h.sqlite"}}
    assert record_run(_args(config=config_file), off, report, exit_code=0,
                      command="scan") is None
    assert not (tmp_path / "job" / "h.sqlite").exists()
    kept = {"history": {"path": "h.sqlite", "keep": 2}}
    records = [record_run(_args(config=config_file), kept, report, exit_code=0,
                          command="scan") for _ in range(4)]
    with History(tmp_path / "job" / "h.sqlite") as history:
        assert history.runs() == records[:1:-1]
    by_age = {"history": {"path": str(tmp_path / "age.sqlite"), "keep_days": 1}}
    assert record_run(_args(), by_age, report, exit_code=0, command="scan") is not None
    with History(tmp_path / "age.sqlite") as history:
        assert len(history.runs()) == 1  # recorded now: younger than a day


def test_a_config_file_sets_path_and_retention(tmp_path, capsys):
    """[history] path (relative to the config file) and keep = 2, applied after each record;
    history reads the same database with --config before or after the action. Needs the
    [history] section of schemas/config.schema.json."""
    job = tmp_path / "job"
    job.mkdir()
    config = job / "auditor.toml"
    config.write_text('[history]\npath = "state/h.sqlite"\nkeep = 2\n', encoding="utf-8")
    for _ in range(3):
        assert main(["evaluate", str(GOLDEN_INVENTORY), "-q", "-o", str(tmp_path / "out"),
                     "--config", str(config)]) == 3
    db = job / "state" / "h.sqlite"
    with History(db) as history:
        assert [r.id for r in history.runs()] == [3, 2]
    capsys.readouterr()
    assert main(["history", "--config", str(config), "list", "--format", "json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)["runs"]] == [3, 2]
    assert main(["history", "list", "--config", str(config), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["database"] == str(db)
    config.write_text('[history]\nenabled = false\npath = "off.sqlite"\n', encoding="utf-8")
    assert main(["evaluate", str(GOLDEN_INVENTORY), "-q", "-o", str(tmp_path / "out"),
                 "--config", str(config)]) == 3
    assert not (job / "off.sqlite").exists()
