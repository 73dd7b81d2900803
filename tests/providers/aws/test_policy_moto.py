"""A bucket policy that is public under a condition that does not limit who may call, scanned
through moto with the real boto3 client.

GetBucketPolicyStatus is denied to the scanner, so the verdict comes from the policy document
(S3 User Guide, "The meaning of 'public'": aws:SecureTransport is not one of the keys whose
fixed values make a policy non-public).
"""

from __future__ import annotations

import json
from pathlib import Path

from aws_support import aws_environment, by_name, collect

from auditor.model import FactState

US = "us-east-1"
EXPOSURE = {"public_exposure.is_public", "public_exposure.reasons"}
ESTATE = {
    "regions": [US],
    "buckets": [{"name": "https-readers", "region": US},
                {"name": "vpc-readers", "region": US}],
    "scanner": {"deny": [{"action": "s3:GetBucketPolicyStatus"}]},
}


def _allow_everyone(bucket: str, condition: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "Read", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*", "Condition": condition}]})


def test_secure_transport_condition_leaves_a_bucket_public(tmp_path: Path) -> None:
    import boto3
    from moto import mock_aws
    from moto.core import enable_iam_authentication

    from auditor.providers.aws.sandbox import EstateSeeder

    with aws_environment(tmp_path) as mp, mock_aws():
        scanner = EstateSeeder(lambda service, region: boto3.client(
            service, region_name=region)).seed(ESTATE)
        s3 = boto3.client("s3", region_name=US)
        s3.put_bucket_policy(Bucket="https-readers", Policy=_allow_everyone(
            "https-readers", {"Bool": {"aws:SecureTransport": "true"}}))
        s3.put_bucket_policy(Bucket="vpc-readers", Policy=_allow_everyone(
            "vpc-readers", {"StringEquals": {"aws:SourceVpc": "vpc-91237329"}}))
        mp.setenv("AWS_ACCESS_KEY_ID", scanner["access_key_id"])
        mp.setenv("AWS_SECRET_ACCESS_KEY", scanner["secret_access_key"])
        with enable_iam_authentication():
            collection = collect({"region": [US]}, {"storage.bucket": EXPOSURE})
    buckets = by_name(collection, "storage.bucket")

    public = buckets["https-readers"].facts["public_exposure.is_public"]
    assert public.state is FactState.OBSERVED and public.value is True, public
    assert buckets["https-readers"].facts["public_exposure.reasons"].value == ["policy"]
    assert "s3:GetBucketPolicyStatus not read" in public.detail
    assert "aws:SecureTransport" in public.detail
    assert "s3:GetBucketPolicy" in public.source

    fixed = buckets["vpc-readers"].facts["public_exposure.is_public"]
    assert fixed.state is FactState.OBSERVED and fixed.value is False, fixed
