"""TLS-enforcement and key-policy analysis, on policy documents alone."""

from __future__ import annotations

import json

import pytest

from auditor.model import FactState
from auditor.providers.alibaba._keys import KeyMetadataError, key_facts, profile, rotation_days
from auditor.providers.alibaba._policy import (
    PolicyParseError,
    TlsUndecided,
    key_policy_public,
    tls_enforcement,
)

NAME, REGION, ACCT = "data", "cn-hangzhou", "1122334455667788"
BOTH = [f"acs:oss:*:{ACCT}:{NAME}", f"acs:oss:*:{ACCT}:{NAME}/*"]


def deny(**over):
    statement = {"Effect": "Deny", "Principal": ["*"], "Action": ["oss:*"], "Resource": BOTH,
                 "Condition": {"Bool": {"acs:SecureTransport": ["false"]}}}
    statement.update(over)
    return {k: v for k, v in statement.items() if v is not None}


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
    # Condition keys compare case-insensitively; a bare JSON false is the Bool value false.
    deny(Condition={"Bool": {"ACS:SecureTransport": False}}),
], ids=["lists", "strings", "all-resources", "name-prefix", "acs-wildcard", "regional",
        "ram-everyone", "key-case-and-bool"])
def test_enforcing_statements(statement):
    result = verdict(statement)
    assert result.required, result.detail


def test_statement_may_be_a_single_object():
    assert verdict(deny(), wrap=False).required


@pytest.mark.parametrize(("statement", "reason"), [
    (deny(Principal=[ACCT]), "is not everyone"),
    (deny(Action=["oss:PutObject", "oss:GetObject"]), "are not oss:*"),
    (deny(Action=None, NotAction=["oss:ListObjects"]), "are not oss:*"),
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
    (deny(Resource=None, NotResource=BOTH), "do not cover the bucket itself"),
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


# RAM "Policy structure and syntax": element names, operators and predefined values are
# case-sensitive, so "deny" and "bool" are not RAM; NotPrincipal is not in the grammar.
# (Earlier rows read them as an enforcing Deny or a narrowed one: a guess, now an error.)
@pytest.mark.parametrize("document", [
    "{oops", "[]", json.dumps({"Statement": ["x"]}),
    json.dumps({"Statement": [deny(Effect="deny")]}),
    json.dumps({"Statement": [deny(Condition={"bool": {"acs:SecureTransport": "false"}})]}),
    json.dumps({"Statement": [deny(NotPrincipal=["123"])]}),
    json.dumps({"Statement": [deny(NotAction=["oss:ListObjects"])]}),  # Action and NotAction
])
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
        "RotationInterval": "604800s", "KeyState": "Enabled", "KeySpec": "Aliyun_AES_256"}


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
    # A hardware key management instance cannot rotate keys; say so where rotation is off.
    prof = profile({**META, "ProtectionLevel": "HSM", "DKMSInstanceId": "kst-1",
                    "AutomaticRotation": "Disabled"})
    assert "cannot rotate automatically" in prof.rotation_detail
    # Managed HSM outside an instance is not excluded by the docs: no such claim.
    managed = profile({**META, "ProtectionLevel": "HSM", "AutomaticRotation": "Disabled"})
    assert managed.rotation_detail is None and managed.supported is True


# key_rotation.supported, as the KMS UpdateRotationPolicy reference limits it.
@pytest.mark.parametrize(("over", "supported", "says"), [
    ({}, True, None),
    ({"KeySpec": "Aliyun_SM4", "ProtectionLevel": "HSM"}, True, None),
    ({"DKMSInstanceId": "kst-soft"}, True, None),
    ({"Origin": "EXTERNAL", "AutomaticRotation": "Disabled"}, False, "Origin EXTERNAL"),
    ({"KeySpec": "RSA_2048", "AutomaticRotation": "Disabled"}, False, "asymmetric"),
    ({"KeySpec": "EC_SM2", "Creator": None}, False, "asymmetric"),
    ({"ProtectionLevel": "HSM", "DKMSInstanceId": "kst-hw"}, False, "hardware key management"),
    ({"Creator": "Oss"}, True, "rotated by its service"),
    ({"KeyState": "Disabled"}, True, "paused"),
], ids=["kms-symmetric", "managed-hsm-sm4", "software-instance", "byok", "rsa",
        "asymmetric-without-creator", "hardware-instance", "service-rotating", "disabled"])
# A service key that DescribeKey shows not rotating is opaque, not False: see
# tests/providers/test_service_managed_keys.py.
def test_rotation_support(over, supported, says):
    meta = {k: v for k, v in {**META, **over}.items() if v is not None}
    fact = key_facts(profile(meta), "kms:DescribeKey")["key_rotation.supported"]
    assert fact.state is FactState.OBSERVED and fact.value is supported
    assert fact.source == ("kms:DescribeKey",)
    assert (fact.detail is None) if says is None else (says in fact.detail)


def test_metadata_without_key_id_is_refused():
    with pytest.raises(KeyMetadataError):
        profile({**META, "KeyId": None})


# A field DescribeKey left out or answered unrecognisably is never guessed: exactly the
# facts that rest on it are errors, naming the field; the others stay observed.
CUSTODY = {"key.manager", "key_custody.level"}
SUPPORTED = {"key_rotation.supported"}
ROTATION = {"key_rotation.enabled", "key_rotation.period_days"}


@pytest.mark.parametrize(("over", "failed", "field"), [
    ({"Creator": None}, CUSTODY | SUPPORTED, "Creator"),
    ({"Creator": ""}, CUSTODY | SUPPORTED, "Creator"),
    ({"Origin": None}, CUSTODY | SUPPORTED, "Origin"),
    ({"Origin": "EXTERNAL_KEY_STORE"}, CUSTODY | SUPPORTED, "Origin"),
    ({"ProtectionLevel": None}, {"key_custody.hsm"}, "ProtectionLevel"),
    ({"ProtectionLevel": "X"}, {"key_custody.hsm"}, "ProtectionLevel"),
    ({"ProtectionLevel": None, "DKMSInstanceId": "kst-1"}, {"key_custody.hsm"} | SUPPORTED,
     "ProtectionLevel"),
    ({"AutomaticRotation": None}, ROTATION, "AutomaticRotation"),
    ({"AutomaticRotation": None, "Creator": "Oss"}, ROTATION | SUPPORTED, "AutomaticRotation"),
    ({"RotationInterval": "a year"}, ROTATION, "RotationInterval"),
    ({"KeySpec": None}, SUPPORTED, "KeySpec"),
    ({"KeySpec": "HMAC_SHA256"}, SUPPORTED, "KeySpec"),
], ids=["no-creator", "empty-creator", "no-origin", "unknown-origin", "no-protection",
        "unknown-protection", "no-protection-in-instance", "no-rotation",
        "service-no-rotation", "bad-interval", "no-keyspec", "unknown-keyspec"])
def test_unplaceable_fields_make_their_facts_errors(over, failed, field):
    meta = {**META, **over}
    for name in [k for k, v in over.items() if v is None]:
        del meta[name]  # absent, as DescribeKey would leave it out
    facts = key_facts(profile(meta), "kms:DescribeKey")
    assert {p for p, f in facts.items() if f.state is FactState.ERROR} == failed
    for path in failed:
        assert field in facts[path].detail and facts[path].value is None
    assert all(facts[p].decided for p in set(facts) - failed)


def test_service_key_needs_no_origin():
    prof = profile({**META, "Creator": "Oss", "Origin": None})
    assert (prof.manager, prof.level, prof.custody_error) == ("provider", "provider_kms", None)


@pytest.mark.parametrize(("text", "days"), [("31536000s", 365), ("365d", 365), ("12h", 0.5),
                                            (None, None)])
def test_rotation_days(text, days):
    assert rotation_days(text) == days


# --- the bucket's owner or region could not be read ----------------------------------

@pytest.mark.parametrize(("resources", "region", "account"), [
    (BOTH, REGION, None),  # names the account
    ([f"acs:oss:oss-cn-hangzhou:*:{NAME}", f"acs:oss:oss-cn-hangzhou:*:{NAME}/*"], None, ACCT),
    ([f"acs:oss:oss-cn-*:*:{NAME}", f"acs:oss:*:*:{NAME}/*"], None, ACCT),  # a region pattern
])
def test_unread_owner_or_region_leaves_tls_undecided(resources, region, account):
    doc = json.dumps({"Statement": [deny(Resource=resources)]})
    with pytest.raises(TlsUndecided) as caught:
        tls_enforcement(doc, NAME, region, account)
    assert "would enforce TLS" in str(caught.value) and resources[0] in str(caught.value)


@pytest.mark.parametrize(("statements", "required"), [
    ([deny(Resource=[f"acs:oss:*:*:{NAME}", f"acs:oss:*:*:{NAME}/*"])], True),
    ([deny(), deny(Resource=["*"])], True),  # one statement decides without the owner
    ([deny(Principal=[ACCT])], False),  # narrowed whoever owns the bucket
    ([deny(Resource=[f"acs:oss:*:{ACCT}:{NAME}"])], False),  # no objects whatever the owner
])
def test_unread_owner_that_does_not_matter(statements, required):
    result = tls_enforcement(json.dumps({"Statement": statements}), NAME, None, None)
    assert result.required is required, result.detail
