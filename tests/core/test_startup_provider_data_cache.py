"""The provider data cache (auditor.provider_data_cache) changes nothing but the time: an
adapter or data file that passed validation is not validated again while its content, the
schemas, the libraries and the validating code are unchanged; a change is a miss; a broken
one is refused every time; a corrupt cache file, or the cache switched off, means validating."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
import yaml
from test_fourth_provider import PACKAGE, forget, write_package

from auditor import checks_cache, provider_data, provider_data_cache
from auditor.cli import main
from auditor.errors import PluginError
from auditor.providers.aws import AwsAdapter
from auditor.providers.base import ProviderRegistry


@pytest.fixture
def cache_home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(checks_cache.ENV_SWITCH, raising=False)
    provider_data_cache.forget()
    yield tmp_path / "xdg" / "safeguard-auditor" / provider_data_cache.FILE_NAME
    provider_data_cache.forget()


@pytest.fixture
def toy(tmp_path, monkeypatch, cache_home) -> Path:
    """The fourth-provider test's toy adapter package, importable, with valid data files."""
    root = write_package(tmp_path / "site", None)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    forget()
    yield root
    forget()


def toy_registry() -> ProviderRegistry:
    registry = ProviderRegistry()
    registry.register("azure", lambda: importlib.import_module(PACKAGE).AzureAdapter)
    return registry


def stored(cache_home: Path) -> list[str]:
    """Every digest the cache file holds, under whichever key."""
    keys = json.loads(cache_home.read_text())["keys"]
    return [d for digests in keys.values() for d in digests]


class Counting:
    """A validation step that counts its runs and may fail."""

    def __init__(self, error: str | None = None) -> None:
        self.runs, self.error = 0, error

    def __call__(self) -> None:
        self.runs += 1
        if self.error:
            raise PluginError(self.error)


def test_a_pass_is_remembered_across_processes(cache_home):
    step = Counting()
    provider_data.validate_once(AwsAdapter(), "aws", step)
    provider_data.validate_once(AwsAdapter(), "aws", step)
    assert step.runs == 1
    assert cache_home.is_file()
    provider_data_cache.forget()  # as a new process: only the file is left
    provider_data.validate_once(AwsAdapter(), "aws", step)
    assert step.runs == 1
    provider_data.validate_once(AwsAdapter(), "other-name", step)  # another outcome
    assert step.runs == 2


def test_a_failure_is_never_remembered(cache_home):
    step = Counting("provider 'aws': broken")
    for _ in range(2):
        with pytest.raises(PluginError, match="broken"):
            provider_data.validate_once(AwsAdapter(), "aws", step)
    assert step.runs == 2
    assert not cache_home.exists()


def test_a_changed_data_file_is_validated_again_and_a_broken_one_refused(toy, cache_home):
    assert toy_registry().get("azure").title == "Microsoft Azure (toy)"  # validated: a miss
    before = stored(cache_home)
    assert any(d.startswith("adapter:") for d in before)
    assert toy_registry().get("azure")  # a hit: same content
    assert stored(cache_home) == before
    exposure = toy / "exposure.yaml"
    document = yaml.safe_load(exposure.read_text())
    document["storage.bucket"]["encryption.enabled"] = {"level": "sometimes"}
    exposure.write_text(yaml.safe_dump(document))
    provider_data_cache.forget()
    for _ in range(2):  # refused each time it is used, cache or not
        with pytest.raises(PluginError) as refused:
            toy_registry().get("azure")
        assert str(refused.value).startswith(f"{exposure}: $.storage.bucket")
        assert "\n" not in str(refused.value)
    assert stored(cache_home) == before  # nothing broken recorded


def test_a_changed_schema_or_code_is_a_miss_and_both_are_kept(cache_home, monkeypatch):
    step = Counting()
    provider_data.validate_once(AwsAdapter(), "aws", step)
    real = provider_data_cache._CODE
    other = (*real, "errors.py")  # other code: as another checkout sharing the folder
    for code, runs in ((other, 2), (real, 2), (other, 2)):  # each key's digests kept
        monkeypatch.setattr(provider_data_cache, "_CODE", code)
        provider_data_cache.forget()
        provider_data.validate_once(AwsAdapter(), "aws", step)
        assert step.runs == runs
    assert len(json.loads(cache_home.read_text())["keys"]) == 2


@pytest.mark.parametrize("garbage", ["{not json", "[]", '{"key": "old", "valid": ["x"]}',
                                     '{"format": 2, "keys": []}',
                                     '{"format": 2, "keys": {"other": "x"}}'])
def test_a_corrupt_or_foreign_cache_file_is_ignored_and_replaced(cache_home, garbage):
    cache_home.parent.mkdir(parents=True)
    cache_home.write_text(garbage)
    step = Counting()
    provider_data.validate_once(AwsAdapter(), "aws", step)
    assert step.runs == 1
    assert len(stored(cache_home)) == 1
    provider_data_cache.forget()
    provider_data.validate_once(AwsAdapter(), "aws", step)
    assert step.runs == 1


def test_switched_off_it_neither_reads_nor_writes(cache_home, monkeypatch):
    step = Counting()
    provider_data.validate_once(AwsAdapter(), "aws", step)
    stored = cache_home.read_text()
    monkeypatch.setenv(checks_cache.ENV_SWITCH, "off")
    provider_data.validate_once(AwsAdapter(), "aws", step)
    provider_data.validate_once(AwsAdapter(), "aws", step)
    assert step.runs == 3
    assert cache_home.read_text() == stored


def test_an_unwritable_cache_folder_only_means_validating(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.delenv(checks_cache.ENV_SWITCH, raising=False)
    provider_data_cache.forget()
    step = Counting()
    provider_data.validate_once(AwsAdapter(), "aws", step)
    provider_data.validate_once(AwsAdapter(), "aws", step)  # known to this process
    assert step.runs == 1
    provider_data_cache.forget()  # a new process: nothing was stored
    provider_data.validate_once(AwsAdapter(), "aws", step)
    assert step.runs == 2
    provider_data_cache.forget()


def test_a_data_file_that_fails_its_schema_is_refused_with_or_without_the_cache(
        tmp_path, cache_home, monkeypatch):
    bad = tmp_path / "regions.yaml"
    bad.write_text("schema_version: 1\nsources: {}\nregions: {x: {country: 12}}\n")
    errors = []
    for switch in ("", "", "off"):
        monkeypatch.setenv(checks_cache.ENV_SWITCH, switch)
        with pytest.raises(PluginError) as refused:
            provider_data.load_data_file(bad)
        errors.append(str(refused.value))
    assert errors[0] == errors[1] == errors[2]
    assert errors[0].startswith(f"{bad}: $.regions.x")
    assert not cache_home.exists()


def test_shipped_data_files_read_the_same_with_the_c_loader_and_without(cache_home):
    assert provider_data.yaml_loader() is (yaml.CSafeLoader if yaml.__with_libyaml__
                                           else yaml.SafeLoader)
    folder = Path(provider_data.__file__).parent / "providers"
    files = sorted(p for p in folder.glob("*/*.yaml")
                   if p.name in {**provider_data.DATA_FILES, **provider_data.OPTIONAL_DATA_FILES})
    assert len(files) >= 15
    for path in files:
        loaded = provider_data.load_data_file(path)
        assert checks_cache.identical(loaded, yaml.safe_load(path.read_text())), path
        assert checks_cache.identical(provider_data.load_data_file(path), loaded), path  # hit


@pytest.mark.parametrize("argv", [["scan", "--help"], ["scan", "aws", "--help"]])
def test_scan_help_prints_the_same_off_cold_and_warm(cache_home, monkeypatch, capsys, argv):
    outputs = []
    for switch in ("off", "", ""):  # off, then a miss that writes, then a hit
        monkeypatch.setenv(checks_cache.ENV_SWITCH, switch)
        provider_data_cache.forget()
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code == 0
        outputs.append(capsys.readouterr())
    assert outputs[0] == outputs[1] == outputs[2]
    assert "--aws-region" in outputs[0].out
    assert cache_home.is_file()
