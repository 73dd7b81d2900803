"""The compare matrix and transparency per resource kind, worked out by hand (issue 15)."""

from __future__ import annotations

import pytest

from auditor.checks import load_checks
from auditor.comparison import build_matrix
from auditor.config import compile_with_params
from auditor.errors import UsageError
from auditor.model import Fact, Inventory, ProviderRun, Resource
from auditor.pipeline import build_report
from auditor.reports import render_comparison
from auditor.schema import fact_catalog

CHECKS = ("storage-encryption-enabled", "volume-attached", "database-not-public",
          "bucket-encryption-enabled")
VOLUME, DATABASE, BUCKET = "storage.volume", "database.instance", "storage.bucket"


def _exposure(provider):
    # gcp's profile names no database kind: it does not collect databases. Its volumes'
    # attachment is hidden (none), to show a per-kind exposure apart from the provider's.
    levels = {kind: dict.fromkeys(facts, "api") for kind, facts in fact_catalog().items()}
    if provider == "gcp":
        del levels[DATABASE]
        levels[VOLUME]["attachment.attached"] = "none"
    return levels


def _ob(value):
    return Fact.observed(value, "op")


def _resource(kind, provider, name, **facts):
    return Resource(kind, provider, "acct", "r", f"{provider}:{name}", name,
                    {k.replace("__", "."): v for k, v in facts.items()})


def _report():
    resources = [
        # aws: 2 volumes (1 encrypted + attached, 1 neither), 1 public unencrypted database,
        # 1 encrypted bucket
        _resource(VOLUME, "aws", "v1", encryption__enabled=_ob(True), attachment__attached=_ob(True)),
        _resource(VOLUME, "aws", "v2", encryption__enabled=_ob(False),
                  attachment__attached=_ob(False)),
        _resource(DATABASE, "aws", "d1", encryption__enabled=_ob(False),
                  public_exposure__is_public=_ob(True)),
        _resource(BUCKET, "aws", "b1", encryption__enabled=_ob(True),
                  encryption__algorithm=_ob("AES256")),
        # gcp: 1 encrypted volume whose attachment no API states, 1 encrypted bucket
        _resource(VOLUME, "gcp", "g1", encryption__enabled=_ob(True),
                  attachment__attached=Fact.opaque("not exposed", "op")),
        _resource(BUCKET, "gcp", "gb", encryption__enabled=_ob(True),
                  encryption__algorithm=_ob("AES256")),
    ]
    checks = compile_with_params([c for c in load_checks() if c.id in CHECKS], {}, "test")
    return build_report(Inventory([ProviderRun("aws"), ProviderRun("gcp")], resources), checks,
                        _exposure)


def test_every_kind_with_findings_has_its_rows():
    kinds = _report().transparency["kinds"]
    assert sorted(kinds) == [DATABASE, BUCKET, VOLUME]
    assert sorted(kinds[VOLUME]["safeguards"]) == sorted(set(fact_catalog()[VOLUME].values()))
    volume_enc = kinds[VOLUME]["safeguards"]["encryption_at_rest"]["providers"]
    assert (volume_enc["aws"]["pass"], volume_enc["aws"]["fail"]) == (1, 1)
    assert (volume_enc["gcp"]["pass"], volume_enc["gcp"]["exposure"]) == (1, "api")
    hygiene = kinds[VOLUME]["safeguards"]["resource_hygiene"]
    assert hygiene["providers"]["gcp"]["exposure"] == "none"
    assert hygiene["providers"]["gcp"]["opaque"] == 1 and hygiene["comparable"] is False
    # gcp does not collect databases: unknown there, so the row is not comparable
    db_public = kinds[DATABASE]["safeguards"]["public_exposure"]
    assert db_public["providers"]["gcp"]["exposure"] == "unknown"
    assert db_public["providers"]["aws"]["fail"] == 1 and db_public["comparable"] is False
    assert kinds[DATABASE]["providers"]["aws"]["fail"] == 2  # encryption and public


def test_the_matrix_of_one_kind_counts_only_that_kind():
    report = _report()
    every = build_matrix(report)
    assert every.kind is None and every.kinds == {DATABASE: 2, BUCKET: 2, VOLUME: 6}
    enc = every.cell("encryption_at_rest", "aws").figures
    assert (enc["pass"], enc["fail"]) == (2, 2)  # v1, b1 | v2, d1
    volumes = build_matrix(report, VOLUME)
    assert volumes.kind == VOLUME and "backup" not in volumes.safeguards
    cell = volumes.cell("encryption_at_rest", "aws")
    assert cell.kind == VOLUME and [f.resource_name for f in cell.findings] == ["v1", "v2"]
    assert (cell.figures["pass"], cell.figures["fail"]) == (1, 1)
    # provider scores of the kind alone: aws volumes 4 findings, 2 PASS 2 FAIL
    aws = volumes.provider_scores["aws"]
    assert (aws["applicable"], aws["pass_rate"]) == (4, 0.5)
    # buckets keep their rows as without the new kinds
    buckets = build_matrix(report, BUCKET)
    assert buckets.cell("encryption_at_rest", "gcp").figures["pass"] == 1


def test_a_kind_without_findings_is_a_usage_error_naming_the_kinds_found():
    with pytest.raises(UsageError) as info:
        build_matrix(_report(), "storage.filesystem")
    assert info.value.path == "--kind"
    assert "database.instance, storage.bucket, storage.volume" in info.value.reason


def test_renderings_name_the_kind():
    report = _report()
    table = render_comparison(build_matrix(report, VOLUME), "table")
    assert "safeguard on storage.volume" in table and "rows and scores cover storage.volume" in table
    assert "key custody (buckets per level)" not in table
    md = render_comparison(build_matrix(report, DATABASE), "markdown")
    assert "| safeguard on database.instance |" in md
    every = render_comparison(build_matrix(report), "table")
    assert "rows cover every kind: database.instance 2, storage.bucket 2, storage.volume 6" in every
    assert "key custody (buckets per level)" in every
