"""The engine never turns "not collected" into NOT_APPLICABLE."""

from __future__ import annotations

import pytest

from auditor.checks import compile_check, load_checks
from auditor.engine import evaluate, uncollected, wanted_facts
from auditor.model import Fact, Inventory, ProviderRun, Resource, Status
from auditor.pipeline import build_report, requested_facts
from auditor.schema import fact_catalog

CHECKS = {c.id: compile_check(c) for c in load_checks()}


def _bucket(provider: str, **facts: Fact) -> Resource:
    return Resource("storage.bucket", provider, "acct", "r1", f"{provider}-b", "b",
                    {path.replace("__", "."): fact for path, fact in facts.items()})


ENCRYPTED = {"encryption__enabled": Fact.observed(True, "op"),
             "encryption__algorithm": Fact.observed("AES256", "op")}


@pytest.mark.parametrize(("requested", "statuses"), [
    # legacy inventory (no record of what was asked): absent facts stay NOT_APPLICABLE
    (None, {"bucket-encryption-enabled": Status.PASS,
            "bucket-key-rotation": Status.NOT_APPLICABLE}),
    # asked only for encryption: rotation was never requested, so no finding at all
    ({"storage.bucket": ["encryption.algorithm", "encryption.enabled"]},
     {"bucket-encryption-enabled": Status.PASS}),
    # asked for rotation too, and the adapter left it out: it does not apply
    ({"storage.bucket": ["encryption.algorithm", "encryption.enabled",
                         "key_rotation.enabled", "key_rotation.period_days",
                         "key_rotation.supported"]},
     {"bucket-encryption-enabled": Status.PASS, "bucket-key-rotation": Status.NOT_APPLICABLE}),
])
def test_status_depends_on_what_was_requested(requested, statuses):
    run = ProviderRun("aws", facts_requested=requested)
    inventory = Inventory([run], [_bucket("aws", **ENCRYPTED)])
    checks = [CHECKS["bucket-encryption-enabled"], CHECKS["bucket-key-rotation"]]
    got = {f.check_id: f.status for f in evaluate(inventory, checks)}
    assert got == statuses


def test_gaps_are_per_provider():
    narrow = {"storage.bucket": ["encryption.algorithm", "encryption.enabled"]}
    inventory = Inventory(
        [ProviderRun("aws", facts_requested=narrow),
         ProviderRun("gcp", facts_requested=requested_facts(None))],
        [_bucket("aws", **ENCRYPTED), _bucket("gcp", **ENCRYPTED)])
    checks = [CHECKS["bucket-encryption-enabled"], CHECKS["bucket-key-rotation"]]
    gaps = uncollected(inventory, checks)
    assert [(g.check_id, g.provider) for g in gaps] == [("bucket-key-rotation", "aws")]
    assert gaps[0].facts == ["key_rotation.enabled", "key_rotation.period_days",
                             "key_rotation.supported"]
    found = {(f.check_id, f.provider): f.status for f in evaluate(inventory, checks)}
    assert ("bucket-key-rotation", "aws") not in found
    assert found[("bucket-key-rotation", "gcp")] is Status.NOT_APPLICABLE
    report = build_report(inventory, checks, lambda provider: None)
    assert [c.id for c in report.checks] == ["bucket-encryption-enabled", "bucket-key-rotation"]
    assert report.to_dict()["not_collected"] == [
        {"check_id": "bucket-key-rotation", "provider": "aws", "facts": gaps[0].facts}]


def test_a_check_collected_nowhere_is_not_listed_as_run():
    narrow = {"storage.bucket": ["encryption.algorithm", "encryption.enabled"]}
    inventory = Inventory([ProviderRun("aws", facts_requested=narrow)],
                          [_bucket("aws", **ENCRYPTED)])
    checks = [CHECKS["bucket-encryption-enabled"], CHECKS["bucket-versioning"]]
    report = build_report(inventory, checks, lambda provider: None)
    assert [c.id for c in report.checks] == ["bucket-encryption-enabled"]
    assert [g.check_id for g in report.not_collected] == ["bucket-versioning"]


def test_failed_runs_are_not_gaps():
    inventory = Inventory([ProviderRun("aws", status="failed", facts_requested={})], [])
    assert uncollected(inventory, list(CHECKS.values())) == []


def test_wanted_facts_include_context():
    wanted = wanted_facts([CHECKS["bucket-not-public"]])
    assert {"public_exposure.is_public", "public_exposure.reasons"} <= wanted["storage.bucket"]


def test_whole_catalog_is_recorded_when_nothing_was_narrowed():
    recorded = requested_facts(None)
    assert {k: set(v) for k, v in recorded.items()} == {
        k: set(v) for k, v in fact_catalog().items()}


def test_requested_facts_round_trip_through_json():
    run = ProviderRun("aws", facts_requested={"kms.key": ["key_rotation.enabled"]})
    again = ProviderRun.from_dict(run.to_dict())
    assert again.facts_requested == {"kms.key": ["key_rotation.enabled"]}
    assert "facts_requested" not in ProviderRun("aws").to_dict()
