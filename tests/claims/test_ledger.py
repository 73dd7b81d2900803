"""The ledger over a hand-worked estate: every figure below was counted by hand from the five
buckets and the eight promises set out here, then the real checks and build_report run."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from auditor.checks import compile_check, load_checks
from auditor.claims import load_claims
from auditor.claims_ledger import LISTED, ledger_section
from auditor.model import Fact, Inventory, ProviderRun, Report, Resource, Status
from auditor.pipeline import build_report
from auditor.schema import own_document_json

CHECKS = [compile_check(c) for c in load_checks()
          if c.id in {"bucket-encryption-enabled", "bucket-key-custody", "bucket-versioning"}]
SRC = {"url": "https://docs.example.org/page", "read": "2026-12-03"}


def _claim(cid: str, safeguard: str, scope: str, how: dict, ccm: str = "CEK-03") -> dict:
    return {"id": cid, "topic": "default_encryption", "safeguard": safeguard, "scope": scope,
            "promise": f"The promise called {cid}, in a sentence.", "ccm": [ccm],
            "source": SRC, "verification": how}


def _api(path: str, check: str, **where: list) -> dict:
    return {"method": "api", "facts": [f"storage.bucket:{path}"], "checks": [check],
            **({"where": where} if where else {})}


ENC = _api("encryption.enabled", "bucket-encryption-enabled")
VER = _api("versioning.enabled", "bucket-versioning")
CLAIMS = {
    "aws": [_claim("a-enc", "encryption_at_rest", "always", ENC),
            _claim("a-xks", "key_custody", "when_used",
                   _api("key_custody.level", "bucket-key-custody",
                        **{"key_custody.level": ["external"]})),
            _claim("a-ver", "versioning", "when_used", VER),
            _claim("a-hsm", "key_custody", "always",
                   {"method": "attestation", "attestation": "FIPS 140-3 certificate"}),
            _claim("a-dur", "durability", "always",
                   {"method": "none", "note": "A design target no API shows."})],
    "gcp": [_claim("g-enc", "encryption_at_rest", "always", ENC),
            _claim("g-ver", "versioning", "when_used", VER),
            _claim("g-cert", "certification", "always",
                   {"method": "attestation", "attestation": "SOC 2 Type II"})],
}
DENIED = Fact.denied("AccessDenied", "s3:GetBucketEncryption")


def _bucket(provider: str, name: str, enabled: Fact, level: str, versioning: Fact) -> Resource:
    return Resource("storage.bucket", provider, "acct", "eu-west-1", f"{provider}:{name}", name,
                    {"encryption.enabled": enabled,
                     "encryption.algorithm": Fact.observed("AES256" if enabled.value else None),
                     "key_custody.level": Fact.observed(level) if level else DENIED,
                     "versioning.enabled": versioning})


def _estate() -> Inventory:
    yes, no = Fact.observed(True), Fact.observed(False)
    return Inventory([ProviderRun("aws"), ProviderRun("gcp")], [
        _bucket("aws", "b1", yes, "external", yes),  # encrypted, XKS key, versioned
        _bucket("aws", "b2", no, "provider", no),  # not encrypted: breaks an `always` promise
        _bucket("aws", "b3", DENIED, "", DENIED),  # nothing observed
        _bucket("gcp", "g1", yes, "provider", no),
        _bucket("gcp", "g2", yes, "customer_kms", no),
    ])


@pytest.fixture
def claims(tmp_path: Path):
    for provider, entries in CLAIMS.items():
        (tmp_path / f"{provider}.yaml").write_text(
            yaml.safe_dump({"provider": provider, "claims": entries}), encoding="utf-8")
    return load_claims(tmp_path)


def _by_id(section: dict, provider: str) -> dict[str, dict]:
    return {e["id"]: e for e in section["providers"][provider]["entries"]}


def test_hand_worked_estate_figures(claims):
    report = build_report(_estate(), CHECKS, lambda p: None)
    section = ledger_section(report, claims)
    aws, gcp = section["providers"]["aws"], section["providers"]["gcp"]
    # aws: 5 promises, 3 api (a-enc contradicted by b2; a-xks upheld by b1 alone; a-ver upheld
    # by b1 while b2's FAIL only says versioning is off there), 1 attestation, 1 none
    assert {k: v for k, v in aws.items() if k != "entries"} == {
        "promises": 5, "api": 3, "attestation": 1, "none": 1,
        "upheld": 2, "contradicted": 1, "undetermined": 0}
    # gcp: g-enc upheld (2 PASS); g-ver undetermined (2 FAIL, no bucket uses versioning)
    assert {k: v for k, v in gcp.items() if k != "entries"} == {
        "promises": 3, "api": 2, "attestation": 1, "none": 0,
        "upheld": 1, "contradicted": 0, "undetermined": 1}
    entries = _by_id(section, "aws")
    assert entries["a-enc"]["verdict"] == "contradicted"
    assert entries["a-enc"]["counts"] == {"FAIL": 1, "UNVERIFIED": 1, "OPAQUE": 0, "PASS": 1}
    # linked to the findings, the contradicting one first
    assert entries["a-enc"]["findings"][0] == {"check_id": "bucket-encryption-enabled",
                                               "resource_id": "aws:b2", "status": "FAIL"}
    # where: only the external-custody bucket is about the XKS promise
    assert entries["a-xks"]["counts"] == {"FAIL": 0, "UNVERIFIED": 0, "OPAQUE": 0, "PASS": 1}
    assert [f["resource_id"] for f in entries["a-xks"]["findings"]] == ["aws:b1"]
    # a when_used promise lists the resources that show it working first
    assert entries["a-ver"]["verdict"] == "upheld"
    assert entries["a-ver"]["findings"][0]["status"] == "PASS"
    assert "verdict" not in entries["a-hsm"] and entries["a-hsm"]["attestation"]
    assert _by_id(section, "gcp")["g-ver"]["verdict"] == "undetermined"


def test_unobserved_evidence_is_never_upheld_or_contradicted(claims):
    estate = _estate()
    blind = Inventory(estate.runs, [_bucket(r.provider, r.name, DENIED, "", DENIED)
                                    for r in estate.resources])
    section = ledger_section(build_report(blind, CHECKS, lambda p: None), claims)
    for provider in ("aws", "gcp"):
        figures = section["providers"][provider]
        assert figures["upheld"] == figures["contradicted"] == 0
        assert figures["undetermined"] == figures["api"]


def test_a_mute_does_not_hide_a_contradiction(claims):
    report = build_report(_estate(), CHECKS, lambda p: None)
    muted = [replace(f, status=Status.MUTED, muted_status=f.status, muted_reason="accepted")
             if f.status is Status.FAIL else f for f in report.findings]
    section = ledger_section(replace(report, findings=muted), claims)
    assert _by_id(section, "aws")["a-enc"]["verdict"] == "contradicted"


def test_not_applicable_and_other_providers_findings_are_no_evidence(claims):
    report = build_report(_estate(), CHECKS, lambda p: None)
    na = [replace(f, status=Status.NOT_APPLICABLE) if f.provider == "gcp" else f
          for f in report.findings]
    section = ledger_section(replace(report, findings=na), claims)
    # gcp's findings are all N/A now: its promises are undetermined, aws's unchanged
    assert section["providers"]["gcp"]["undetermined"] == 2
    assert section["providers"]["aws"]["contradicted"] == 1


def test_a_provider_outside_the_report_gets_no_ledger(claims):
    estate = _estate()
    only_aws = Inventory([estate.runs[0]], [r for r in estate.resources if r.provider == "aws"])
    section = ledger_section(build_report(only_aws, CHECKS, lambda p: None), claims)
    assert list(section["providers"]) == ["aws"]


def test_findings_listed_are_capped_but_all_counted(claims):
    many = [_bucket("aws", f"x{i:03}", Fact.observed(False), "provider", Fact.observed(False))
            for i in range(LISTED + 7)]
    report = build_report(Inventory([ProviderRun("aws")], many), CHECKS, lambda p: None)
    entry = _by_id(ledger_section(report, claims), "aws")["a-enc"]
    assert entry["counts"]["FAIL"] == LISTED + 7 and len(entry["findings"]) == LISTED


def test_the_report_carries_the_shipped_ledger_and_it_fits_the_report_schema():
    report = build_report(_estate(), CHECKS, lambda p: None)
    shipped = load_claims()
    for provider in ("aws", "gcp"):
        figures = report.ledger["providers"][provider]
        mine = [c for c in shipped if c.provider == provider]
        assert figures["promises"] == len(mine)
        assert figures["api"] == sum(c.method == "api" for c in mine)
    assert "alibaba" not in report.ledger["providers"]  # not in this estate
    document = json.loads(own_document_json(report.to_dict(), "report", AssertionError))
    again = Report.from_dict(document)
    assert again.ledger == report.ledger
