"""Cloud KMS reads over the REST transport: locations, key rings, keys, versions, key IAM.

The REST transport asks for ``$alt=json;enum-encoding=int``; proto-plus gives the enums
back as enum members, which we keep by name. Each page is one call through the Caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditor.providers.gcp._errors import Caller
from auditor.providers.gcp._storage import PUBLIC_MEMBERS

TIMEOUT = 30.0
OP_LOCATIONS = "cloudkms:locations.list"
OP_RINGS = "cloudkms:keyRings.list"
OP_KEYS = "cloudkms:cryptoKeys.list"
OP_GET_KEY = "cloudkms:cryptoKeys.get"
OP_VERSIONS = "cloudkms:cryptoKeyVersions.list"
OP_KEY_IAM = "cloudkms:cryptoKeys.getIamPolicy"


@dataclass(frozen=True, slots=True)
class VersionInfo:
    state: str
    import_job: str | None


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """One CryptoKey, as much of it as custody, rotation and state need."""

    name: str
    purpose: str
    protection_level: str
    rotation_seconds: float | None
    next_rotation_time: str | None
    import_only: bool
    primary: VersionInfo | None
    source: str  # the operation that returned it
    versions: tuple[VersionInfo, ...] | None = None  # read only when there is no primary
    backend: str | None = None  # cryptoKeyBackend: the EkmConnection of an EXTERNAL_VPC key

    @property
    def project(self) -> str:
        return self.name.split("/")[1]

    @property
    def location(self) -> str:
        return self.name.split("/")[3]


def _enum(value: Any) -> str:
    return getattr(value, "name", None) or str(value)


def _version(v: Any) -> VersionInfo:
    return VersionInfo(_enum(v.state), v.import_job or None)


def key_info(key: Any, source: str) -> KeyInfo:
    template = _enum(key.version_template.protection_level) if "version_template" in key else ""
    primary = _version(key.primary) if "primary" in key else None
    if template in ("", "PROTECTION_LEVEL_UNSPECIFIED") and "primary" in key:
        template = _enum(key.primary.protection_level)
    rotation = key.rotation_period.total_seconds() if "rotation_period" in key else None
    next_time = key.next_rotation_time.isoformat() if "next_rotation_time" in key else None
    return KeyInfo(name=key.name, purpose=_enum(key.purpose), protection_level=template,
                   rotation_seconds=rotation, next_rotation_time=next_time,
                   import_only=bool(key.import_only), primary=primary, source=source,
                   backend=key.crypto_key_backend or None)


def _pages(call: Caller, operation: str, fetch: Callable[[str], Any],
           field: str) -> list[Any]:
    out: list[Any] = []
    token = ""
    while True:
        response = call(operation, lambda token=token: fetch(token))
        out.extend(getattr(response, field))
        token = response.next_page_token
        if not token:
            return out


def list_locations(call: Caller, client: Any, project: str) -> list[str]:
    def fetch(token: str) -> Any:
        return client.list_locations(request={"name": f"projects/{project}",
                                              "page_token": token},
                                     retry=None, timeout=TIMEOUT)
    return [loc.location_id for loc in _pages(call, OP_LOCATIONS, fetch, "locations")]


def list_key_rings(call: Caller, client: Any, project: str, location: str) -> list[str]:
    parent = f"projects/{project}/locations/{location}"

    def fetch(token: str) -> Any:
        return client.list_key_rings(request={"parent": parent, "page_token": token},
                                     retry=None, timeout=TIMEOUT)
    return [ring.name for ring in _pages(call, OP_RINGS, fetch, "key_rings")]


def list_keys(call: Caller, client: Any, ring: str) -> list[KeyInfo]:
    def fetch(token: str) -> Any:
        return client.list_crypto_keys(request={"parent": ring, "page_token": token},
                                       retry=None, timeout=TIMEOUT)
    return [key_info(k, OP_KEYS) for k in _pages(call, OP_KEYS, fetch, "crypto_keys")]


def get_key(call: Caller, client: Any, name: str) -> KeyInfo:
    key = call(OP_GET_KEY, lambda: client.get_crypto_key(request={"name": name}, retry=None,
                                                          timeout=TIMEOUT))
    return key_info(key, OP_GET_KEY)


def list_versions(call: Caller, client: Any, name: str) -> tuple[VersionInfo, ...]:
    def fetch(token: str) -> Any:
        return client.list_crypto_key_versions(request={"parent": name, "page_token": token},
                                               retry=None, timeout=TIMEOUT)
    return tuple(_version(v) for v in _pages(call, OP_VERSIONS, fetch, "crypto_key_versions"))


def key_public_members(call: Caller, client: Any, name: str) -> list[str]:
    """allUsers / allAuthenticatedUsers members bound in the key's IAM policy."""
    request = {"resource": name, "options": {"requested_policy_version": 3}}
    policy = call(OP_KEY_IAM, lambda: client.get_iam_policy(request=request, retry=None,
                                                            timeout=TIMEOUT))
    return sorted({m for b in policy.bindings for m in b.members if m in PUBLIC_MEMBERS})
