"""The comparison matrix and transparency scores, worked out by hand on a small estate."""

from __future__ import annotations

import pytest

from auditor.checks import load_checks
from auditor.comparison import build_matrix, merge_reports
from auditor.config import compile_with_params
from auditor.errors import ReportInputError
from auditor.model import Fact, Inventory, ProviderRun, Resource, Status
from auditor.pipeline import build_report
from auditor.reports import render_comparison

CHECKS = ("bucket-versioning", "bucket-tls-enforced", "bucket-encryption-enabled")
# Exposure as the three adapters declare it for these facts (hand-copied, not read back).
EXPOSURE = {
    "aws": {"tls_enforced.required": "derived"},
    "gcp": {"tls_enforced.required": "none", "versioning.mfa_delete": "none"},
    "alibaba": {"tls_enforced.required": "derived", "versioning.mfa_delete": "none"},
}


def _exposure(provider):
    from auditor.schema import fact_catalog

    overrides = EXPOSURE[provider]
    return {kind: {path: overrides.get(path, "api") for path in facts}
            for kind, facts in fact_catalog().items()}


def _bucket(provider, name, **facts):
    return Resource("storage.bucket", provider, "acct", "r", f"{provider}:{name}", name,
                    {k.replace("__", "."): v for k, v in facts.items()})


def _ob(value):
    return Fact.observed(value, "op")


def _estate():
    resources = [
        # aws: versioning 1 PASS 1 FAIL; tls PASS + UNVERIFIED (denied); encryption 2 PASS
        _bucket("aws", "a1", versioning__enabled=_ob(True), tls_enforced__required=_ob(True),
                encryption__enabled=_ob(True), encryption__algorithm=_ob("AES256")),
        _bucket("aws", "a2", versioning__enabled=_ob(False),
                tls_enforced__required=Fact.denied("AccessDenied", "s3:GetBucketPolicy"),
                encryption__enabled=_ob(True), encryption__algorithm=_ob("KMS")),
        # gcp: versioning 2 PASS; tls 2 OPAQUE; encryption 2 PASS
        *[_bucket("gcp", n, versioning__enabled=_ob(True),
                  tls_enforced__required=Fact.opaque("no such control"),
                  encryption__enabled=_ob(True), encryption__algorithm=_ob("AES256"))
          for n in ("g1", "g2")],
        # alibaba: denied everywhere
        *[_bucket("alibaba", n, **{p: Fact.denied("AccessDenied", "oss:GetBucketInfo")
                                   for p in ("versioning__enabled", "tls_enforced__required",
                                             "encryption__enabled", "encryption__algorithm")})
          for n in ("o1", "o2")],
    ]
    runs = [ProviderRun(p) for p in ("aws", "gcp", "alibaba")]
    return Inventory(runs, resources)


def _report():
    checks = compile_with_params([c for c in load_checks() if c.id in CHECKS], {}, "test")
    return build_report(_estate(), checks, _exposure)


def test_matrix_cells_by_hand():
    m = build_matrix(_report())
    assert m.providers == ["alibaba", "aws", "gcp"]
    v = m.cell("versioning", "aws").figures
    assert (v["pass"], v["fail"], v["pass_rate"], v["verifiability"]) == (1, 1, 0.5, 1.0)
    assert m.cell("versioning", "aws").exposure == "api"
    # mfa_delete hidden on gcp and alibaba: versioning is only partially exposed there
    assert m.cell("versioning", "gcp").exposure == "partial"
    t_aws, t_gcp = m.cell("tls_enforced", "aws"), m.cell("tls_enforced", "gcp")
    assert (t_aws.exposure, t_aws.figures["unverified"], t_aws.figures["pass"]) == ("derived", 1, 1)
    assert t_aws.figures["verifiability"] == 0.5
    assert (t_gcp.exposure, t_gcp.figures["opaque"], t_gcp.figures["verifiability"]) == ("none", 2, 0.0)
    assert m.comparable["tls_enforced"] is False
    assert m.comparable["versioning"] is True
    e = m.cell("encryption_at_rest", "gcp").figures
    assert (e["pass"], e["applicable"]) == (2, 2)
    aws = m.provider_scores["aws"]
    # aws: 6 applicable (2 buckets x 3 checks), 5 decided, 1 unverified
    assert (aws["applicable"], aws["decided"], aws["access_gap"]) == (6, 5, round(1 / 6, 4))
    gcp = m.provider_scores["gcp"]
    assert (gcp["verifiability"], gcp["provider_opacity"]) == (round(4 / 6, 4), round(2 / 6, 4))


def test_provider_denied_everywhere_has_zero_verifiability_and_no_decisions():
    report = _report()
    alibaba = [f for f in report.findings if f.provider == "alibaba"]
    assert alibaba and all(f.status is Status.UNVERIFIED for f in alibaba)
    scores = report.transparency["providers"]["alibaba"]
    assert scores["verifiability"] == 0.0
    assert scores["pass"] == scores["fail"] == 0
    assert scores["pass_rate"] is None


def test_renderings_show_every_cell():
    m = build_matrix(_report())
    table = render_comparison(m, "table")
    md = render_comparison(m, "markdown")
    for safeguard in m.safeguards:
        assert safeguard in table and safeguard in md
    assert md.count("\n| ") >= len(m.safeguards) + 1
    html = render_comparison(m, "html")
    assert html.count('<td class="cell"') == len(m.safeguards) * len(m.providers)
    assert "http://" not in html and "https://" not in html


def test_merge_reports_and_reject_overlap():
    report = _report()
    aws_only = build_report(Inventory([ProviderRun("aws")], [r for r in _estate().resources
                                                             if r.provider == "aws"]),
                            compile_with_params([c for c in load_checks() if c.id in CHECKS],
                                                {}, "t"), _exposure)
    gcp_only = build_report(Inventory([ProviderRun("gcp")], [r for r in _estate().resources
                                                             if r.provider == "gcp"]),
                            compile_with_params([c for c in load_checks() if c.id in CHECKS],
                                                {}, "t"), _exposure)
    merged = merge_reports([aws_only, gcp_only], ["a.json", "g.json"])
    assert merged.transparency["providers"]["aws"] == {
        k: v for k, v in report.transparency["providers"]["aws"].items()}
    with pytest.raises(ReportInputError, match=r"also in a\.json"):
        merge_reports([aws_only, aws_only], ["a.json", "b.json"])


def test_failed_listing_is_a_coverage_gap_not_a_clean_estate():
    from auditor.model import RunError

    estate = _estate()
    estate.runs[0].errors.append(RunError("eu-west-1", "s3:ListBuckets", "AccessDenied",
                                          "denied", "listing"))
    estate.runs[0].errors.append(RunError("a1", "s3:GetBucketAcl", "AccessDenied", "", "call"))
    checks = compile_with_params([c for c in load_checks() if c.id in CHECKS], {}, "t")
    report = build_report(estate, checks, _exposure)
    gaps = report.transparency["providers"]["aws"]["listing_failures"]
    assert gaps == [{"scope": "eu-west-1", "operation": "s3:ListBuckets", "code": "AccessDenied"}]
    assert report.transparency["providers"]["gcp"]["listing_failures"] == []
    table = render_comparison(build_matrix(report), "table")
    assert "aws: s3:ListBuckets failed for eu-west-1 (AccessDenied)" in table


def test_missing_feature_is_counted_apart_from_hidden_settings():
    def exposure(provider):
        levels = _exposure(provider)
        if provider == "gcp":
            levels["storage.bucket"]["tls_enforced.required"] = "absent"
        return levels

    checks = compile_with_params([c for c in load_checks() if c.id in CHECKS], {}, "t")
    m = build_matrix(build_report(_estate(), checks, exposure))
    tls = m.cell("tls_enforced", "gcp")
    assert tls.exposure == "absent"
    assert (tls.figures["unsupported"], tls.figures["opaque"], tls.figures["applicable"]) == (2, 0, 0)
    gcp = m.provider_scores["gcp"]
    # 6 findings: 4 decided, 2 for a feature Cloud Storage does not have
    assert (gcp["applicable"], gcp["verifiability"], gcp["provider_opacity"]) == (4, 1.0, 0.0)
    assert m.comparable["tls_enforced"] is False
    assert "no such feature: 2" in render_comparison(m, "table")
