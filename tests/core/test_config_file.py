"""auditor.toml holds the whole job: provider tables generated from the registry, option values
checked like flags, unknown keys named with path and suggestion, paths taken against the
config's folder, and every flag overriding its key (scalar, list and switch)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor._provider_flags import chosen_providers, provider_options
from auditor.cli import build_parser
from auditor.config import CONFIG_ENV, config_file, load_config
from auditor.config_schema import config_schema
from auditor.errors import ConfigError, UsageError
from auditor.providers.base import ProviderOption, ProviderRegistry
from auditor.providers.gcp import GcpAdapter


@pytest.fixture
def no_option_env(monkeypatch):
    """Option values come from flags and config here, not from the caller's environment."""
    registry = ProviderRegistry.from_entry_points()
    for name in registry.names():
        for opt in registry.get(name).options:
            if opt.env:
                monkeypatch.delenv(opt.env, raising=False)
    monkeypatch.delenv(CONFIG_ENV, raising=False)


def _config(tmp_path: Path, text: str, name: str = "auditor.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _resolved(argv: list[str], config: dict) -> tuple[list[str], dict]:
    args = build_parser(argv).parse_args(argv)
    registry = ProviderRegistry.from_entry_points()
    providers = chosen_providers(args.providers, registry, config.get("providers", ()))
    return providers, provider_options(args, registry, providers, config)


def test_generated_schema_has_every_registered_option_with_its_type():
    registry = ProviderRegistry.from_entry_points()
    props = config_schema(registry)["properties"]
    assert props["providers"]["items"] == {"enum": registry.names()}
    for name in registry.names():
        table = props[name]
        assert table["additionalProperties"] is False
        options = registry.get(name).options
        assert set(table["properties"]) == {o.name for o in options}
        for opt in options:
            spec = table["properties"][opt.name]
            expected = "boolean" if opt.flag else "array" if opt.multiple else "string"
            assert spec["type"] == expected, (name, opt.name)


class _ToyGcp(GcpAdapter):
    """The real GCP adapter under another name, with options no built-in adapter has: what a
    plugin (or an option added tomorrow) looks like to the generator."""

    name = "toycloud"
    title = "Toy Cloud"
    options = (ProviderOption("tenant", "tenant to scan", multiple=True),
               ProviderOption("everything", "scan every tenant", flag=True),
               ProviderOption("zone", "one zone", check=lambda v: v.lower()))


def _toy_registry() -> ProviderRegistry:
    registry = ProviderRegistry()
    registry.register("toycloud", _ToyGcp)
    return registry


def test_a_plugin_s_options_are_in_the_schema_and_validated(tmp_path):
    registry = _toy_registry()
    table = config_schema(registry)["properties"]["toycloud"]["properties"]
    assert (table["tenant"]["type"], table["everything"]["type"], table["zone"]["type"]) == (
        "array", "boolean", "string")
    good = _config(tmp_path, '[toycloud]\ntenant = ["a"]\neverything = true\nzone = "EU-1"\n')
    assert load_config(good, registry)["toycloud"] == {
        "tenant": ["a"], "everything": True, "zone": "eu-1"}  # zone passed its own check
    bad = _config(tmp_path, '[toycloud]\neverything = "yes"\n', "bad.toml")
    with pytest.raises(ConfigError) as info:
        load_config(bad, registry)
    assert (info.value.path, info.value.source) == ("$.toycloud.everything", str(bad))


def test_auditor_schema_config_prints_the_generated_schema(auditor):
    out = auditor("schema", "config")
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)
    assert printed == json.loads(json.dumps(config_schema(ProviderRegistry.from_entry_points())))
    assert "region" in printed["properties"]["aws"]["properties"]
    assert printed["properties"]["history"]["properties"]["keep"]["minimum"] == 1


# (config text, JSON path, words of the reason)
BAD = [
    ('[aws]\nregoin = ["eu-west-1"]\n', "$.aws.regoin", "unknown aws option 'regoin'; did you "
                                                          "mean 'region'?"),
    ('[awz]\nregion = ["eu-west-1"]\n', "$.awz", "did you mean 'aws'?"),
    ('[aws]\nregion = ["eu-wset-1"]\n', "$.aws.region[0]", "unknown aws region 'eu-wset-1'"),
    ('[aws]\nregion = "eu-west-1"\n', "$.aws.region", "array"),
    ('[gcp]\nall_projects = "yes"\n', "$.gcp.all_projects", "boolean"),
    ('[gcp]\nproject = ["ok", 3]\n', "$.gcp.project[1]", "string"),
    ('providers = ["aws", "azure"]\n', "$.providers[1]", "azure"),
    ("providers = []\n", "$.providers", "non-empty"),
    ("max_accounts = 0\n", "$.max_accounts", "minimum"),
    ("[history]\nkeep = 0\n", "$.history.keep", "minimum"),
    ("[history]\nkep = 3\n", "$.history.kep", "did you mean 'keep'?"),
    ('[history]\nenabled = "no"\n', "$.history.enabled", "boolean"),
    ("[history]\nkeep_days = 1.5\n", "$.history.keep_days", "integer"),
]


@pytest.mark.parametrize("text, where, words", BAD, ids=[b[1] for b in BAD])
def test_bad_config_is_one_error_with_file_path_and_reason(tmp_path, text, where, words):
    path = _config(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert (info.value.source, info.value.path) == (str(path), where)
    assert words in info.value.reason
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("command", [["evaluate", "GOLDEN"], ["scan"], ["collect", "gcp"]])
def test_bad_config_through_the_cli_exits_2_in_one_line(auditor, golden, tmp_path, command):
    path = _config(tmp_path, 'providers = ["gcp"]\n[aws]\nregoin = ["eu-west-1"]\n')
    argv = [str(golden / "mixed-inventory.json") if a == "GOLDEN" else a for a in command]
    out = auditor(*argv, "--config", str(path))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"auditor: error: {path}: $.aws.regoin: unknown aws option 'regoin'; "
        "did you mean 'region'?"]


def test_relative_paths_are_taken_against_the_config_folder(tmp_path, monkeypatch):
    folder = tmp_path / "job"
    folder.mkdir()
    path = _config(folder, 'mutelist = "mute.yaml"\noutput_dir = "out"\n'
                           '[checks]\ndirs = ["mine", "/abs/checks"]\n'
                           '[history]\npath = "db/history.sqlite"\n')
    monkeypatch.chdir(tmp_path)  # the working folder is not the config's
    config = load_config(Path("job") / "auditor.toml")
    assert config["mutelist"] == str(folder.resolve() / "mute.yaml")
    assert config["output_dir"] == str(folder.resolve() / "out")
    assert config["checks"]["dirs"] == [str(folder.resolve() / "mine"), "/abs/checks"]
    assert config["history"]["path"] == str(folder.resolve() / "db" / "history.sqlite")
    assert path.exists()


def test_config_file_is_named_explicitly(tmp_path, monkeypatch):
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    _config(tmp_path, 'fail_on = "low"\n')  # ./auditor.toml is never read on its own
    assert config_file(None) is None and load_config(None) == {}
    other = _config(tmp_path, 'fail_on = "critical"\n', "nightly.toml")
    monkeypatch.setenv(CONFIG_ENV, str(other))
    assert config_file(None) == str(other)
    assert load_config(None)["fail_on"] == "critical"
    assert config_file("given.toml") == "given.toml"  # --config wins over the environment


def test_providers_come_from_the_config_when_none_is_named(no_option_env):
    assert _resolved(["scan"], {"providers": ["gcp", "aws"]})[0] == ["gcp", "aws"]
    assert _resolved(["scan", "aws"], {"providers": ["gcp"]})[0] == ["aws"]  # the word wins
    with pytest.raises(UsageError) as info:
        _resolved(["scan"], {})
    assert info.value.source == "PROVIDER" and "providers = [...]" in info.value.reason


def test_a_scalar_flag_replaces_the_config_value_which_beats_the_env(no_option_env,
                                                                      monkeypatch):
    config = {"gcp": {"gcs_endpoint": "http://127.0.0.1:1", "credentials_file": "a.json"}}
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")
    _, options = _resolved(["scan", "gcp"], config)
    assert options["gcp"]["gcs_endpoint"] == "http://127.0.0.1:1"
    assert options["gcp"]["credentials_file"] == "a.json"
    _, options = _resolved(["scan", "gcp", "--gcp-gcs-endpoint", "http://127.0.0.1:2",
                            "--credentials-file", "b.json"], config)
    assert options["gcp"]["gcs_endpoint"] == "http://127.0.0.1:2"
    assert options["gcp"]["credentials_file"] == "b.json"
    _, options = _resolved(["scan", "gcp"], {})
    assert options["gcp"]["gcs_endpoint"] == "http://127.0.0.1:9"  # no key: the env


def test_a_list_flag_replaces_the_config_list_whole(no_option_env):
    config = {"gcp": {"project": ["acme-a", "acme-b"]}, "aws": {"region": ["eu-west-1"]}}
    _, options = _resolved(["scan", "gcp", "aws"], config)
    assert options["gcp"]["project"] == ["acme-a", "acme-b"]
    assert options["aws"]["region"] == ["eu-west-1"]
    _, options = _resolved(["scan", "gcp", "aws", "--project", "acme-c",
                            "--aws-region", "us-east-1"], config)
    assert options["gcp"]["project"] == ["acme-c"]
    assert options["aws"]["region"] == ["us-east-1"]


def test_a_switch_flag_turns_on_what_the_config_left_off(no_option_env):
    assert _resolved(["scan", "gcp"], {"gcp": {"all_projects": False}})[1]["gcp"][
        "all_projects"] is None
    assert _resolved(["scan", "gcp"], {"gcp": {"all_projects": True}})[1]["gcp"][
        "all_projects"] is True
    assert _resolved(["scan", "gcp", "--all-projects"], {"gcp": {"all_projects": False}})[1][
        "gcp"]["all_projects"] is True
    assert _resolved(["scan", "gcp"], {})[1]["gcp"]["all_projects"] is None


def test_a_table_of_a_provider_not_chosen_is_validated_but_not_used(no_option_env, tmp_path):
    config = load_config(_config(tmp_path, '[aws]\nregion = ["eu-west-1"]\n'
                                           '[gcp]\nproject = ["acme-a"]\n'))
    providers, options = _resolved(["scan", "gcp"], config)
    assert providers == ["gcp"] and set(options) == {"gcp"}
    assert options["gcp"]["project"] == ["acme-a"]
