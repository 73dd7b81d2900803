"""AWS adapter: S3 buckets, their KMS keys and account settings, read-only through boto3.

boto3 is imported only by :meth:`AwsAdapter.collect`, so importing this package is cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from auditor.providers._option_rules import OptionRuleError, enforce, first_given, given
from auditor.providers._option_values import region_check
from auditor.providers._runtime import RetryPolicy
from auditor.providers.aws._account_options import (
    DEFAULT_SESSION_NAME,
    account_id_check,
    is_multi_account,
    role_name_check,
    session_name_check,
)
from auditor.providers.aws._name import PROVIDER
from auditor.providers.base import (
    AccountTarget,
    Collection,
    CollectRequest,
    ExposureProfile,
    ProviderOption,
    ShardTarget,
    load_exposure_profile,
)

_EXPOSURE = Path(__file__).resolve().parent / "exposure.yaml"
# No default role: OrganizationAccountAccessRole, the one AWS Organizations creates, holds
# AdministratorAccess, and an auditor that only reads should not borrow it unasked.
ROLE_NAME_NEEDED = ("needs --aws-role-name, the role to assume in each account (no default: "
                    "see docs/organizations.md)")
ROLE_ARN_EXCLUDED = ("excludes --aws-role-name (to reach the organization's management "
                     "account through a role first, use a profile with role_arn)")


def _flag(option: str) -> str:
    return f"--aws-{option.replace('_', '-')}"


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
        ProviderOption("external_id", "external id to pass when assuming --aws-role-arn "
                       "or --aws-role-name", metavar="ID"),
        ProviderOption("organization", "scan every ACTIVE account of the AWS Organization "
                       "(organizations:ListAccounts; needs --aws-role-name)", flag=True),
        ProviderOption("account", "account id to scan (repeatable; with or instead of "
                       "--aws-organization; needs --aws-role-name)", multiple=True,
                       metavar="ID", check=account_id_check),
        ProviderOption("exclude_account", "account id not to scan (repeatable)",
                       multiple=True, metavar="ID", check=account_id_check),
        ProviderOption("role_name", "role assumed in each account of --aws-organization or "
                       "--aws-account (required with them; none in the caller's own "
                       "account)", metavar="ROLE", check=role_name_check),
        ProviderOption("session_name", "RoleSessionName of each AssumeRole (default "
                       f"{DEFAULT_SESSION_NAME})", metavar="NAME", check=session_name_check),
    )

    def __init__(self, *, retry: RetryPolicy | None = None) -> None:
        # The shared retry policy (botocore's own retries are off); tests shorten it.
        self._retry = retry or RetryPolicy()

    def exposure_profile(self) -> ExposureProfile:
        return load_exposure_profile(_EXPOSURE)

    def check_options(self, options: Mapping[str, Any]) -> None:
        """The option-combination rules, before any call (docs/organizations.md):
        OptionRuleError naming the option given in a combination that cannot work."""
        multi = first_given(options, ("organization", "account"))
        if multi is None:
            stray = first_given(options, ("role_name", "exclude_account"))
            if stray is not None:  # else the one-account scan would quietly ignore it
                raise OptionRuleError(stray, "needs --aws-organization or --aws-account")
            return
        if not given(options, "role_name"):
            raise OptionRuleError(multi, ROLE_NAME_NEEDED)
        if given(options, "role_arn"):
            raise OptionRuleError("role_arn", ROLE_ARN_EXCLUDED)

    def accounts(self, request: CollectRequest) -> list[AccountTarget] | None:
        """The accounts of --aws-organization and --aws-account (None without either), each
        with the role to assume in it (docs/organizations.md)."""
        enforce(PROVIDER, _flag, self.check_options, request.options)
        if not is_multi_account(request.options):
            return None
        from auditor.providers.aws._organization import account_targets

        return account_targets(request, self._retry)

    def shards(self, request: CollectRequest, by: str) -> list[ShardTarget] | None:
        """One account's collection by region (--shard-by region): aws/_shards.py."""
        from auditor.providers.aws._shards import region_shards

        return region_shards(request, by, self._retry)

    def collect(self, request: CollectRequest) -> Collection:
        from auditor.providers.aws._collect import collect

        return collect(request, self._retry)


__all__ = ["AwsAdapter"]
