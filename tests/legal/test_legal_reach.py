"""Legal reach derived from data: region table + operators + provider home + key custody.

The estate below is worked by hand: for each resource, where its region is, who operates the
region, the provider's home, and whether its key is held externally; the expected table rows
are written out, not computed by the code under test.
"""

from __future__ import annotations

import pytest
import yaml

from auditor.checks import compile_check, load_checks
from auditor.legal_reach import DATA_FILE, legal_data, reach
from auditor.model import Fact, Inventory, ProviderRun, Resource
from auditor.pipeline import build_report
from auditor.reports.legal import legal_reach_rows, markdown_lines
from auditor.reports.markdown import escape


def _bucket(provider: str, region: str, name: str, custody: Fact) -> Resource:
    return Resource("storage.bucket", provider, "acct-1", region, f"{provider}/{name}", name,
                    {"key_custody.level": custody})


def _observed(level: str) -> Fact:
    return Fact.observed(level, "kms:DescribeKey")


ESTATE = [
    _bucket("aws", "cn-north-1", "bj", _observed("provider")),  # Sinnet (CN), AWS (US)
    _bucket("aws", "cn-northwest-1", "nx", _observed("customer_kms")),  # NWCD (CN), US
    _bucket("aws", "eu-central-1", "fra-xks", _observed("external")),  # XKS: EU, US, external
    _bucket("aws", "eu-central-1", "fra", _observed("customer_kms")),
    _bucket("aws", "eu-central-1", "fra-2", _observed("provider_kms")),  # same row as fra
    _bucket("gcp", "europe-west3", "ekm", _observed("external")),  # Cloud EKM
    _bucket("gcp", "europe-west3", "denied", Fact.denied("AccessDenied", "kms:Get")),
    _bucket("alibaba", "eu-central-1", "oss-fra", _observed("customer_kms")),  # CN home
    # A key is tabled too; no key check reads its custody level, so it is "not observed".
    Resource("kms.key", "gcp", "acct-1", "europe-west3", "gcp/key", "key",
             {"key.manager": Fact.observed("customer", "kms:Get"),
              "key_custody.hsm": Fact.observed(True, "kms:Get"),
              "key_custody.level": _observed("external")}),
]
# (provider, region, stored in, operator jurisdiction, home, in reach, external, resources)
EXPECTED = {
    "alibaba": [("eu-central-1", "EU", "CN", "CN", ["CN", "EU"], False, 1)],
    "aws": [("cn-north-1", "CN", "CN", "US", ["CN", "US"], False, 1),
            ("cn-northwest-1", "CN", "CN", "US", ["CN", "US"], False, 1),
            ("eu-central-1", "EU", "US", "US", ["EU", "US"], False, 2),
            ("eu-central-1", "EU", "US", "US", ["EU", "US"], True, 1)],
    "gcp": [("europe-west3", "EU", "US", "US", ["EU", "US"], None, 2),  # denied + the key
            ("europe-west3", "EU", "US", "US", ["EU", "US"], True, 1)],
}


@pytest.fixture(scope="module")
def report():
    inventory = Inventory([ProviderRun(p) for p in ("aws", "gcp", "alibaba")], ESTATE)
    return build_report(inventory, [compile_check(c) for c in load_checks()
                                    if c.id in ("bucket-key-custody", "kms-key-hsm")],
                        lambda provider: None)


def test_hand_worked_table(report):
    rows = report.legal_reach["providers"]
    got = {p: [(r["region"], r["location"], r["operator_jurisdiction"], r["home"],
                r["jurisdictions"], r["key_external"], r["resources"]) for r in rs]
           for p, rs in rows.items()}
    assert got == EXPECTED
    operators = {r["region"]: r["operator"] for r in rows["aws"]}
    assert "Sinnet" in operators["cn-north-1"] and "NWCD" in operators["cn-northwest-1"]
    assert {law["id"] for law in report.legal_reach["laws"]} == {
        "us-cloud-act", "us-fisa-702", "cn-national-intelligence-law", "cn-data-security-law",
        "cn-cybersecurity-law"}
    assert rows["alibaba"][0]["laws"] == ["cn-national-intelligence-law", "cn-data-security-law",
                                          "cn-cybersecurity-law"]  # CN home, EU location


def test_the_json_report_keeps_the_table(report):
    from auditor.model import Report
    from auditor.schema import validate

    document = report.to_dict()
    validate("report", document, "report.json")
    again = Report.from_dict(document)
    assert again.legal_reach == report.legal_reach
    assert legal_reach_rows(again)["aws"][0] == (
        "cn-north-1", "CN", "Beijing Sinnet Technology Co., Ltd. (Sinnet) (CN)", "US", "CN, US",
        "no", "1")


def test_markdown_section_names_laws_and_says_no_legal_advice(report):
    text = "\n".join(markdown_lines(report, escape))
    assert "## Legal reach" in text and "no legal advice" in text
    for law in ("CLOUD", "National Intelligence Law", "Data Security Law"):
        assert law in text
    assert "| cn-north-1 | CN | Beijing Sinnet" in text


@pytest.mark.parametrize("provider, region, custody, allowed, verdict", [
    ("aws", "eu-central-1", "customer_kms", ["EU"], "FAIL"),  # US home reaches it
    ("aws", "eu-central-1", "external", ["EU"], "PASS"),  # key held outside AWS
    ("aws", "eu-central-1", None, ["EU"], "UNVERIFIED"),  # custody not observed
    # custody not observed: UNVERIFIED even where the location alone would settle it, as the
    # engine decides the check over both derived facts
    ("aws", "eu-central-1", None, ["EU", "US"], "UNVERIFIED"),
    ("aws", "cn-north-1", "provider", ["CN"], "FAIL"),  # operator CN, home US
    ("alibaba", "eu-central-1", "customer_kms", ["EU", "US"], "FAIL"),  # CN home
    ("alibaba", "cn-hangzhou", "provider", ["CN"], "PASS"),
    ("aws", "no-such-region-9", "external", ["US"], "UNVERIFIED"),  # location not placed
    ("aws", "no-such-region-9", "provider", ["EU"], "UNVERIFIED"),  # not placed: never decided
    ("gcp", "eu", "customer_kms", ["EU", "US"], "PASS"),  # a multi-region: every place in reach
    ("gcp", "asia", "customer_kms", ["EU", "US"], "FAIL"),
    ("acme", "r1", "external", ["EU"], "UNVERIFIED"),  # provider without data
])
def test_verdict(provider, region, custody, allowed, verdict):
    assert reach(provider, region, custody).verdict(allowed) == verdict


def test_every_law_and_operator_has_a_source_and_every_shipped_provider_a_home():
    doc = yaml.safe_load(DATA_FILE.read_text())
    assert legal_data() == doc  # schema-checked as loaded
    assert set(doc["providers"]) == {"aws", "gcp", "alibaba"}
    assert {law["jurisdiction"] for law in doc["laws"]} == {"US", "CN"}
    assert all(law["source"].startswith("https://") for law in doc["laws"])
    assert set(doc["operators"]["aws"]) == {"cn-north-1", "cn-northwest-1"}


def test_html_report_shows_the_table_and_links_nothing_outside(report):
    from auditor.reports import render

    page = render(report, "html")
    assert 'id="legal-reach"' in page and "no legal advice" in page
    assert 'data-provider="aws"' in page and "Beijing Sinnet" in page
    assert "www.law.cornell.edu/uscode/text/18/2713" in page
    assert "https://www.law.cornell.edu" not in page  # shown as text, never a link
