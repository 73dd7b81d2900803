"""End to end through ``auditor scan``: a Resource Directory of the stand-in scanned with
the real CLI and pipeline, each account's run in the JSON report, the refused accounts as
failed accounts with their reasons, exit 3 (partial), and no secret on stdout, stderr or in
the report."""

from __future__ import annotations

import json

import pytest
from rd_support import ANALYTICS, LOCKED, MANAGEMENT, NO_ROLE, PAYMENTS, ROLE, seeded

from auditor.cli import main
from auditor.exit_codes import EXIT_PARTIAL

PARTNER = "2000000000000008"


@pytest.fixture
def rd_box(make_ali_sandbox, monkeypatch):
    return seeded(make_ali_sandbox, monkeypatch)


def scan(tmp_path, *flags: str) -> tuple[int, dict]:
    code = main(["scan", "alibaba", *flags, "-f", "json", "-o", str(tmp_path),
                 "--no-history", "-q"])
    return code, json.loads((tmp_path / "auditor-report.json").read_text())


def test_directory_scan_reports_each_account_and_the_refused_ones(rd_box, tmp_path, capsys):
    code, report = scan(tmp_path, "--alibaba-resource-directory", "--alibaba-role-name", ROLE,
                        "--max-accounts", "3")
    assert code == EXIT_PARTIAL
    runs = {run["accounts"][0]: run["status"] for run in report["runs"]}
    assert runs == {MANAGEMENT: "complete", PAYMENTS: "complete", ANALYTICS: "complete",
                    LOCKED: "failed", NO_ROLE: "failed", PARTNER: "failed"}
    failures = {f["account"]: f["reason"] for f in report["account_failures"]}
    assert set(failures) == {LOCKED, NO_ROLE, PARTNER}
    assert "(NoPermission)" in failures[LOCKED]
    assert "(EntityNotExist.Role)" in failures[NO_ROLE]
    assert report["provider_failures"] == {}
    buckets = {f["account"] for f in report["findings"] if f["kind"] == "storage.bucket"}
    assert buckets == {MANAGEMENT, PAYMENTS, ANALYTICS}
    out = capsys.readouterr()
    everything = out.out + out.err + json.dumps(report)
    issued = rd_box.directory.issued
    secrets = {v for key, (_, _, secret, token) in issued.items() for v in (secret, token)}
    assert secrets and not [s for s in secrets if s in everything]
    assert "sandbox-fake-secret-not-a-credential" not in everything


def test_explicit_accounts_and_exclusion_through_the_cli(rd_box, tmp_path):
    code, report = scan(tmp_path, "--alibaba-role-name", ROLE, "--alibaba-account", PAYMENTS,
                        "--alibaba-account", PARTNER,
                        "--alibaba-external-id", "ext-7781", "--alibaba-exclude-account",
                        PAYMENTS)
    assert code in (0, 1, EXIT_PARTIAL)
    assert [run["accounts"] for run in report["runs"]] == [[PARTNER]]
    assert report["account_failures"] == []


def test_a_malformed_account_id_is_a_usage_error(rd_box, tmp_path, capsys):
    code = main(["scan", "alibaba", "--alibaba-account", "12ab", "-o", str(tmp_path),
                 "--no-history", "-q"])
    assert code == 2
    assert "12ab" in capsys.readouterr().err
