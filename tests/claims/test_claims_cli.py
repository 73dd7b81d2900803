"""``auditor claims list|show`` as a user runs it, and the ledger in evaluate's reports (JSON,
Markdown, HTML, text) and in ``auditor compare`` (the "promises you can verify" section)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from auditor.checks import compile_check, load_checks
from auditor.claims import load_claims
from auditor.comparison import build_matrix, merge_reports
from auditor.documents import load_inventory
from auditor.exit_codes import EXIT_INPUT, EXIT_OK
from auditor.model import Inventory
from auditor.pipeline import build_report
from auditor.reports import render_comparison

SHIPPED = load_claims()
GOLDEN = Path(__file__).parents[1] / "golden"


def test_claims_list_shows_every_sourced_promise(auditor):
    result = auditor("claims", "list")
    assert result.returncode == EXIT_OK, result.stderr
    rows = [line.split()[0] for line in result.stdout.splitlines()[2:-1]]
    assert rows == [c.id for c in SHIPPED] and len(rows) >= 36
    per = Counter(c.provider for c in SHIPPED)
    assert result.stdout.splitlines()[-1].startswith(f"{len(SHIPPED)} promises, each with its "
                                                     "source: ")
    assert f"aws {per['aws']} (" in result.stdout.splitlines()[-1]


def test_claims_list_for_one_provider(auditor):
    result = auditor("claims", "list", "--provider", "alibaba")
    ids = [line.split()[0] for line in result.stdout.splitlines()[2:-1]]
    assert ids == [c.id for c in SHIPPED if c.provider == "alibaba"]
    bad = auditor("claims", "list", "--provider", "azure")
    assert bad.returncode == EXIT_INPUT and bad.stderr.count("\n") == 1
    assert "--provider: no claims for provider 'azure'" in bad.stderr


def test_claims_show_prints_the_source_and_how_to_verify(auditor):
    claim = next(c for c in SHIPPED if c.method == "api" and c.where)
    result = auditor("claims", "show", claim.id)
    assert result.returncode == EXIT_OK, result.stderr
    assert f"source: {claim.url} (read {claim.read})" in result.stdout
    assert f"checks: {', '.join(claim.checks)}" in result.stdout
    assert "where: key_custody.level in " in result.stdout
    missing = auditor("claims", "show", claim.id + "-nope")
    assert missing.returncode == EXIT_INPUT and missing.stderr.count("\n") == 1
    assert f"unknown claim id '{claim.id}-nope'" in missing.stderr


def test_evaluate_writes_the_ledger_in_every_report(auditor, tmp_path):
    result = auditor("evaluate", str(GOLDEN / "mixed-inventory.json"), "-o", str(tmp_path),
                     "-f", "json", "-f", "markdown", "-f", "html", "-f", "table", "-q")
    assert result.returncode in (0, 1, 3), result.stderr
    ledger = json.loads((tmp_path / "auditor-report.json").read_text())["ledger"]["providers"]
    assert ledger
    for provider, figures in ledger.items():
        mine = [c for c in SHIPPED if c.provider == provider]
        assert figures["promises"] == len(mine) == len(figures["entries"])
        assert figures["api"] + figures["attestation"] + figures["none"] == len(mine)
        assert figures["upheld"] + figures["contradicted"] + figures["undetermined"] \
            == figures["api"]
    markdown = (tmp_path / "auditor-report.md").read_text()
    assert "## Promise ledger" in markdown and "| Provider | Promises |" in markdown
    html = (tmp_path / "auditor-report.html").read_text()
    assert 'id="ledger"' in html and 'id="ledger-summary"' in html
    assert html.count('data-claim="') == sum(f["promises"] for f in ledger.values())
    text = (tmp_path / "auditor-report.txt").read_text()  # the full text report
    assert "Promise ledger (the promise ledger, docs/claims.md):" in text
    for provider, figures in ledger.items():
        assert f"  {provider}: {figures['promises']} promises: " in text


@pytest.fixture(scope="module")
def split_reports():
    inventory = load_inventory(GOLDEN / "mixed-inventory.json")
    checks = [compile_check(c) for c in load_checks()]
    providers = sorted({r.provider for r in inventory.runs})
    return [build_report(Inventory([r for r in inventory.runs if r.provider == p],
                                   [r for r in inventory.resources if r.provider == p]),
                         checks, lambda _: None) for p in providers]


def test_compare_has_the_promises_you_can_verify_section(split_reports):
    merged = merge_reports(split_reports, [f"r{i}.json" for i in range(len(split_reports))])
    matrix = build_matrix(merged)
    providers = list(matrix.ledger["providers"])
    # each report's ledger is kept; a provider without claims (acme) has none
    with_claims = {c.provider for c in SHIPPED}
    assert providers == sorted({r.runs[0].provider for r in split_reports} & with_claims)
    assert len(providers) >= 2 and "acme" not in providers
    table = render_comparison(matrix, "table")
    assert "Promises you can verify" in table
    for provider in providers:
        figures = matrix.ledger["providers"][provider]
        assert (f"  {provider}: {figures['promises']} promises: {figures['api']} verifiable "
                "from the account") in table
    markdown = render_comparison(matrix, "markdown")
    assert "## Promises you can verify" in markdown
    html = render_comparison(matrix, "html")
    assert ">Promises you can verify</h2>" in html
    # a matrix filtered to one kind keeps the providers' ledgers (they are per provider)
    assert build_matrix(merged, "storage.bucket").ledger == matrix.ledger
