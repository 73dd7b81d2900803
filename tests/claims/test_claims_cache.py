"""Claim files are validated once per content (auditor.claims via provider_data_cache): a
file that passed is remembered by digest and read by the C loader afterwards; a broken file
is never remembered and is refused with its one-line error every time; any change of its
bytes is a miss; the name check and the fact lint still run on a remembered file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from auditor import checks_cache, provider_data_cache
from auditor.claims import load_claim_file
from auditor.errors import ClaimDefinitionError

GOOD = {"id": "x-one", "topic": "hsm", "safeguard": "key_custody", "scope": "always",
        "promise": "Keys live in validated hardware modules.", "ccm": ["CEK-10"],
        "source": {"url": "https://docs.example.org/a", "read": "2026-12-03"},
        "verification": {"method": "api", "facts": ["kms.key:key_custody.hsm"],
                         "checks": ["kms-key-hsm"]}}


@pytest.fixture
def cache_file(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(checks_cache.ENV_SWITCH, raising=False)
    provider_data_cache.forget()
    yield tmp_path / "xdg" / "safeguard-auditor" / provider_data_cache.FILE_NAME
    provider_data_cache.forget()


def stored(cache_file: Path) -> list[str]:
    if not cache_file.exists():
        return []
    return [d for ds in json.loads(cache_file.read_text())["keys"].values() for d in ds]


def write(directory: Path, name: str, claims: list[dict], provider: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"provider": provider or name, "claims": claims}),
                    encoding="utf-8")
    return path


def test_a_valid_file_is_remembered_once_and_reads_the_same(tmp_path, cache_file):
    path = write(tmp_path / "c", "xcloud", [GOOD])
    first = load_claim_file(path)
    assert len(stored(cache_file)) == 1
    provider_data_cache.forget()  # a new process: read from the cache file
    again = load_claim_file(path)
    assert again == first and again[0].ccm == ("CEK-10",) and again[0].read == "2026-12-03"
    assert len(stored(cache_file)) == 1


def test_a_broken_file_is_never_remembered_and_refused_each_time(tmp_path, cache_file):
    path = write(tmp_path / "c", "xcloud", [{**GOOD, "scope": "sometimes"}])
    for _ in range(2):
        with pytest.raises(ClaimDefinitionError, match=r"\$\.claims\[0\]\.scope") as err:
            load_claim_file(path)
        assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)
        provider_data_cache.forget()
    assert stored(cache_file) == []


def test_a_changed_file_is_a_miss_and_validated_again(tmp_path, cache_file):
    path = write(tmp_path / "c", "xcloud", [GOOD])
    load_claim_file(path)
    write(tmp_path / "c", "xcloud", [{**GOOD, "ccm": ["CEK-3"]}])
    with pytest.raises(ClaimDefinitionError, match=r"\$\.claims\[0\]\.ccm\[0\]"):
        load_claim_file(path)
    assert len(stored(cache_file)) == 1


def test_a_remembered_content_under_another_name_is_still_refused(tmp_path, cache_file):
    load_claim_file(write(tmp_path / "a", "xcloud", [GOOD]))
    moved = tmp_path / "b" / "gcp.yaml"
    moved.parent.mkdir()
    moved.write_bytes((tmp_path / "a" / "xcloud.yaml").read_bytes())
    with pytest.raises(ClaimDefinitionError, match=r"must match the file name 'gcp\.yaml'"):
        load_claim_file(moved)


def test_switched_off_nothing_is_written_and_the_file_still_loads(tmp_path, cache_file,
                                                                 monkeypatch):
    monkeypatch.setenv(checks_cache.ENV_SWITCH, "off")
    claims = load_claim_file(write(tmp_path / "c", "xcloud", [GOOD]))
    assert [c.id for c in claims] == ["x-one"] and not cache_file.exists()
