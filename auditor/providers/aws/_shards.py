"""One AWS account's collection split by region (the adapter's ``shards`` hook).

Each shard collects one region: its keys, volumes, snapshots, file systems, databases and
EBS defaults, and the buckets located there (ListBuckets is global, so every shard lists the
buckets and keeps its region's own). The account's one global resource, its S3 Block Public
Access setting (s3control:GetPublicAccessBlock, the ``account`` resource of region
"global"), is emitted by the first shard only: the others leave that fact. A bucket's facts
that read the account setting still read it in the bucket's shard.

A bucket whose region cannot be read (no BucketRegion, GetBucketLocation refused or failed)
is in no region's shard by its location: it is the first shard's (SHARD_REGIONS tells a
collection it is a shard, and of which regions; the first one keeps the unlocated buckets,
the others leave them), so the shards together report it once, as the whole account does.
A key such a bucket names by ARN in another shard's region is that shard's resource; the
first shard emits it only when that shard would not (an AWS managed key, which a region's
own listing leaves out), so it too is reported once.

An organization account whose listing entry was odd is not split (its collect fails once,
before any call); the listing's gaps a target carries are the first shard's to record.

The regions are the unit's ``region`` option, else the regions enabled for the account
(ec2:DescribeRegions, asked once here with the unit's own profile and role); an account of
one region, or whose regions cannot be listed, is not split (its whole collection reports
what failed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.model import ResourceKind
from auditor.providers._runtime import ApiLedger, RetryPolicy
from auditor.providers.aws._account_options import DEFAULT_SESSION_NAME, listed
from auditor.providers.base import CollectRequest, ShardTarget

BY_REGION = "region"
# The option a shard's collection carries: every region of its account's shards, in order.
SHARD_REGIONS = "shard_regions"
# The fact of the account's global resource: collected by one shard, left by the others.
GLOBAL_FACTS = {ResourceKind.ACCOUNT.value: frozenset({"public_access_block.enabled"})}


def label(region: str) -> str:
    return f"region {region}"


def region_shards(request: CollectRequest, by: str,
                  retry: RetryPolicy | None = None) -> list[ShardTarget] | None:
    """One shard per region of the request (None: not by region, or fewer than 2 regions)."""
    from auditor.providers.aws._organization import ODD_ACCOUNT, ORGANIZATION_GAPS

    if by != BY_REGION or request.options.get(ODD_ACCOUNT):
        return None
    regions = list(dict.fromkeys(listed(request.options.get("region"))))
    if not regions:
        regions = enabled_regions(request, retry) or []
    if len(regions) < 2:
        return None
    return [ShardTarget(label(region), {"region": [region], SHARD_REGIONS: regions,
                                        **({} if index == 0 else {ORGANIZATION_GAPS: None})},
                        {} if index == 0 else GLOBAL_FACTS)
            for index, region in enumerate(regions)]


def shard_of(options: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The regions of the account's shards when this collection is one of them, else None."""
    regions = tuple(listed(options.get(SHARD_REGIONS)))
    return regions or None


def enabled_regions(request: CollectRequest, retry: RetryPolicy | None = None) -> list[str] | None:
    """The regions enabled for the account the request reaches; None when they cannot be
    listed (no credential, a role that cannot be assumed, a refused call)."""
    from auditor.providers.aws import _account
    from auditor.providers.aws._errors import Caller
    from auditor.providers.aws._session import AwsSession

    options = request.options
    ledger = ApiLedger()
    try:
        session = AwsSession(options.get("profile"), options.get("role_arn"),
                             options.get("external_id"), 1, timeout=request.timeout,
                             scrubber=ledger.scrubber,
                             session_name=options.get("session_name") or DEFAULT_SESSION_NAME,
                             count=ledger.count,
                             assume_attempts=(retry or RetryPolicy()).max_attempts)
        return _account.enabled_regions(session, Caller(ledger, retry))
    except Exception:  # any failure: the account is collected whole, which reports it
        return None
