"""The clients of the storage kinds beyond buckets: Compute Engine (disks, snapshots, images),
Filestore and Cloud SQL Admin, each with its own endpoint override.

With any endpoint overridden the calls go anonymous; a service whose endpoint is then not
given has no client (None): an anonymous call to the real service could only be refused, so
its listing is recorded as not made, never as empty.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from google.api_core.client_options import ClientOptions
from google.auth.credentials import Credentials

from auditor.providers.gcp._answers import json_object_only
from auditor.providers.gcp._sqladmin import DEFAULT_ENDPOINT as SQL_DEFAULT
from auditor.providers.gcp._sqladmin import SqlAdminClient

# option -> environment variable, for the three services
ENDPOINTS = {"gcp_compute_endpoint": "AUDITOR_GCP_COMPUTE_ENDPOINT",
             "gcp_sqladmin_endpoint": "AUDITOR_GCP_SQLADMIN_ENDPOINT",
             "gcp_filestore_endpoint": "AUDITOR_GCP_FILESTORE_ENDPOINT"}


def endpoint_of(options: Mapping[str, Any], option: str) -> str | None:
    value = options.get(option) or os.environ.get(ENDPOINTS[option])
    if not value:
        return None
    value = str(value).strip().rstrip("/")
    return value if "://" in value else f"http://{value}"


def not_called(service: str, option: str) -> str:
    return (f"not called: another endpoint is overridden (calls go unauthenticated) and no "
            f"{service} endpoint was given (--{option.replace('_', '-')} / "
            f"{ENDPOINTS[option]})")


# service -> (endpoint option, how to make its client)
SERVICES = {"disks": "gcp_compute_endpoint", "snapshots": "gcp_compute_endpoint",
            "images": "gcp_compute_endpoint", "filestore": "gcp_filestore_endpoint",
            "sql": "gcp_sqladmin_endpoint"}


def _rest(cls: Any, creds: Credentials, url: str | None,
          setup: Callable[[Any], Any]) -> Any:
    client = cls(credentials=creds, transport="rest",
                 client_options=ClientOptions(api_endpoint=url) if url else None)
    session = getattr(client.transport, "_session", None)
    if session is not None:  # the REST transport's own AuthorizedSession
        setup(session)
        session.hooks["response"].append(json_object_only)
    return client


class KindClients:
    """The clients, made only for the services a run needs (google-cloud-compute alone takes
    a second to import, which a bucket-only scan should not pay). ``prepare`` makes them
    before the run's threads start; ``get`` then only reads."""

    def __init__(self, options: Mapping[str, Any], creds: Credentials, emulated: bool,
                 setup: Callable[[Any], Any], http: Callable[[], Any]) -> None:
        # setup: pools a requests session and teaches its tokens to the scrubber; http: a
        # fresh session for Cloud SQL (authorized, or plain when emulated).
        self._urls = {option: endpoint_of(options, option) for option in ENDPOINTS}
        self._creds, self._emulated, self._setup, self._http = creds, emulated, setup, http
        self._made: dict[str, Any] = {}

    def _make(self, service: str) -> Any:
        url = self._urls[SERVICES[service]]
        if self._emulated and not url:
            return None
        if service == "sql":
            return SqlAdminClient(self._setup(self._http()), url or SQL_DEFAULT)
        if service == "filestore":
            from google.cloud import filestore_v1

            return _rest(filestore_v1.CloudFilestoreManagerClient, self._creds, url,
                         self._setup)
        from google.cloud import compute_v1

        cls = {"disks": compute_v1.DisksClient, "snapshots": compute_v1.SnapshotsClient,
               "images": compute_v1.ImagesClient}[service]
        return _rest(cls, self._creds, url, self._setup)

    def prepare(self, services: set[str]) -> None:
        for service in sorted(services):
            if service not in self._made:
                self._made[service] = self._make(service)

    def get(self, service: str) -> Any:
        """The service's client (None: its endpoint is not given; see the module doc)."""
        return self._made[service]

    def missing(self, service: str) -> str:
        option = SERVICES[service]
        name = {"gcp_compute_endpoint": "Compute Engine", "gcp_sqladmin_endpoint":
                "Cloud SQL Admin", "gcp_filestore_endpoint": "Filestore"}[option]
        return not_called(name, option)

    def close(self) -> None:
        for service, client in self._made.items():
            if client is None:
                continue
            if service == "sql":
                client.close()
            else:
                client.transport.close()


def any_endpoint(options: Mapping[str, Any]) -> bool:
    return any(endpoint_of(options, option) for option in ENDPOINTS)
