"""The History API over a real SQLite file: record, list, resolve, load, previous, prune;
the scope of a run."""

from __future__ import annotations

import stat
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from conftest import rescoped

from auditor.errors import ConfigError, UsageError
from auditor.history import History, scope_of
from auditor.model import AccountFailure, ProviderRun, Report


def _bare(runs, account_failures=(), provider_failures=None) -> Report:
    return Report("0", "2024-01-01T00:00:00Z", list(runs), [], [],
                  account_failures=list(account_failures),
                  provider_failures=dict(provider_failures or {}))


def test_scope_sorts_providers_and_accounts_and_counts_failed_accounts():
    report = _bare([ProviderRun("gcp", ["proj-b", "proj-a"]), ProviderRun("aws", ["222"]),
                    ProviderRun("aws", ["111"])],
                   [AccountFailure("aws", "333", "AccessDenied: AssumeRole")])
    assert scope_of(report) == "aws:111,222,333|gcp:proj-a,proj-b"
    reordered = _bare([ProviderRun("aws", ["111"]), ProviderRun("aws", ["222"]),
                       ProviderRun("gcp", ["proj-a", "proj-b"])],
                      [AccountFailure("aws", "333", "timeout")])
    assert scope_of(reordered) == scope_of(report)  # the same job, the same scope


def test_scope_of_a_provider_that_failed_as_a_whole_names_it_without_accounts():
    report = _bare([ProviderRun("gcp", ["p"])], provider_failures={"aws": "no credentials"})
    assert scope_of(report) == "aws:|gcp:p"


def test_record_then_list_load_and_round_trip(tmp_path, report):
    db = tmp_path / "deep" / "folder" / "history.sqlite"
    with History(db) as history:
        first = history.record(report, exit_code=3, command="evaluate")
        second = history.record(report, exit_code=1, command="scan")
        listed = history.runs()
        loaded = history.load(first.id)
    assert [r.id for r in listed] == [second.id, first.id]  # newest first
    assert listed[1] == first
    assert first.scope == scope_of(report)
    assert first.providers == sorted({r.provider for r in report.runs})
    assert first.accounts == sorted({a for r in report.runs for a in r.accounts})
    assert first.counts == report.counts() and first.counts["FAIL"] > 0
    assert (listed[0].exit_code, listed[0].command) == (1, "scan")
    assert loaded.to_dict() == report.to_dict()  # as it was, transparency included
    assert stat.S_IMODE(db.stat().st_mode) == 0o600  # a map of an estate's weaknesses
    assert datetime.strptime(first.recorded_at, "%Y-%m-%dT%H:%M:%SZ")


def test_the_report_is_stored_compressed(tmp_path, report):
    import sqlite3

    db = tmp_path / "h.sqlite"
    with History(db) as history:
        history.record(report, exit_code=0, command="scan")
    blob = sqlite3.connect(db).execute("SELECT report FROM runs").fetchone()[0]
    assert zlib.decompress(blob).startswith(b'{"schema_version"')


def test_runs_by_scope_and_limit(tmp_path, report):
    other = rescoped(report, {"aws": ["999999999999"]})
    with History(tmp_path / "h.sqlite") as history:
        ids = [history.record(r, exit_code=0, command="scan").id
               for r in (report, other, report, other)]
        assert [r.id for r in history.runs(scope=scope_of(other))] == [ids[3], ids[1]]
        assert [r.id for r in history.runs(limit=3)] == ids[:0:-1]
        assert history.runs(scope="gcp:nobody") == []


def test_resolve_last_and_ids(tmp_path, report):
    with History(tmp_path / "h.sqlite") as history:
        ids = [history.record(report, exit_code=0, command="scan").id for _ in range(3)]
        assert history.resolve("last") == ids[2]
        assert history.resolve("last~1") == ids[1]
        assert history.resolve("last~2") == ids[0]
        assert history.resolve(str(ids[0])) == ids[0]
        for ref, says in (("last~3", "no run last~3: 3 run(s) stored"), ("99", "no run 99"),
                          ("yesterday", "not a run: 'yesterday'"), ("last~-1", "not a run")):
            with pytest.raises(UsageError) as caught:
                history.resolve(ref)
            assert str(caught.value).startswith(f"{history.path}: {says}")


def test_previous_is_the_run_before_in_the_same_scope(tmp_path, report):
    other = rescoped(report, {"gcp": ["another-project"]})
    with History(tmp_path / "h.sqlite") as history:
        a1 = history.record(report, exit_code=0, command="scan")
        b1 = history.record(other, exit_code=0, command="scan")
        a2 = history.record(report, exit_code=0, command="scan")
        assert history.previous(a2.id) == a1
        assert history.previous(a1.id) is None
        assert history.previous(b1.id) is None
        with pytest.raises(UsageError):
            history.previous(a2.id + 10)


def test_load_unknown_run_is_a_usage_error(tmp_path):
    with History(tmp_path / "h.sqlite") as history, pytest.raises(UsageError, match="no run 4"):
        history.load(4)


def test_prune_keep_is_per_scope(tmp_path, report):
    other = rescoped(report, {"aws": ["999999999999"]})
    with History(tmp_path / "h.sqlite") as history:
        for _ in range(3):
            history.record(report, exit_code=0, command="scan")
        kept_other = history.record(other, exit_code=0, command="scan")
        newest = [history.record(report, exit_code=0, command="scan") for _ in range(2)]
        assert history.prune(keep=2) == 3
        assert history.runs() == [*newest[::-1], kept_other]
        assert history.prune(keep=2) == 0


def test_prune_keep_days(tmp_path, report):
    with History(tmp_path / "h.sqlite") as history:
        runs = [history.record(report, exit_code=0, command="scan") for _ in range(2)]
        assert history.prune(keep_days=1) == 0  # recorded just now
        later = datetime.now(UTC) + timedelta(days=3)
        assert history.prune(keep_days=5, now=later) == 0
        assert history.prune(keep_days=2, now=later) == 2
        assert history.runs() == []
        assert runs  # they existed


def test_prune_both_rules_delete_what_either_rule_drops(tmp_path, report):
    with History(tmp_path / "h.sqlite") as history:
        for _ in range(3):
            history.record(report, exit_code=0, command="scan")
        assert history.prune(keep=10, keep_days=1, now=datetime.now(UTC) + timedelta(days=2)) == 3


@pytest.mark.parametrize("kwargs, flag", [({"keep": 0}, "--keep"), ({"keep_days": -1},
                                                                         "--keep-days")])
def test_prune_refuses_nonsense(tmp_path, kwargs, flag):
    with History(tmp_path / "h.sqlite") as history, pytest.raises(UsageError) as caught:
        history.prune(**kwargs)
    assert str(caught.value) == f"{flag}: must be at least 1"


def test_a_damaged_stored_report_is_one_line_naming_the_run(tmp_path, report):
    import sqlite3

    db = tmp_path / "h.sqlite"
    with History(db) as history:
        run = history.record(report, exit_code=0, command="scan")
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE runs SET report = ? WHERE id = ?", (b"not zlib", run.id))
    with History(db) as history, pytest.raises(ConfigError) as caught:
        history.load(run.id)
    assert str(caught.value) == (f"{db}: $.runs[{run.id}].report: stored report is damaged: "
                                 f"Error -3 while decompressing data: incorrect header check")
