"""Documented policy shapes and the public / TLS verdicts AWS gives them (no SDK involved).

Every row names the AWS documentation page its expected verdict comes from.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from auditor.providers.aws._policy import PolicyParseError, parse, public_verdict, tls_enforced

IAM = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
MEANING = ("S3 User Guide, 'Blocking public access to your Amazon S3 storage' -> 'The meaning "
           "of public' https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
           "access-control-block-public-access.html#access-control-block-public-access-policy-status")
PRINCIPAL = f"IAM JSON policy elements: Principal {IAM}reference_policies_elements_principal.html"
NOT_PRINCIPAL = (f"IAM JSON policy elements: NotPrincipal "
                 f"{IAM}reference_policies_elements_notprincipal.html")
ACTION = f"IAM JSON policy elements: Action {IAM}reference_policies_elements_action.html"
NOT_ACTION = f"IAM JSON policy elements: NotAction {IAM}reference_policies_elements_notaction.html"
RESOURCE = f"IAM JSON policy elements: Resource {IAM}reference_policies_elements_resource.html"
NOT_RESOURCE = (f"IAM JSON policy elements: NotResource "
                f"{IAM}reference_policies_elements_notresource.html")
OPERATORS = (f"IAM JSON policy elements: Condition operators "
             f"{IAM}reference_policies_elements_condition_operators.html")
SET_OPERATORS = (f"Set operators for multivalued context keys "
                 f"{IAM}reference_policies_condition-single-vs-multi-valued-context-keys.html")
EVALUATION = f"Policy evaluation logic {IAM}reference_policies_evaluation-logic.html"
GRAMMAR = f"Grammar of the IAM JSON policy language {IAM}reference_policies_grammar.html"
KMS = ("AWS KMS Developer Guide, 'Key policies in AWS KMS' "
       "https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html")
KMS_CALLER = ("AWS KMS Developer Guide, 'AWS KMS condition keys' -> kms:CallerAccount "
              "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html")
TLS_DOC = ("S3 User Guide, 'Security best practices for Amazon S3' -> 'Enforce encryption of "
           "data in transit' (Deny aws:SecureTransport false on the bucket and bucket/*) "
           "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html")
TLS_VERSION = ("S3 User Guide, 'Amazon S3 condition key examples' -> s3:TlsVersion "
               "https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html")

BUCKET = "arn:aws:s3:::bucket"
OBJECTS = f"{BUCKET}/*"


def allow(principal: Any = "*", condition: dict[str, Any] | None = None, **extra: Any) -> dict:
    statement: dict[str, Any] = {"Sid": "Grant", "Effect": "Allow", "Principal": principal,
                                 "Action": "s3:GetObject", "Resource": OBJECTS}
    if condition is not None:
        statement["Condition"] = condition
    statement.update(extra)
    return {k: v for k, v in statement.items() if v is not None}


def cond(operator: str, key: str, value: Any) -> dict[str, Any]:
    return {operator: {key: value}}


DENY_ALL = {"Sid": "DenyAll", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [BUCKET, OBJECTS]}

# (id, statements, public?, source)
PUBLIC_ROWS: list[tuple[str, list[dict], bool, str]] = [
    ("star-principal", [allow("*")], True, MEANING),
    ("aws-star", [allow({"AWS": "*"})], True, PRINCIPAL),
    ("aws-star-list", [allow({"AWS": ["*"]})], True, PRINCIPAL),
    ("aws-list-with-star", [allow({"AWS": ["arn:aws:iam::111122223333:root", "*"]})], True,
     PRINCIPAL),
    ("account-id", [allow({"AWS": "111122223333"})], False, PRINCIPAL),
    ("account-root-arn", [allow({"AWS": "arn:aws:iam::111122223333:root"})], False, PRINCIPAL),
    ("role-arn-list", [allow({"AWS": ["arn:aws:iam::111122223333:role/r",
                                      "arn:aws:iam::444455556666:user/u"]})], False, PRINCIPAL),
    ("service-principal", [allow({"Service": "cloudtrail.amazonaws.com"})], False, MEANING),
    ("canonical-user", [allow({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98"
                                                "eacf8f8d5218e7cd47ef2be"})], False, PRINCIPAL),
    ("federated-web-identity", [allow({"Federated": "graph.facebook.com"}, Action="s3:PutObject",
                                      Resource="*")], True, MEANING),
    ("federated-saml-provider", [allow({"Federated": "arn:aws:iam::111122223333:saml-provider/"
                                                     "corp"})], False, PRINCIPAL),
    ("not-principal-allow", [allow(None, NotPrincipal={"AWS": "arn:aws:iam::111122223333:root"})],
     True, NOT_PRINCIPAL),
    ("secure-transport-true", [allow("*", cond("Bool", "aws:SecureTransport", "true"))], True,
     MEANING),
    ("source-vpc-wildcard", [allow("*", cond("StringLike", "aws:SourceVpc", "vpc-*"),
                                   Action="s3:PutObject", Resource="*")], True, MEANING),
    ("source-vpc-fixed", [allow("*", cond("StringEquals", "aws:SourceVpc", "vpc-91237329"),
                                Action="s3:PutObject", Resource="*")], False, MEANING),
    ("source-vpce-fixed", [allow("*", cond("StringEquals", "aws:SourceVpce", "vpce-1a2b3c4d"))],
     False, MEANING),
    ("source-arn-fixed", [allow("*", cond("ArnEquals", "aws:SourceArn",
                                          "arn:aws:cloudtrail:us-east-1:111122223333:trail/t"))],
     False, MEANING),
    ("source-arn-like-wildcard", [allow("*", cond("ArnLike", "aws:SourceArn",
                                                  "arn:aws:cloudtrail:*:*:trail/*"))], True,
     MEANING),
    ("source-account-fixed", [allow("*", cond("StringEquals", "aws:SourceAccount",
                                              "111122223333"))], False, MEANING),
    ("source-owner-fixed", [allow("*", cond("StringEquals", "aws:SourceOwner",
                                            "111122223333"))], False, MEANING),
    ("principal-org-id", [allow("*", cond("StringEquals", "aws:PrincipalOrgID", "o-a1b2c3d4e5"))],
     False, MEANING),
    ("principal-org-id-policy-variable", [allow("*", cond("StringEquals", "aws:PrincipalOrgID",
                                                          "${aws:ResourceOrgID}"))], True,
     MEANING),
    ("case-insensitive-key", [allow("*", cond("StringEquals", "AWS:PRINCIPALORGID",
                                              "o-a1b2c3d4e5"))], False, OPERATORS),
    ("string-like-without-wildcard", [allow("*", cond("StringLike", "aws:SourceVpc",
                                                      "vpc-91237329"))], False, MEANING),
    ("string-equals-if-exists", [allow("*", cond("StringEqualsIfExists", "aws:SourceVpc",
                                                 "vpc-91237329"))], True, OPERATORS),
    ("string-not-equals", [allow("*", cond("StringNotEquals", "aws:SourceVpc", "vpc-1"))], True,
     OPERATORS),
    ("for-any-value-fixed", [allow("*", cond("ForAnyValue:StringEquals", "aws:PrincipalOrgPaths",
                                             "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"))], False,
     SET_OPERATORS),
    ("for-all-values-empty-set-matches", [allow("*", cond("ForAllValues:StringEquals",
                                                          "aws:PrincipalOrgPaths",
                                                          "o-a1b2c3d4e5/r-ab12/"))], True,
     SET_OPERATORS),
    ("source-ip-narrow", [allow("*", cond("IpAddress", "aws:SourceIp", "203.0.113.0/24"))], False,
     MEANING),
    ("source-ip-slash-8", [allow("*", cond("IpAddress", "aws:SourceIp", "10.0.0.0/8"))], False,
     MEANING),
    ("source-ip-broader-than-8", [allow("*", cond("IpAddress", "aws:SourceIp", "0.0.0.0/1"))],
     True, MEANING),
    ("source-ip-one-broad-in-list", [allow("*", cond("IpAddress", "aws:SourceIp",
                                                     ["203.0.113.0/24", "64.0.0.0/2"]))], True,
     MEANING),
    ("source-ipv6-slash-32", [allow("*", cond("IpAddress", "aws:SourceIp",
                                              "2001:db8::/32"))], False, MEANING),
    ("source-ipv6-broader-than-32", [allow("*", cond("IpAddress", "aws:SourceIp",
                                                     "2001::/16"))], True, MEANING),
    ("not-ip-address", [allow("*", cond("NotIpAddress", "aws:SourceIp", "203.0.113.0/24"))],
     True, OPERATORS),
    ("userid-role-pattern", [allow("*", cond("StringLike", "aws:userid",
                                             "AROAEXAMPLEID:*"))], False, MEANING),
    ("userid-wildcard-id", [allow("*", cond("StringLike", "aws:userid", "AROA*"))], True,
     MEANING),
    ("access-point-arn-any-name", [allow("*", cond(
        "ArnLike", "s3:DataAccessPointArn",
        "arn:aws:s3:us-west-2:123456789012:accesspoint/*"))], False, MEANING),
    ("access-point-arn-any-account", [allow("*", cond(
        "ArnLike", "s3:DataAccessPointArn", "arn:aws:s3:us-west-2:*:accesspoint/*"))], True,
     MEANING),
    ("access-point-account", [allow("*", cond("StringEquals", "s3:DataAccessPointAccount",
                                              "123456789012"))], False, MEANING),
    ("kms-key-id-fixed", [allow("*", cond("StringEquals",
                                          "s3:x-amz-server-side-encryption-aws-kms-key-id",
                                          "arn:aws:kms:us-east-1:111122223333:key/k"))], False,
     MEANING),
    ("null-condition", [allow("*", cond("Null", "aws:SourceVpc", "false"))], True, OPERATORS),
    ("unlisted-key", [allow("*", cond("StringEquals", "s3:prefix", "home/"))], True, MEANING),
    ("fixed-and-open-conditions", [allow("*", {"Bool": {"aws:SecureTransport": "true"},
                                               "StringEquals": {"aws:SourceVpc": "vpc-1"}})],
     False, MEANING),
    ("one-public-statement-of-three", [
        allow({"Service": "cloudtrail.amazonaws.com"}, Sid="CloudTrail"),
        allow({"AWS": "444455556666"}, Sid="Account2"),
        allow("*", Sid="Everyone")], True, MEANING),
    ("statement-as-object", [allow("*")], True, GRAMMAR),
    ("action-wildcards", [allow("*", Action=["s3:*Object", "s3:Get*"])], True, ACTION),
    ("not-action-allow", [allow("*", Action=None, NotAction="s3:Delete*")], True, NOT_ACTION),
    ("not-resource-allow", [allow("*", Resource=None, NotResource=f"{BUCKET}/private/*")], True,
     NOT_RESOURCE),
    ("deny-everyone-same-actions", [allow("*"), DENY_ALL], False, EVALUATION),
    ("deny-wildcard-covers", [allow("*", Action="s3:Get*"),
                              {**DENY_ALL, "Action": "*", "Resource": "*"}], False, EVALUATION),
    ("deny-other-actions-only", [allow("*"), {**DENY_ALL, "Action": "s3:PutObject"}], True,
     EVALUATION),
    ("deny-other-resource-only", [allow("*"), {**DENY_ALL, "Resource": f"{BUCKET}/tmp/*"}], True,
     RESOURCE),
    ("deny-with-secure-transport", [allow("*"), {**DENY_ALL, "Condition": cond(
        "Bool", "aws:SecureTransport", "false")}], True, EVALUATION),
    ("deny-unless-from-vpc", [allow("*"), {**DENY_ALL, "Condition": cond(
        "StringNotEquals", "aws:SourceVpc", "vpc-91237329")}], False, EVALUATION),
    ("deny-not-principal-fixed", [allow("*"), {**DENY_ALL, "Principal": None,
                                               "NotPrincipal": {"AWS": "111122223333"}}],
     False, NOT_PRINCIPAL),
    ("deny-named-principal-only", [allow("*"), {**DENY_ALL, "Principal": {
        "AWS": "arn:aws:iam::444455556666:root"}}], True, EVALUATION),
    ("kms-default-key-policy", [{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                                 "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                                 "Action": "kms:*", "Resource": "*"}], False, KMS),
    ("kms-caller-account", [{"Effect": "Allow", "Principal": {"AWS": "*"},
                             "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*",
                             "Condition": {"StringEquals": {
                                 "kms:CallerAccount": "111122223333",
                                 "kms:ViaService": "s3.us-east-1.amazonaws.com"}}}], False,
     KMS_CALLER),
    ("kms-everyone-decrypt", [{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                               "Resource": "*"}], True, KMS),
]


def _document(statements: list[dict]) -> str:
    body: Any = statements[0] if len(statements) == 1 else statements
    return json.dumps({"Version": "2012-10-17", "Statement": body})


def _clean(statements: list[dict]) -> list[dict]:
    return [{k: v for k, v in s.items() if v is not None} for s in statements]


@pytest.mark.parametrize(("statements", "public", "source"),
                         [pytest.param(s, p, src, id=i) for i, s, p, src in PUBLIC_ROWS])
def test_public_verdict(statements: list[dict], public: bool, source: str) -> None:
    verdict = public_verdict(parse(_document(_clean(statements))))
    assert verdict.public is public, (source, verdict.detail)
    assert bool(verdict.grants) is public
    assert verdict.detail


def tls(**overrides: Any) -> dict[str, Any]:
    statement = {"Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                 "Resource": [BUCKET, OBJECTS],
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    statement.update(overrides)
    return statement


# (id, statements, enforced?, source)
TLS_ROWS: list[tuple[str, list[dict], bool, str]] = [
    ("documented-deny", [tls()], True, TLS_DOC),
    ("aws-star", [tls(Principal={"AWS": "*"})], True, PRINCIPAL),
    ("all-actions", [tls(Action="*")], True, ACTION),
    ("resource-star", [tls(Resource="*")], True, RESOURCE),
    ("bucket-prefix-wildcard", [tls(Resource="arn:aws:s3:::bucket*")], True, RESOURCE),
    ("bool-if-exists", [tls(Condition=cond("BoolIfExists", "aws:SecureTransport", "false"))],
     True, OPERATORS),
    ("string-equals-false", [tls(Condition=cond("StringEquals", "aws:SecureTransport",
                                                "false"))], True, OPERATORS),
    ("json-false", [tls(Condition=cond("Bool", "aws:securetransport", False))], True, OPERATORS),
    ("split-bucket-and-objects", [tls(Sid="Bucket", Resource=BUCKET),
                                  tls(Sid="Objects", Resource=OBJECTS)], True, TLS_DOC),
    ("not-action-outside-s3", [tls(Action=None, NotAction="iam:*")], True, NOT_ACTION),
    ("not-resource-elsewhere", [tls(Resource=None, NotResource="arn:aws:s3:::other/*")], True,
     NOT_RESOURCE),
    ("tls-version-only", [tls(Condition=cond("NumericLessThan", "s3:TlsVersion", "1.2"))], False,
     TLS_VERSION),
    ("secure-transport-true", [tls(Condition=cond("Bool", "aws:SecureTransport", "true"))],
     False, OPERATORS),
    ("objects-only", [tls(Resource=OBJECTS)], False, TLS_DOC),
    ("bucket-only", [tls(Resource=BUCKET)], False, TLS_DOC),
    ("some-objects", [tls(Resource=[BUCKET, f"{BUCKET}/logs/*"])], False, RESOURCE),
    ("named-principal", [tls(Principal={"AWS": "arn:aws:iam::111122223333:root"})], False,
     PRINCIPAL),
    ("not-principal-exempts", [tls(Principal=None, NotPrincipal={
        "AWS": "arn:aws:iam::111122223333:role/legacy"})], False, NOT_PRINCIPAL),
    ("exempt-principal-arn", [tls(Condition={
        "Bool": {"aws:SecureTransport": "false"},
        "StringNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/legacy"}})],
     False, OPERATORS),
    ("one-action", [tls(Action="s3:GetObject")], False, ACTION),
    ("not-action-exempts-s3", [tls(Action=None, NotAction="s3:GetObject")], False, NOT_ACTION),
    ("not-resource-exempts-objects", [tls(Resource=None, NotResource=f"{BUCKET}/public/*")],
     False, NOT_RESOURCE),
    ("allow-only", [allow("*", cond("Bool", "aws:SecureTransport", "true"))], False, TLS_DOC),
]


@pytest.mark.parametrize(("statements", "enforced", "source"),
                         [pytest.param(s, e, src, id=i) for i, s, e, src in TLS_ROWS])
def test_tls_verdict(statements: list[dict], enforced: bool, source: str) -> None:
    verdict = tls_enforced(parse(_document(_clean(statements))), BUCKET)
    assert verdict.required is enforced, (source, verdict.detail)
    assert verdict.detail


def test_tls_version_reason_names_plain_http() -> None:
    verdict = tls_enforced(parse(_document([tls(Condition=cond(
        "NumericLessThan", "s3:TlsVersion", "1.2"))])), BUCKET)
    assert "plain HTTP" in verdict.detail  # source: TLS_VERSION


def test_exempting_condition_is_named() -> None:
    verdict = tls_enforced(parse(_document([tls(Condition={
        "Bool": {"aws:SecureTransport": "false"},
        "StringNotEquals": {"aws:PrincipalArn": "arn:aws:iam::1:role/x"}})])), BUCKET)
    assert "StringNotEquals:aws:PrincipalArn" in verdict.detail
    assert verdict.detail.startswith("not enforced for everyone")


# (id, document, source): AWS rejects these documents; no verdict may be drawn from them.
MALFORMED: list[tuple[str, Any, str]] = [
    ("not-json", "{", GRAMMAR),
    ("no-statement", {"Version": "2012-10-17"}, GRAMMAR),
    ("bad-effect", {"Statement": [{**allow(), "Effect": "Permit"}]}, GRAMMAR),
    ("principal-and-not-principal", {"Statement": [{**allow(), "NotPrincipal": "*"}]}, GRAMMAR),
    ("no-action", {"Statement": [{k: v for k, v in allow().items() if k != "Action"}]}, GRAMMAR),
    ("no-resource", {"Statement": [{k: v for k, v in allow().items() if k != "Resource"}]},
     RESOURCE),
    ("partial-wildcard-principal", {"Statement": [allow({"AWS": "arn:aws:iam::*:root"})]},
     PRINCIPAL),
    ("unknown-operator", {"Statement": [allow("*", cond("StringSorta", "aws:SourceVpc", "v"))]},
     OPERATORS),
    ("bad-source-ip", {"Statement": [allow("*", cond("IpAddress", "aws:SourceIp", "x.y"))]},
     OPERATORS),
    ("condition-not-object", {"Statement": [allow("*", Condition=["Bool"])]}, GRAMMAR),
]


@pytest.mark.parametrize(("document", "source"),
                         [pytest.param(d, s, id=i) for i, d, s in MALFORMED])
def test_malformed_policy_is_an_error(document: Any, source: str) -> None:
    with pytest.raises(PolicyParseError):
        statements = parse(document if isinstance(document, str) else json.dumps(document))
        public_verdict(statements)
        tls_enforced(statements, BUCKET)
