"""One AWS account's collection split by region (the adapter's ``shards`` hook).

Each shard collects one region: its keys, volumes, snapshots, file systems, databases and
EBS defaults, and the buckets located there (ListBuckets is global, so every shard lists the
buckets and keeps its region's own). The account's one global resource, its S3 Block Public
Access setting (s3control:GetPublicAccessBlock, the ``account`` resource of region
"global"), is emitted by the first shard only: the others leave that fact. A bucket's facts
that read the account setting still read it in the bucket's shard.

The regions are the unit's ``region`` option, else the regions enabled for the account
(ec2:DescribeRegions, asked once here with the unit's own profile and role); an account of
one region, or whose regions cannot be listed, is not split (its whole collection reports
what failed).
"""

from __future__ import annotations

from auditor.model import ResourceKind
from auditor.providers._runtime import ApiLedger, RetryPolicy
from auditor.providers.aws._account_options import DEFAULT_SESSION_NAME, listed
from auditor.providers.base import CollectRequest, ShardTarget

BY_REGION = "region"
# The fact of the account's global resource: collected by one shard, left by the others.
GLOBAL_FACTS = {ResourceKind.ACCOUNT.value: frozenset({"public_access_block.enabled"})}


def label(region: str) -> str:
    return f"region {region}"


def region_shards(request: CollectRequest, by: str,
                  retry: RetryPolicy | None = None) -> list[ShardTarget] | None:
    """One shard per region of the request (None: not by region, or fewer than 2 regions)."""
    if by != BY_REGION:
        return None
    regions = list(dict.fromkeys(listed(request.options.get("region"))))
    if not regions:
        regions = enabled_regions(request, retry) or []
    if len(regions) < 2:
        return None
    return [ShardTarget(label(region), {"region": [region]},
                        {} if index == 0 else GLOBAL_FACTS)
            for index, region in enumerate(regions)]


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
