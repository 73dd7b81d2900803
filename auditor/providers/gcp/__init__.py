"""Google Cloud adapter: Cloud Storage buckets and Cloud KMS keys (with the organization policy
storage.publicAccessPrevention of each project), read-only.

No google.* import happens here: the SDKs load inside ``collect`` only, so that
``import auditor.providers.gcp`` and ``auditor --help`` stay fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from auditor.defaults import DEFAULT_RETRY_ATTEMPTS, DEFAULT_RETRY_BASE_DELAY
from auditor.providers._option_values import gcp_project_id
from auditor.providers.base import (
    Collection,
    CollectRequest,
    ExposureProfile,
    ProviderOption,
    load_exposure_profile,
)
from auditor.providers.gcp._name import PROVIDER

_PROFILE = Path(__file__).resolve().parent / "exposure.yaml"

__all__ = ["GcpAdapter"]


class GcpAdapter:
    """Collects Cloud Storage and Cloud KMS configuration per project."""

    name: ClassVar[str] = PROVIDER
    title: ClassVar[str] = "Google Cloud"
    # exposure.yaml, regions.yaml, not_configured.yaml: checked on registration
    data_dir: ClassVar[Path] = Path(__file__).resolve().parent
    options: ClassVar[tuple[ProviderOption, ...]] = (
        ProviderOption("project", "Project to scan (repeatable); default: the Application "
                       "Default Credentials project", multiple=True, metavar="PROJECT",
                       check=gcp_project_id),
        ProviderOption("credentials_file", "Service account or ADC JSON file to use instead "
                       "of Application Default Credentials", metavar="FILE"),
        ProviderOption("gcs_endpoint", "Cloud Storage JSON API endpoint override (an emulator "
                       "or stand-in; calls go unauthenticated)", metavar="URL",
                       env="STORAGE_EMULATOR_HOST"),
        ProviderOption("gcp_kms_endpoint", "Cloud KMS REST endpoint override (an emulator or "
                       "stand-in; calls go unauthenticated)", metavar="URL",
                       env="AUDITOR_GCP_KMS_ENDPOINT"),
        ProviderOption("gcp_orgpolicy_endpoint", "Organization Policy API endpoint override "
                       "(a stand-in; calls go unauthenticated). With the other endpoints "
                       "overridden and this one not, the organization policy is not read",
                       metavar="URL", env="AUDITOR_GCP_ORGPOLICY_ENDPOINT"),
    )

    def __init__(self, *, max_attempts: int = DEFAULT_RETRY_ATTEMPTS,
                 base_delay: float = DEFAULT_RETRY_BASE_DELAY) -> None:
        # Retry shape: tests shorten the backoff; the CLI uses the defaults.
        self._max_attempts = max_attempts
        self._base_delay = base_delay

    def exposure_profile(self) -> ExposureProfile:
        return load_exposure_profile(_PROFILE)

    def collect(self, request: CollectRequest) -> Collection:
        from auditor.providers.gcp._collect import collect
        from auditor.providers.gcp._errors import RetryPolicy

        return collect(request, RetryPolicy(self._max_attempts, self._base_delay))
