"""The validated-checks cache (auditor.checks_cache) changes nothing but the time: the same
checks as validating every file, invalidated by content, never trusted for --checks-dir,
and harmless when missing, corrupt or unwritable."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

from auditor import checks as checks_module
from auditor import checks_cache
from auditor._data_dirs import data_dir
from auditor.checks import compile_check, load_checks
from auditor.cli import main
from auditor.errors import CheckDefinitionError
from auditor.provider_checks import registered_files


@pytest.fixture
def cache_home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(checks_cache.ENV_SWITCH, raising=False)
    return tmp_path / "xdg" / "safeguard-auditor" / "checks.json"


@pytest.fixture
def own_shipped(tmp_path, monkeypatch) -> Path:
    """A copy of the shipped checks that load_checks reads as the shipped ones."""
    copy = tmp_path / "shipped"
    shutil.copytree(data_dir("checks"), copy)
    real = checks_module.data_dir
    monkeypatch.setattr(checks_module, "data_dir",
                        lambda name: copy if name == "checks" else real(name))
    return copy


def uncached(monkeypatch, *args):
    monkeypatch.setenv(checks_cache.ENV_SWITCH, "off")
    try:
        return load_checks(*args)
    finally:
        monkeypatch.delenv(checks_cache.ENV_SWITCH)


def assert_same(got, want):
    assert got == want
    for a, b in zip(got, want, strict=True):
        assert checks_cache.identical(a.to_cache(), b.to_cache())
        assert type(a.reads) is tuple and type(a.context) is tuple
        assert compile_check(a).summary == compile_check(b).summary
        assert compile_check(a).validator.schema == compile_check(b).validator.schema


def test_a_hit_gives_the_checks_validation_gives(cache_home, monkeypatch):
    want = uncached(monkeypatch)
    assert not cache_home.exists()  # switched off: neither read nor written
    first = load_checks()  # a miss: validated, then written
    assert cache_home.is_file()
    stored = json.loads(cache_home.read_text())
    second = load_checks()  # a hit
    assert_same(first, want)
    assert_same(second, want)
    assert json.loads(cache_home.read_text()) == stored


def test_the_hit_comes_from_the_file(cache_home, monkeypatch):
    load_checks()
    document = json.loads(cache_home.read_text())
    document["checks"][0]["title"] = "from the cache"
    cache_home.write_text(json.dumps(document))
    assert load_checks()[0].title == "from the cache"  # what the key vouches for is read


def test_a_changed_check_file_is_a_miss_and_validated_again(cache_home, own_shipped,
                                                            monkeypatch):
    load_checks()
    target = sorted(own_shipped.glob("*.yaml"))[0]
    text = target.read_text()
    target.write_text(text.replace("title:", "title: Changed", 1))
    changed = load_checks()
    assert_same(changed, uncached(monkeypatch))
    assert changed[0].title.startswith("Changed")
    target.write_text(text.replace("severity:", "severity: nope #", 1))
    with pytest.raises(CheckDefinitionError) as cached_error:
        load_checks()
    with pytest.raises(CheckDefinitionError) as plain_error:
        uncached(monkeypatch)
    assert str(cached_error.value) == str(plain_error.value)
    assert str(target) in str(cached_error.value)


def test_a_new_or_removed_check_file_is_a_miss(cache_home, own_shipped, monkeypatch):
    before = load_checks()
    # One no provider's checks.yaml names (removing one it names is refused: no such id).
    named = {check_id for path in registered_files().values()
             for check_id in yaml.safe_load(path.read_text())["checks"]}
    removed = [p for p in sorted(own_shipped.glob("*.yaml")) if p.stem not in named][-1]
    removed.unlink()
    assert_same(load_checks(), uncached(monkeypatch))
    assert len(load_checks()) == len(before) - 1


def test_a_changed_provider_file_is_a_miss(cache_home, tmp_path, monkeypatch):
    # A provider of our own (no shipped one keeps a checks.yaml today) adds remediation.
    provider_file = tmp_path / "checks.yaml"
    provider_file.write_text("checks:\n  bucket-versioning:\n    remediation: Turn it on.\n")
    files = {"zeta": provider_file}
    first = load_checks(provider_files=files)
    assert {c.id: c for c in first}["bucket-versioning"].remediation["zeta"] == "Turn it on."
    assert_same(load_checks(provider_files=files), uncached(monkeypatch, (), files))
    provider_file.write_text("checks:\n  bucket-versioning:\n    remediation: Enable it.\n")
    changed = load_checks(provider_files=files)
    assert {c.id: c for c in changed}["bucket-versioning"].remediation["zeta"] == "Enable it."
    provider_file.write_text(provider_file.read_text() + "  no-such-check: {remediation: Do it now.}\n")
    with pytest.raises(CheckDefinitionError, match="no-such-check"):
        load_checks(provider_files=files)
    assert_same(load_checks(), uncached(monkeypatch))  # the registered ones: their own key


@pytest.mark.parametrize("content", ["not json", "[]", '{"key": "other", "checks": []}',
                                     '{"checks": [{"id": 1}]}'])
def test_a_corrupt_or_foreign_cache_file_is_a_miss(cache_home, monkeypatch, content):
    want = uncached(monkeypatch)
    cache_home.parent.mkdir(parents=True)
    cache_home.write_text(content)
    assert_same(load_checks(), want)
    assert json.loads(cache_home.read_text())["checks"]  # replaced by a good one


def test_a_right_key_with_entries_of_the_wrong_shape_is_a_miss(cache_home, monkeypatch):
    want = uncached(monkeypatch)
    load_checks()
    document = json.loads(cache_home.read_text())
    document["checks"] = [{"id": "x"}]
    cache_home.write_text(json.dumps(document))
    assert_same(load_checks(), want)


def test_an_unwritable_cache_folder_changes_nothing(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file: no folder can be made in it
    want = uncached(monkeypatch)
    assert_same(load_checks(), want)
    assert_same(load_checks(), want)


def test_a_relative_xdg_cache_home_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert checks_cache.cache_file() == tmp_path / ".cache" / "safeguard-auditor" / "checks.json"


def test_user_checks_are_always_validated_and_never_cached(cache_home, tmp_path, monkeypatch):
    load_checks()
    stored = cache_home.read_text()
    own = tmp_path / "own"
    own.mkdir()
    good = sorted(data_dir("checks").glob("*.yaml"))[0].read_text()
    (own / "mine.yaml").write_text(good.replace("id: ", "id: mine-", 1))
    mine = load_checks([own])
    assert "mine-" in {c.id[:5] for c in mine}
    assert cache_home.read_text() == stored
    (own / "mine.yaml").write_text(good.replace("id: ", "id: mine-", 1)
                                   .replace("severity:", "severity: nope #", 1))
    with pytest.raises(CheckDefinitionError) as cached_error:
        load_checks([own])
    with pytest.raises(CheckDefinitionError) as plain_error:
        uncached(monkeypatch, [own])
    assert str(cached_error.value) == str(plain_error.value)
    assert cache_home.read_text() == stored


def test_write_refuses_what_json_would_not_give_back(cache_home):
    assert checks_cache.write("k", [{"a": 1.0, "b": [True, 1, None]}])
    assert checks_cache.read("k") == [{"a": 1.0, "b": [True, 1, None]}]
    assert not checks_cache.write("k", [{"when": dt.date(2024, 1, 1)}])
    assert not checks_cache.write("k", [{"schema": {1: "int key"}}])
    assert not checks_cache.write("k", [{"schema": (1, 2)}])
    assert not checks_cache.write("k", [{"x": float("nan")}])
    assert checks_cache.read("k") == [{"a": 1.0, "b": [True, 1, None]}]  # left as it was


def test_identical_tells_types_apart():
    assert checks_cache.identical({"a": [1, "x"]}, {"a": [1, "x"]})
    assert not checks_cache.identical(1, 1.0)
    assert not checks_cache.identical(1, True)
    assert not checks_cache.identical({"a": 1, "b": 2}, {"b": 2, "a": 1})  # order kept too
    assert not checks_cache.identical([1], (1,))


@pytest.mark.parametrize("argv", [["checks", "list"], ["checks", "show", "bucket-versioning"]])
def test_the_cli_prints_the_same_cold_warm_and_off(cache_home, monkeypatch, capsys, argv):
    outputs = []
    for switch in ("off", "", ""):  # off, then a miss that writes, then a hit
        monkeypatch.setenv(checks_cache.ENV_SWITCH, switch)
        assert main(argv) == 0
        outputs.append(capsys.readouterr())
    assert outputs[0] == outputs[1] == outputs[2]
    assert cache_home.is_file()
