"""Alibaba Cloud adapter, read-only: OSS buckets, KMS keys, ECS default disk encryption, ECS
disks, snapshots and custom images, NAS file systems and ApsaraDB RDS instances.

Importing this package loads no cloud SDK; ``collect`` imports them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from auditor.defaults import (
    DEFAULT_RETRY_ATTEMPTS,
    DEFAULT_RETRY_BASE_DELAY,
    DEFAULT_RETRY_MAX_DELAY,
)
from auditor.providers._option_rules import OptionRuleError, enforce, first_given, given
from auditor.providers._option_values import region_check
from auditor.providers.alibaba._account_ids import account_id_check
from auditor.providers.alibaba._name import PROVIDER
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
# The options that read members through a role, and those that make a multi-account scan.
_THROUGH_ROLE = ("resource_directory", "account")
_MULTI = (*_THROUGH_ROLE, "profile")
# No default role: ResourceDirectoryAccountAccessRole, the one Resource Directory creates in
# the members it creates, holds AdministratorAccess (as AWS's OrganizationAccountAccessRole
# does); an auditor that only reads should not borrow it unasked.
ROLE_NAME_NEEDED = ("needs --alibaba-role-name, the RAM role to assume in each member account "
                    "(no default: see docs/organizations.md)")


def _flag(option: str) -> str:
    name = option if option.startswith(PROVIDER + "_") else f"{PROVIDER}_{option}"
    return "--" + name.replace("_", "-")


class AlibabaAdapter:
    """Collects OSS and KMS settings through alibabacloud-oss-v2 and alibabacloud-kms20160120,
    and ECS, NAS and RDS settings through the generic alibabacloud-tea-openapi client (one
    client path for every RPC read, each answer checked against answers.yaml)."""

    name: ClassVar[str] = PROVIDER
    title: ClassVar[str] = "Alibaba Cloud"
    # exposure.yaml, regions.yaml, not_configured.yaml: checked on registration
    data_dir: ClassVar[Path] = Path(__file__).resolve().parent
    options: ClassVar[tuple[ProviderOption, ...]] = (
        ProviderOption("region", "OSS/KMS region to scan (cn-hangzhou or oss-cn-hangzhou); "
                       "repeatable; default: every region where ListBuckets finds buckets",
                       multiple=True, metavar="REGION", check=region_check("alibaba")),
        ProviderOption("oss_endpoint", "OSS endpoint override (path-style), e.g. a local "
                       "stand-in", metavar="URL", env="AUDITOR_OSS_ENDPOINT"),
        ProviderOption("alibaba_kms_endpoint", "KMS endpoint override: host:port or "
                       "http(s)://host:port", metavar="ENDPOINT",
                       env="AUDITOR_ALIBABA_KMS_ENDPOINT"),
        ProviderOption("alibaba_ecs_endpoint", "ECS endpoint override for the default disk "
                       "encryption reads: host:port or http(s)://host:port; default "
                       "ecs.REGION.aliyuncs.com", metavar="ENDPOINT",
                       env="AUDITOR_ALIBABA_ECS_ENDPOINT"),
        ProviderOption("alibaba_nas_endpoint", "NAS endpoint override (file systems): "
                       "host:port or http(s)://host:port; default nas.REGION.aliyuncs.com",
                       metavar="ENDPOINT", env="AUDITOR_ALIBABA_NAS_ENDPOINT"),
        ProviderOption("alibaba_rds_endpoint", "ApsaraDB RDS endpoint override (database "
                       "instances): host:port or http(s)://host:port; default rds.aliyuncs.com "
                       "or rds.REGION.aliyuncs.com", metavar="ENDPOINT",
                       env="AUDITOR_ALIBABA_RDS_ENDPOINT"),
        # Multi-account scans (docs/organizations.md): any of the next three starts one.
        ProviderOption("resource_directory", "scan every active member account of the "
                       "Resource Directory (ListAccounts), through --alibaba-role-name in "
                       "each; the caller's own account with its own credentials", flag=True),
        ProviderOption("account", "a member account id to scan through --alibaba-role-name "
                       "(repeatable); with --alibaba-resource-directory: only these members",
                       multiple=True, metavar="ACCOUNT_ID", check=account_id_check),
        ProviderOption("profile", "a credential profile to scan (repeatable): ~/.aliyun/"
                       "config.json, else ~/.alibabacloud/credentials.ini; with "
                       "--alibaba-resource-directory: used when the directory cannot be read",
                       multiple=True, metavar="NAME"),
        ProviderOption("exclude_account", "an account id not to scan (repeatable)",
                       multiple=True, metavar="ACCOUNT_ID", check=account_id_check),
        ProviderOption("role_name", "the RAM role assumed in each member account (required "
                       "with --alibaba-resource-directory and --alibaba-account; no default)",
                       metavar="ROLE"),
        ProviderOption("external_id", "the ExternalId the member roles' trust policy asks "
                       "for", metavar="ID"),
        ProviderOption("alibaba_profile_file", "the Alibaba Cloud CLI config file holding "
                       "the profiles; default ~/.aliyun/config.json", metavar="FILE",
                       env="AUDITOR_ALIBABA_PROFILE_FILE"),
        ProviderOption("alibaba_sts_endpoint", "STS endpoint override (GetCallerIdentity, "
                       "AssumeRole): host:port or http(s)://host:port; default "
                       "sts.aliyuncs.com", metavar="ENDPOINT", env="AUDITOR_ALIBABA_STS_ENDPOINT"),
        ProviderOption("alibaba_resourcemanager_endpoint", "Resource Manager endpoint override "
                       "(ListAccounts); default resourcemanager.aliyuncs.com",
                       metavar="ENDPOINT", env="AUDITOR_ALIBABA_RESOURCEMANAGER_ENDPOINT"),
    )

    def __init__(self, retry_attempts: int = DEFAULT_RETRY_ATTEMPTS,
                 retry_base_delay: float = DEFAULT_RETRY_BASE_DELAY,
                 retry_max_delay: float = DEFAULT_RETRY_MAX_DELAY) -> None:
        self._retry = (retry_attempts, retry_base_delay, retry_max_delay)

    def exposure_profile(self) -> ExposureProfile:
        return load_exposure_profile(_EXPOSURE)

    def _options(self, request: CollectRequest) -> dict[str, Any]:
        options = dict(request.options)
        for option in self.options:  # the flag wins; the environment fills a gap
            if option.env and not options.get(option.name) and os.environ.get(option.env):
                options[option.name] = os.environ[option.env]
        return options

    def check_options(self, options: Mapping[str, Any]) -> None:
        """The option-combination rules, before any call (docs/organizations.md):
        OptionRuleError naming the option given in a combination that cannot work."""
        through_role = first_given(options, _THROUGH_ROLE)
        if through_role is not None and not given(options, "role_name"):
            raise OptionRuleError(through_role, ROLE_NAME_NEEDED)
        if through_role is None:  # else these would be quietly ignored
            stray = first_given(options, ("role_name", "external_id"))
            if stray is not None:
                raise OptionRuleError(stray, "needs --alibaba-resource-directory or "
                                             "--alibaba-account (no role is assumed otherwise)")
        if first_given(options, _MULTI) is None and given(options, "exclude_account"):
            raise OptionRuleError("exclude_account", "needs --alibaba-resource-directory, "
                                                     "--alibaba-account or --alibaba-profile")

    def accounts(self, request: CollectRequest) -> list[AccountTarget] | None:
        """The accounts of a Resource Directory, explicit ids or profiles; None when the
        request names none of them (one account, as before). ProviderError when the
        directory cannot be listed and no profile is given to fall back on, and when the
        options break a rule of check_options."""
        from auditor.providers.alibaba._errors import RetryPolicy
        from auditor.providers.alibaba._targets import is_multi_account, list_targets

        options = self._options(request)
        enforce(PROVIDER, _flag, self.check_options, options)
        if not is_multi_account(options):
            return None
        return list_targets(options, request.timeout, RetryPolicy(*self._retry))

    def shards(self, request: CollectRequest, by: str) -> list[ShardTarget] | None:
        """One account's collection by the regions named (--shard-by region): _shards.py."""
        from auditor.providers.alibaba._shards import region_shards

        return region_shards(request, by)

    def collect(self, request: CollectRequest) -> Collection:
        """Collect read-only one account: the caller's, or the target an ``accounts`` entry
        names (its role assumed first). Raises ProviderError (CredentialsError,
        EndpointError) when nothing can be listed at all, or the role is refused."""
        from auditor.providers._runtime import ApiLedger
        from auditor.providers.alibaba._collect import Collector
        from auditor.providers.alibaba._errors import RetryPolicy
        from auditor.providers.alibaba._targets import start

        options = self._options(request)
        request = replace(request, options=options)  # keeps facts, workers, progress, timeout
        retry, ledger = RetryPolicy(*self._retry), ApiLedger()
        # The target's credentials; the listing's gaps it carries are gaps of its run.
        credentials = start(options, ledger, retry, request.timeout)
        return Collector(request, retry, credentials=credentials, ledger=ledger).run()


__all__ = ["AlibabaAdapter"]
