"""Reports to store: the golden mixed inventory evaluated once per session (real checks,
real report), and copies of it re-scoped to other accounts."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from auditor.documents import load_report
from auditor.model import Report

GOLDEN_INVENTORY = Path(__file__).resolve().parents[1] / "golden" / "mixed-inventory.json"


@pytest.fixture(scope="session")
def report_file(tmp_path_factory) -> Path:
    """The JSON report `auditor evaluate` wrote for the golden inventory (history off)."""
    from auditor.cli import main

    out = tmp_path_factory.mktemp("golden-report")
    code = main(["evaluate", str(GOLDEN_INVENTORY), "-q", "-f", "json", "-o", str(out),
                 "--no-history"])
    assert code == 3  # the golden inventory has UNVERIFIED facts
    return out / "auditor-report.json"


@pytest.fixture
def report(report_file) -> Report:
    return load_report(report_file)


def rescoped(report: Report, accounts: dict[str, list[str]]) -> Report:
    """A copy whose runs (and findings) belong to other accounts: a different job."""
    other = copy.deepcopy(report)
    other.runs = [run for run in other.runs if run.provider in accounts]
    for run in other.runs:
        run.accounts = list(accounts[run.provider])
    other.findings = [f for f in other.findings if f.provider in accounts]
    for finding in other.findings:
        finding.account = accounts[finding.provider][0]
    return other


def report_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
