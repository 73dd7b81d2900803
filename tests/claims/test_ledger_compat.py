"""Reports saved before the ledger and legal reach existed (history rows, drift inputs) load."""

from __future__ import annotations

import json

from auditor.checks import load_checks
from auditor.config import compile_with_params
from auditor.documents import load_inventory, load_report
from auditor.pipeline import build_report


def test_a_report_without_a_ledger_or_legal_reach_loads_with_empty_ones(golden, tmp_path):
    inventory = load_inventory(golden / "mixed-inventory.json")
    report = build_report(inventory, compile_with_params(load_checks(), {}, "t"), lambda p: None)
    document = report.to_dict()
    assert document["ledger"]["providers"], "the ledger is computed for a fresh report"
    del document["ledger"], document["legal_reach"]
    saved = tmp_path / "older-report.json"
    saved.write_text(json.dumps(document))
    loaded = load_report(saved)
    assert loaded.ledger == {"providers": {}}
    assert loaded.legal_reach == {"providers": {}, "laws": []}
    assert len(loaded.findings) == len(report.findings)
