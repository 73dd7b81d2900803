"""--timeout SECONDS and the config key ``timeout``: positive and finite, else one line, exit 2,
before any call; a valid value reaches CollectRequest.timeout."""

from __future__ import annotations

import argparse

import pytest

from auditor.cli import main
from auditor.defaults import DEFAULT_CALL_TIMEOUT
from auditor.settings import call_timeout

BAD = ["0", "-1", "-0.5", "nan", "NaN", "inf", "-inf", "1e999", "abc", "", "3s"]


@pytest.mark.parametrize("command", ["scan", "collect"])
@pytest.mark.parametrize("value", BAD)
def test_bad_timeout_flag_is_one_line_exit_2(command, value, capsys, tmp_path):
    # 127.0.0.1:9 refuses at once: were the value accepted, the run would fail with exit 3
    code = main([command, "alibaba", f"--timeout={value}", "--oss-endpoint",
                 "http://127.0.0.1:9", "-o" if command == "scan" else "--output",
                 str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("auditor: error: --timeout: ")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("line, reason", [
    ("timeout = 0", "less than or equal to the minimum of 0"),
    ("timeout = -3", "less than or equal to the minimum of 0"),
    ("timeout = nan", "must be a positive, finite number of seconds"),
    ("timeout = inf", "must be a positive, finite number of seconds"),
    ('timeout = "30"', "is not of type 'number'"),
    ("timeout = true", "is not of type 'number'"),
])
def test_bad_config_timeout_names_the_file(line, reason, capsys, tmp_path):
    config = tmp_path / "auditor.toml"
    config.write_text(line + "\n", encoding="utf-8")
    code = main(["scan", "alibaba", "--config", str(config), "--oss-endpoint",
                 "http://127.0.0.1:9", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith(f"auditor: error: {config}: $.timeout: ")
    assert reason in err


@pytest.mark.parametrize("flag, config, expected", [
    (None, {}, DEFAULT_CALL_TIMEOUT),
    ("2.5", {}, 2.5),
    (None, {"timeout": 7}, 7.0),
    ("0.25", {"timeout": 7}, 0.25),  # the flag wins over the config
])
def test_timeout_source_order(flag, config, expected):
    assert call_timeout(argparse.Namespace(timeout=flag, config="c.toml"), config) == expected


def test_demo_validates_timeout_before_starting_anything(capsys, tmp_path):
    code = main(["demo", "--timeout", "nan", "-o", str(tmp_path / "demo")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("auditor: error: --timeout: ")
    assert "STAND-INS" not in captured.out and not (tmp_path / "demo").exists()
