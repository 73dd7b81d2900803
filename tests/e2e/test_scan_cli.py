"""``auditor scan PROVIDER`` against its seeded stand-in, through the installed console script.

Every (bucket, check) status is compared one by one with the golden file, and every output
format is checked to say the same thing.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from auditor.sandbox.estate import load_estate, make_sandbox
from auditor.sandbox.manage import scan_flags

GOLDEN = Path(__file__).parent.parent / "golden"
FORMATS = "table,json,csv,sarif,ocsf,html,markdown,junit"


@pytest.fixture(scope="module", params=["aws", "gcp", "alibaba"])
def scanned(request, tmp_path_factory, auditor_cli):
    provider = request.param
    sandbox = make_sandbox(provider)
    sandbox.start()
    try:
        sandbox.seed(load_estate()[provider])
        sandbox.reset_requests()
        out_dir = tmp_path_factory.mktemp(f"scan-{provider}")
        env = sandbox.environment()
        proc = auditor_cli("scan", provider, *scan_flags(provider, sandbox.scan_options()), "-o",
                           str(out_dir), "-f", FORMATS, env=env)
        requests = sandbox.requests()
    finally:
        sandbox.stop()
    return provider, proc, out_dir, requests, env


def _statuses(report: dict) -> dict[str, str]:
    return {f"{f['resource_name']} {f['check_id']}": f["status"] for f in report["findings"]
            if f["kind"] == "storage.bucket"}


def test_every_bucket_check_status_matches_golden(scanned):
    provider, proc, out_dir, _, _ = scanned
    assert proc.returncode == 3, proc.stderr  # the estate holds deliberate denials
    report = json.loads((out_dir / "auditor-report.json").read_text())
    expected = json.loads((GOLDEN / f"scan-{provider}.json").read_text())
    got = _statuses(report)
    assert sorted(got) == sorted(expected)
    mismatched = {k: (got[k], v) for k, v in expected.items() if got[k] != v}
    assert not mismatched


def test_formats_agree(scanned):
    _, proc, out_dir, _, _ = scanned
    report = json.loads((out_dir / "auditor-report.json").read_text())
    counts = Counter(f["status"] for f in report["findings"])
    assert counts == Counter({k: v for k, v in report["summary"].items() if v})
    with open(out_dir / "auditor-report.csv", newline="") as fh:
        assert Counter(row["status"] for row in csv.DictReader(fh)) == counts
    sarif = json.loads((out_dir / "auditor-report.sarif").read_text())
    assert len(sarif["runs"][0]["results"]) == (counts["FAIL"] + counts["UNVERIFIED"]
                                                + counts["OPAQUE"])
    ocsf = json.loads((out_dir / "auditor-report.ocsf.json").read_text())
    assert len(ocsf) == len(report["findings"])
    junit = ET.parse(out_dir / "auditor-report.xml").getroot()
    assert len(junit.findall(".//failure")) == counts["FAIL"]
    assert len(junit.findall(".//error")) == counts["UNVERIFIED"]
    html = (out_dir / "auditor-report.html").read_text()
    markdown = (out_dir / "auditor-report.md").read_text()
    for finding in report["findings"][:20]:
        assert finding["resource_name"] in html and finding["resource_name"] in markdown
    assert f"FAIL {counts['FAIL']}" in proc.stdout


def test_denied_calls_are_unverified_never_pass_or_fail(scanned):
    _, _, out_dir, _, _ = scanned
    report = json.loads((out_dir / "auditor-report.json").read_text())
    unverified = 0
    for finding in report["findings"]:
        states = {e["state"] for e in finding["evidence"]}
        if states & {"denied", "error"}:
            assert finding["status"] in ("UNVERIFIED", "OPAQUE", "NOT_APPLICABLE"), finding
            unverified += finding["status"] == "UNVERIFIED"
    assert unverified > 0


def test_scan_sent_requests_and_leaked_no_secret(scanned):
    _, proc, out_dir, requests, env = scanned
    assert requests, "the scan reached the stand-in"
    secrets = [v for k, v in env.items() if "SECRET" in k or "TOKEN" in k]
    for path in out_dir.iterdir():
        text = path.read_text(errors="replace")
        for secret in secrets:
            assert secret not in text, (path.name, "leaks a credential")
    for secret in secrets:
        assert secret not in proc.stdout + proc.stderr
