"""Credentials, endpoints and SDK clients (one OSS, KMS, ECS, NAS and RDS client per region)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import alibabacloud_oss_v2 as oss
from alibabacloud_credentials.client import Client as CredentialClient
from alibabacloud_credentials.exceptions import CredentialException
from alibabacloud_credentials.provider import (
    DefaultCredentialsProvider,
    StaticAKCredentialsProvider,
    StaticSTSCredentialsProvider,
)
from alibabacloud_credentials_api import ICredentials, ICredentialsProvider
from alibabacloud_kms20160120.client import Client as KmsClient
from alibabacloud_tea_openapi.client import Client as OpenApiClient
from alibabacloud_tea_openapi.models import Config as OpenApiConfig

from auditor.defaults import DEFAULT_CALL_TIMEOUT
from auditor.errors import CredentialsError, EndpointError
from auditor.providers._runtime.scrub import Scrubber
from auditor.providers.alibaba._name import PROVIDER

ENV_KEY_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_KEY_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
ENV_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"
ENV_OSS_ENDPOINT = "AUDITOR_OSS_ENDPOINT"
ENV_KMS_ENDPOINT = "AUDITOR_ALIBABA_KMS_ENDPOINT"
ENV_ECS_ENDPOINT = "AUDITOR_ALIBABA_ECS_ENDPOINT"
# RDS answers most regions at its central host (the SDK's endpoint map); others regionally.
RDS_CENTRAL = frozenset({"cn-qingdao", "cn-beijing", "cn-hangzhou", "cn-shanghai",
                         "cn-shenzhen", "cn-heyuan", "cn-hongkong", "ap-southeast-1",
                         "us-west-1", "us-east-1"})
# Multi-account scans: central endpoints, overridable for a stand-in (option or variable).
STS_ENDPOINT = "sts.aliyuncs.com"
RESOURCEMANAGER_ENDPOINT = "resourcemanager.aliyuncs.com"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True, slots=True)
class RpcEndpoint:
    host: str  # host[:port], as the OpenAPI (KMS, ECS) clients want it
    protocol: str  # http | https


def parse_rpc_endpoint(value: str, service: str = "KMS") -> RpcEndpoint:
    """``http://127.0.0.1:PORT``, ``https://host`` or a bare ``host[:port]``.

    A bare loopback address means plain HTTP (a local stand-in); any other bare host HTTPS.
    """
    value = value.strip()
    if "://" in value:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise EndpointError(PROVIDER, f"{service} endpoint {value!r} is not an http(s) URL")
        return RpcEndpoint(parts.netloc, parts.scheme)
    host = value.rsplit(":", 1)[0].strip("[]")
    return RpcEndpoint(value, "http" if host in LOOPBACK else "https")


def parse_kms_endpoint(value: str) -> RpcEndpoint:
    return parse_rpc_endpoint(value, "KMS")


def _credentials_provider() -> ICredentialsProvider:
    """ALIBABA_CLOUD_* variables as they are now, else the SDK's default chain."""
    key_id = os.environ.get(ENV_KEY_ID, "")
    secret = os.environ.get(ENV_KEY_SECRET, "")
    token = os.environ.get(ENV_TOKEN, "")
    if key_id and secret and token:
        return StaticSTSCredentialsProvider(access_key_id=key_id, access_key_secret=secret,
                                            security_token=token)
    if key_id and secret:
        return StaticAKCredentialsProvider(access_key_id=key_id, access_key_secret=secret)
    return DefaultCredentialsProvider()


def default_credentials() -> ICredentialsProvider:
    """The caller's own credentials: the ALIBABA_CLOUD_* variables, else the default chain."""
    return _credentials_provider()


def recording(provider: ICredentialsProvider, scrubber: Scrubber) -> ICredentialsProvider:
    """``provider``, every credential it hands out told to ``scrubber``."""
    return _RecordingProvider(provider, lambda cred: scrubber.add(
        cred.get_access_key_id(), cred.get_access_key_secret(), cred.get_security_token()))


def openapi_client(provider: ICredentialsProvider, endpoint: str | None, default: str,
                   service: str, timeout: float = DEFAULT_CALL_TIMEOUT) -> OpenApiClient:
    """A generic OpenAPI (RPC) client for a central service (STS, Resource Manager): the
    public ``default`` host over HTTPS, or the override ``endpoint``."""
    target = parse_rpc_endpoint(endpoint, service) if endpoint else RpcEndpoint(default, "https")
    millis = int(timeout * 1000)
    return OpenApiClient(OpenApiConfig(
        credential=CredentialClient(provider=provider), region_id="cn-hangzhou",
        endpoint=target.host, protocol=target.protocol, connect_timeout=millis,
        read_timeout=millis))


class _RecordingProvider(ICredentialsProvider):
    """Hands out the inner provider's credentials and reports each set, so that keys a
    refreshing provider (STS, RAM role) fetches later are scrubbed too."""

    def __init__(self, inner: ICredentialsProvider, seen: Callable[[ICredentials], None]):
        self._inner = inner
        self._seen = seen

    def get_credentials(self) -> ICredentials:
        cred = self._inner.get_credentials()
        self._seen(cred)
        return cred

    async def get_credentials_async(self) -> ICredentials:
        cred = await self._inner.get_credentials_async()
        self._seen(cred)
        return cred

    def get_provider_name(self) -> str:
        return self._inner.get_provider_name()


class Session:
    """Everything needed to talk to OSS, KMS and ECS for one collection run."""

    def __init__(self, oss_endpoint: str | None, kms_endpoint: str | None,
                 max_workers: int, provider: ICredentialsProvider | None = None,
                 ecs_endpoint: str | None = None,
                 timeout: float = DEFAULT_CALL_TIMEOUT, *,
                 scrubber: Scrubber | None = None, nas_endpoint: str | None = None,
                 rds_endpoint: str | None = None) -> None:
        """``provider``: where credentials come from (default: the ALIBABA_CLOUD_*
        variables, else the SDK's default chain); ``timeout``: the connect and read bound
        of one call, in seconds (CollectRequest.timeout); ``scrubber``: the run's, told
        every credential handed out."""
        self.timeout = timeout
        self.oss_endpoint = oss_endpoint or None
        self.kms_endpoint = parse_kms_endpoint(kms_endpoint) if kms_endpoint else None
        self.ecs_endpoint = parse_rpc_endpoint(ecs_endpoint, "ECS") if ecs_endpoint else None
        self.rpc_endpoints = {
            "nas": parse_rpc_endpoint(nas_endpoint, "NAS") if nas_endpoint else None,
            "rds": parse_rpc_endpoint(rds_endpoint, "RDS") if rds_endpoint else None}
        self.max_workers = max(1, max_workers)
        self._lock = threading.Lock()  # guards the client caches
        # The run's Scrubber: every credential value handed to a client, never to be echoed
        # into facts, details or logs. Grows when a provider refreshes its keys.
        self.scrubber = scrubber if scrubber is not None else Scrubber()
        self._provider = _RecordingProvider(provider or _credentials_provider(), self._remember)
        try:
            self._provider.get_credentials()
        except CredentialException as exc:
            raise CredentialsError(
                PROVIDER, f"no usable credentials: set {ENV_KEY_ID}/{ENV_KEY_SECRET} or "
                "configure the alibabacloud-credentials default chain") from exc
        self._oss: dict[str, oss.Client] = {}
        self._kms: dict[str, KmsClient] = {}
        self._ecs: dict[str, OpenApiClient] = {}
        self._services: dict[tuple[str, str], OpenApiClient] = {}

    @property
    def endpoint_overridden(self) -> bool:
        return bool(self.oss_endpoint or self.kms_endpoint or self.ecs_endpoint
                    or any(self.rpc_endpoints.values()))

    def _remember(self, cred: ICredentials) -> None:
        self.scrubber.add(cred.get_access_key_id(), cred.get_access_key_secret(),
                          cred.get_security_token())

    def scrub(self, text: str) -> str:
        """``text`` without any credential used so far, nor anything credential-shaped."""
        return self.scrubber.scrub(text)

    def _oss_credentials(self) -> oss.credentials.Credentials:
        cred = self._provider.get_credentials()
        return oss.credentials.Credentials(cred.get_access_key_id(),
                                           cred.get_access_key_secret(),
                                           cred.get_security_token())

    def oss(self, region: str) -> oss.Client:
        """The OSS client for a region (V4 signing needs the region)."""
        with self._lock:
            client = self._oss.get(region)
            if client is None:
                cfg = oss.config.load_default()
                cfg.region = region
                cfg.credentials_provider = oss.credentials.CredentialsProviderFunc(
                    self._oss_credentials)
                if self.oss_endpoint:
                    cfg.endpoint = self.oss_endpoint
                    cfg.use_path_style = True  # a stand-in serves every bucket on one host
                cfg.retryer = oss.retry.NopRetryer()  # retries live in _errors.Caller
                cfg.connect_timeout = cfg.readwrite_timeout = self.timeout
                cfg.http_client = oss.transport.RequestsHttpClient(
                    max_connections=self.max_workers, connect_timeout=self.timeout,
                    readwrite_timeout=self.timeout)
                client = self._oss[region] = oss.Client(cfg)
            return client

    def kms(self, region: str) -> KmsClient:
        """The KMS client for a region (endpoint and protocol overridable)."""
        with self._lock:
            client = self._kms.get(region)
            if client is None:
                cfg = self._rpc_config(region)
                if self.kms_endpoint is not None:
                    cfg.endpoint = self.kms_endpoint.host
                    cfg.protocol = self.kms_endpoint.protocol
                client = self._kms[region] = KmsClient(cfg)
            return client

    def ecs(self, region: str) -> OpenApiClient:
        """A generic OpenAPI client for ECS in a region (no ECS SDK needed for two reads):
        the public regional endpoint, or the override."""
        with self._lock:
            client = self._ecs.get(region)
            if client is None:
                cfg = self._rpc_config(region)
                endpoint = self.ecs_endpoint or RpcEndpoint(f"ecs.{region}.aliyuncs.com",
                                                            "https")
                cfg.endpoint, cfg.protocol = endpoint.host, endpoint.protocol
                client = self._ecs[region] = OpenApiClient(cfg)
            return client

    def service(self, service: str, region: str) -> OpenApiClient:
        """A generic OpenAPI client for NAS (nas.REGION.aliyuncs.com) or RDS (rds.aliyuncs.com
        for the regions it serves centrally, else rds.REGION.aliyuncs.com), or the override."""
        with self._lock:
            client = self._services.get((service, region))
            if client is None:
                cfg = self._rpc_config(region)
                host = ("rds.aliyuncs.com" if service == "rds" and region in RDS_CENTRAL
                        else f"{service}.{region}.aliyuncs.com")
                endpoint = self.rpc_endpoints.get(service) or RpcEndpoint(host, "https")
                cfg.endpoint, cfg.protocol = endpoint.host, endpoint.protocol
                client = self._services[(service, region)] = OpenApiClient(cfg)
            return client

    def _rpc_config(self, region: str) -> OpenApiConfig:
        """OpenAPI client settings shared by KMS and ECS: the same credentials chain."""
        return OpenApiConfig(credential=CredentialClient(provider=self._provider),
                             region_id=region, connect_timeout=int(self.timeout * 1000),
                             read_timeout=int(self.timeout * 1000),
                             max_idle_conns=self.max_workers)
