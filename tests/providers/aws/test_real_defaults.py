"""The demo estate holds only states S3 can hold today, read back through boto3 from moto.

Sources of the expected answers:
- "Setting default server-side encryption behavior for Amazon S3 buckets" and "Using
  server-side encryption with Amazon S3 managed keys (SSE-S3)" (AWS S3 User Guide): S3 applies
  SSE-S3 as the base level of encryption for every bucket since 5 January 2023, so
  GetBucketEncryption always answers a configuration.
- "Amazon S3 will automatically enable S3 Block Public Access and disable access control lists
  for all new buckets starting in April 2023" (AWS What's New, December 2022), "Controlling
  ownership of objects and disabling ACLs for your bucket" (S3 User Guide): new buckets have
  Object Ownership BucketOwnerEnforced and all four Block Public Access settings on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from auditor.providers.aws.sandbox import AwsSandbox
from auditor.providers.aws.sandbox._seed import effective_bucket

ALL_BLOCKED = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
               "RestrictPublicBuckets": True}


@pytest.fixture(scope="module")
def s3(demo: dict[str, Any]) -> Iterator[Any]:
    box = AwsSandbox()
    box.start()
    try:
        box.seed({"aws": demo})
        env = box.environment()  # the read-only scanner: reads what a scan would read
        yield boto3.client("s3", region_name="us-east-1", endpoint_url=env["AWS_ENDPOINT_URL"],
                           aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                           aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    finally:
        box.stop()


def _names(demo: dict[str, Any]) -> list[str]:
    return [b["name"] for b in demo["buckets"]]


def test_the_estate_states_the_s3_defaults(demo: dict[str, Any]) -> None:
    assert demo["bucket_defaults"] == {"encryption": {"algorithm": "AES256"},
                                       "ownership": "BucketOwnerEnforced",
                                       "public_access_block": True}


def test_every_seeded_bucket_has_default_encryption(s3: Any, demo: dict[str, Any]) -> None:
    listed = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert listed == set(_names(demo))
    for spec in demo["buckets"]:
        rules = s3.get_bucket_encryption(Bucket=spec["name"])[
            "ServerSideEncryptionConfiguration"]["Rules"]
        algorithm = rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
        wanted = (spec.get("encryption") or demo["bucket_defaults"]["encryption"])["algorithm"]
        assert algorithm == wanted, spec["name"]
        assert algorithm in ("AES256", "aws:kms", "aws:kms:dsse"), spec["name"]


def test_buckets_that_do_not_opt_out_keep_acls_disabled_and_public_access_blocked(
        s3: Any, demo: dict[str, Any]) -> None:
    defaulted_ownership = [b["name"] for b in demo["buckets"] if "ownership" not in b]
    defaulted_block = [b["name"] for b in demo["buckets"] if "public_access_block" not in b]
    assert defaulted_ownership and defaulted_block  # most buckets keep what S3 gave them
    for name in defaulted_ownership:
        rules = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
        assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}], name
    for name in defaulted_block:
        flags = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        assert flags == ALL_BLOCKED, name


def test_buckets_that_opt_out_say_so_and_read_back_as_configured(
        s3: Any, demo: dict[str, Any]) -> None:
    for spec in demo["buckets"]:
        if spec.get("ownership") not in (None, "BucketOwnerEnforced"):
            rules = s3.get_bucket_ownership_controls(Bucket=spec["name"])[
                "OwnershipControls"]["Rules"]
            assert rules == [{"ObjectOwnership": spec["ownership"]}], spec["name"]
        if spec.get("public_access_block") is False:
            flags = s3.get_public_access_block(Bucket=spec["name"])[
                "PublicAccessBlockConfiguration"]
            assert flags == dict.fromkeys(ALL_BLOCKED, False), spec["name"]
    # A bucket that grants an ACL must have re-enabled ACLs, as S3 demands.
    granting = [b for b in demo["buckets"] if b.get("acl") or b.get("log_target")]
    assert granting and all(b.get("ownership") not in (None, "BucketOwnerEnforced")
                            for b in granting)


@pytest.mark.parametrize(("spec", "message"), [
    ({"name": "naked", "encryption": None}, "S3 encrypts every bucket"),
    ({"name": "acl-under-enforced", "acl": "public-read"}, "ACLs are disabled"),
    ({"name": "log-under-enforced", "log_target": True}, "ACLs are disabled"),
])
def test_the_seeder_refuses_states_s3_cannot_hold(demo: dict[str, Any], spec: dict[str, Any],
                                                  message: str) -> None:
    with pytest.raises(ValueError, match=message):
        effective_bucket(spec, demo["bucket_defaults"])
