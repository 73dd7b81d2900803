"""Every input file is bounded: hostile shapes fail in one line, exit 2, within a second."""

from __future__ import annotations

import os
import time

import pytest

DEEP = 100_000


def _inventory_deep_json() -> str:
    return "[" * DEEP + "]" * DEEP


def _huge_int_json() -> str:
    return '{"schema_version": "1.0", "runs": [], "resources": [], "x": ' + "9" * 5000 + "}"


def _nested_ok_json_but_too_deep() -> str:
    # within json's recursion limit, beyond what any of our documents needs
    return '{"schema_version": "1.0", "runs": [], "resources": [], "x": ' + "[" * 500 \
        + "]" * 500 + "}"


ALIAS_BOMB = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]"
       for i in range(8)]
    + ["mute: []"])

CASES = {
    # name: (command builder, file content or None for a special file, expected reason)
    "deep json inventory": ("evaluate", _inventory_deep_json(), "nested deeper"),
    "5000-digit integer in inventory": ("evaluate", _huge_int_json(), "not valid JSON"),
    "500-deep inventory": ("evaluate", _nested_ok_json_but_too_deep(), "nested deeper"),
    "deep toml config": ("config", "a = " + "[" * DEEP + "]" * DEEP + "\n", "nested deeper"),
    "5000-digit integer in toml": ("config", "max_workers = " + "9" * 5000 + "\n",
                                   "not valid TOML"),
    "deep yaml mutelist": ("mutelist", "mute: " + "[" * DEEP + "]" * DEEP + "\n",
                           "nested deeper"),
    "yaml alias bomb": ("mutelist", ALIAS_BOMB, "YAML aliases"),
    "yaml alias flood": ("mutelist", "a: &a x\nb: [" + ", ".join(["*a"] * 500) + "]\nmute: []\n",
                         "YAML aliases"),
    "5000-digit integer in yaml": ("mutelist", "mute: [" + "9" * 5000 + "]\n",
                                   "not valid YAML"),
}


def _argv(kind: str, path: str, inventory: str) -> list[str]:
    if kind == "evaluate":
        return ["evaluate", path]
    if kind == "config":
        return ["evaluate", inventory, "--config", path]
    return ["evaluate", inventory, "--mutelist", path]


@pytest.fixture
def empty_inventory(tmp_path):
    path = tmp_path / "inventory.json"
    path.write_text('{"schema_version": "1.0", "runs": [], "resources": []}')
    return str(path)


def _assert_one_line_error(done, path: str, reason: str, elapsed: float) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr[:500]
    assert "Traceback" not in done.stderr
    assert path in done.stderr and reason in done.stderr, done.stderr[:500]
    assert elapsed < 5  # generous for a loaded CI machine; the bound itself is sub-second


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_file_is_one_line_exit_2(name, auditor, tmp_path, empty_inventory):
    kind, content, reason = CASES[name]
    path = tmp_path / "input"
    path.write_text(content)
    out = tmp_path / "out"
    started = time.monotonic()
    done = auditor(*_argv(kind, str(path), empty_inventory), "-f", "json", "-o", str(out))
    _assert_one_line_error(done, str(path), reason, time.monotonic() - started)
    assert not out.exists()


@pytest.mark.parametrize("kind", ["evaluate", "config", "mutelist"])
def test_special_files_are_refused_without_reading(kind, auditor, tmp_path, empty_inventory):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (str(fifo), "/dev/zero"):
        started = time.monotonic()
        done = auditor(*_argv(kind, path, empty_inventory), timeout=20)
        _assert_one_line_error(done, path, "not a regular file", time.monotonic() - started)


def test_size_limit_is_checked_before_reading(tmp_path):
    from auditor.documents import read_text
    from auditor.errors import ConfigError

    path = tmp_path / "big.yaml"
    with open(path, "wb") as fh:
        fh.truncate(64 * 1024 * 1024)  # sparse: costs no disk
    with pytest.raises(ConfigError, match="MiB limit"):
        read_text(path, ConfigError)


def test_a_few_aliases_are_still_fine(tmp_path):
    from auditor.documents import parse_yaml
    from auditor.errors import ConfigError

    doc = parse_yaml("base: &b {reason: r}\nmute: [*b, *b]\n", "m.yaml", ConfigError)
    assert doc["mute"] == [{"reason": "r"}, {"reason": "r"}]
