"""docs/configuration.md stays true: its example config and mutelist load, its table names
every key of the schema, and its error lines are the ones the loader gives."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.errors import ConfigError
from auditor.mutelist import load_mutelist
from auditor.schema import load_schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
TEXT = DOC.read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", TEXT, flags=re.S)


def test_the_example_config_loads(tmp_path):
    (example,) = _blocks("toml")
    path = tmp_path / "auditor.toml"
    path.write_text(example)
    config = load_config(path)
    assert config["aws"]["role_name"] == "AuditRole" and config["gcp"]["all_projects"] is True
    assert config["output_dir"] == str(tmp_path.resolve() / "reports")


def test_the_example_mutelist_loads(tmp_path):
    (example,) = _blocks("yaml")
    path = tmp_path / "mutelist.yaml"
    path.write_text(example)
    rules = load_mutelist(path)
    assert [dict(r.tags) for r in rules if r.tags] == [{"data-class": "scratch",
                                                         "owner": "data-*"}]


def test_the_key_table_names_every_key_of_the_schema():
    schema = load_schema("config")["properties"]
    for key, spec in schema.items():
        if "properties" in spec and key != "params":
            for inner in spec["properties"]:
                assert f"`[{key}] {inner}`" in TEXT, (key, inner)
        else:
            assert f"| `{key}` |" in TEXT or f"`[{key}" in TEXT, key


@pytest.mark.parametrize("text", [
    '[aws]\nregoin = ["x"]\n', '[aws]\nregion = ["eu-wset-1"]\n', "[awz]\n",
    "[history]\nkeep = 0\n"])
def test_the_error_lines_shown_are_the_loader_s(tmp_path, text):
    path = tmp_path / "auditor.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    shown = str(info.value).replace(str(path), "auditor.toml")
    assert f"auditor: error: {shown}\n" in TEXT
