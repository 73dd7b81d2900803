"""Error lines read well: one ``auditor: error:`` prefix, no bare ``$`` path, and an unknown
check id (flag, config, mutelist, ``checks show``) names the closest ids."""

from __future__ import annotations

import pytest

from auditor.cli import main
from auditor.errors import ConfigError, UsageError, located
from auditor.exit_codes import EXIT_INPUT


def _error_line(capsys, *argv: str) -> str:
    code = _run(*argv)
    err = capsys.readouterr().err
    assert code == EXIT_INPUT, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def _run(*argv: str) -> int:
    try:
        return main(list(argv))
    except SystemExit as exit_:  # argparse exits through the parser
        return int(exit_.code)


@pytest.mark.parametrize(("argv", "expected"), [
    (["scan", "--max-workers", "x"], "auditor: error: scan: argument --max-workers: invalid int "
                                     "value: 'x'"),
    (["history", "show"], "auditor: error: history show: the following arguments are "
                          "required: RUN"),
    (["sandbox", "sideways"], "auditor: error: sandbox: argument action: invalid choice: "
                              "'sideways'"),
    (["bogus"], "auditor: error: argument COMMAND: invalid choice: 'bogus'"),
    (["evaluate", "inv.json", "--bogus"], "auditor: error: evaluate: unrecognized arguments: "
                                          "--bogus"),
    (["checks", "list", "--x"], "auditor: error: checks list: unrecognized arguments: --x"),
    (["--x"], "auditor: error: unrecognized arguments: --x"),
])
def test_parser_errors_name_the_command_once(capsys, argv, expected):
    line = _error_line(capsys, *argv)
    assert line.startswith(expected), line
    assert "error: auditor" not in line


def test_a_flag_error_has_no_bare_root_path(capsys, golden):
    line = _error_line(capsys, "evaluate", str(golden / "mixed-inventory.json"), "--checks", ",")
    assert line == "auditor: error: --checks: no value given"


def test_a_json_path_is_kept(tmp_path, capsys, golden):
    config = tmp_path / "auditor.toml"
    config.write_text('fail_on = "urgent"\n')
    line = _error_line(capsys, "evaluate", str(golden / "mixed-inventory.json"), "--config",
                       str(config))
    assert line.startswith(f"auditor: error: {config}: $.fail_on: "), line


def test_located_drops_only_the_root():
    assert located("--timeout", "$", "must be a number") == "--timeout: must be a number"
    assert located("f.json", "", "file not found") == "f.json: file not found"
    assert located("f.json", "$.runs[0]", "bad") == "f.json: $.runs[0]: bad"
    error = ConfigError("m.yaml", "$.mute[1].check", "no match")
    assert str(error) == "m.yaml: $.mute[1].check: no match" and error.path == "$.mute[1].check"
    assert str(UsageError("--region", "$", "unknown")) == "--region: unknown"


@pytest.mark.parametrize("flag", ["--checks", "--exclude-checks"])
def test_an_unknown_check_flag_suggests_the_closest_ids(capsys, golden, flag):
    line = _error_line(capsys, "evaluate", str(golden / "mixed-inventory.json"), "-q",
                       flag, "bucket-versioning,kms-key-rotatoin")
    assert line.startswith(f"auditor: error: {flag}: unknown check id 'kms-key-rotatoin'; "
                           "did you mean 'kms-key-rotation'"), line


def test_an_unknown_check_in_the_config_names_file_key_and_closest_ids(tmp_path, capsys, golden):
    config = tmp_path / "auditor.toml"
    config.write_text('[checks]\ninclude = ["bucket-versioning", "bucket-tls-enforce"]\n')
    line = _error_line(capsys, "evaluate", str(golden / "mixed-inventory.json"), "-q",
                       "--config", str(config))
    assert line.startswith(f"auditor: error: {config}: $.checks.include[1]: unknown check id "
                           "'bucket-tls-enforce'; did you mean 'bucket-tls-enforced'"), line


def test_an_unknown_check_in_the_mutelist_suggests_the_closest_ids(tmp_path, capsys, golden):
    mutes = tmp_path / "mute.yaml"
    mutes.write_text("mute:\n  - check: bucket-not-publik\n    reason: a known website\n"
                     "    expires: 2099-12-31\n")
    line = _error_line(capsys, "evaluate", str(golden / "mixed-inventory.json"), "-q",
                       "--mutelist", str(mutes))
    assert line.startswith(f"auditor: error: {mutes}: $.mute[0].check: 'bucket-not-publik' "
                           "matches no selected check; did you mean 'bucket-not-public'"), line


def test_checks_show_suggests_the_closest_ids(capsys):
    line = _error_line(capsys, "checks", "show", "bucket-versionin")
    assert line.startswith("auditor: error: checks show: unknown check id 'bucket-versionin'; "
                           "did you mean 'bucket-versioning'"), line


def test_nothing_close_suggests_nothing(capsys, golden):
    line = _error_line(capsys, "evaluate", str(golden / "mixed-inventory.json"), "-q",
                       "--checks", "zzzzzzzz")
    assert line == "auditor: error: --checks: unknown check id 'zzzzzzzz'"
