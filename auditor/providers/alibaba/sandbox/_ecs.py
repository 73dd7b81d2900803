"""ECS stand-in (API 2014-05-26): DescribeRegions, the account-level default disk encryption
reads, and the disk, snapshot and custom-image listings with image sharing (_storage holds the entries).
RPC-style POSTs through _rpc_service; nothing else is served."""

from __future__ import annotations

from typing import Any

from auditor.providers.alibaba.sandbox._estate import ECS_CODES, DiskDefaults, Estate
from auditor.providers.alibaba.sandbox._rpc_service import Service, paged_body
from auditor.providers.alibaba.sandbox._rpc_service import handle as _handle
from auditor.providers.alibaba.sandbox._storage import (
    disk_entry,
    image_entry,
    share_accounts,
    share_groups,
    snapshot_entry,
)
from auditor.sandbox.base import RecordedRequest, Reply

VERSION = "2014-05-26"
STATUS = "DescribeDiskEncryptionByDefaultStatus"
DEFAULT_KEY = "DescribeDiskDefaultKMSKeyId"


def _defaults(estate: Estate, params: dict[str, str]) -> DiskDefaults:
    return estate.disk_defaults.get(params["RegionId"], DiskDefaults())


def _status(estate: Estate, params: dict[str, str]) -> dict[str, Any]:
    setting = _defaults(estate, params)
    body: dict[str, Any] = {"Encrypted": setting.encrypted}
    return {k: v for k, v in body.items() if k not in setting.omits}


def _default_key(estate: Estate, params: dict[str, str]) -> dict[str, Any]:
    setting = _defaults(estate, params)
    body: dict[str, Any] = {"KMSKeyId": setting.key or ""}
    return {k: v for k, v in body.items() if k not in setting.omits}


def _listing(kind: str, container: str, item: str, entry: Any) -> Any:
    def answer(estate: Estate, params: dict[str, str]) -> dict[str, Any]:
        store = estate.storage
        if kind == "images" and params.get("ImageOwnerAlias", "self") != "self":
            found: list[dict[str, Any]] = []  # system, marketplace and shared images: none
        else:
            found = [entry(s, store) if kind == "images" else entry(s)
                     for s in store.in_region(kind, params["RegionId"])]
        return {"RegionId": params["RegionId"],
                **paged_body(found, params, container, item, store.page_size)}
    return answer


def _image_shares(estate: Estate, params: dict[str, str]) -> dict[str, Any] | Reply:
    spec = estate.storage.find("images", params.get("ImageId", ""))
    if spec is None or spec["region"] != params["RegionId"]:
        return SERVICE.error(404, "InvalidImageId.NotFound",
                             "The specified ImageId does not exist.", "DescribeImageSharePermission")
    return {"ImageId": spec["id"], "RegionId": spec["region"],
            "ShareGroups": {"ShareGroup": share_groups(spec)},
            **paged_body(share_accounts(spec), params, "Accounts", "Account",
                         estate.storage.page_size)}


def _regions(estate: Estate, params: dict[str, str]) -> dict[str, Any]:
    """The estate's regions (buckets and storage), as DescribeRegions lists them."""
    return {"Regions": {"Region": [
        {"RegionId": r, "LocalName": r, "RegionEndpoint": f"ecs.{r}.aliyuncs.com",
         "Status": "available"} for r in estate.regions()]}}


SERVICE = Service("ecs", VERSION, ECS_CODES, {
    STATUS: _status, DEFAULT_KEY: _default_key, "DescribeRegions": _regions,
    "DescribeDisks": _listing("disks", "Disks", "Disk", disk_entry),
    "DescribeSnapshots": _listing("snapshots", "Snapshots", "Snapshot", snapshot_entry),
    "DescribeImages": _listing("images", "Images", "Image", image_entry),
    "DescribeImageSharePermission": _image_shares,
}, regional=frozenset({STATUS, DEFAULT_KEY, "DescribeDisks", "DescribeSnapshots",
                       "DescribeImages", "DescribeImageSharePermission"}))


def handle(estate: Estate, req: RecordedRequest, access_key: str) -> Reply:
    return _handle(SERVICE, estate, req, access_key)
