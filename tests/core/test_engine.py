"""The evaluation order of DESIGN.md on hand-built resources."""

from __future__ import annotations

import pytest

from auditor.checks import Check, compile_check, load_checks
from auditor.engine import evaluate_one, wanted_facts
from auditor.model import Fact, Resource, Status


def _check(check_id: str) -> Check:
    return next(c for c in load_checks() if c.id == check_id)


def _bucket(**facts: Fact) -> Resource:
    return Resource("storage.bucket", "aws", "1", "eu-west-1", "arn:aws:s3:::b", "b",
                    {k.replace("__", "."): v for k, v in facts.items()})


ROTATION = compile_check(_check("bucket-key-rotation"))


def test_opaque_wins_over_denied():
    r = _bucket(key_rotation__supported=Fact.observed(True),
                key_rotation__enabled=Fact.opaque("provider-held key"),
                key_rotation__period_days=Fact.denied("AccessDenied", "kms:GetKeyRotationStatus"))
    assert evaluate_one(ROTATION, r)[0] is Status.OPAQUE


@pytest.mark.parametrize("state", [Fact.denied, Fact.error])
def test_unreadable_is_unverified_even_when_other_fact_fails(state):
    r = _bucket(key_rotation__supported=Fact.observed(True),
                key_rotation__enabled=Fact.observed(False, "kms:GetKeyRotationStatus"),
                key_rotation__period_days=state("x", "kms:GetKeyRotationStatus"))
    status, message = evaluate_one(ROTATION, r)
    assert status is Status.UNVERIFIED
    assert "key_rotation.period_days" in message


def test_absent_fact_is_not_applicable():
    r = _bucket(key_rotation__supported=Fact.observed(True),
                key_rotation__enabled=Fact.observed(True))
    assert evaluate_one(ROTATION, r)[0] is Status.NOT_APPLICABLE


def test_key_that_cannot_rotate_is_not_applicable():
    r = _bucket(key_rotation__supported=Fact.observed(False, "kms:DescribeKey"),
                key_rotation__enabled=Fact.observed(False, "kms:DescribeKey"),
                key_rotation__period_days=Fact.observed(None, "kms:DescribeKey"))
    assert evaluate_one(ROTATION, r)[0] is Status.NOT_APPLICABLE


def test_param_override_changes_outcome():
    r = _bucket(key_rotation__supported=Fact.observed(True),
                key_rotation__enabled=Fact.observed(True),
                key_rotation__period_days=Fact.observed(180))
    assert evaluate_one(ROTATION, r)[0] is Status.PASS
    strict = compile_check(_check("bucket-key-rotation"), {"max_rotation_days": 90})
    status, message = evaluate_one(strict, r)
    assert status is Status.FAIL
    assert message == "key_rotation.period_days=180: expected at most 90"


def test_custody_ladder_param():
    check = _check("bucket-key-custody")
    r = _bucket(key_custody__level=Fact.observed("provider_kms"))
    assert evaluate_one(compile_check(check), r)[0] is Status.FAIL
    lenient = compile_check(check, {"minimum_custody": "provider_kms"})
    assert evaluate_one(lenient, r)[0] is Status.PASS
    external_only = compile_check(check, {"minimum_custody": "external"})
    r2 = _bucket(key_custody__level=Fact.observed("customer_imported"))
    assert evaluate_one(external_only, r2)[0] is Status.FAIL


def test_validator_compiled_once():
    compiled = compile_check(_check("bucket-versioning"))
    validator = compiled.validator
    for _ in range(3):
        evaluate_one(compiled, _bucket(versioning__enabled=Fact.observed(True)))
    assert compiled.validator is validator


def test_wanted_facts_are_the_union_of_reads():
    checks = [compile_check(c) for c in load_checks()
              if c.id in ("bucket-versioning", "bucket-mfa-delete", "kms-key-not-public")]
    assert wanted_facts(checks) == {
        "storage.bucket": frozenset({"versioning.enabled", "versioning.mfa_delete"}),
        "kms.key": frozenset({"key_exposure.is_public"}),
    }


def test_context_fact_is_evidence_but_never_decides():
    check = compile_check(_check("bucket-not-public"))
    r = _bucket(public_exposure__is_public=Fact.observed(True, "s3:GetBucketPolicyStatus"),
                public_exposure__reasons=Fact.denied("AccessDenied", "s3:GetBucketAcl"))
    status, message = evaluate_one(check, r)
    assert status is Status.FAIL
    assert message == "public_exposure.is_public=true: expected false"
    from auditor.engine import finding_for

    evidence = {e.fact: e.state for e in finding_for(check, r).evidence}
    assert evidence == {"public_exposure.is_public": "observed",
                        "public_exposure.reasons": "denied"}
