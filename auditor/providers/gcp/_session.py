"""Credentials, projects and the clients (Cloud Storage JSON API, Cloud KMS over REST, and an
HTTP session for the Org Policy API).

Credentials: ``--credentials-file``, else Application Default Credentials. With an endpoint
override (a local stand-in or an emulator) the clients go anonymous. Without any credential
source we fail at once with one line, before google.auth would probe the metadata server
and before the storage client would retry against the real service for minutes.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import google.auth
import requests
from google.api_core.client_options import ClientOptions
from google.auth import exceptions as auth_exc
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.transport.requests import AuthorizedSession
from google.cloud import kms_v1, storage
from requests.adapters import HTTPAdapter

from auditor.errors import CredentialsError, ProviderError
from auditor.providers._runtime.scrub import Scrubber
from auditor.providers.gcp._answers import json_object_only
from auditor.providers.gcp._clients import KindClients, any_endpoint
from auditor.providers.gcp._name import PROVIDER
from auditor.providers.gcp._orgpolicy import DEFAULT_ENDPOINT, OrgPolicyClient
from auditor.providers.gcp._scope import scope_of

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
GCS_ENDPOINT_ENV = "STORAGE_EMULATOR_HOST"
KMS_ENDPOINT_ENV = "AUDITOR_GCP_KMS_ENDPOINT"
ORGPOLICY_ENDPOINT_ENV = "AUDITOR_GCP_ORGPOLICY_ENDPOINT"
PROJECT_ENVS = ("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT")
FILE_TYPES = frozenset({"service_account", "authorized_user", "external_account",
                        "impersonated_service_account"})
# Fields of a credentials file that are secrets (the identity fields, client_email, are not).
SECRET_FIELDS = ("private_key", "private_key_id", "client_secret", "refresh_token",
                 "access_token", "token", "id_token")
NO_CREDENTIALS = ("no Google Cloud credentials found: set GOOGLE_APPLICATION_CREDENTIALS, run "
                  "`gcloud auth application-default login`, or pass --credentials-file")


@dataclass
class GcpSession:
    projects: list[str]
    storage: Any  # google.cloud.storage.Client
    kms: Any  # google.cloud.kms_v1.KeyManagementServiceClient
    endpoint_overridden: bool
    # None when the other endpoints are overridden but this one is not: the calls go
    # anonymous then, and an anonymous call to the real Org Policy API could only be refused.
    orgpolicy: OrgPolicyClient | None = None
    kinds: KindClients | None = None  # disks, snapshots, images, Filestore, Cloud SQL

    def close(self) -> None:
        if self.kinds is not None:
            self.kinds.close()
        self.storage.close()
        self.kms.transport.close()
        if self.orgpolicy is not None:
            self.orgpolicy.close()


def _endpoint(value: str | None) -> str | None:
    """An emulator address with or without scheme (STORAGE_EMULATOR_HOST=host:port is common)."""
    if not value:
        return None
    value = value.strip().rstrip("/")
    return value if "://" in value else f"http://{value}"


def _projects(value: Any) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        for part in str(item).split(","):
            if part.strip() and part.strip() not in out:
                out.append(part.strip())
    return out


def _adc_source_present() -> bool:
    """True when google.auth.default has something to find without a network probe.

    google.auth.default would otherwise ping the metadata server (169.254.169.254) with
    retries; we only let it do so on a machine that says it is a Google VM.
    """
    if os.environ.get("GOOGLE_APPLICATION_CREDENTIALS") or os.environ.get("GCE_METADATA_HOST"):
        return True
    from google.auth import _cloud_sdk
    from google.auth.compute_engine import _metadata

    if os.path.isfile(_cloud_sdk.get_application_default_credentials_path()):
        return True
    return _metadata.detect_gce_residency_linux()


def _secrets(info: Any) -> list[str]:
    """The secret fields' values, nested ones too (impersonated_service_account keeps its
    source credentials inside)."""
    if isinstance(info, list):
        return [v for item in info for v in _secrets(item)]
    if not isinstance(info, dict):
        return []
    return [v for k, v in info.items() if k in SECRET_FIELDS and isinstance(v, str)] + [
        v for item in info.values() if isinstance(item, dict | list) for v in _secrets(item)]


def _load_file(path: str, scrubber: Scrubber) -> tuple[Credentials, str | None]:
    """Credentials from the operator's own file (the --credentials-file flag).

    Only the credential types ADC itself accepts are loaded; the file is trusted as
    GOOGLE_APPLICATION_CREDENTIALS would be, so google-auth's generic-loader warning
    (meant for configurations from third parties) is silenced as google.auth does for gcloud's.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            info = json.load(fh)
        kind = info.get("type")
        scrubber.add(*_secrets(info))
    except FileNotFoundError as exc:
        raise CredentialsError(PROVIDER, f"credentials file {path}: not found") from exc
    except (OSError, ValueError, AttributeError) as exc:
        raise CredentialsError(PROVIDER, f"credentials file {path}: not a JSON credentials "
                                         "file") from exc
    if kind not in FILE_TYPES:
        raise CredentialsError(PROVIDER, f"credentials file {path}: type {kind!r} is not one of "
                                         f"{', '.join(sorted(FILE_TYPES))}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return google.auth.load_credentials_from_file(path, scopes=SCOPES)
    except auth_exc.DefaultCredentialsError as exc:
        # The message names the file and the problem, never its content.
        raise CredentialsError(PROVIDER, f"credentials file {path}: {scrubber.line(exc)}") \
            from exc


def _credentials(options: Mapping[str, Any], emulated: bool,
                 scrubber: Scrubber) -> tuple[Credentials, str | None]:
    path = options.get("credentials_file")
    if path:
        creds, project = _load_file(str(path), scrubber)
        if emulated:
            return AnonymousCredentials(), project
        return creds, project
    if emulated:
        return AnonymousCredentials(), None
    if not _adc_source_present():
        raise CredentialsError(PROVIDER, NO_CREDENTIALS)
    try:
        creds, project = google.auth.default(scopes=SCOPES)
    except auth_exc.DefaultCredentialsError as exc:
        raise CredentialsError(PROVIDER, NO_CREDENTIALS) from exc
    return creds, project


def _pooled(session: Any, size: int) -> Any:
    """Give a requests session a connection pool as large as the worker pool."""
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(10, size), max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _remember_tokens(session: Any, scrubber: Scrubber) -> None:
    """After every answer, tell the Scrubber the token the session sent (google-auth refreshes
    it on its own), before the client can turn an error answer into a message."""
    def remember(response: Any, *_: Any, **__: Any) -> None:
        scrubber.add(getattr(getattr(session, "credentials", None), "token", None))

    session.hooks["response"].append(remember)


def open_session(options: Mapping[str, Any], max_workers: int, *,
                 scrubber: Scrubber | None = None) -> GcpSession:
    """``scrubber``: the run's, told every secret of the credentials file and every token."""
    scrubber = scrubber if scrubber is not None else Scrubber()
    gcs = _endpoint(options.get("gcs_endpoint") or os.environ.get(GCS_ENDPOINT_ENV))
    kms_url = _endpoint(options.get("gcp_kms_endpoint") or os.environ.get(KMS_ENDPOINT_ENV))
    org_url = _endpoint(options.get("gcp_orgpolicy_endpoint")
                        or os.environ.get(ORGPOLICY_ENDPOINT_ENV))
    emulated = bool(gcs or kms_url or org_url or any_endpoint(options))
    creds, adc_project = _credentials(options, emulated, scrubber)
    projects = _projects(options.get("project"))
    if not projects:
        env_project = next((os.environ[e] for e in PROJECT_ENVS if os.environ.get(e)), None)
        projects = _projects(adc_project or env_project)
    if not projects:
        raise CredentialsError(PROVIDER, "no project: pass --project or set GOOGLE_CLOUD_PROJECT "
                                         "(the credentials name none)")
    scope = scope_of(options)
    kept = [p for p in projects if not scope.excluded(p)]
    if not kept:
        raise ProviderError(PROVIDER, f"no project left to scan: {', '.join(projects)} "
                                      "excluded by --exclude-project")
    projects = kept

    http = _pooled(AuthorizedSession(creds), max_workers)
    _remember_tokens(http, scrubber)
    storage_client = storage.Client(
        project=projects[0], credentials=creds, _http=http,
        client_options={"api_endpoint": gcs} if gcs else None)
    # The 3.x client fetches bucket metadata in background threads to label tracing spans:
    # hidden, unretried GETs that would double the reads and escape the call ledger.
    storage_client._bucket_metadata_cache = None

    kms_options = ClientOptions(api_endpoint=kms_url) if kms_url else None
    kms_client = kms_v1.KeyManagementServiceClient(
        credentials=creds, transport="rest", client_options=kms_options)
    # The REST transport builds its own AuthorizedSession; size its pool to match.
    transport_session = getattr(kms_client.transport, "_session", None)
    if transport_session is not None:
        _pooled(transport_session, max_workers)
        _remember_tokens(transport_session, scrubber)
        transport_session.hooks["response"].append(json_object_only)
    orgpolicy = None
    if org_url or not emulated:
        org_http = requests.Session() if emulated else AuthorizedSession(creds)
        _remember_tokens(org_http, scrubber)
        orgpolicy = OrgPolicyClient(_pooled(org_http, max_workers), org_url or DEFAULT_ENDPOINT)
    def setup(session: Any) -> Any:
        _remember_tokens(session, scrubber)
        return _pooled(session, max_workers)

    kinds = KindClients(options, creds, emulated, setup,
                        lambda: requests.Session() if emulated else AuthorizedSession(creds))
    return GcpSession(projects, storage_client, kms_client, emulated, orgpolicy, kinds)

