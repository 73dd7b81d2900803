"""Fuzzing the config loader: any TOML document made of the real keys (and wrong ones), with
values of every TOML type, either loads or is one ConfigError naming the file and a JSON
path; never another exception, never a traceback."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.config import load_config
from auditor.config_schema import config_schema
from auditor.errors import ConfigError
from auditor.providers.base import ProviderRegistry

REGISTRY = ProviderRegistry.from_entry_points()
SCHEMA = config_schema(REGISTRY)
TOP_KEYS = sorted(SCHEMA["properties"])
INNER_KEYS = sorted({k for spec in SCHEMA["properties"].values()
                     for k in spec.get("properties", {})})

# JSON text of these is TOML text too (strings, integers, booleans, arrays of one type); TOML
# has no escape for a lone surrogate, so the text has none
TEXT = st.characters(exclude_categories=("Cs",))
SCALARS = st.one_of(st.text(TEXT, max_size=12), st.integers(-3, 300), st.booleans(),
                    st.sampled_from(["eu-west-1", "high", "json", "acme-a", "0", "..", "/"]))
VALUES = st.one_of(SCALARS, st.lists(st.text(TEXT, max_size=8), max_size=3),
                   st.lists(st.integers(0, 9), max_size=3))
KEYS_TOP = st.one_of(st.sampled_from(TOP_KEYS), st.text(TEXT, min_size=1, max_size=8))
KEYS_INNER = st.one_of(st.sampled_from(INNER_KEYS), st.text(TEXT, min_size=1, max_size=8))


def _toml(value: object) -> str:
    """JSON text, non-ASCII left raw (JSON's surrogate pairs are not TOML) and DEL escaped
    (JSON leaves it raw, TOML refuses it)."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _line(key: str, value: object) -> str:
    return f"{_toml(key)} = {_toml(value)}\n"


@st.composite
def documents(draw) -> str:
    scalars = draw(st.dictionaries(KEYS_TOP, VALUES, max_size=4))
    tables = draw(st.dictionaries(KEYS_TOP, st.dictionaries(KEYS_INNER, VALUES, max_size=4),
                                  max_size=3))
    text = "".join(_line(k, v) for k, v in scalars.items())
    for name, body in tables.items():
        if name in scalars:
            continue  # a key defined twice is a TOML error, tested apart
        text += f"[{_toml(name)}]\n" + "".join(_line(k, v) for k, v in body.items())
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_any_document_loads_or_is_one_config_error(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "auditor.toml"
        path.write_text(text, encoding="utf-8")
        try:
            config = load_config(path)
        except ConfigError as exc:
            assert exc.source == str(path)
            assert exc.path.startswith("$")
            assert len(str(exc).splitlines()) == 1
            return
        assert isinstance(config, dict)
        assert set(config) <= set(TOP_KEYS)
