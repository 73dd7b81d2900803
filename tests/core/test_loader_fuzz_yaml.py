"""Fuzzing the loaders of the YAML files a user gives: a mutelist (``--mutelist``) and a check
file (``--checks-dir``), with the mutations of test_loader_fuzz_documents.py (its document and
byte mutations, imported from that file) and YAML's own: tags, anchors and aliases, tabs,
unquoted dates, characters YAML refuses (NUL, a lone surrogate). Each either loads or is the
loader's one-line error (ConfigError, CheckDefinitionError) naming the file, where and the
reason. The claims are shipped data: no flag reads a user's claims file.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from auditor.checks import load_check_file, load_checks
from auditor.errors import CheckDefinitionError, ConfigError
from auditor.mutelist import load_mutelist

_SPEC = importlib.util.spec_from_file_location(
    "_loader_fuzz_shared", Path(__file__).with_name("test_loader_fuzz_documents.py"))
fuzz = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(fuzz)

MUTELIST = yaml.safe_load((fuzz.ROOT / "auditor/sandbox/demo-mutelist.yaml").read_text("utf-8"))
CHECK = yaml.safe_load((fuzz.ROOT / "checks/data-legal-reach.yaml").read_text("utf-8"))
CHECK["id"] = "my-own-check"  # a user's check: its own id
SNIPPETS = ["!!python/object/apply:os.system [id]\n", "x: !!binary '@@'\n", "\t- a\n",
            "expires: 2099-12-31\n", "a: &x [1]\nb: *x\n", "? [a]\n: b\n", "k: .nan\n",
            "%YAML 1.1\n---\n", "...\n---\nmute: []\n", "\x00\n", "\x85\n", "k: '\ufffe'\n",
            "k: 1e400\n", "&a a: *a\n", "<<: {a: 1}\n", "- [" * 200 + "\n"]


def _yaml_text(doc: Any) -> str:
    text = yaml.safe_dump(doc, allow_unicode=False, sort_keys=False, width=1_000_000)
    return text.replace(fuzz.DUP.replace("\x00", "\\0"), "")  # a key given twice


@st.composite
def yaml_files(draw, base: Any) -> bytes:
    data = draw(fuzz.files(base, _yaml_text))
    if draw(st.booleans()):
        lines = data.split(b"\n")
        at = draw(st.integers(0, len(lines)))
        snippet = draw(st.sampled_from(SNIPPETS)).encode("utf-8", "surrogatepass")
        data = b"\n".join([*lines[:at], snippet.rstrip(b"\n"), *lines[at:]])
    return data


CASES = [(MUTELIST, _yaml_text, load_mutelist, "mutelist.yaml", ConfigError),
         (CHECK, _yaml_text, load_check_file, "my-own-check.yaml", CheckDefinitionError)]


def test_the_bases_load():
    fuzz.run_bases(CASES)


@fuzz.SETTINGS
@given(yaml_files(MUTELIST))
def test_mutelist_loads_or_is_one_config_error(data: bytes):
    fuzz._loads_or_one_line(load_mutelist, data, "mutelist.yaml", ConfigError)


@fuzz.SETTINGS
@given(yaml_files(CHECK))
def test_check_file_loads_or_is_one_check_error(data: bytes):
    fuzz._loads_or_one_line(load_check_file, data, "my-own-check.yaml", CheckDefinitionError)


@pytest.mark.parametrize("text", [*fuzz.HOSTILE, "\x00", "a: \x07", "mute: null", "- 1\n- 2"])
def test_fixed_hostile_texts_are_one_error(text: str):
    for _, _, load, name, error in CASES:
        data = text.encode("utf-8", "surrogatepass")
        assert fuzz._loads_or_one_line(load, data, name, error) is None


def test_a_checks_directory_of_a_bad_file_is_one_check_error(tmp_path: Path):
    (tmp_path / "mine.yaml").write_bytes(b"id: my-own-check\ntitle: [\n")
    with pytest.raises(CheckDefinitionError) as caught:
        load_checks([tmp_path])
    assert caught.value.source == str(tmp_path / "mine.yaml")
    assert str(caught.value).startswith(f"{tmp_path / 'mine.yaml'}: line ")
    assert len(str(caught.value).splitlines()) == 1
