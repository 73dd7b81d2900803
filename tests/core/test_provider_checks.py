"""A provider's checks.yaml: its remediation and frameworks merged into the checks, or refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from auditor._data_dirs import data_dir
from auditor.checks import CCM_FRAMEWORK, load_checks
from auditor.errors import CheckDefinitionError, PluginError
from auditor.provider_checks import missing_remediation, registered_files

AZURE_CIS = "CIS Microsoft Azure Foundations Benchmark v3.0.0"


def write(folder: Path, provider: str, checks: dict) -> Path:
    path = folder / provider / "checks.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"checks": checks}))
    return path


def by_id(checks) -> dict:
    return {c.id: c for c in checks}


def test_the_shipped_providers_keep_their_entries_where_they_were_written():
    # The bucket and key checks carry the three providers' text in the check files; the
    # checks of the other kinds take it from each provider's checks.yaml.
    assert set(registered_files()) == {"aws", "gcp", "alibaba"}
    shipped = yaml.safe_load((data_dir("checks") / "bucket-tls-enforced.yaml").read_text())
    checks = by_id(load_checks())
    assert checks["bucket-tls-enforced"].remediation == shipped["remediation"]
    for provider, path in registered_files().items():
        for check_id, entry in yaml.safe_load(path.read_text())["checks"].items():
            check_file = yaml.safe_load((data_dir("checks") / f"{check_id}.yaml").read_text())
            assert provider not in check_file.get("remediation", {})
            assert checks[check_id].remediation[provider] == entry["remediation"]


def test_a_new_provider_adds_remediation_and_frameworks(tmp_path):
    files = {**registered_files(), "azure": write(tmp_path, "azure", {
        "bucket-versioning": {"remediation": "Turn on blob versioning for the storage account.",
                              "frameworks": {AZURE_CIS: ["3.11"]}},
        "kms-key-rotation": {"remediation": "Set a rotation policy on the Key Vault key."},
    })}
    checks = by_id(load_checks(provider_files=files))
    versioning = checks["bucket-versioning"]
    assert versioning.remediation["azure"].startswith("Turn on blob versioning")
    assert versioning.frameworks_for("azure") == {CCM_FRAMEWORK: ["BCR-08"], AZURE_CIS: ["3.11"]}
    assert set(versioning.remediation) == {"aws", "gcp", "alibaba", "azure"}
    rotation = checks["kms-key-rotation"]
    assert rotation.remediation["azure"] == "Set a rotation policy on the Key Vault key."
    assert "azure" not in rotation.frameworks and "aws" in rotation.frameworks  # file's kept
    # Only the named checks gained azure text: the lint names the rest.
    missing = missing_remediation(checks.values(), ["aws", "azure"])
    assert "bucket-versioning: azure" not in missing and "bucket-tls-enforced: azure" in missing
    assert not [m for m in missing if m.endswith(": aws")]


def test_two_providers_add_to_the_same_check(tmp_path):
    files = {p: write(tmp_path, p, {"bucket-soft-delete": {"remediation": f"Enable it on {p}."}})
             for p in ("azure", "oci")}
    check = by_id(load_checks(provider_files=files))["bucket-soft-delete"]
    assert check.remediation["azure"] == "Enable it on azure."
    assert check.remediation["oci"] == "Enable it on oci."


def test_a_provider_may_map_frameworks_where_the_check_file_maps_none_for_it(tmp_path):
    # bucket-versioning's file maps no benchmark for aws: the aws file may add one.
    files = {"aws": write(tmp_path, "aws", {
        "bucket-versioning": {"frameworks": {"CIS AWS Foundations Benchmark v9.0.0": ["3.1.9"]}}})}
    check = by_id(load_checks(provider_files=files))["bucket-versioning"]
    assert check.frameworks_for("aws") == {CCM_FRAMEWORK: ["BCR-08"],
                                           "CIS AWS Foundations Benchmark v9.0.0": ["3.1.9"]}
    assert check.remediation["aws"] == by_id(load_checks())["bucket-versioning"].remediation["aws"]


@pytest.mark.parametrize("provider, entries, where, reason", [
    # aws remediation is in every check file: defining it again is refused.
    ("aws", {"bucket-versioning": {"remediation": "Enable versioning twice."}},
     "$.checks.bucket-versioning.remediation", "remediation for 'aws' is also in"),
    # kms-key-rotation's file maps aws's benchmark itself.
    ("aws", {"kms-key-rotation": {"frameworks": {"CIS AWS Foundations Benchmark v7.0.0": ["4.6"]}}},
     "$.checks.kms-key-rotation.frameworks", "frameworks for 'aws' is also in"),
    ("gcp", {"kms-key-not-public": {"frameworks": {"CIS Google Cloud v5.0.0": ["1.10"]}}},
     "$.checks.kms-key-not-public.frameworks", "frameworks for 'gcp' is also in"),
    ("azure", {"bucket-versioning-typo": {"remediation": "Enable versioning."}},
     "$.checks.bucket-versioning-typo", "no check has id 'bucket-versioning-typo'"),
])
def test_a_conflict_or_an_unknown_id_is_refused_in_one_line(tmp_path, provider, entries, where,
                                                           reason):
    path = write(tmp_path, provider, entries)
    with pytest.raises(CheckDefinitionError) as info:
        load_checks(provider_files={provider: path})
    assert (info.value.source, info.value.path) == (str(path), where)
    assert reason in info.value.reason and "\n" not in str(info.value)
    if "also in" in reason:
        assert info.value.reason.endswith(": define it in one place")
        assert "checks/" in info.value.reason  # names the check file that has it


@pytest.mark.parametrize("document, where", [
    ({"checks": {"bucket-versioning": {"remediation": "no"}}}, "$.checks.bucket-versioning"),
    ({"checks": {"bucket-versioning": {}}}, "$.checks.bucket-versioning"),
    ({"checks": {"bucket-versioning": {"remedy": "Enable versioning."}}},
     "$.checks.bucket-versioning"),
    ({"checks": {"bucket-versioning": {"frameworks": {AZURE_CIS: []}}}},
     "$.checks.bucket-versioning.frameworks"),
    ({"checks": {"Bucket Versioning": {"remediation": "Enable versioning."}}}, "$.checks"),
    ({"bucket-versioning": {"remediation": "Enable versioning."}}, "$"),
])
def test_a_malformed_checks_file_names_file_path_and_reason(tmp_path, document, where):
    path = tmp_path / "checks.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(PluginError) as info:
        load_checks(provider_files={"azure": path})
    assert str(info.value).startswith(f"{path}: {where}")
    assert "\n" not in str(info.value)


def test_a_provider_may_remediate_a_user_check(tmp_path):
    doc = yaml.safe_load((data_dir("checks") / "bucket-versioning.yaml").read_text())
    doc["id"] = "custom-versioning"
    user = tmp_path / "user"
    user.mkdir()
    (user / "custom-versioning.yaml").write_text(yaml.safe_dump(doc))
    files = {"azure": write(tmp_path, "azure",
                            {"custom-versioning": {"remediation": "Enable it for Azure."}})}
    check = by_id(load_checks([user], provider_files=files))["custom-versioning"]
    assert check.remediation["azure"] == "Enable it for Azure."
    with pytest.raises(CheckDefinitionError, match="no check has id 'custom-versioning'"):
        load_checks(provider_files=files)  # without the user directory it is unknown
