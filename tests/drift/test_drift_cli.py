"""``auditor diff`` over runs recorded in a real history database: choosing the runs, scopes,
a failed account in the second run, usage errors (exit 2) and --fail-on (exit 1)."""

from __future__ import annotations

import json

import pytest
from drift_support import Estate, finding

from auditor.cli import main
from auditor.history import History
from auditor.model import AccountFailure, Status

ENC, LOG = "bucket-encryption-enabled", "bucket-access-logging"
TWO = {"aws": ["111111111111", "222222222222"]}
REASON = "sts:AssumeRole AccessDenied: the role refused the auditor"


def _record(db, *estates: Estate) -> list[int]:
    with History(db) as history:
        return [history.record(e.report(), exit_code=0, command="scan").id for e in estates]


def _diff(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["diff", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _night_one() -> Estate:
    return Estate([finding(ENC, "orders", Status.PASS),
                   finding(ENC, "vault", Status.FAIL, account="222222222222"),
                   finding(LOG, "vault", Status.PASS, account="222222222222")], accounts=TWO)


def _night_two() -> Estate:
    """Account 222 refuses the role: its resources were not observed."""
    return Estate([finding(ENC, "orders", Status.FAIL)], accounts={"aws": ["111111111111"]},
                  account_failures=[AccountFailure("aws", "222222222222", REASON)])


def test_a_failed_account_in_the_second_run(tmp_path, capsys):
    db = tmp_path / "h.sqlite"
    first, second = _record(db, _night_one(), _night_two())
    code, out, _ = _diff(capsys, "--history-db", str(db), "-f", "json")
    assert code == 0
    drift = json.loads(out)
    assert (drift["old"]["id"], drift["new"]["id"]) == (first, second)
    assert [(f["account"], f["reason"]) for f in drift["failures_new"]] == [
        ("222222222222", REASON)]
    assert [(r["name"], r["cause"], r["cause_detail"]) for r in drift["resources_removed"]] == [
        ("vault", "account_failed", REASON)]
    resolved = drift["resolved_failures"]
    assert [(c["resource_name"], c["new"], c["cause"]) for c in resolved] == [
        ("vault", None, "account_failed")]
    table = _diff(capsys, "--history-db", str(db))[1]
    assert "not observed: the account failed in the new run: " + REASON in table


def test_the_last_two_runs_of_the_newest_runs_scope(tmp_path, capsys):
    db = tmp_path / "h.sqlite"
    other = Estate([finding(ENC, "logs", Status.PASS, provider="gcp", account="proj-a")],
                   accounts={"gcp": ["proj-a"]})
    a1, _, a2 = _record(db, _night_one(), other, _night_two())
    drift = json.loads(_diff(capsys, "--history-db", str(db), "-f", "json")[1])
    assert (drift["old"]["id"], drift["new"]["id"]) == (a1, a2)  # the gcp run is skipped


def test_scope_flag_picks_the_scope(tmp_path, capsys):
    db = tmp_path / "h.sqlite"
    gcp = [Estate([finding(ENC, "logs", status, provider="gcp", account="proj-a")],
                  accounts={"gcp": ["proj-a"]}) for status in (Status.PASS, Status.FAIL)]
    g1, _, g2 = _record(db, gcp[0], _night_one(), gcp[1])
    _record(db, _night_one())  # the newest run is of another scope
    code, out, _ = _diff(capsys, "--history-db", str(db), "-f", "json", "--scope", "gcp:proj-a")
    assert code == 0
    drift = json.loads(out)
    assert (drift["old"]["id"], drift["new"]["id"]) == (g1, g2)
    assert [c["resource_name"] for c in drift["new_failures"]] == ["logs"]


@pytest.mark.parametrize("runs", [0, 1])
def test_fewer_than_two_runs_is_a_usage_error(tmp_path, capsys, runs):
    db = tmp_path / "h.sqlite"
    if runs:
        _record(db, _night_one())
    else:
        with History(db):
            pass
    code, out, err = _diff(capsys, "--history-db", str(db))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and str(db) in err and "nothing to compare" in err


def test_usage_errors_are_one_line_exit_2(tmp_path, capsys):
    db = tmp_path / "h.sqlite"
    missing = tmp_path / "none.sqlite"
    code, _, err = _diff(capsys, "--history-db", str(missing))
    assert code == 2 and "no history database" in err and not missing.exists()
    ids = _record(db, _night_one(), _night_two())
    for args in (["99"], ["last", "last~1", "1"], ["last", "--scope", "aws:1"], ["nonsense"]):
        code, out, err = _diff(capsys, "--history-db", str(db), *args)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (args, err)
    assert _diff(capsys, "--history-db", str(db), str(ids[1]), str(ids[0]))[0] == 0


def test_fail_on_counts_new_failures_only(tmp_path, capsys):
    db = tmp_path / "h.sqlite"
    _record(db, _night_one(), _night_two())  # orders' encryption (high) fails anew
    assert _diff(capsys, "--history-db", str(db), "--fail-on", "high")[0] == 1
    assert _diff(capsys, "--history-db", str(db), "--fail-on", "critical")[0] == 0
    # vault's FAIL was already there: the same night twice has nothing new.
    _record(db, _night_two())
    assert _diff(capsys, "--history-db", str(db), "--fail-on", "info")[0] == 0


def test_history_path_and_fail_on_from_the_config(tmp_path, capsys):
    (tmp_path / "conf").mkdir()
    config = tmp_path / "conf" / "auditor.toml"
    config.write_text('fail_on = "high"\n[history]\npath = "runs/h.sqlite"\n')
    db = tmp_path / "conf" / "runs" / "h.sqlite"
    db.parent.mkdir()
    _record(db, _night_one(), _night_two())
    code, out, err = _diff(capsys, "--config", str(config))
    assert code == 1, err
    assert "New failures (1)" in out
