"""ECS read calls for block storage: disks, snapshots and custom images (with their sharing).

ECS API 2014-05-26, RPC style, through the generic OpenAPI client like _ecs.py. Every
listing is regional and paged (PageNumber/PageSize up to 100, TotalCount) and carries the
encryption settings of each entry, so no per-disk or per-snapshot call is made. ECS has no
API that shares a snapshot itself: another account reaches a snapshot's data only through
a custom image made from it, so sharing is read on the account's own custom images
(DescribeImages ImageOwnerAlias=self), and DescribeImageSharePermission only for an image
whose listing says it is shared (IsSelfShared) or public (IsPublic).
"""

from __future__ import annotations

from typing import Any

from alibabacloud_tea_openapi.client import Client as OpenApiClient

from auditor.errors import CallError
from auditor.providers.alibaba._ecs import VERSION
from auditor.providers.alibaba._errors import Caller
from auditor.providers.alibaba._listings import paged
from auditor.providers.alibaba._rpc import rpc

REGIONS = "ecs:DescribeRegions"
DISKS = "ecs:DescribeDisks"
SNAPSHOTS = "ecs:DescribeSnapshots"
IMAGES = "ecs:DescribeImages"
IMAGE_SHARES = "ecs:DescribeImageSharePermission"
Listed = tuple[list[dict[str, Any]], CallError | None]


def list_regions(client: OpenApiClient, call: Caller) -> list[str]:
    """The ids of every region ECS offers the account (Regions.Region, not paged)."""
    body = rpc(client, call, REGIONS, VERSION, {})
    return sorted({str(r["RegionId"]) for r in body["Regions"]["Region"]})


def list_disks(client: OpenApiClient, call: Caller, region: str) -> Listed:
    """Every cloud disk of ``region`` (Disks.Disk), with the error that cut it short."""
    return paged(client, call, DISKS, VERSION, ("Disks", "Disk"), {"RegionId": region})


def list_snapshots(client: OpenApiClient, call: Caller, region: str) -> Listed:
    """Every disk snapshot of ``region`` (Snapshots.Snapshot)."""
    return paged(client, call, SNAPSHOTS, VERSION, ("Snapshots", "Snapshot"),
                 {"RegionId": region})


def list_images(client: OpenApiClient, call: Caller, region: str) -> Listed:
    """The account's own custom images of ``region`` (Images.Image, ImageOwnerAlias self)."""
    return paged(client, call, IMAGES, VERSION, ("Images", "Image"),
                 {"RegionId": region, "ImageOwnerAlias": "self"})


def image_shares(client: OpenApiClient, call: Caller, region: str,
                 image_id: str) -> tuple[list[str], bool]:
    """(the account ids the image is shared with, whether it is shared with everyone: a
    ShareGroup ``all``). A page that fails after the first raises: a partial account list
    would understate the sharing."""
    groups: set[str] = set()

    def page_seen(body: dict[str, Any]) -> None:
        groups.update(str(g.get("Group")) for g in body["ShareGroups"]["ShareGroup"])

    accounts, cut_short = paged(client, call, IMAGE_SHARES, VERSION, ("Accounts", "Account"),
                                {"RegionId": region, "ImageId": image_id}, on_page=page_seen)
    if cut_short is not None:
        raise cut_short
    return sorted({str(a["AliyunId"]) for a in accounts}), "all" in groups
