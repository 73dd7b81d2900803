"""AWS adapter: S3 buckets, their KMS keys and account settings, read-only through boto3.

boto3 is imported only by :meth:`AwsAdapter.collect`, so importing this package is cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from auditor.providers._option_values import region_check
from auditor.providers._runtime import RetryPolicy
from auditor.providers.aws._name import PROVIDER
from auditor.providers.base import (
    Collection,
    CollectRequest,
    ExposureProfile,
    ProviderOption,
    load_exposure_profile,
)

_EXPOSURE = Path(__file__).resolve().parent / "exposure.yaml"


class AwsAdapter:
    """Amazon S3, AWS KMS, S3 account Block Public Access and EBS default encryption."""

    name: ClassVar[str] = PROVIDER
    title: ClassVar[str] = "Amazon Web Services"
    # exposure.yaml, regions.yaml, not_configured.yaml: checked on registration
    data_dir: ClassVar[Path] = Path(__file__).resolve().parent
    options: ClassVar[tuple[ProviderOption, ...]] = (
        ProviderOption("region", "region to scan (repeatable); default: every enabled region",
                       multiple=True, metavar="REGION", check=region_check("aws")),
        ProviderOption("profile", "named profile from the shared AWS config/credentials files",
                       metavar="PROFILE"),
        ProviderOption("role_arn", "IAM role to assume for the scan", metavar="ARN"),
        ProviderOption("external_id", "external id to pass when assuming --aws-role-arn",
                       metavar="ID"),
    )

    def __init__(self, *, retry: RetryPolicy | None = None) -> None:
        # The shared retry policy (botocore's own retries are off); tests shorten it.
        self._retry = retry or RetryPolicy()

    def exposure_profile(self) -> ExposureProfile:
        return load_exposure_profile(_EXPOSURE)

    def collect(self, request: CollectRequest) -> Collection:
        from auditor.providers.aws._collect import collect

        return collect(request, self._retry)


__all__ = ["AwsAdapter"]
