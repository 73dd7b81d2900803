"""Google Cloud adapter: Cloud Storage buckets and Cloud KMS keys (with the organization policy
storage.publicAccessPrevention of each project), persistent disks, snapshots and images,
Filestore and Cloud SQL instances, read-only; with a scope option
(all_projects, organization_id, folder) every project of the scope, listed with Resource
Manager v3 (``accounts``).

No google.* import happens here: the SDKs load inside ``collect`` only, so that
``import auditor.providers.gcp`` and ``auditor --help`` stay fast.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from auditor.defaults import DEFAULT_RETRY_ATTEMPTS, DEFAULT_RETRY_BASE_DELAY
from auditor.providers._option_rules import enforce
from auditor.providers._option_values import gcp_project_id
from auditor.providers.base import (
    AccountTarget,
    Collection,
    CollectRequest,
    ExposureProfile,
    ProviderOption,
    load_exposure_profile,
)
from auditor.providers.gcp._name import PROVIDER
from auditor.providers.gcp._scope import (
    check_scope_options,
    exclude_pattern,
    folder_id,
    gcp_flag,
    organization_id,
    scope_of,
)

_PROFILE = Path(__file__).resolve().parent / "exposure.yaml"
# The services of disks, snapshots and images; Cloud SQL; Filestore (see _clients.ENDPOINTS).
_KIND_ENDPOINTS = (("compute", "Compute Engine API (disks, snapshots, images)"),
                   ("sqladmin", "Cloud SQL Admin API"), ("filestore", "Filestore API"))

__all__ = ["GcpAdapter"]


class GcpAdapter:
    """Collects Cloud Storage, Cloud KMS, Compute Engine storage, Filestore and Cloud SQL
    configuration per project."""

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
        ProviderOption("all_projects", "Scan every ACTIVE project the credentials can see "
                       "(Resource Manager projects.search)", flag=True),
        ProviderOption("organization_id", "Scan every ACTIVE project anywhere under this "
                       "organization (its whole folder tree)", metavar="ORG_ID",
                       check=organization_id),
        ProviderOption("folder", "Scan every ACTIVE project anywhere under this folder "
                       "(repeatable)", multiple=True, metavar="FOLDER_ID", check=folder_id),
        ProviderOption("exclude_project", "Leave out projects whose id or number matches "
                       "(repeatable; shell globs such as 'acme-sandbox-*')", multiple=True,
                       metavar="PATTERN", check=exclude_pattern),
        *(ProviderOption(f"gcp_{service}_endpoint", f"{title} endpoint override (a stand-in; "
                         "calls go unauthenticated)", metavar="URL",
                         env=f"AUDITOR_GCP_{service.upper()}_ENDPOINT")
          for service, title in _KIND_ENDPOINTS),
        ProviderOption("gcp_resourcemanager_endpoint", "Resource Manager v3 endpoint override "
                       "(a stand-in; calls go unauthenticated), for the project listing",
                       metavar="URL", env="AUDITOR_GCP_RESOURCEMANAGER_ENDPOINT"),
    )

    def __init__(self, *, max_attempts: int = DEFAULT_RETRY_ATTEMPTS,
                 base_delay: float = DEFAULT_RETRY_BASE_DELAY) -> None:
        # Retry shape: tests shorten the backoff; the CLI uses the defaults.
        self._max_attempts = max_attempts
        self._base_delay = base_delay

    def exposure_profile(self) -> ExposureProfile:
        return load_exposure_profile(_PROFILE)

    def check_options(self, options: Mapping[str, Any]) -> None:
        """The scope rules the option values alone decide (_scope.check_scope_options),
        before any call; OptionRuleError names the option. An endpoint not among the options
        is read from its environment variable, as the clients do for a caller of the API."""
        from_env = {o.name: os.environ[o.env] for o in self.options
                    if o.env and not options.get(o.name) and os.environ.get(o.env)}
        check_scope_options({**options, **from_env})

    def accounts(self, request: CollectRequest) -> list[AccountTarget] | None:
        """One target per project of the scope; None without a scope option (one collect of
        the --project list, as before). ProviderError when the projects cannot be listed."""
        enforce(PROVIDER, gcp_flag, self.check_options, request.options)
        if not scope_of(request.options).multi:
            return None
        from auditor.providers.gcp._errors import RetryPolicy
        from auditor.providers.gcp._projects import discover

        return discover(request, RetryPolicy(self._max_attempts, self._base_delay))

    def collect(self, request: CollectRequest) -> Collection:
        from auditor.providers.gcp._collect import collect
        from auditor.providers.gcp._errors import RetryPolicy

        return collect(request, RetryPolicy(self._max_attempts, self._base_delay))
