"""Lint over every shipped check, as Cloud Custodian lints every registered plugin."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from auditor._data_dirs import data_dir
from auditor.checks import compile_check, load_check_file, load_checks, resolve_params
from auditor.errors import CheckDefinitionError
from auditor.provider_checks import missing_remediation
from auditor.providers.base import ProviderRegistry
from auditor.schema import fact_catalog, validator

CHECK_FILES = sorted(data_dir("checks").glob("*.yaml"))
# Every adapter of the auditor.providers entry points, whatever its name.
PROVIDERS = ProviderRegistry.from_entry_points().names()
# Benchmarks whose names we know; every provider's are checked for versions and disjointness.
BENCHMARK_PREFIX = {"aws": "CIS AWS", "gcp": "CIS Google Cloud", "alibaba": "CIS Alibaba"}


def test_enough_checks_covering_every_safeguard_and_kind():
    checks = load_checks()
    assert len(checks) >= 16
    safeguards = {s for kinds in fact_catalog().values() for s in kinds.values()}
    assert {c.safeguard for c in checks} == safeguards
    assert {kind for c in checks for kind in c.kinds} == set(fact_catalog())


@pytest.mark.parametrize("path", CHECK_FILES, ids=lambda p: p.stem)
def test_check_file(path: Path):
    doc = yaml.safe_load(path.read_text())
    assert not list(validator("check").iter_errors(doc))
    assert doc["id"] == path.stem, "file name is the check id"
    check = load_check_file(path)
    for kind in check.kinds:
        assert set(check.reads) <= set(fact_catalog()[kind])
    Draft202012Validator.check_schema(resolve_params(check.assertion, check.defaults(), "x"))
    compile_check(check)


def test_every_registered_provider_has_remediation_for_every_check():
    # From the check file or the provider's own checks.yaml: a new provider ships its text
    # without editing a check file, and cannot ship without it.
    assert missing_remediation(load_checks(), PROVIDERS) == []


@pytest.mark.parametrize("check", load_checks(), ids=lambda c: c.id)
def test_frameworks_are_keyed_by_provider_each_citing_its_own(check):
    cited: dict[str, str] = {}
    for provider, mappings in check.frameworks.items():
        assert provider in PROVIDERS, f"mapping for unregistered provider {provider!r}"
        for framework, controls in mappings.items():
            assert framework.startswith(BENCHMARK_PREFIX.get(provider, "")), framework
            assert cited.setdefault(framework, provider) == provider, \
                f"{framework} cited for {cited[framework]} and {provider}"
            assert re.search(r" v\d+\.\d+\.\d+$", framework), "name the benchmark version"
            per_kind = controls if isinstance(controls, dict) else {k: controls for k in check.kinds}
            assert set(per_kind) <= set(check.kinds)
            for ids in per_kind.values():
                assert ids and all(re.fullmatch(r"\d+(\.\d+)+", c) for c in ids)


def test_ids_unique():
    ids = [yaml.safe_load(p.read_text())["id"] for p in CHECK_FILES]
    assert len(ids) == len(set(ids))


def test_duplicate_id_in_user_dir_rejected(tmp_path):
    (tmp_path / "dup.yaml").write_text((CHECK_FILES[0]).read_text())
    with pytest.raises(CheckDefinitionError, match="duplicate check id"):
        load_checks([tmp_path])


@pytest.mark.parametrize("mutation, where, reason", [
    (lambda d: d.update(reads=["encryption.nope"]), "$.reads[0]", "no fact"),
    (lambda d: d.update(severity="urgent"), "$.severity", "urgent"),
    (lambda d: d.update(remediation="fix it"), "$.remediation", "not of type 'object'"),
    (lambda d: d.update({"assert": {"type": "nonsense"}}), "$.assert", "not a valid JSON Schema"),
    (lambda d: d["remediation"].update(gcp="no"), "$.remediation.gcp", "too short"),
    (lambda d: d["remediation"].update({"Azure!": "Enable it."}), "$.remediation", "Azure!"),
])
def test_malformed_check_names_file_path_reason(tmp_path, mutation, where, reason):
    doc = yaml.safe_load((data_dir("checks") / "bucket-versioning.yaml").read_text())
    doc["id"] = "custom-check"
    mutation(doc)
    path = tmp_path / "custom-check.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(CheckDefinitionError) as info:
        load_check_file(path)
    assert info.value.source == str(path)
    assert info.value.path == where
    assert reason in info.value.reason


def test_unparsable_yaml(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: [unclosed\n")
    with pytest.raises(CheckDefinitionError, match="not valid YAML"):
        load_check_file(path)


def test_assert_naming_an_unread_fact_is_rejected(tmp_path):
    doc = yaml.safe_load((data_dir("checks") / "bucket-versioning.yaml").read_text())
    doc["id"] = "typo-check"
    doc["assert"] = {"properties": {"versoning": {"properties": {"enabled": {"const": True}}}}}
    path = tmp_path / "typo-check.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(CheckDefinitionError, match=r"'versoning\.enabled', which is not in reads"):
        load_check_file(path)
