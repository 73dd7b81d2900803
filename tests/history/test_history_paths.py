"""Where the database is: --history-db, config [history] path, else the XDG data folder."""

from __future__ import annotations

from pathlib import Path

from auditor.history import history_path
from auditor.history._paths import configured_history_path


def test_xdg_data_home_when_set(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert history_path({}, None) == tmp_path / "data" / "safeguard-auditor" / "history.sqlite"


def test_home_local_share_when_xdg_is_unset_or_relative(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    expected = tmp_path / "me" / ".local" / "share" / "safeguard-auditor" / "history.sqlite"
    assert history_path({}, None) == expected
    monkeypatch.setenv("XDG_DATA_HOME", "relative/data")  # invalid per the XDG spec
    assert history_path({}, None) == expected
    monkeypatch.setenv("XDG_DATA_HOME", "")
    assert history_path({}, None) == expected


def test_the_flag_beats_the_config_which_beats_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    config = {"history": {"path": str(tmp_path / "configured.sqlite")}}
    assert history_path(config, str(tmp_path / "flag.sqlite")) == tmp_path / "flag.sqlite"
    assert history_path(config, None) == tmp_path / "configured.sqlite"
    assert history_path({"history": {"enabled": True}}, None).parent.name == "safeguard-auditor"


def test_tilde_is_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert history_path({}, "~/h.sqlite") == tmp_path / "h.sqlite"
    assert history_path({"history": {"path": "~/c.sqlite"}}, None) == tmp_path / "c.sqlite"


def test_a_relative_config_path_is_taken_from_the_config_files_folder(tmp_path):
    config_file = tmp_path / "jobs" / "auditor.toml"
    relative = {"history": {"path": "state/h.sqlite"}}
    assert configured_history_path(relative, str(config_file), None) == (
        tmp_path / "jobs" / "state" / "h.sqlite")
    resolved = {"history": {"path": str(tmp_path / "abs.sqlite")}}  # resolved by the loader
    assert configured_history_path(resolved, str(config_file), None) == tmp_path / "abs.sqlite"
    assert configured_history_path(relative, str(config_file), "flag.sqlite") == Path(
        "flag.sqlite")


def test_the_suite_itself_never_writes_the_real_data_home():
    """tests/conftest.py points XDG_DATA_HOME at a session folder for every test."""
    import os

    assert os.environ["XDG_DATA_HOME"] != str(Path.home() / ".local" / "share")
    assert "xdg-data" in os.environ["XDG_DATA_HOME"]
