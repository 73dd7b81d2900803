"""Resource kinds beyond buckets (issue 15): one list of kinds, checks over several kinds,
per-kind remediation and benchmark ids, and a provider that does not collect a kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from auditor._data_dirs import data_dir
from auditor.checks import CCM_FRAMEWORK, compile_check, load_check_file, load_checks
from auditor.errors import CheckDefinitionError
from auditor.model import CUSTODY_LADDER, CheckSummary, ResourceKind
from auditor.provider_checks import merged, missing_remediation
from auditor.schema import KIND_FACT_DEFS, fact_catalog

KINDS = [k.value for k in ResourceKind]
NEW = ["storage.volume", "storage.snapshot", "storage.filesystem", "database.instance"]


def _enums(node, key_path=()):
    """Every enum in a schema that lists storage.bucket: the schemas' lists of kinds."""
    if isinstance(node, dict):
        if isinstance(node.get("enum"), list) and "storage.bucket" in node["enum"]:
            yield key_path, node["enum"]
        for key, value in node.items():
            yield from _enums(value, (*key_path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _enums(value, (*key_path, i))


@pytest.mark.parametrize("name", ["inventory", "check", "report", "exposure", "permissions",
                                  "provider_checks"])
def test_every_schema_lists_every_kind(name):
    schema = json.loads((data_dir("schemas") / f"{name}.schema.json").read_text())
    found = list(_enums(schema))
    assert found, f"{name} lists no kinds"
    for where, enum in found:
        assert enum == KINDS, f"{name} {where}"


def test_every_kind_has_a_fact_block_and_the_contract_paths():
    assert list(KIND_FACT_DEFS) == KINDS
    catalog = fact_catalog()
    common = {"encryption.enabled", "encryption.key_id", "key_custody.level", "key_custody.hsm",
              "key_rotation.enabled", "key_rotation.period_days", "key_rotation.supported",
              "data_residency.region", "data_residency.country", "data_residency.jurisdiction",
              "data_residency.jurisdictions",
              "legal_reach.jurisdictions", "legal_reach.key_external"}  # derived by the core
    own = {"storage.volume": {"attachment.attached"},
           "storage.snapshot": {"public_exposure.is_public", "sharing.accounts"},
           "storage.filesystem": {"tls_enforced.required"},
           "database.instance": {"public_exposure.is_public", "tls_enforced.required",
                                 "deletion_protection.enabled", "backup.enabled",
                                 "backup.retention_days", "backup.encrypted", "backup.replica_of"}}
    for kind in NEW:
        assert set(catalog[kind]) == common | own[kind], kind
    assert catalog["storage.volume"]["attachment.attached"] == "resource_hygiene"
    assert catalog["database.instance"]["backup.encrypted"] == "encryption_at_rest"
    assert catalog["database.instance"]["deletion_protection.enabled"] == "deletion_protection"


def test_customer_supplied_sits_between_imported_and_external_everywhere():
    i = CUSTODY_LADDER.index("customer_supplied")
    assert CUSTODY_LADDER[i - 1:i + 2] == ("customer_imported", "customer_supplied", "external")
    inventory = json.loads((data_dir("schemas") / "inventory.schema.json").read_text())
    ladders = [spec["allOf"][1]["then"]["properties"]["value"]["enum"]
               for name, block in inventory["$defs"].items() if name.endswith("_facts")
               for path, spec in block["properties"].items() if path == "key_custody.level"]
    assert len(ladders) == 2 + len(NEW) and all(ladder == list(CUSTODY_LADDER)
                                                for ladder in ladders)
    for check in load_checks():
        spec = check.param_specs.get("minimum_custody")
        if spec:
            assert spec["schema"]["enum"] == list(CUSTODY_LADDER), check.id


def test_a_check_of_several_kinds_exposes_them_as_a_tuple(tmp_path):
    check = load_check_file(_write(tmp_path))
    assert check.kinds == tuple(NEW)
    assert check.resource == ", ".join(NEW)
    summary = compile_check(check).summary
    assert summary.kinds == NEW and summary.kind == NEW[0]
    assert summary.to_dict()["kinds"] == NEW
    # A report written before kinds existed reads as its one kind.
    old = CheckSummary("x", "t", "s", "storage.bucket", "low", {})
    assert old.kinds == ["storage.bucket"]


CCM = {CCM_FRAMEWORK: ["CEK-03"]}  # the written check's, on every kind and provider


def _write(tmp_path: Path, **changes) -> Path:
    doc = {"id": "custom-kinds", "title": "Encrypted at rest", "safeguard": "encryption_at_rest",
           "resource": NEW, "severity": "high", "ccm": CCM[CCM_FRAMEWORK], "reads": ["encryption.enabled"],
           "assert": {"properties": {"encryption": {"properties": {"enabled": {"const": True}}}}},
           "rationale": "Unencrypted storage leaks through its media and copies."}
    doc.update(**changes)
    path = tmp_path / "custom-kinds.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_every_read_must_exist_in_every_listed_kind(tmp_path):
    path = _write(tmp_path, resource=["storage.volume", "storage.bucket"],
                  reads=["attachment.attached"],
                  **{"assert": {"properties": {"attachment": {"properties": {
                      "attached": {"const": True}}}}}})
    with pytest.raises(CheckDefinitionError) as info:
        load_check_file(path)
    assert (info.value.path, info.value.reason) == (
        "$.reads[0]", "no fact 'attachment.attached' on storage.bucket")


@pytest.mark.parametrize("changes, where, reason", [
    ({"remediation": {"aws": {"storage.volume": "Encrypt the volume."}}}, "$.remediation.aws",
     "no text for database.instance, a kind of custom-kinds"),
    ({"remediation": {"aws": {"storage.bucket": "Encrypt it.", "storage.volume": "Encrypt it."}}},
     "$.remediation.aws.storage.bucket", "storage.bucket is not a kind of custom-kinds"),
    ({"frameworks": {"aws": {"CIS AWS Foundations v7.0.0": {"kms.key": ["4.6"]}}}},
     '$.frameworks.aws["CIS AWS Foundations v7.0.0"].kms.key', "kms.key is not a kind of"),
    ({"resource": ["storage.volume", "storage.volume"]}, "$.resource", "non-unique elements"),
    ({"resource": "storage.disk"}, "$.resource", "is not valid"),
])
def test_per_kind_entries_name_only_the_checks_kinds(tmp_path, changes, where, reason):
    path = _write(tmp_path, **changes)
    with pytest.raises(CheckDefinitionError) as info:
        load_check_file(path)
    assert info.value.source == str(path)
    assert info.value.path == where
    assert reason in info.value.reason


def test_per_kind_text_and_ids_reach_only_their_kind(tmp_path):
    check = load_check_file(_write(tmp_path, remediation={"acme": {
        "storage.volume": "Re-create the volume encrypted.",
        "storage.snapshot": "Copy the snapshot encrypted.",
        "storage.filesystem": "Re-create the file system encrypted.",
        "database.instance": "Restore an encrypted copy."}},
        frameworks={"acme": {"Acme Benchmark v1.0.0": {"database.instance": ["2.1"]},
                             "Acme Storage v2.0.0": ["7"]}}))
    assert check.remediation_for("acme", "storage.snapshot") == "Copy the snapshot encrypted."
    assert check.remediation_for("acme", "database.instance") == "Restore an encrypted copy."
    assert check.remediation_for("other", "storage.volume") == ""
    assert check.frameworks_for("acme", "database.instance") == {
        **CCM, "Acme Benchmark v1.0.0": ["2.1"], "Acme Storage v2.0.0": ["7"]}
    assert check.frameworks_for("acme", "storage.volume") == {**CCM, "Acme Storage v2.0.0": ["7"]}
    assert missing_remediation([check], ["acme", "other"]) == ["custom-kinds: other"]
    partial = load_check_file(_write(tmp_path, remediation={"acme": "Encrypt it at creation."}))
    assert missing_remediation([partial], ["acme"]) == []
    assert partial.remediation_for("acme", "storage.volume") == "Encrypt it at creation."


def test_a_providers_checks_yaml_is_linted_for_kinds(tmp_path):
    checks = {c.id: c for c in load_checks()}
    path = tmp_path / "checks.yaml"
    path.write_text(yaml.safe_dump({"checks": {"volume-attached": {
        "remediation": {"storage.snapshot": "Delete the snapshot."}}}}))
    with pytest.raises(CheckDefinitionError) as info:
        merged(checks, {"acme": path})
    assert info.value.path == "$.checks.volume-attached.remediation.storage.snapshot"
    assert "storage.snapshot is not a kind of volume-attached" in info.value.reason


def _adapter_with_profile(tmp_path: Path, edit):
    """The AWS adapter with a copy of its data files whose exposure profile ``edit`` changed."""
    import shutil

    from auditor.providers.aws import AwsAdapter

    folder = tmp_path / "data"
    shutil.copytree(AwsAdapter.data_dir, folder, ignore=shutil.ignore_patterns("*.py", "sandbox",
                                                                              "__pycache__"))
    profile = yaml.safe_load((folder / "exposure.yaml").read_text())
    edit(profile)
    (folder / "exposure.yaml").write_text(yaml.safe_dump(profile))
    from auditor.providers.base import load_exposure_profile

    return type("EditedAws", (AwsAdapter,), {
        "data_dir": folder,
        "exposure_profile": lambda self: load_exposure_profile(folder / "exposure.yaml")})()


def test_a_profile_may_leave_out_a_kind_but_not_part_of_one(tmp_path):
    from auditor.errors import PluginError
    from auditor.providers.base import validate_adapter

    validate_adapter(_adapter_with_profile(tmp_path / "a", lambda p: p.pop("account")), "aws")
    with pytest.raises(PluginError, match=r"exposure profile for storage.bucket: missing "
                                          r"\['versioning.mfa_delete'\]"):
        validate_adapter(_adapter_with_profile(
            tmp_path / "b", lambda p: p["storage.bucket"].pop("versioning.mfa_delete")), "aws")


def _volume_db_inventory(requested=None):
    from auditor.model import Fact, Inventory, ProviderRun, Resource

    def res(kind, name, enabled):
        return Resource(kind, "acme", "a", "r", f"acme:{name}", name,
                        {"encryption.enabled": Fact.observed(enabled, "op")})

    resources = [res("storage.volume", "v1", True), res("storage.bucket", "b1", True),
                 res("database.instance", "d1", False), res("storage.volume", "v2", False)]
    return Inventory([ProviderRun("acme", facts_requested=requested)], resources)


def test_a_check_of_several_kinds_runs_on_each_in_inventory_order_with_its_kinds_text(tmp_path):
    from auditor.engine import evaluate

    check = load_check_file(_write(tmp_path, remediation={"acme": {
        "storage.volume": "Re-create the volume encrypted.",
        "storage.snapshot": "Copy the snapshot encrypted.",
        "storage.filesystem": "Re-create the file system encrypted.",
        "database.instance": "Restore an encrypted copy."}},
        frameworks={"acme": {"Acme Benchmark v1.0.0": {"database.instance": ["2.1"]}}}))
    findings = evaluate(_volume_db_inventory(), [compile_check(check)])
    assert [(f.resource_name, f.status.value) for f in findings] == [
        ("v1", "PASS"), ("d1", "FAIL"), ("v2", "FAIL")]  # the bucket is no kind of the check
    by_name = {f.resource_name: f for f in findings}
    assert by_name["v2"].remediation == "Re-create the volume encrypted."
    assert by_name["d1"].remediation == "Restore an encrypted copy."
    assert by_name["d1"].frameworks == {**CCM, "Acme Benchmark v1.0.0": ["2.1"]}
    assert by_name["v1"].frameworks == by_name["v2"].frameworks == CCM  # every kind's


def test_collection_is_asked_and_judged_per_kind(tmp_path):
    from auditor.engine import evaluate, uncollected, wanted_facts

    compiled = compile_check(load_check_file(_write(tmp_path)))
    assert wanted_facts([compiled]) == {kind: frozenset({"encryption.enabled"}) for kind in NEW}
    # A run asked for the volumes' facts only did not collect the databases' ones: the check
    # is left out for that provider, never NOT_APPLICABLE.
    narrow = _volume_db_inventory({"storage.volume": ["encryption.enabled"]})
    gaps = uncollected(narrow, [compiled])
    assert [(g.check_id, g.provider, g.facts) for g in gaps] == [
        ("custom-kinds", "acme", ["encryption.enabled"])]
    assert evaluate(narrow, [compiled]) == []
    every = _volume_db_inventory({kind: ["encryption.enabled"] for kind in NEW})
    assert uncollected(every, [compiled]) == [] and len(evaluate(every, [compiled])) == 3


def test_the_catalog_page_lists_every_path_of_the_new_kinds():
    text = (Path(__file__).parents[2] / "docs" / "catalog.md").read_text()
    for kind in NEW:
        section = text.split(f"### `{kind}`", 1)[1].split("###", 1)[0]
        for path in fact_catalog()[kind]:
            assert f"| `{path}` |" in section, (kind, path)
