"""Alibaba Cloud adapter: OSS buckets, KMS keys and ECS default disk encryption, read-only.

Importing this package loads no cloud SDK; ``collect`` imports them.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from auditor.defaults import (
    DEFAULT_RETRY_ATTEMPTS,
    DEFAULT_RETRY_BASE_DELAY,
    DEFAULT_RETRY_MAX_DELAY,
)
from auditor.providers._option_values import region_check
from auditor.providers.alibaba._name import PROVIDER
from auditor.providers.base import (
    Collection,
    CollectRequest,
    ExposureProfile,
    ProviderOption,
    load_exposure_profile,
)

_EXPOSURE = Path(__file__).resolve().parent / "exposure.yaml"


class AlibabaAdapter:
    """Collects OSS and KMS settings through alibabacloud-oss-v2 and alibabacloud-kms20160120,
    and ECS default disk encryption through the generic alibabacloud-tea-openapi client."""

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
    )

    def __init__(self, retry_attempts: int = DEFAULT_RETRY_ATTEMPTS,
                 retry_base_delay: float = DEFAULT_RETRY_BASE_DELAY,
                 retry_max_delay: float = DEFAULT_RETRY_MAX_DELAY) -> None:
        self._retry = (retry_attempts, retry_base_delay, retry_max_delay)

    def exposure_profile(self) -> ExposureProfile:
        return load_exposure_profile(_EXPOSURE)

    def collect(self, request: CollectRequest) -> Collection:
        """Collect read-only. Raises ProviderError (CredentialsError, EndpointError) when
        nothing can be listed at all."""
        from auditor.providers.alibaba._collect import Collector
        from auditor.providers.alibaba._errors import RetryPolicy

        options = dict(request.options)
        for option in self.options:  # the flag wins; the environment fills a gap
            if option.env and not options.get(option.name) and os.environ.get(option.env):
                options[option.name] = os.environ[option.env]
        request = replace(request, options=options)  # keeps facts, workers, progress, timeout
        return Collector(request, RetryPolicy(*self._retry)).run()


__all__ = ["AlibabaAdapter"]
