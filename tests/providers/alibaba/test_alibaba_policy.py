"""TLS-enforcement and key-policy analysis, on policy documents alone."""

from __future__ import annotations

import json

import pytest

from auditor.providers.alibaba._keys import KeyMetadataError, profile, rotation_days
from auditor.providers.alibaba._policy import (
    PolicyParseError,
    key_policy_public,
    tls_enforcement,
)

NAME, REGION, ACCT = "data", "cn-hangzhou", "1122334455667788"
BOTH = [f"acs:oss:*:{ACCT}:{NAME}", f"acs:oss:*:{ACCT}:{NAME}/*"]


def deny(**over):
    statement = {"Effect": "Deny", "Principal": ["*"], "Action": ["oss:*"], "Resource": BOTH,
                 "Condition": {"Bool": {"acs:SecureTransport": ["false"]}}}
    statement.update(over)
    return statement


def verdict(*statements, wrap=True):
    doc = {"Version": "1", "Statement": list(statements) if wrap else statements[0]}
    return tls_enforcement(json.dumps(doc), NAME, REGION, ACCT)


@pytest.mark.parametrize("statement", [
    deny(),
    deny(Principal="*", Action="oss:*"),
    deny(Action=["*"], Resource=["*"]),
    deny(Resource=[f"acs:oss:*:*:{NAME}*"]),
    deny(Resource=["acs:oss:*:*:*"]),
    deny(Resource=[f"acs:oss:oss-cn-hangzhou:{ACCT}:{NAME}", f"acs:oss:oss-cn-*:*:{NAME}/*"]),
    deny(Principal={"RAM": ["*"]}),
    deny(Condition={"bool": {"ACS:SecureTransport": False}}),
    deny(Condition={"Bool": {"acs:SecureTransport": "false"}}, Effect="deny"),
], ids=["lists", "strings", "all-resources", "name-prefix", "acs-wildcard", "regional",
        "ram-everyone", "case-and-bool", "string-effect"])
def test_enforcing_statements(statement):
    result = verdict(statement)
    assert result.required, result.detail


def test_statement_may_be_a_single_object():
    assert verdict(deny(), wrap=False).required


@pytest.mark.parametrize(("statement", "reason"), [
    (deny(Principal=[ACCT]), "is not everyone"),
    (deny(NotPrincipal=["123"]), "is not everyone"),
    (deny(Action=["oss:PutObject", "oss:GetObject"]), "are not oss:*"),
    (deny(NotAction=["oss:ListObjects"]), "are not oss:*"),
    (deny(Resource=[f"acs:oss:*:{ACCT}:{NAME}/*"]), "do not cover the bucket itself"),
    (deny(Resource=[f"acs:oss:*:{ACCT}:{NAME}"]), "do not cover every object"),
    (deny(Resource=[f"acs:oss:*:{ACCT}:{NAME}", f"acs:oss:*:{ACCT}:{NAME}/logs/*"]),
     "do not cover every object"),
    (deny(Resource=[f"acs:oss:*:{ACCT}:{NAME}", f"acs:oss:*:{ACCT}:{NAME}/*.csv"]),
     "do not cover every object"),
    (deny(Resource=[f"acs:oss:oss-cn-beijing:*:{NAME}", f"acs:oss:oss-cn-beijing:*:{NAME}/*"]),
     "do not cover the bucket itself"),
    (deny(Resource=[f"acs:oss:*:999:{NAME}", f"acs:oss:*:999:{NAME}/*"]),
     "do not cover the bucket itself"),
    (deny(NotResource=BOTH), "do not cover the bucket itself"),
    (deny(Condition={"Bool": {"acs:SecureTransport": "false"},
                     "StringEquals": {"acs:UserAgent": "curl"}}), "extra conditions"),
])
def test_narrowed_statements_do_not_count(statement, reason):
    result = verdict(statement)
    assert not result.required
    assert "narrowed" in result.detail and reason in result.detail, result.detail


def test_one_good_statement_is_enough():
    assert verdict(deny(Principal=[ACCT]), deny()).required


@pytest.mark.parametrize(("statement", "reason"), [
    (deny(Condition={"Bool": {"acs:SecureTransport": "true"}}), "no statement denies"),
    (deny(Condition=None), "no statement denies"),
    ({"Effect": "Allow", "Principal": ["*"], "Action": ["oss:*"], "Resource": BOTH,
      "Condition": {"Bool": {"acs:SecureTransport": "true"}}}, "does not deny plain HTTP"),
    ({"Effect": "Allow", "Principal": ["*"], "Action": ["oss:GetObject"], "Resource": BOTH},
     "no statement denies"),
])
def test_policies_that_do_not_deny_http(statement, reason):
    result = verdict(statement)
    assert not result.required and reason in result.detail


def test_no_policy():
    result = tls_enforcement(None, NAME, REGION, ACCT)
    assert not result.required and "NoSuchBucketPolicy" in result.detail


@pytest.mark.parametrize("document", ["{oops", "[]", json.dumps({"Statement": ["x"]})])
def test_unparsable_policies_raise(document):
    with pytest.raises(PolicyParseError):
        tls_enforcement(document, NAME, REGION, ACCT)


@pytest.mark.parametrize(("principal", "condition", "public"), [
    ("*", None, True),
    ({"RAM": ["*"]}, None, True),
    ({"RAM": ["acs:ram::*:*"]}, None, True),
    ({"RAM": [f"acs:ram::{ACCT}:*"]}, None, False),
    ({"RAM": ["*"]}, {"StringEquals": {"acs:SourceVpc": "vpc-1"}}, False),
])
def test_key_policy_public(principal, condition, public):
    statement = {"Effect": "Allow", "Principal": principal, "Action": ["kms:*"],
                 "Resource": ["*"]}
    if condition:
        statement["Condition"] = condition
    result = key_policy_public(json.dumps({"Version": "1", "Statement": [statement]}))
    assert result.public is public, result.detail


def test_key_policy_deny_everyone_is_not_public():
    doc = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "kms:*",
                          "Resource": "*"}]}
    assert not key_policy_public(json.dumps(doc)).public


META = {"KeyId": "k", "Arn": "acs:kms:cn-hangzhou:1:key/k", "Creator": "1122",
        "Origin": "Aliyun_KMS", "ProtectionLevel": "SOFTWARE", "AutomaticRotation": "Enabled",
        "RotationInterval": "604800s", "KeyState": "Enabled"}


@pytest.mark.parametrize(("over", "level", "hsm", "rotation", "period", "manager"), [
    ({}, "customer_kms", False, True, 7, "customer"),
    ({"Creator": "Oss"}, "provider_kms", False, True, 7, "provider"),
    ({"Origin": "EXTERNAL", "AutomaticRotation": "Disabled"}, "customer_imported", False,
     False, None, "customer"),
    ({"ProtectionLevel": "HSM", "AutomaticRotation": "Disabled"}, "customer_kms", True, False,
     None, "customer"),
    ({"AutomaticRotation": "Suspended"}, "customer_kms", False, False, None, "customer"),
])
def test_key_profiles(over, level, hsm, rotation, period, manager):
    prof = profile({**META, **over})
    assert (prof.level, prof.hsm, prof.rotation_enabled, prof.period_days, prof.manager) == (
        level, hsm, rotation, period, manager)


def test_hsm_rotation_detail():
    prof = profile({**META, "ProtectionLevel": "HSM", "AutomaticRotation": "Disabled"})
    assert "cannot rotate automatically" in prof.rotation_detail


@pytest.mark.parametrize("over", [{"Origin": "EXTERNAL_KEY_STORE"}, {"ProtectionLevel": "X"},
                                  {"AutomaticRotation": None}, {"KeyId": None},
                                  {"RotationInterval": "a year"}])
def test_unknown_metadata_is_refused(over):
    with pytest.raises(KeyMetadataError):
        profile({**META, **over})


@pytest.mark.parametrize(("text", "days"), [("31536000s", 365), ("365d", 365), ("12h", 0.5),
                                            (None, None)])
def test_rotation_days(text, days):
    assert rotation_days(text) == days
