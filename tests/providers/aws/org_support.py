"""An AWS Organization in the moto stand-in (server mode on 127.0.0.1), for the org tests.

Four accounts: the management account the scanner's own credentials are in, and three
members created with organizations:CreateAccount, each with a bucket and the role AuditRole:

- ``plain``: the role reads everything the scan needs;
- ``denied``: the role's policy denies s3:GetBucketVersioning (a real AccessDenied answer of
  moto's IAM enforcement, in that account only);
- ``refusing``: the scanner's own policy denies sts:AssumeRole on this account's AuditRole,
  so moto answers that AssumeRole with AccessDenied.

Every account also has one customer managed key; buckets and keys carry the tag
``account=<name>``. moto does not implement ec2:GetEbsDefaultKmsKeyId (HTTP 500, see the
sandbox's estate.yaml): that call is a failure in every account collected.

moto keeps one backend per account: the seeding writes into a member with moto's
``x-moto-account-id`` header (enforcement off); the scan's assumed-role credentials act in
the role's account (moto's STS gives them to the account in the role ARN).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3

from auditor.providers.aws.sandbox import AwsSandbox
from auditor.providers.aws.sandbox._seed import _ADMIN, ACCOUNT, SCANNER_ACTIONS

MANAGEMENT = ACCOUNT
ROLE = "AuditRole"
US = "us-east-1"
SCANNER_USER = "auditor-readonly"  # the seeder's default scanner user
READS = [a for a in SCANNER_ACTIONS if a != "sts:AssumeRole"]
MEMBERS = ("plain", "denied", "refusing")


@dataclass
class Organization:
    sandbox: AwsSandbox
    accounts: dict[str, str] = field(default_factory=dict)  # member name -> account id
    closed: str | None = None  # an account closed (SUSPENDED) before the scan, if any

    def bucket(self, name: str) -> str:
        return f"{name}-data"

    def role_arn(self, name: str) -> str:
        return f"arn:aws:iam::{self.accounts[name]}:role/{ROLE}"

    def environment(self) -> dict[str, str]:
        return self.sandbox.environment()


def admin_client(url: str, service: str, account: str | None = None, region: str = US) -> Any:
    """A seeding client (admin keys, enforcement off) acting in ``account`` when given."""
    client = boto3.client(service, region_name=region, endpoint_url=url, **_ADMIN)
    if account is not None:
        def in_account(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account

        client.meta.events.register("before-sign", in_account)
    return client


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _member(url: str, name: str, account: str) -> None:
    s3 = admin_client(url, "s3", account)
    bucket = f"{name}-data"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "account", "Value": name}]})
    admin_client(url, "kms", account).create_key(
        Description=f"{name} data", Tags=[{"TagKey": "account", "TagValue": name}])
    iam = admin_client(url, "iam", account)
    trust = {"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:user/{SCANNER_USER}"}}
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=_policy(trust))
    statements = [{"Effect": "Allow", "Action": READS, "Resource": "*"}]
    if name == "denied":
        statements.append({"Effect": "Deny", "Action": "s3:GetBucketVersioning",
                           "Resource": "*"})
    iam.put_role_policy(RoleName=ROLE, PolicyName="read-only", PolicyDocument=_policy(*statements))


@contextlib.contextmanager
def organization(*, close_one: bool = False) -> Iterator[Organization]:
    """The running Organization; ``close_one`` adds a fifth account, closed (SUSPENDED)."""
    sandbox = AwsSandbox()
    sandbox.start()
    try:
        sandbox.seed({"regions": [US], "buckets": [
            {"name": "management-data", "region": US, "versioning": "Enabled",
             "tags": {"account": "management"}}],
            "keys": [{"alias": "management-key", "region": US,
                      "tags": {"account": "management"}}],
            "scanner": {"allow": [*SCANNER_ACTIONS, "organizations:ListAccounts"]}})
        sandbox._api("reset-auth", b"inf")  # seeding again: enforcement off
        org = Organization(sandbox)
        orgs = admin_client(sandbox.url, "organizations")
        orgs.create_organization(FeatureSet="ALL")
        for name in MEMBERS:
            status = orgs.create_account(Email=f"{name}@example.com", AccountName=name)
            org.accounts[name] = status["CreateAccountStatus"]["AccountId"]
            _member(sandbox.url, name, org.accounts[name])
        if close_one:
            status = orgs.create_account(Email="closed@example.com", AccountName="closed")
            org.closed = status["CreateAccountStatus"]["AccountId"]
            orgs.close_account(AccountId=org.closed)
        admin_client(sandbox.url, "iam").put_user_policy(
            UserName=SCANNER_USER, PolicyName="not-refusing", PolicyDocument=_policy(
                {"Effect": "Deny", "Action": "sts:AssumeRole",
                 "Resource": org.role_arn("refusing")}))
        sandbox._api("reset-auth", b"0")  # from here on, IAM decides
        sandbox.reset_requests()
        yield org
    finally:
        sandbox.stop()
