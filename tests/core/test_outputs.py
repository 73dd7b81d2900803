"""Output sets are written whole or not at all; unwritable places are one-line input errors."""

from __future__ import annotations

import pytest

from auditor.documents import write_all
from auditor.errors import OutputError


def test_one_bad_target_writes_nothing(tmp_path):
    (tmp_path / "b.csv").mkdir()
    with pytest.raises(OutputError, match="is a directory"):
        write_all({tmp_path / "a.json": "{}", tmp_path / "b.csv": "x", tmp_path / "c.md": "#"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.csv"]


def test_unwritable_directory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError) as info:
        write_all({blocker / "out" / "a.json": "{}"})
    assert info.value.source.startswith(str(blocker))


def test_cli_output_dir_is_a_file(auditor, golden, tmp_path):
    target = tmp_path / "afile"
    target.write_text("x")
    out = auditor("evaluate", str(golden / "mixed-inventory.json"), "-o", str(target),
                  "-f", "json,csv")
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert target.read_text() == "x"


@pytest.mark.parametrize("flag", ["--config", "--mutelist"])
def test_directory_or_binary_given_as_a_file(auditor, golden, tmp_path, flag):
    out = auditor("evaluate", str(golden / "mixed-inventory.json"), flag, str(tmp_path))
    assert out.returncode == 2 and "is a directory" in out.stderr
    binary = tmp_path / "bin"
    binary.write_bytes(b"\xff\xfe\x00bad")
    out = auditor("evaluate", str(golden / "mixed-inventory.json"), flag, str(binary))
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1


def test_repeated_provider_and_empty_checks_are_usage_errors(auditor, golden):
    out = auditor("scan", "gcp", "gcp", "--project", "p")
    assert out.returncode == 2 and "named more than once" in out.stderr
    out = auditor("evaluate", str(golden / "mixed-inventory.json"), "--checks", ",")
    assert out.returncode == 2 and "--checks: no value given" in out.stderr


def test_mutelist_typo_is_reported(auditor, golden, tmp_path):
    mute = tmp_path / "mute.yaml"
    mute.write_text("mute:\n  - check: bucket-not-publc\n    reason: typo here\n"
                    "    expires: 2099-01-01\n")
    out = auditor("evaluate", str(golden / "mixed-inventory.json"), "--mutelist", str(mute))
    assert out.returncode == 2
    assert "$.mute[0].check: 'bucket-not-publc' matches no selected check" in out.stderr


def test_config_params_survive_a_narrow_selection(auditor, golden, tmp_path):
    config = tmp_path / "auditor.toml"
    config.write_text('[params."*"]\nallowed_jurisdictions = ["EU"]\n'
                      "[params.bucket-key-rotation]\nmax_rotation_days = 90\n")
    out = auditor("evaluate", str(golden / "mixed-inventory.json"), "--config", str(config),
                  "--checks", "bucket-versioning", "-q")
    assert out.returncode in (0, 1, 3), out.stderr


def test_a_bug_of_ours_is_exit_4_one_line_and_writes_nothing(golden, tmp_path, monkeypatch,
                                                            capsys):
    """A renderer that raises is an internal error: never exit 1 (a FAIL), no partial set."""
    from auditor import cli
    from auditor.reports import sarif

    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(sarif, "write", broken)  # what the file writer calls
    out = tmp_path / "out"
    code = cli.main(["evaluate", str(golden / "mixed-inventory.json"), "-o", str(out),
                     "-f", "json,csv,sarif", "--fail-on", "low"])
    err = capsys.readouterr().err
    assert code == 4
    lines = [line for line in err.splitlines() if line.startswith("auditor: internal error")]
    assert len(lines) == 1 and "ZeroDivisionError" in lines[0], err
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())
