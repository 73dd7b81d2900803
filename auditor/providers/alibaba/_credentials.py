"""Credentials of one account of a multi-account scan: a RAM role assumed in a member
account (STS AssumeRole), or a named credential profile.

Profiles are read by the alibabacloud-credentials providers themselves, from the Alibaba
Cloud CLI's config file (``~/.aliyun/config.json``: ``{"profiles": [{"name", "mode", ...}]}``,
CLIProfileCredentialsProvider) or, for a name that file lacks, the credentials provider's own
INI file (``ALIBABA_CLOUD_CREDENTIALS_FILE``, default ``~/.alibabacloud/credentials.ini``: one
``[name]`` section per profile, ProfileCredentialsProvider). This module only checks that the
profile is there, so that a misspelt name fails with the files it was looked for in.
"""

from __future__ import annotations

import configparser
import json
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alibabacloud_credentials.provider import (
    CLIProfileCredentialsProvider,
    ProfileCredentialsProvider,
)
from alibabacloud_credentials.provider.refreshable import Credentials
from alibabacloud_credentials_api import ICredentials, ICredentialsProvider
from alibabacloud_tea_openapi.client import Client as OpenApiClient

from auditor.errors import CallError, CredentialsError
from auditor.providers.alibaba._errors import Caller
from auditor.providers.alibaba._name import PROVIDER
from auditor.providers.alibaba._rpc import rpc

STS_VERSION = "2015-04-01"
ASSUME_ROLE = "sts:AssumeRole"
SESSION_NAME = "safeguard-auditor"  # RoleSessionName: says in ActionTrail who assumed the role
DURATION_SECONDS = 3600  # the AssumeRole default and the usual MaxSessionDuration
REFRESH_MARGIN = timedelta(minutes=5)  # assume again this long before the token expires
ENV_PROFILE_FILE = "AUDITOR_ALIBABA_PROFILE_FILE"
ENV_CREDENTIALS_FILE = "ALIBABA_CLOUD_CREDENTIALS_FILE"  # the credentials SDK's own variable


def cli_config_file(option: Any = None) -> Path:
    """The Alibaba Cloud CLI config file: the option, the variable, else ~/.aliyun/config.json."""
    value = option or os.environ.get(ENV_PROFILE_FILE)
    return Path(value).expanduser() if value else Path.home() / ".aliyun" / "config.json"


def credentials_ini_file() -> Path:
    value = os.environ.get(ENV_CREDENTIALS_FILE)
    return Path(value).expanduser() if value else Path.home() / ".alibabacloud" / \
        "credentials.ini"


def _cli_profiles(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CredentialsError(PROVIDER, f"{path}: $: not a readable JSON file "
                               f"({type(exc).__name__})") from exc
    profiles = doc.get("profiles") if isinstance(doc, dict) else None
    if not isinstance(profiles, list):
        raise CredentialsError(PROVIDER, f"{path}: $.profiles: not a list of profiles")
    return {str(p["name"]) for p in profiles if isinstance(p, dict) and p.get("name")}


def _ini_profiles(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    parser = configparser.ConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise CredentialsError(PROVIDER, f"{path}: not a readable INI file "
                               f"({type(exc).__name__})") from exc
    return set(parser.sections())


def profile_credentials(name: str, profile_file: Any = None) -> ICredentialsProvider:
    """The credentials provider of profile ``name``; CredentialsError naming both files
    when neither has it."""
    cli = cli_config_file(profile_file)
    if name in _cli_profiles(cli):
        return CLIProfileCredentialsProvider(profile_name=name, profile_file=str(cli))
    ini = credentials_ini_file()
    if name in _ini_profiles(ini):
        return ProfileCredentialsProvider(profile_file=str(ini), profile_name=name)
    raise CredentialsError(PROVIDER, f"profile {name!r} is in neither {cli} nor {ini}")


def role_arn(account: str, role_name: str) -> str:
    return f"acs:ram::{account}:role/{role_name}"


def _expiry(text: str) -> datetime:
    """``2015-04-09T11:52:19Z`` (AssumeRole's Expiration, UTC)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


class AssumedRole(ICredentialsProvider):
    """Temporary credentials of a RAM role in a member account, assumed with the caller's
    credentials (``client`` is an STS client signed with them), and assumed again shortly
    before they expire. A refused AssumeRole is a CredentialsError naming the account, the
    role and the error code: that account fails, the others go on."""

    def __init__(self, client: OpenApiClient, call: Caller, account: str, role_name: str,
                 external_id: str | None = None) -> None:
        self._client = client
        self._call = call
        self.account = account
        self.arn = role_arn(account, role_name)
        self._external_id = external_id
        self._lock = threading.Lock()
        self._credentials: ICredentials | None = None
        self._expires = datetime.min.replace(tzinfo=UTC)

    def get_credentials(self) -> ICredentials:
        with self._lock:
            if self._credentials is None or datetime.now(UTC) >= self._expires - REFRESH_MARGIN:
                self._credentials, self._expires = self._assume()
            return self._credentials

    async def get_credentials_async(self) -> ICredentials:
        return self.get_credentials()

    def get_provider_name(self) -> str:
        return "ram_role_arn"

    def _assume(self) -> tuple[ICredentials, datetime]:
        query = {"RoleArn": self.arn, "RoleSessionName": SESSION_NAME,
                 "DurationSeconds": str(DURATION_SECONDS)}
        if self._external_id:
            query["ExternalId"] = self._external_id
        try:
            body = rpc(self._client, self._call, ASSUME_ROLE, STS_VERSION, query)
        except CallError as exc:
            # The ARN names the account (the pipeline's failed-account line names it too).
            raise CredentialsError(PROVIDER, f"AssumeRole {self.arn} refused ({exc.code}): "
                                   f"{exc.message}") from exc
        cred = body["Credentials"]  # every field required by answers.yaml
        try:
            expires = _expiry(cred["Expiration"])
        except ValueError as exc:
            raise CredentialsError(PROVIDER, f"AssumeRole {self.arn}: Expiration is not an "
                                   "ISO 8601 UTC time") from exc
        return Credentials(access_key_id=cred["AccessKeyId"],
                           access_key_secret=cred["AccessKeySecret"],
                           security_token=cred["SecurityToken"],
                           provider_name=self.get_provider_name()), expires
