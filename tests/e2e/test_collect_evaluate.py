"""``collect`` then ``evaluate`` offline gives the same findings as ``scan``."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from auditor.sandbox.estate import load_estate, make_sandbox
from auditor.sandbox.manage import scan_flags
from auditor.schema import load_schema


def _statuses(path):
    report = json.loads(path.read_text())
    return {(f["resource_id"], f["check_id"]): f["status"] for f in report["findings"]}


def test_collect_then_evaluate_matches_scan(auditor, tmp_path):
    sandbox = make_sandbox("gcp")
    sandbox.start()
    try:
        sandbox.seed(load_estate()["gcp"])
        flags = scan_flags("gcp", sandbox.scan_options())
        env = sandbox.environment()
        inventory = tmp_path / "inventory.json"
        collected = auditor("collect", "gcp", *flags, "-o", str(inventory), env=env)
        scanned = auditor("scan", "gcp", *flags, "-q", "-f", "json", "-o", str(tmp_path / "s"),
                          env=env)
    finally:
        sandbox.stop()
    assert collected.returncode == 3 and scanned.returncode == 3
    assert f"wrote {inventory}" in collected.stdout
    Draft202012Validator(load_schema("inventory")).validate(json.loads(inventory.read_text()))
    evaluated = auditor("evaluate", str(inventory), "-q", "-f", "json", "-o",
                        str(tmp_path / "e"))
    assert evaluated.returncode == 3
    assert _statuses(tmp_path / "e" / "auditor-report.json") == _statuses(
        tmp_path / "s" / "auditor-report.json")
