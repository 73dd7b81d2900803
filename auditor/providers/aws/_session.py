"""boto3 session and client construction: credential chain, assume role, retries, endpoints."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import (
    AssumeRoleCredentialFetcher,
    CredentialProvider,
    CredentialResolver,
    RefreshableCredentials,
)
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound
from botocore.parsers import ResponseParserError

from auditor.defaults import DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_WORKERS, DEFAULT_RETRY_ATTEMPTS
from auditor.errors import CallError, CredentialsError, EndpointError
from auditor.providers._runtime.scrub import Scrubber
from auditor.providers.aws._account_options import DEFAULT_SESSION_NAME
from auditor.providers.aws._answers import register as check_answers
from auditor.providers.aws._errors import provider_failure
from auditor.providers.aws._name import PROVIDER

DEFAULT_REGION = "us-east-1"
ASSUME_ROLE = "sts:AssumeRole"
_AWS_HOST_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws", ".on.aws")


def endpoint_is_overridden(endpoint_url: str | None) -> bool:
    """True when a client talks to something other than an AWS-owned host."""
    host = (urlsplit(endpoint_url or "").hostname or "").lower()
    return not host.endswith(_AWS_HOST_SUFFIXES)


def strip_account_label(request: Any, **_: Any) -> None:
    """s3control puts ``<account>.`` in front of the host; an overridden endpoint has no such
    host, so take the label off again before the request is signed."""
    account = request.headers.get("x-amz-account-id")
    if isinstance(account, bytes):
        account = account.decode()
    if not account:
        return
    parts = urlsplit(request.url)
    prefix = f"{account}."
    if parts.netloc.startswith(prefix):
        request.url = urlunsplit(parts._replace(netloc=parts.netloc[len(prefix):]))


class _FixedProvider(CredentialProvider):
    """Hands botocore one (refreshable) credentials object."""

    METHOD = "assume-role"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> RefreshableCredentials:
        return self._credentials


class AwsSession:
    """One credential context and a cache of thread-safe clients per (service, region)."""

    def __init__(self, profile: str | None = None, role_arn: str | None = None,
                 external_id: str | None = None,
                 max_workers: int = DEFAULT_MAX_WORKERS,
                 timeout: float = DEFAULT_CALL_TIMEOUT, *,
                 scrubber: Scrubber | None = None,
                 session_name: str = DEFAULT_SESSION_NAME,
                 count: Callable[[str], None] | None = None,
                 assume_attempts: int = DEFAULT_RETRY_ATTEMPTS) -> None:
        # The run's Scrubber: told the credentials that sign each call (refreshed and assumed
        # ones included), so that no message can echo them.
        self.scrubber = scrubber if scrubber is not None else Scrubber()
        try:
            core = botocore.session.Session(profile=profile)
            core.get_scoped_config()  # raises ProfileNotFound now rather than mid-scan
        except ProfileNotFound as exc:
            raise CredentialsError(PROVIDER, f"profile not found: {profile}") from exc
        # botocore makes exactly one attempt per call: the shared RetryingCaller (in
        # _errors.Caller) retries, so that every attempt is counted in the ledger and the
        # policy is the same for the three SDKs. An explicit total_max_attempts also wins
        # over AWS_MAX_ATTEMPTS and a profile's max_attempts.
        self.config = Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            max_pool_connections=max(1, max_workers),  # one connection per worker
            connect_timeout=timeout, read_timeout=timeout,  # CollectRequest.timeout
            user_agent_extra="safeguard-auditor",
        )
        self._core = core
        self.session = boto3.Session(botocore_session=core)
        self.region = self.session.region_name or DEFAULT_REGION
        self.endpoint_overridden = False
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        self._overridden: dict[str, bool] = {}  # service -> its endpoint is not AWS's
        self._path_config = self.config.merge(Config(s3={"addressing_style": "path"}))
        self._count = count  # the run's ledger: every AssumeRole attempt is one call
        self._signed_with: Any = None  # the credentials last told to the Scrubber
        # AssumeRole takes the run's call timeout too, so that a silent STS fails the account
        # within the bound instead of hanging it; botocore keeps the retries (see _assume).
        self._sts_config = Config(connect_timeout=timeout, read_timeout=timeout,
                                  retries={"total_max_attempts": max(1, assume_attempts),
                                           "mode": "standard"},
                                  user_agent_extra="safeguard-auditor")
        if role_arn:
            self.session = self._assume(role_arn, external_id, session_name)

    def _sts_client(self, service: str, **kwargs: Any) -> Any:
        """The STS client AssumeRole is sent with: bounded by the call timeout, its answer
        checked like any other, each attempt counted."""
        client = self._core.create_client(service, config=self._sts_config, **kwargs)
        check_answers(client, service)
        if self._count is not None:
            count = self._count
            client.meta.events.register("before-send.sts.AssumeRole",
                                        lambda **_: count(ASSUME_ROLE))
        return client

    def _assume(self, role_arn: str, external_id: str | None,
                session_name: str = DEFAULT_SESSION_NAME) -> boto3.Session:
        """A session whose role credentials botocore refreshes before they expire."""
        extra: dict[str, Any] = {"RoleSessionName": session_name}
        if external_id:
            extra["ExternalId"] = external_id
        source = self._core
        source_credentials = source.get_credentials()
        self._remember(source_credentials)  # the STS client below is not one of ours
        # The one place botocore keeps its own retries: it refreshes these credentials inside
        # whatever call finds them near expiry, where no caller of ours can retry, so its STS
        # client (_sts_client) retries in botocore, as many attempts as the shared policy.
        fetcher = AssumeRoleCredentialFetcher(
            client_creator=self._sts_client, source_credentials=source_credentials,
            role_arn=role_arn, extra_args=extra)
        what = f"{ASSUME_ROLE} {role_arn}"  # names the account the role is in
        try:
            metadata = fetcher.fetch_credentials()  # fail now, with a clear line
        except CallError as exc:  # a 200 answer that is not the documented one
            raise CredentialsError(PROVIDER, f"{what}: {exc.code}: "
                                             f"{self.scrubber.line(exc.message)}") from exc
        except (ClientError, BotoCoreError, ResponseParserError) as exc:
            failure = provider_failure(exc, what, self.scrubber.line)
            if failure is not None:
                raise failure from exc
            code = (exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError)
                    else None) or type(exc).__name__  # a timeout: ReadTimeoutError
            raise CredentialsError(PROVIDER, f"{what}: {code}: "
                                             f"{self.scrubber.line(exc)}") from exc
        self.scrubber.add(metadata.get("access_key"), metadata.get("secret_key"),
                          metadata.get("token"))
        credentials = RefreshableCredentials.create_from_metadata(
            metadata, refresh_using=fetcher.fetch_credentials, method="assume-role")
        assumed = botocore.session.Session()
        assumed.register_component("credential_provider",
                                   CredentialResolver([_FixedProvider(credentials)]))
        with self._lock:
            self._clients.clear()
            self._overridden.clear()  # the assumed session reads no profile's endpoint_url
        return boto3.Session(botocore_session=assumed, region_name=self.region)

    def _remember(self, credentials: Any) -> None:
        """Tell the Scrubber the values ``credentials`` sign with now; a failure to resolve
        or refresh them is left to the signer, which reports it as before."""
        try:
            frozen = credentials.get_frozen_credentials() if credentials is not None else None
        except (BotoCoreError, ClientError, ValueError):
            return
        if frozen is not None and frozen != self._signed_with:  # new or refreshed ones
            self.scrubber.add(frozen.access_key, frozen.secret_key, frozen.token)
            self._signed_with = frozen

    def _remember_signing(self, **_: Any) -> None:
        """Before each request of ours is signed (the chain resolved, or refreshed since)."""
        self._remember(self.session.get_credentials())

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.region)
        with self._lock:
            cached = self._clients.get(key)
            if cached is None:
                cached = self._clients[key] = self._make(service, key[1])
            return cached

    def _make(self, service: str, region: str) -> Any:
        try:
            # A stand-in host cannot carry bucket names as subdomains: path style there. An
            # endpoint override names no region (AWS_ENDPOINT_URL[_S3], a profile's
            # endpoint_url), so once one S3 client showed it, the other regions' S3 clients
            # are made path-style at once instead of twice each (checked again below).
            path_first = service == "s3" and self._overridden.get(service, False)
            config = self._path_config if path_first else self.config
            client = self.session.client(service, region_name=region, config=config)
            overridden = endpoint_is_overridden(client.meta.endpoint_url)
            if service == "s3" and overridden != path_first:
                client = self.session.client(service, region_name=region, config=(
                    self._path_config if overridden else self.config))
            self._overridden[service] = overridden
        except (BotoCoreError, ValueError) as exc:
            raise EndpointError(PROVIDER, f"{service} client: {self.scrubber.line(exc)}") from exc
        client.meta.events.register("before-sign", self._remember_signing)
        check_answers(client, service)  # a 200 body that is not the documented one fails
        if overridden:
            self.endpoint_overridden = True
            if service == "s3control":
                client.meta.events.register("before-sign.s3-control", strip_account_label)
        return client
