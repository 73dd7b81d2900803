"""Compute Engine reads over google-cloud-compute's REST transport: persistent disks (one
aggregatedList per project: every zone and region in one paged answer), disk snapshots, the
project's own custom images, and the IAM policy of a snapshot or an image.

The listings carry every setting the facts read (encryption key, users, storage locations);
the only per-resource call is the IAM policy, which is where snapshot and image sharing
lives (no listing carries it). Each answer is checked against answers.yaml in its proto3
JSON form before anything reads it (``_answers``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.errors import ListingIncomplete, MalformedAnswer
from auditor.providers.gcp._answers import Listed, as_dict, check, check_item, read_pages
from auditor.providers.gcp._errors import Caller
from auditor.providers.gcp._raw_items import RawListing
from auditor.providers.gcp._storage import PUBLIC_MEMBERS

OP_DISKS = "compute:disks.aggregatedList"
OP_SNAPSHOTS = "compute:snapshots.list"
OP_IMAGES = "compute:images.list"
OP_SNAPSHOT_IAM = "compute:snapshots.getIamPolicy"
OP_IMAGE_IAM = "compute:images.getIamPolicy"
# The owning project's own convenience members are the owner, not a share.
_OWNER_PREFIXES = ("projectOwner:", "projectEditor:", "projectViewer:")


@dataclass(frozen=True, slots=True)
class EncryptionKey:
    """A customer key on a Compute Engine resource: a Cloud KMS key (CMEK) or a key the
    customer supplies with each request (CSEK, shown only by its sha256)."""

    kms_key: str | None  # the CryptoKey name, without the version the answer names
    kms_version: str | None
    supplied: bool


@dataclass(frozen=True, slots=True)
class ComputeItem:
    """One disk, snapshot or image, as much of it as the facts need."""

    project: str
    name: str
    id: str  # projects/P/zones/Z/disks/N, projects/P/global/snapshots/N, ...
    location: str  # a disk's zone or region; a snapshot's or image's (first) storage location
    source: str  # the listing that gave it
    key: EncryptionKey | None = None  # None: Google's default key
    users: tuple[str, ...] = ()  # a disk's attached instances
    storage_locations: tuple[str, ...] = ()
    malformed: MalformedAnswer | None = None


def _tail(url: str, marker: str) -> str:
    """``us-central1-a`` from ``https://.../zones/us-central1-a`` (marker ``/zones/``)."""
    return url.rsplit(marker, 1)[-1].split("/")[0] if marker in url else ""


def crypto_key(name: str) -> str:
    """The CryptoKey of a key name that may name one of its versions
    (``.../cryptoKeys/K/cryptoKeyVersions/N``): custody and rotation are the key's."""
    return name.partition("/cryptoKeyVersions/")[0]


def encryption_key(field: dict[str, Any] | None) -> EncryptionKey | None:
    """A customerEncryptionKey field: kmsKeyName (CMEK) or sha256 (CSEK); absent: Google's."""
    if not field:
        return None
    name = field.get("kmsKeyName") or ""
    if name:
        key = crypto_key(name)
        return EncryptionKey(key, name if key != name else None, False)
    if field.get("sha256") or field.get("rawKey") or field.get("rsaEncryptedKey"):
        return EncryptionKey(None, None, True)
    return None


def _disk(project: str, raw: dict[str, Any]) -> ComputeItem:
    disk = check_item(OP_DISKS, raw)
    zone, region = _tail(disk.get("zone", ""), "/zones/"), _tail(disk.get("region", ""),
                                                                 "/regions/")
    scope = f"zones/{zone}" if zone else f"regions/{region}"
    return ComputeItem(project, disk["name"], f"projects/{project}/{scope}/disks/{disk['name']}",
                       zone or region, OP_DISKS, encryption_key(disk.get("diskEncryptionKey")),
                       tuple(disk.get("users") or ()))


def _stored(project: str, raw: dict[str, Any], operation: str, collection: str,
            key_field: str) -> ComputeItem:
    item = check_item(operation, raw)
    locations = tuple(item.get("storageLocations") or ())
    return ComputeItem(project, item["name"],
                       f"projects/{project}/global/{collection}/{item['name']}",
                       locations[0] if locations else "", operation,
                       encryption_key(item.get(key_field)), storage_locations=locations)


def _listed(project: str, raw: Any, operation: str, collection: str,
            read: Any) -> ComputeItem:
    """The item, or a placeholder carrying its MalformedAnswer (every fact of it is error),
    under the id it would have (a disk's zone or region, when it names one)."""
    try:
        return read(project, raw)
    except MalformedAnswer as exc:
        raw = raw if isinstance(raw, dict) else {}
        name = str(raw.get("name") or "(unnamed)")
        scope = next((f"{where}s/{_tail(raw[where], f'/{where}s/') or raw[where]}"
                      for where in ("zone", "region") if isinstance(raw.get(where), str)
                      and raw[where]), None) if collection == "disks" else None
        where = f"{scope}/disks" if scope else collection
        return ComputeItem(project, name, f"projects/{project}/{where}/{name}", "",
                           operation, malformed=exc)


def _scoped_disks(page: dict[str, Any]) -> list[Any]:
    """The disks of every zone and region scope of one aggregatedList page."""
    return [disk for _, scoped in sorted((page.get("items") or {}).items())
            for disk in (scoped.get("disks") or ())]


def unreachable_scopes(page: dict[str, Any]) -> list[str]:
    """The scopes a Compute Engine list page says it could not reach: its ``unreachables``
    (aggregatedList), a scope whose warning is UNREACHABLE, or a page warning UNREACHABLE.
    What they hold is not in the answer: never read as "none there"."""
    found = [str(u) for u in page.get("unreachables") or ()]
    scoped = page.get("items") if isinstance(page.get("items"), dict) else {}
    found += [str(scope) for scope, value in sorted(scoped.items())
              if ((value or {}).get("warning") or {}).get("code") == "UNREACHABLE"]
    if (page.get("warning") or {}).get("code") == "UNREACHABLE":
        found.append("(the page's own warning)")
    return found


def _message(name: str) -> Any:
    def cls() -> Any:
        from google.cloud import compute_v1

        return getattr(compute_v1, name)
    return cls


def _pages(call: Caller, operation: str, items_key: str, timeout: float, fetch: Any,
           raw: RawListing, items_of: Any = None) -> Listed[dict[str, Any]]:
    unreachable: list[str] = []

    def page(token: str | None) -> dict[str, Any]:
        request = {"page_token": token} if token else {}
        pages = fetch(request, timeout).pages
        answer = as_dict(next(iter(pages)))
        unreachable.extend(unreachable_scopes(answer))
        return answer
    listed = read_pages(call, operation, page, items_key, items_of=items_of, raw=raw)
    if listed.gap is None and unreachable:
        gap = ListingIncomplete(operation, "Unreachable", "the service could not reach "
                                f"{', '.join(sorted(set(unreachable)))}")
        return Listed(listed.items, gap, listed.unnamed)
    return listed


def list_disks(call: Caller, client: Any, project: str, timeout: float) -> Listed[ComputeItem]:
    listed = _pages(call, OP_DISKS, "items", timeout, lambda r, t: client.aggregated_list(
        request={"project": project, **r}, retry=None, timeout=t),
        RawListing(_message("DiskAggregatedList"), "items", "disks"), _scoped_disks)
    return Listed([_listed(project, d, OP_DISKS, "disks", _disk) for d in listed.items],
                  listed.gap, listed.unnamed)


def list_snapshots(call: Caller, client: Any, project: str,
                   timeout: float) -> Listed[ComputeItem]:
    listed = _pages(call, OP_SNAPSHOTS, "items", timeout, lambda r, t: client.list(
        request={"project": project, **r}, retry=None, timeout=t),
        RawListing(_message("SnapshotList"), "items"))
    return Listed([_listed(project, s, OP_SNAPSHOTS, "global/snapshots", lambda p, raw: _stored(
        p, raw, OP_SNAPSHOTS, "snapshots", "snapshotEncryptionKey")) for s in listed.items],
        listed.gap, listed.unnamed)


def list_images(call: Caller, client: Any, project: str, timeout: float) -> Listed[ComputeItem]:
    """The project's own images (images.list of a project lists only its own; the public
    image projects are other projects)."""
    listed = _pages(call, OP_IMAGES, "items", timeout, lambda r, t: client.list(
        request={"project": project, **r}, retry=None, timeout=t),
        RawListing(_message("ImageList"), "items"))
    return Listed([_listed(project, i, OP_IMAGES, "global/images", lambda p, raw: _stored(
        p, raw, OP_IMAGES, "images", "imageEncryptionKey")) for i in listed.items], listed.gap,
        listed.unnamed)


@dataclass(frozen=True, slots=True)
class Sharing:
    """Who a snapshot's or image's own IAM policy lets in besides its project."""

    public: tuple[str, ...]  # allUsers / allAuthenticatedUsers
    principals: tuple[str, ...]  # every other member, as the policy names it


def sharing(call: Caller, client: Any, item: ComputeItem, timeout: float) -> Sharing:
    """One getIamPolicy call (policy version 3) for a snapshot or an image."""
    operation = OP_SNAPSHOT_IAM if item.source == OP_SNAPSHOTS else OP_IMAGE_IAM
    request = {"project": item.project, "resource": item.name,
               "options_requested_policy_version": 3}
    policy = call(operation, lambda: check(operation, as_dict(client.get_iam_policy(
        request=request, retry=None, timeout=timeout))))
    members = {m for b in policy.get("bindings") or () for m in b.get("members") or ()}
    own = {f"{prefix}{item.project}" for prefix in _OWNER_PREFIXES}
    return Sharing(tuple(sorted(members & PUBLIC_MEMBERS)),
                   tuple(sorted(members - PUBLIC_MEMBERS - own)))
