"""TLS-enforcement and public-grant analysis of policy documents (no SDK involved)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from auditor.providers.aws._policy import PolicyParseError, parse, public_verdict, tls_enforced

ARN = "arn:aws:s3:::bucket"
INSECURE = {"Bool": {"aws:SecureTransport": "false"}}


def deny(**overrides: Any) -> dict[str, Any]:
    statement = {"Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                 "Resource": [ARN, f"{ARN}/*"], "Condition": INSECURE}
    statement.update(overrides)
    return {k: v for k, v in statement.items() if v is not None}


def verdict(*statements: dict[str, Any]) -> tuple[bool, str]:
    result = tls_enforced(parse(json.dumps({"Statement": list(statements)})), ARN)
    return result.required, result.detail


@pytest.mark.parametrize("statement", [
    deny(),
    deny(Principal={"AWS": "*"}),
    deny(Principal={"AWS": ["*"]}),
    deny(Action="*"),
    deny(Action=["s3:GetObject", "S3:*"]),
    deny(Resource=["arn:aws:s3:::bucket*"]),
    deny(Resource="*"),
    deny(Condition={"Bool": {"aws:SecureTransport": False}}),
    deny(Condition={"Bool": {"aws:securetransport": ["false"]}}),
    deny(Condition={"BoolIfExists": {"aws:SecureTransport": "false"}}),
    # NotResource naming another bucket leaves this bucket and its objects covered.
    deny(Resource=None, NotResource="arn:aws:s3:::other"),
])
def test_full_deny_enforces_tls(statement: dict[str, Any]) -> None:
    required, detail = verdict(statement)
    assert required, detail
    assert "'TLS'" in detail


@pytest.mark.parametrize(("statement", "why"), [
    (deny(Condition={**INSECURE, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
     "extra condition(s) IpAddress:aws:SourceIp"),
    (deny(Principal={"AWS": "arn:aws:iam::111122223333:root"}), "not every principal"),
    (deny(Principal=None, NotPrincipal={"AWS": "arn:aws:iam::111122223333:root"}),
     "not every principal (NotPrincipal exempts"),
    (deny(Action="s3:GetObject"), "not all actions"),
    (deny(Action=None, NotAction="s3:ListBucket"), "not all actions"),
    (deny(Resource=f"{ARN}/*"), "bucket ARN not covered"),
    (deny(Resource=ARN), "not every object ARN covered"),
    (deny(Resource=[ARN, f"{ARN}/logs/*"]), "not every object ARN covered"),
    (deny(Resource=None, NotResource=f"{ARN}/public/*"), "not every object ARN covered"),
])
def test_narrowed_deny_does_not_count(statement: dict[str, Any], why: str) -> None:
    required, detail = verdict(statement)
    assert not required
    assert why in detail and "does not count" in detail


def test_a_tls_version_floor_does_not_deny_plain_http() -> None:
    required, detail = verdict(deny(Condition={"NumericLessThan": {"s3:TlsVersion": "1.2"}}))
    assert not required
    assert "plain HTTP" in detail


def test_a_full_statement_wins_over_a_narrowed_one() -> None:
    required, _ = verdict(deny(Principal={"AWS": "arn:aws:iam::1:root"}), deny(Sid="Full"))
    assert required


def test_no_tls_statement() -> None:
    allow_tls = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": f"{ARN}/*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}
    required, detail = verdict(allow_tls, deny(Condition={"Bool": {"aws:SecureTransport":
                                                                   "true"}}))
    assert not required
    assert "does not match insecure requests" in detail


def test_statement_may_be_a_single_object() -> None:
    assert tls_enforced(parse({"Statement": deny()}), ARN).required


@pytest.mark.parametrize("document", ["not json", "[]", '{"Version": "2012-10-17"}',
                                      '{"Statement": ["x"]}'])
def test_unparsable_policy(document: str) -> None:
    with pytest.raises(PolicyParseError):
        parse(document)


def test_public_verdict_names_the_public_statements() -> None:
    statements = parse(json.dumps({"Statement": [
        {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"{ARN}/*"},
        {"Sid": "OpenAws", "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "kms:*",
         "Resource": "*"},
        {"Sid": "Vpc", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"{ARN}/*", "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}}},
        {"Sid": "Tls", "Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket",
         "Resource": ARN, "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Sid": "Account", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"},
         "Action": "*", "Resource": "*"},
        {"Sid": "DenyDelete", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
         "Resource": "*"},
    ]}))
    result = public_verdict(statements)
    assert result.public
    assert [g.split(" allows")[0] for g in result.grants] == [
        "statement 'Open'", "statement 'OpenAws'", "statement 'Tls'"]
    assert "Bool aws:SecureTransport" in result.grants[2]


# --- where the bucket's public fact comes from (the derived-fact rule) ----------------------

def _exposure(policy: Any, status: Any) -> Any:
    from auditor.errors import AccessDenied
    from auditor.model import FactState
    from auditor.providers._runtime import Outcome
    from auditor.providers.aws._bucket import BucketContext, bucket_facts
    from auditor.providers.aws._s3 import BucketRaw

    def answer(op: str, value: Any) -> Outcome:
        if value == "denied":
            return Outcome(op, error=AccessDenied(op, "AccessDenied"))
        if value == "absent":
            return Outcome(op, code="NoSuchBucketPolicy")
        return Outcome(op, value)

    raw = BucketRaw("b", "eu-west-1", Outcome("s3:GetBucketLocation",
                                             {"LocationConstraint": "eu-west-1"}))
    raw.answers.update(
        pab=Outcome("s3:GetPublicAccessBlock", code="NoSuchPublicAccessBlockConfiguration"),
        acl=Outcome("s3:GetBucketAcl", {"Grants": []}),
        ownership=Outcome("s3:GetBucketOwnershipControls", code="OwnershipControlsNotFoundError"),
        policy=answer("s3:GetBucketPolicy", policy),
        policy_status=answer("s3:GetBucketPolicyStatus", status))
    account = Outcome("s3control:GetPublicAccessBlock", code="NoSuchPublicAccessBlockConfiguration")
    fact = bucket_facts(raw, "arn:aws:s3:::b", BucketContext(account, {}, {}),
                        lambda p: p == "public_exposure.is_public")["public_exposure.is_public"]
    return fact.value if fact.state is FactState.OBSERVED else fact.state.value


PUBLIC_UNDER_TLS = {"Policy": json.dumps({"Statement": {
    "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
    "Condition": {"Bool": {"aws:SecureTransport": "true"}}}})}


@pytest.mark.parametrize(("policy", "status", "expected"), [
    (PUBLIC_UNDER_TLS, {"PolicyStatus": {"IsPublic": False}}, False),  # AWS's answer decides
    (PUBLIC_UNDER_TLS, "denied", True),                                 # the document decides
    (PUBLIC_UNDER_TLS, {"PolicyStatus": {}}, True),                     # IsPublic missing
    ("absent", "denied", False),                                        # no policy at all
    ("denied", "denied", "denied"),                                     # neither was read
    ({"Policy": "{"}, "denied", "error"),                               # unparsable document
])
def test_bucket_public_fact_source(policy: Any, status: Any, expected: Any) -> None:
    assert _exposure(policy, status) == expected
