"""Documented policy shapes -> verdicts: publicness of OSS bucket and KMS key policies, TLS
enforcement of bucket policies. Every row names the Alibaba Cloud page its verdict comes from.
"""

from __future__ import annotations

import json

import pytest

from auditor.providers.alibaba._policy import (
    PolicyParseError,
    bucket_policy_public,
    key_policy_public,
    tls_enforcement,
)

BPA = "OSS Block Public Access: https://www.alibabacloud.com/help/en/oss/user-guide/block-public-access"
BUCKET_POLICY = "OSS Bucket Policy: https://www.alibabacloud.com/help/en/oss/user-guide/oss-bucket-policy/"
OSS_SYNTAX = ("OSS Authorization syntax and elements: "
              "https://www.alibabacloud.com/help/en/oss/user-guide/authorization-syntax-and-elements")
HTTPS_ONLY = ("OSS Tutorial: Configure bucket policies to access OSS resources only over HTTPS: "
              "https://www.alibabacloud.com/help/en/oss/tutorial-example-using-the-bucket-policy-"
              "to-access-oss-resources")
RAM_SYNTAX = ("RAM Policy structure and syntax: "
              "https://www.alibabacloud.com/help/en/ram/policy-structure-and-syntax")
RAM_OPERATORS = "RAM Conditional operators: https://www.alibabacloud.com/help/en/ram/conditional-operator"
KMS_SET = ("KMS SetKeyPolicy: https://www.alibabacloud.com/help/en/kms/key-management-service/"
           "developer-reference/api-kms-2016-01-20-setkeypolicy")

NAME, REGION, ACCT, OTHER = "data", "cn-hangzhou", "1122334455667788", "2746495857600000"
OBJECTS = f"acs:oss:*:{ACCT}:{NAME}/*"
BOTH = [f"acs:oss:*:{ACCT}:{NAME}", OBJECTS]
ERROR = "error"


def allow(**over):
    statement = {"Effect": "Allow", "Principal": ["*"], "Action": ["oss:GetObject"],
                 "Resource": [OBJECTS]}
    statement.update(over)
    return {k: v for k, v in statement.items() if v is not None}


def doc(*statements):
    return json.dumps({"Version": "1", "Statement": list(statements)})


def cond(operator, key, *values):
    return {operator: {key: list(values)}}


def bucket_public(document):
    try:
        return bucket_policy_public(document).public
    except PolicyParseError:
        return ERROR


# --- OSS bucket policies: public or not ---------------------------------------------

BUCKET_ROWS = [
    # (id, document, expected, source)
    ("bpa-example-1", json.dumps({"Version": "1", "Statement": [{
        "Effect": "Allow", "Action": "oss:GetObject", "Principal": "*",
        "Resource": OBJECTS}]}), True, BPA),
    ("bpa-example-2-any-vpc-plus-fixed-user", doc(
        allow(Condition=cond("StringLike", "acs:SourceVpc", "vpc-*")),
        allow(Principal=OTHER, Action="oss:*", Resource="*")), True, BPA),
    ("bpa-non-public-example", doc(
        allow(Principal=["20214760404935000"]),
        allow(Principal=["20214760404935000"], Action=["oss:ListObjects"],
              Resource=[f"acs:oss:*:{ACCT}:{NAME}"],
              Condition=cond("StringLike", "oss:Prefix", "hangzhou/2020/*"))), False, BPA),
    ("fixed-uid", doc(allow(Principal=[OTHER])), False, BPA),
    ("fixed-uids", doc(allow(Principal=[OTHER, ACCT])), False, BPA),
    ("fixed-uid-string", doc(allow(Principal=OTHER)), False, BPA),
    ("star-among-uids", doc(allow(Principal=[OTHER, "*"])), True, BPA),
    ("wildcard-in-principal", doc(allow(Principal=["27464958576*"])), True, BPA),
    ("sts-role-session", doc(allow(Principal=[f"arn:sts::{OTHER}:assumed-role/r/s"])), False,
     BPA),
    ("deny-everyone", doc(allow(Effect="Deny")), False, BPA),
    ("deny-and-fixed-allow", doc(allow(Effect="Deny"), allow(Principal=[OTHER])), False, BPA),
    # RAM evaluates an explicit Deny first: an unconditional Deny for everyone over the same
    # actions and resources leaves the open Allow granting nothing.
    ("deny-revokes-open-allow", doc(allow(), allow(Effect="Deny")), False, RAM_SYNTAX),
    ("deny-all-actions-revokes", doc(allow(), allow(Effect="Deny", Action=["oss:*"],
                                                    Resource=["*"])), False, RAM_SYNTAX),
    ("deny-prefix-covers-wildcard-allow", doc(
        allow(Action=["oss:Get*"]), allow(Effect="Deny", Action=["oss:G*"])), False, RAM_SYNTAX),
    ("deny-other-action-keeps-public", doc(
        allow(), allow(Effect="Deny", Action=["oss:PutObject"])), True, RAM_SYNTAX),
    ("deny-part-of-allow-keeps-public", doc(
        allow(Action=["oss:GetObject", "oss:ListObjects"]), allow(Effect="Deny")), True,
     RAM_SYNTAX),
    ("conditional-deny-keeps-public", doc(allow(), allow(
        Effect="Deny", Condition=cond("Bool", "acs:SecureTransport", "false"))), True,
     RAM_SYNTAX),
    ("deny-fixed-principal-keeps-public", doc(allow(), allow(Effect="Deny", Principal=[OTHER])),
     True, RAM_SYNTAX),
    ("deny-other-objects-keeps-public", doc(allow(), allow(
        Effect="Deny", Resource=[f"acs:oss:*:{ACCT}:{NAME}/private/*"])), True, RAM_SYNTAX),
    ("action-does-not-matter", doc(allow(Action=["oss:ListObjects"])), True, BPA),
    ("resource-does-not-matter", doc(allow(Resource=["acs:oss:*:*:other/*"])), True, BPA),
    ("fixed-vpc", doc(allow(Condition=cond("StringEquals", "acs:SourceVpc", "vpc-1a2b"))),
     False, BPA),
    ("fixed-vpc-id", doc(allow(Condition=cond("StringEquals", "acs:SourceVpcId", "vpc-1a2b"))),
     False, BPA),
    ("vpc-pattern", doc(allow(Condition=cond("StringLike", "acs:SourceVpc", "vpc-*"))), True,
     BPA),
    ("vpc-not-equals", doc(allow(Condition=cond("StringNotEquals", "acs:SourceVpc", "vpc-1"))),
     True, BPA),
    ("fixed-access-id", doc(allow(Condition=cond("StringEquals", "acs:AccessId", "LTAI5tAb"))),
     False, BPA),
    ("access-id-pattern", doc(allow(Condition=cond("StringLike", "acs:AccessId", "LTAI*"))),
     True, BPA),
    ("ip-slash-24", doc(allow(Condition=cond("IpAddress", "acs:SourceIp", "192.0.2.0/24"))),
     False, BPA),
    ("ip-slash-8", doc(allow(Condition=cond("IpAddress", "acs:SourceIp", "10.0.0.0/8"))),
     False, BPA),
    ("ip-slash-7", doc(allow(Condition=cond("IpAddress", "acs:SourceIp", "10.0.0.0/7"))), True,
     BPA),
    ("ip-everything", doc(allow(Condition=cond("IpAddress", "acs:SourceIp", "0.0.0.0/0"))),
     True, BPA),
    ("ip-not-a-range", doc(allow(Condition=cond("IpAddress", "acs:SourceIp", "intranet"))),
     ERROR, RAM_OPERATORS),
    ("ip-single-address", doc(allow(Condition=cond("IpAddress", "acs:SourceIp", "192.0.2.7"))),
     False, BPA),
    ("ip-one-wide-range-among-narrow", doc(allow(Condition=cond(
        "IpAddress", "acs:SourceIp", "192.0.2.0/24", "0.0.0.0/1"))), True, BPA),
    ("ipv6-slash-32", doc(allow(Condition=cond("IpAddress", "acs:SourceIp", "2001:db8::/32"))),
     False, BPA),
    ("ipv6-slash-16", doc(allow(Condition=cond("IpAddress", "acs:SourceIp", "2001::/16"))),
     True, BPA),
    ("not-ip-address", doc(allow(Condition=cond("NotIpAddress", "acs:SourceIp", "10.0.0.0/8"))),
     True, BPA),
    ("vpc-ip", doc(allow(Condition=cond("IpAddress", "acs:SourceVpcIp", "172.16.0.0/12"))),
     False, BPA),
    ("ip-with-public-network-only", doc(allow(Condition={
        "IpAddress": {"acs:SourceIp": ["140.205.0.0/16"]},
        "StringNotLike": {"acs:SourceVpc": "vpc-*"}})), False, BUCKET_POLICY),
    ("secure-transport-only", doc(allow(Condition=cond("Bool", "acs:SecureTransport", "true"))),
     True, BPA),
    ("current-time-only", doc(allow(Condition=cond(
        "DateLessThan", "acs:CurrentTime", "2030-01-01T00:00:00Z"))), True, BPA),
    ("prefix-only", doc(allow(Condition=cond("StringLike", "oss:Prefix", "public/*"))), True,
     BPA),
    ("condition-key-case", doc(allow(Condition=cond("StringEquals", "ACS:SOURCEVPC", "vpc-1"))),
     False, BPA),
    ("transport-and-vpc", doc(allow(Condition={
        "Bool": {"acs:SecureTransport": "true"},
        "StringEquals": {"acs:SourceVpc": "vpc-1"}})), False, BPA),
    ("statement-object", json.dumps({"Version": "1", "Statement": allow()}), True, RAM_SYNTAX),
    ("no-policy", None, False, BPA),
    ("lowercase-effect", doc(allow(Effect="allow")), ERROR, RAM_SYNTAX),
    ("lowercase-operator", doc(allow(Condition=cond("stringequals", "acs:SourceVpc", "vpc-1"))),
     ERROR, RAM_SYNTAX),
    ("unknown-operator", doc(allow(Condition=cond("ForAnyValue:StringEquals", "acs:SourceVpc",
                                                   "vpc-1"))), ERROR, RAM_OPERATORS),
    ("no-principal", doc(allow(Principal=None)), ERROR, OSS_SYNTAX),
    ("not-principal", doc(allow(Principal=None, NotPrincipal=[OTHER])), ERROR, RAM_SYNTAX),
    ("action-and-not-action", doc(allow(NotAction=["oss:PutObject"])), ERROR, RAM_SYNTAX),
    ("no-resource", doc(allow(Resource=None)), ERROR, RAM_SYNTAX),
    ("version-2", json.dumps({"Version": "2", "Statement": [allow()]}), ERROR, RAM_SYNTAX),
    ("not-json", "{oops", ERROR, RAM_SYNTAX),
    ("statement-strings", json.dumps({"Statement": ["x"]}), ERROR, RAM_SYNTAX),
]


@pytest.mark.parametrize(("document", "expected", "source"),
                         [row[1:] for row in BUCKET_ROWS], ids=[row[0] for row in BUCKET_ROWS])
def test_bucket_policy_publicness(document, expected, source):
    assert source.startswith(("OSS ", "RAM ")), source
    assert bucket_public(document) == expected


def test_public_detail_names_the_statement_and_its_conditions():
    verdict = bucket_policy_public(doc(allow(Principal=[OTHER]), allow(
        Condition=cond("Bool", "acs:SecureTransport", "true"))))
    assert verdict.public and "statement 1" in verdict.detail
    assert "Bool:acs:SecureTransport" in verdict.detail and "statement 0" not in verdict.detail


# --- KMS key policies -------------------------------------------------------------------

KEY_ROWS = [
    # (id, principal, condition, effect, expected, source)
    ("default-policy-own-account", {"RAM": [f"acs:ram::{ACCT}:*"]}, None, "Allow", False,
     KMS_SET),
    ("ram-user", {"RAM": [f"acs:ram::{ACCT}:user/for_test_policy"]}, None, "Allow", False,
     KMS_SET),
    ("other-account-role", {"RAM": [f"acs:ram::{OTHER}:role/reader"]}, None, "Allow", False,
     KMS_SET),
    ("every-account", {"RAM": ["acs:ram::*:*"]}, None, "Allow", True, KMS_SET),
    ("star", {"RAM": ["*"]}, None, "Allow", True, KMS_SET),
    ("star-string", "*", None, "Allow", True, KMS_SET),
    ("account-pattern", {"RAM": ["acs:ram::11*:*"]}, None, "Allow", True, KMS_SET),
    ("star-under-secure-transport", {"RAM": ["*"]},
     cond("Bool", "acs:SecureTransport", "true"), "Allow", True, BPA),
    ("star-pinned-to-vpc", {"RAM": ["*"]}, cond("StringEquals", "acs:SourceVpc", "vpc-1"),
     "Allow", False, BPA),
    ("star-denied", {"RAM": ["*"]}, None, "Deny", False, BPA),
    ("unknown-principal-map", {"ACS": ["*"]}, None, "Allow", ERROR, KMS_SET),
]


@pytest.mark.parametrize(("principal", "condition", "effect", "expected", "source"),
                         [row[1:] for row in KEY_ROWS], ids=[row[0] for row in KEY_ROWS])
def test_key_policy_publicness(principal, condition, effect, expected, source):
    assert source.startswith(("KMS ", "OSS ")), source
    statement = {"Effect": effect, "Principal": principal, "Action": ["kms:Decrypt"],
                 "Resource": ["*"]}
    if condition:
        statement["Condition"] = condition
    try:
        got = key_policy_public(doc(statement)).public
    except PolicyParseError:
        got = ERROR
    assert got == expected


# --- TLS enforcement --------------------------------------------------------------------

def deny(**over):
    statement = {"Effect": "Deny", "Principal": ["*"], "Action": ["oss:*"], "Resource": BOTH,
                 "Condition": {"Bool": {"acs:SecureTransport": ["false"]}}}
    statement.update(over)
    return {k: v for k, v in statement.items() if v is not None}


TLS_ROWS = [
    ("https-tutorial-whole-bucket", deny(), True, HTTPS_ONLY),
    ("all-resources", deny(Resource="*", Action="*"), True, HTTPS_ONLY),
    ("bare-json-false", deny(Condition={"Bool": {"acs:SecureTransport": False}}), True,
     RAM_OPERATORS),
    ("key-case", deny(Condition={"Bool": {"ACS:SecureTransport": "false"}}), True,
     RAM_OPERATORS),
    ("string-equals-false", deny(Condition=cond("StringEquals", "acs:SecureTransport",
                                                "false")), True, RAM_OPERATORS),
    ("not-action-outside-oss", deny(Action=None, NotAction=["ecs:*"]), True, RAM_SYNTAX),
    ("not-resource-elsewhere", deny(Resource=None, NotResource=["acs:oss:*:*:other/*"]), True,
     RAM_SYNTAX),
    ("only-objects", deny(Resource=[OBJECTS]), False, HTTPS_ONLY),
    ("only-bucket", deny(Resource=[BOTH[0]]), False, HTTPS_ONLY),
    ("some-actions", deny(Action=["oss:GetObject", "oss:PutObject"]), False, HTTPS_ONLY),
    ("not-action-exempts-oss", deny(Action=None, NotAction=["oss:GetObject"]), False,
     RAM_SYNTAX),
    ("not-resource-exempts-prefix", deny(Resource=None, NotResource=[f"acs:oss:*:*:{NAME}/pub/*"]),
     False, RAM_SYNTAX),
    ("principal-list", deny(Principal=[OTHER]), False, BUCKET_POLICY),
    ("access-id-exemption", deny(Condition={
        "Bool": {"acs:SecureTransport": "false"},
        "StringNotEquals": {"acs:AccessId": ["LTAI5tAb"]}}), False, OSS_SYNTAX),
    ("vpc-exemption", deny(Condition={
        "Bool": {"acs:SecureTransport": "false"},
        "StringNotLike": {"acs:SourceVpc": ["vpc-*"]}}), False, OSS_SYNTAX),
    ("secure-true-deny", deny(Condition={"Bool": {"acs:SecureTransport": "true"}}), False,
     HTTPS_ONLY),
    ("string-not-equals-true", deny(Condition=cond("StringNotEquals", "acs:SecureTransport",
                                                   "true")), False, RAM_OPERATORS),
    ("allow-https-only", allow(Action=["oss:*"], Resource=BOTH, Condition=cond(
        "Bool", "acs:SecureTransport", "true")), False, BUCKET_POLICY),
    ("unconditioned-deny", deny(Condition=None), False, HTTPS_ONLY),
    ("lowercase-effect", deny(Effect="deny"), ERROR, RAM_SYNTAX),
    ("lowercase-bool", deny(Condition={"bool": {"acs:SecureTransport": "false"}}), ERROR,
     RAM_SYNTAX),
    ("deny-without-principal", deny(Principal=None), ERROR, OSS_SYNTAX),
]


@pytest.mark.parametrize(("statement", "expected", "source"), [row[1:] for row in TLS_ROWS],
                         ids=[row[0] for row in TLS_ROWS])
def test_tls_enforcement(statement, expected, source):
    assert source.startswith(("OSS ", "RAM ")), source
    try:
        got = tls_enforcement(doc(statement), NAME, REGION, ACCT).required
    except PolicyParseError:
        got = ERROR
    assert got == expected


def test_exemptions_are_named_in_the_detail():
    verdict = tls_enforcement(doc(deny(Principal=[OTHER], Condition={
        "Bool": {"acs:SecureTransport": "false"},
        "StringNotEquals": {"acs:AccessId": ["LTAI5tAb"]}})), NAME, REGION, ACCT)
    assert not verdict.required
    assert f"principal ['{OTHER}'] is not everyone" in verdict.detail
    assert "StringNotEquals:acs:AccessId" in verdict.detail


def test_a_narrowed_deny_does_not_hide_an_enforcing_one():
    verdict = tls_enforcement(doc(deny(Principal=[OTHER]), deny()), NAME, REGION, ACCT)
    assert verdict.required and "statement 1" in verdict.detail
