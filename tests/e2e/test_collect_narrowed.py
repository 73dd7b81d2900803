"""``collect --checks X`` then ``evaluate``: facts never requested are not NOT_APPLICABLE.

Each provider's run records the facts it was asked for; evaluate leaves out (and lists) the
checks that read anything else, and refuses them when they are asked for by name.
"""

from __future__ import annotations

import json

import pytest

from auditor.sandbox.estate import load_estate, make_sandbox
from auditor.sandbox.manage import scan_flags

PROVIDERS = ("aws", "gcp", "alibaba")


@pytest.fixture(scope="module")
def narrow_inventory(tmp_path_factory, auditor_cli):
    """An inventory of the demo estate collected for bucket-encryption-enabled only."""
    out = tmp_path_factory.mktemp("narrow")
    estate = load_estate()
    inventories = []
    for provider in PROVIDERS:
        sandbox = make_sandbox(provider)
        sandbox.start()
        try:
            sandbox.seed(estate[provider])
            path = out / f"{provider}.json"
            flags = scan_flags(provider, sandbox.scan_options())
            done = auditor_cli("collect", provider, *flags,
                               "--checks", "bucket-encryption-enabled", "-o", str(path), "-q",
                               env=sandbox.environment())
            assert done.returncode in (0, 3), done.stderr
            inventories.append(json.loads(path.read_text()))
        finally:
            sandbox.stop()
    merged = {"schema_version": inventories[0]["schema_version"],
              "runs": [r for inv in inventories for r in inv["runs"]],
              "resources": [r for inv in inventories for r in inv["resources"]]}
    path = out / "inventory.json"
    path.write_text(json.dumps(merged))
    return path


def test_runs_record_the_requested_facts(narrow_inventory):
    runs = json.loads(narrow_inventory.read_text())["runs"]
    assert sorted(r["provider"] for r in runs) == sorted(PROVIDERS)
    for run in runs:
        assert run["facts_requested"] == {
            "storage.bucket": ["encryption.algorithm", "encryption.enabled"]}


def test_evaluate_all_checks_reports_no_uncollected_not_applicable(narrow_inventory, auditor,
                                                                   tmp_path):
    done = auditor("evaluate", str(narrow_inventory), "-q", "-f", "json", "-o", str(tmp_path))
    assert done.returncode in (0, 3), done.stderr
    report = json.loads((tmp_path / "auditor-report.json").read_text())
    assert report["findings"]
    assert {f["check_id"] for f in report["findings"]} == {"bucket-encryption-enabled"}
    assert not [f for f in report["findings"] if f["status"] == "NOT_APPLICABLE"]
    left_out = {(g["check_id"], g["provider"]) for g in report["not_collected"]}
    assert ("bucket-key-rotation", "aws") in left_out
    assert ("kms-key-rotation", "gcp") in left_out
    assert ("bucket-encryption-enabled", "aws") not in left_out
    assert [c["id"] for c in report["checks"]] == ["bucket-encryption-enabled"]
    line = [x for x in done.stderr.splitlines() if "not collected" in x]
    assert len(line) == 1 and "bucket-not-public" in line[0] and "re-run collect" in line[0]
    # transparency counts only what was collected and evaluated
    per_provider = report["transparency"]["providers"]
    assert sum(p["applicable"] for p in per_provider.values()) == len(report["findings"])


def test_asking_for_an_uncollected_check_is_an_input_error(narrow_inventory, auditor, tmp_path):
    done = auditor("evaluate", str(narrow_inventory), "--checks", "bucket-not-public",
                   "-f", "json", "-o", str(tmp_path / "out"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "bucket-not-public was not collected" in done.stderr
    assert str(narrow_inventory) in done.stderr
    assert not (tmp_path / "out").exists()


def test_context_facts_are_collected_as_evidence(auditor, tmp_path):
    """bucket-not-public shows why a bucket is public: its context fact is collected too."""
    sandbox = make_sandbox("gcp")
    sandbox.start()
    try:
        sandbox.seed(load_estate()["gcp"])
        path = tmp_path / "inv.json"
        done = auditor("collect", "gcp", *scan_flags("gcp", sandbox.scan_options()), "--checks",
                       "bucket-not-public", "-o", str(path), "-q", env=sandbox.environment())
    finally:
        sandbox.stop()
    assert done.returncode in (0, 3), done.stderr
    inventory = json.loads(path.read_text())
    requested = inventory["runs"][0]["facts_requested"]["storage.bucket"]
    assert "public_exposure.reasons" in requested
    assert any("public_exposure.reasons" in r["facts"] for r in inventory["resources"])
