"""A scanner holding only the policy `auditor permissions aws` prints is denied nothing.

moto's IAM enforcement (on once the stand-in is seeded) decides every call of these scans.
What moto enforces, read from moto 5.2 and confirmed by the second test below: ListBuckets as
s3:ListAllMyBuckets; the bucket subresources it maps (location, versioning, policy,
policyStatus, acl, logging) under their own action names; KMS and EC2 actions under the API
name; sts:GetCallerIdentity always allowed (as AWS documents). What it does not: the S3
subresources missing from its action map (encryption, publicAccessBlock, ownershipControls,
object-lock, replication) are authorized as s3:ListBucket instead of the documented actions,
and S3 Control's GetPublicAccessBlock as s3:GetPublicAccessBlock instead of
s3:GetAccountPublicAccessBlock. Those six are therefore granted under moto's names as well
(MOTO_AUTHORIZES_AS) for the no-denial test: their documented actions are checked against the
AWS pages (tests/core/test_permissions.py), not by moto. Resource-level scoping and
conditions are not exercised: the derived policy grants Resource "*".
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from aws_support import aws_environment, demo_section

from auditor.checks import compile_check, load_checks
from auditor.engine import evaluate_one, wanted_facts
from auditor.model import FactState, Status
from auditor.permissions import derive_policy, policy_document
from auditor.providers.aws import AwsAdapter
from auditor.providers.aws.sandbox import AwsSandbox
from auditor.providers.aws.sandbox._seed import _ADMIN
from auditor.providers.base import CollectRequest

CHECKS = {c.id: compile_check(c) for c in load_checks()}
SELECTIONS = {"all": list(CHECKS.values()), **{cid: [CHECKS[cid]] for cid in (
    "bucket-not-public", "bucket-key-custody", "bucket-key-rotation", "kms-key-not-public",
    "account-public-access-block")}}
# operation -> the action moto 5.2 authorizes it as, where that is not the documented one
MOTO_AUTHORIZES_AS = {
    "s3:GetBucketEncryption": "s3:ListBucket",
    "s3:GetPublicAccessBlock": "s3:ListBucket",
    "s3:GetBucketOwnershipControls": "s3:ListBucket",
    "s3:GetObjectLockConfiguration": "s3:ListBucket",
    "s3:GetBucketReplication": "s3:ListBucket",
    "s3control:GetPublicAccessBlock": "s3:GetPublicAccessBlock",
}
DENIED_CODES = ("AccessDenied", "AccessDeniedException", "HTTP403", "UnauthorizedOperation")


def printed_actions(checks) -> list[str]:
    """The Action list of the document `auditor permissions aws --checks ...` prints."""
    return policy_document(derive_policy(AwsAdapter(), checks))["Statement"][0]["Action"]


def with_moto_names(checks) -> list[str]:
    ops = set(derive_policy(AwsAdapter(), checks).operations)
    return sorted({*printed_actions(checks), *(MOTO_AUTHORIZES_AS[o] for o in ops
                                               if o in MOTO_AUTHORIZES_AS)})


def _users() -> dict[str, list[str]]:
    users = {f"lp-{name}": with_moto_names(checks) for name, checks in SELECTIONS.items()}
    users["lp-printed-only"] = printed_actions(SELECTIONS["all"])
    users["lp-no-versioning"] = [a for a in users["lp-all"] if a != "s3:GetBucketVersioning"]
    return users


@pytest.fixture(scope="module")
def stand(tmp_path_factory) -> Iterator[tuple[AwsSandbox, dict[str, dict[str, str]]]]:
    """The demo estate without its own denials (scanner Deny statements, a key policy that
    hides a key), and one IAM user per policy under test."""
    section = copy.deepcopy(demo_section())
    for key in section["keys"]:
        key.pop("deny_describe", None)
    users = _users()
    first = next(iter(users))
    section["scanner"] = {"user": first, "allow": users[first]}
    sandbox = AwsSandbox()
    sandbox.start()
    try:
        sandbox.seed(section)
        keys = {first: sandbox.environment()}
        admin_api = f"{sandbox.url}/moto-api/reset-auth"
        requests.post(admin_api, data=b"inf", timeout=30).raise_for_status()  # seeding again
        iam = boto3.client("iam", region_name="us-east-1", endpoint_url=sandbox.url, **_ADMIN)
        for name, actions in list(users.items())[1:]:
            iam.create_user(UserName=name)
            iam.put_user_policy(UserName=name, PolicyName="least-privilege",
                                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                                    {"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
            made = iam.create_access_key(UserName=name)["AccessKey"]
            keys[name] = {**keys[first], "AWS_ACCESS_KEY_ID": made["AccessKeyId"],
                          "AWS_SECRET_ACCESS_KEY": made["SecretAccessKey"]}
        requests.post(admin_api, data=b"0", timeout=30).raise_for_status()  # IAM decides again
        yield sandbox, keys
    finally:
        sandbox.stop()


def scan_as(stand, user: str, checks, tmp_path) -> Any:
    sandbox, keys = stand
    with aws_environment(tmp_path) as mp:
        for name, value in keys[user].items():
            mp.setenv(name, value)
        return AwsAdapter().collect(CollectRequest(options=sandbox.scan_options(),
                                                   facts=wanted_facts(checks), max_workers=4))


def _refused(collection) -> set[str]:
    return {e.operation for e in collection.run.errors if e.code in DENIED_CODES}


@pytest.mark.parametrize("selection", SELECTIONS)
def test_the_derived_policy_is_denied_nothing(stand, selection, tmp_path):
    checks = SELECTIONS[selection]
    collection = scan_as(stand, f"lp-{selection}", checks, tmp_path)
    assert collection.resources
    assert not _refused(collection), collection.run.errors
    denied = [(r.name, p) for r in collection.resources for p, f in r.facts.items()
              if f.state is FactState.DENIED]
    assert not denied
    for resource in collection.resources:
        for compiled in checks:
            if resource.kind in compiled.check.kinds:
                status, message = evaluate_one(compiled, resource)
                assert status is not Status.UNVERIFIED, (resource.name, message)


def test_moto_authorizes_six_operations_under_other_names(stand, tmp_path):
    # The printed policy alone: exactly the operations moto checks under another action are
    # refused (if moto learns the documented names, this fails and the table above shrinks).
    checks = SELECTIONS["all"]
    refused = _refused(scan_as(stand, "lp-printed-only", checks, tmp_path))
    assert refused == set(MOTO_AUTHORIZES_AS)


def test_enforcement_is_live_one_action_less_is_denied(stand, tmp_path):
    checks = SELECTIONS["all"]
    collection = scan_as(stand, "lp-no-versioning", checks, tmp_path)
    assert _refused(collection) == {"s3:GetBucketVersioning"}
    buckets = [r for r in collection.resources if r.kind == "storage.bucket"]
    assert buckets and all(r.facts["versioning.enabled"].state is FactState.DENIED
                           for r in buckets)
    for resource in buckets:
        status, _ = evaluate_one(CHECKS["bucket-versioning"], resource)
        assert status is Status.UNVERIFIED
