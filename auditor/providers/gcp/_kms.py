"""Cloud KMS reads over the REST transport: locations, key rings, keys, versions, key IAM.

Each answer is turned into its proto3 JSON form and checked against answers.yaml before
anything is read from it (``_answers``); each page is one call through the Caller, and the
listings follow their tokens through one PageGuard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.errors import MalformedAnswer
from auditor.providers.gcp._answers import (
    Listed,
    OddListed,
    as_dict,
    check,
    check_item,
    pager_listing,
)
from auditor.providers.gcp._errors import Caller
from auditor.providers.gcp._labels import labels_of
from auditor.providers.gcp._raw_items import RawListing
from auditor.providers.gcp._storage import PUBLIC_MEMBERS

OP_LOCATIONS = "cloudkms:locations.list"
OP_RINGS = "cloudkms:keyRings.list"
OP_KEYS = "cloudkms:cryptoKeys.list"
OP_GET_KEY = "cloudkms:cryptoKeys.get"
OP_VERSIONS = "cloudkms:cryptoKeyVersions.list"
OP_KEY_IAM = "cloudkms:cryptoKeys.getIamPolicy"
UNSPECIFIED_LEVEL = "PROTECTION_LEVEL_UNSPECIFIED"


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
    labels: tuple[tuple[str, str], ...] | None = ()  # as _labels.labels_of reads them

    @property
    def project(self) -> str:
        return self.name.split("/")[1]

    @property
    def location(self) -> str:
        return self.name.split("/")[3]


def _enum(value: Any) -> str:
    return str(value) if value is not None else ""


def _version(v: dict[str, Any]) -> VersionInfo:
    return VersionInfo(_enum(v["state"]), v.get("importJob") or None)


def key_info(key: dict[str, Any], source: str) -> KeyInfo:
    """A checked CryptoKey (proto3 JSON form) as the facts need it."""
    template = key.get("versionTemplate")
    level = _enum(template.get("protectionLevel", UNSPECIFIED_LEVEL)) if template else ""
    primary = key.get("primary")
    if level in ("", UNSPECIFIED_LEVEL) and primary is not None:
        level = _enum(primary.get("protectionLevel", UNSPECIFIED_LEVEL))
    rotation = key.get("rotationPeriod")
    return KeyInfo(name=key["name"], purpose=_enum(key["purpose"]), protection_level=level,
                   rotation_seconds=float(rotation[:-1]) if rotation else None,
                   next_rotation_time=key.get("nextRotationTime") or None,
                   import_only=bool(key.get("importOnly")),
                   primary=_version(primary) if primary is not None else None, source=source,
                   backend=key.get("cryptoKeyBackend") or None,
                   labels=labels_of(key.get("labels")))


def _message(name: str) -> Any:
    def cls() -> Any:
        if name == "ListLocationsResponse":
            from google.cloud.location import locations_pb2

            return locations_pb2.ListLocationsResponse
        from google.cloud import kms_v1

        return getattr(kms_v1, name)
    return cls


def _named(call: Caller, listed: Listed[dict[str, Any]], member: str,
           scope: str) -> list[str]:
    """The ``member`` of each listed item: a place (a location, a key ring) whose own entry
    is odd but names it is still a place to list in; its error is recorded."""
    for item in listed.items:
        if isinstance(item, OddListed):
            call.ledger.failed(scope if member == "locationId" else item[member], item.error)
    return [item[member] for item in listed.items]


def list_locations(call: Caller, client: Any, project: str,
                   timeout: float) -> Listed[str]:
    listed = pager_listing(call, OP_LOCATIONS, "locations", timeout, lambda token, t: (
        client.list_locations(request={"name": f"projects/{project}", "page_token": token},
                              retry=None, timeout=t)), RawListing(_message(
                                  "ListLocationsResponse"), "locations", strict=True))
    return Listed(_named(call, listed, "locationId", f"projects/{project}"), listed.gap,
                  listed.unnamed)


def list_key_rings(call: Caller, client: Any, project: str, location: str,
                   timeout: float) -> Listed[str]:
    parent = f"projects/{project}/locations/{location}"
    listed = pager_listing(call, OP_RINGS, "keyRings", timeout, lambda token, t: (
        client.list_key_rings(request={"parent": parent, "page_token": token}, retry=None,
                              timeout=t)), RawListing(_message("ListKeyRingsResponse"),
                                                      "keyRings"))
    return Listed(_named(call, listed, "name", parent), listed.gap, listed.unnamed)


def _listed_key(raw: dict[str, Any]) -> KeyInfo | MalformedAnswer:
    try:
        return key_info(check_item(OP_KEYS, raw), OP_KEYS)
    except MalformedAnswer as exc:
        return exc


def list_keys(call: Caller, client: Any, ring: str,
              timeout: float) -> Listed[tuple[str, KeyInfo | MalformedAnswer]]:
    """(name, key) of every key of ``ring``; a key whose resource is malformed is listed with
    its MalformedAnswer instead, so its facts are error and the ring's other keys are read."""
    listed = pager_listing(call, OP_KEYS, "cryptoKeys", timeout, lambda token, t: (
        client.list_crypto_keys(request={"parent": ring, "page_token": token}, retry=None,
                                timeout=t)), RawListing(_message("ListCryptoKeysResponse"),
                                                        "cryptoKeys"))
    return Listed([(raw["name"], _listed_key(raw)) for raw in listed.items], listed.gap,
                  listed.unnamed)


def get_key(call: Caller, client: Any, name: str, timeout: float) -> KeyInfo:
    key = call(OP_GET_KEY, lambda: check(OP_GET_KEY, as_dict(client.get_crypto_key(
        request={"name": name}, retry=None, timeout=timeout))))
    return key_info(key, OP_GET_KEY)


def list_versions(call: Caller, client: Any, name: str,
                  timeout: float) -> Listed[VersionInfo]:
    listed = pager_listing(call, OP_VERSIONS, "cryptoKeyVersions", timeout, lambda token, t: (
        client.list_crypto_key_versions(request={"parent": name, "page_token": token},
                                        retry=None, timeout=t)), RawListing(_message(
                                            "ListCryptoKeyVersionsResponse"),
                                            "cryptoKeyVersions"))
    odd = [*listed.unnamed, *(v.error for v in listed.items if isinstance(v, OddListed))]
    # A version not read leaves the key's versions unknown: the listing is not whole.
    return Listed([_version(v) for v in listed.items if not isinstance(v, OddListed)],
                  listed.gap or (odd[0] if odd else None))


def key_public_members(call: Caller, client: Any, name: str, timeout: float) -> list[str]:
    """allUsers / allAuthenticatedUsers members bound in the key's IAM policy."""
    request = {"resource": name, "options": {"requested_policy_version": 3}}
    policy = call(OP_KEY_IAM, lambda: check(OP_KEY_IAM, as_dict(client.get_iam_policy(
        request=request, retry=None, timeout=timeout))))
    return sorted({m for b in policy["bindings"] for m in b["members"] if m in PUBLIC_MEMBERS})
