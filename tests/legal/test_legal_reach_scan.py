"""data-legal-reach end to end: `auditor scan` of the AWS stand-in (moto over HTTP on
127.0.0.1), with the check alone. The adapter is asked for the check's inputs (region and
custody) and sends the calls that read them; the core derives the legal reach; the check's
parameter is set through --config.

Worked by hand (auditor/data/jurisdictions.yaml: AWS operates these regions, home US):
lr-eu-kms in eu-west-1 under a customer managed key -> [EU, US], not external;
lr-sg-xks in ap-southeast-1 under an external key store key -> [SG, US], external;
lr-sg-plain in ap-southeast-1 under SSE-S3 -> [SG, US], not external;
lr-us-hidden under a key whose DescribeKey the key policy denies -> custody denied.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.providers.aws.sandbox import AwsSandbox
from auditor.sandbox.manage import scan_flags

ESTATE: dict[str, Any] = {
    "regions": ["eu-west-1", "ap-southeast-1", "us-east-1"],
    "keys": [{"alias": "lr-eu", "region": "eu-west-1"},
             {"alias": "lr-xks", "region": "ap-southeast-1", "origin": "EXTERNAL_KEY_STORE"},
             {"alias": "lr-hidden", "region": "us-east-1", "deny_describe": True}],
    "buckets": [
        {"name": "lr-eu-kms", "region": "eu-west-1",
         "encryption": {"algorithm": "aws:kms", "key": "lr-eu"}},
        {"name": "lr-sg-xks", "region": "ap-southeast-1",
         "encryption": {"algorithm": "aws:kms", "key": "lr-xks"}},
        {"name": "lr-sg-plain", "region": "ap-southeast-1", "encryption": {"algorithm": "AES256"}},
        {"name": "lr-us-hidden", "region": "us-east-1",
         "encryption": {"algorithm": "aws:kms", "key": "lr-hidden"}},
    ],
}
DEFAULT_STATUS = {"lr-eu-kms": "PASS", "lr-sg-xks": "PASS", "lr-sg-plain": "FAIL",
                  "lr-us-hidden": "UNVERIFIED"}
REACH = {"lr-eu-kms": (["EU", "US"], False), "lr-sg-xks": (["SG", "US"], True),
         "lr-sg-plain": (["SG", "US"], False)}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[AwsSandbox]:
    box = AwsSandbox()
    box.start()
    try:
        box.seed({"aws": ESTATE})
        yield box
    finally:
        box.stop()


def scan(sandbox: AwsSandbox, auditor_cli, out: Path, *extra: str) -> dict[str, Any]:
    sandbox.reset_requests()
    done = auditor_cli("scan", "aws", *scan_flags("aws", sandbox.scan_options()),
                       "--checks", "data-legal-reach", "-q", "-f", "json", "-o", str(out),
                       "--no-history", *extra, env=sandbox.environment(), timeout=300)
    assert done.returncode in (1, 3), done.stderr  # FAIL and UNVERIFIED findings
    return json.loads((out / "auditor-report.json").read_text())


@pytest.fixture(scope="module")
def default_scan(sandbox, auditor_cli, tmp_path_factory):
    report = scan(sandbox, auditor_cli, tmp_path_factory.mktemp("legal-scan"))
    return report, sandbox.requests()


def _buckets(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["resource_name"]: f for f in report["findings"]
            if f["check_id"] == "data-legal-reach" and f["kind"] == "storage.bucket"}


def test_the_scan_asks_for_the_inputs_and_reads_them(default_scan):
    report, requests = default_scan
    (run,) = report["runs"]
    asked = set(run["facts_requested"]["storage.bucket"])
    assert {"data_residency.region", "data_residency.jurisdictions", "key_custody.level",
            "legal_reach.jurisdictions", "legal_reach.key_external"} <= asked
    sent = {r.action for r in requests}
    assert {"s3:ListBuckets", "s3:GetBucketEncryption", "kms:DescribeKey"} <= sent
    assert not report.get("not_collected")


def test_the_check_runs_on_the_derived_facts(default_scan):
    report, _ = default_scan
    found = _buckets(report)
    assert {name: f["status"] for name, f in found.items()} == DEFAULT_STATUS
    for name, (jurisdictions, external) in REACH.items():
        evidence = {e["fact"]: e for e in found[name]["evidence"]}
        assert evidence["legal_reach.jurisdictions"]["value"] == jurisdictions, name
        assert evidence["legal_reach.key_external"]["value"] is external, name
        assert evidence["legal_reach.jurisdictions"]["state"] == "observed"
    hidden = {e["fact"]: e for e in found["lr-us-hidden"]["evidence"]}
    assert hidden["legal_reach.key_external"]["state"] in ("denied", "error")
    assert "key_custody.level" in hidden["legal_reach.key_external"]["detail"]
    assert "Sinnet" not in json.dumps(found)  # no partner operator for these regions


def test_the_parameter_is_set_through_the_config(sandbox, auditor_cli, tmp_path):
    config = tmp_path / "auditor.toml"
    config.write_text('[params.data-legal-reach]\nallowed_legal_reach = ["EU", "SG"]\n')
    report = scan(sandbox, auditor_cli, tmp_path / "out", "--config", str(config))
    got = {name: f["status"] for name, f in _buckets(report).items()}
    # US (the home) is no longer allowed: only the external key passes.
    assert got == {"lr-eu-kms": "FAIL", "lr-sg-xks": "PASS", "lr-sg-plain": "FAIL",
                   "lr-us-hidden": "UNVERIFIED"}
    assert '"US"' in _buckets(report)["lr-eu-kms"]["message"]


def test_checks_list_shows_the_check(auditor):
    out = auditor("checks", "list")
    assert out.returncode == 0, out.stderr
    (line,) = [line for line in out.stdout.splitlines() if "data-legal-reach" in line]
    assert "legal_reach" in line
