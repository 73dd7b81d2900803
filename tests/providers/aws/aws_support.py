"""Helpers for the AWS adapter tests: isolated AWS environment, moto estates, collections."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.model import Resource
from auditor.providers._runtime import RetryPolicy
from auditor.providers.aws import AwsAdapter
from auditor.providers.base import Collection, CollectRequest
from auditor.schema import fact_catalog

_AWS_VARS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN",
             "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
             "AWS_ENDPOINT_URL_STS", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
             "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
             "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "MOTO_ACCOUNT_ID")


def demo_section() -> dict[str, Any]:
    from auditor.sandbox.estate import load_estate

    return load_estate()["aws"]


@contextlib.contextmanager
def aws_environment(tmp: Path, **values: str) -> Iterator[pytest.MonkeyPatch]:
    """A process environment that reaches no real AWS and reads no user config."""
    with pytest.MonkeyPatch.context() as mp:
        for name in _AWS_VARS:
            mp.delenv(name, raising=False)
        mp.setenv("AWS_CONFIG_FILE", str(tmp / "no-config"))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp / "no-credentials"))
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        mp.setenv("AWS_ACCESS_KEY_ID", "seedkey")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "seedsecret")
        for name, value in values.items():
            mp.setenv(name, value)
        yield mp


@contextlib.contextmanager
def mocked_estate(section: dict[str, Any], tmp: Path) -> Iterator[dict[str, str]]:
    """moto in-process, seeded with ``section``; then IAM is enforced and the scanner's keys
    are in the environment. Yields the scanner credentials (and role ARN)."""
    import boto3
    from moto import mock_aws
    from moto.core import enable_iam_authentication

    from auditor.providers.aws.sandbox import EstateSeeder

    with aws_environment(tmp) as mp, mock_aws():
        scanner = EstateSeeder(lambda service, region: boto3.client(
            service, region_name=region)).seed(section)
        mp.setenv("AWS_ACCESS_KEY_ID", scanner["access_key_id"])
        mp.setenv("AWS_SECRET_ACCESS_KEY", scanner["secret_access_key"])
        with enable_iam_authentication():
            yield scanner


def collect(options: dict[str, Any], facts: dict[str, set[str]] | None = None,
            workers: int = 8, retry: RetryPolicy | None = None) -> Collection:
    """``retry``: the shared retry policy (botocore's own retries are always off)."""
    wanted = None if facts is None else {k: frozenset(v) for k, v in facts.items()}
    return AwsAdapter(retry=retry).collect(CollectRequest(options=options, facts=wanted,
                                                          max_workers=workers))


def all_facts_but(*skip: str) -> dict[str, set[str]]:
    """Every catalog fact except ``kind:path`` entries in ``skip``."""
    return {kind: {p for p in paths if f"{kind}:{p}" not in skip}
            for kind, paths in fact_catalog().items()}


def by_name(collection: Collection, kind: str) -> dict[str, Resource]:
    return {r.name: r for r in collection.resources if r.kind == kind}
