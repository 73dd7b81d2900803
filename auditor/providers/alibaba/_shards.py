"""One Alibaba Cloud account's collection split by region (the adapter's ``shards`` hook).

Only the regions the run names (--alibaba-region) are split: without the option the
regions are where ListBuckets finds buckets, known only once the account is collected, so
the account is collected whole. Each shard collects one region: the buckets located there
(every shard lists the buckets, a global call), its keys, the ECS default disk encryption,
disks, snapshots, images, file systems and databases. The account's OSS Block Public Access
(oss:GetPublicAccessBlock, the ``account`` resource) is emitted by the first shard only; a
bucket's facts that read it still read it in the bucket's shard.
"""

from __future__ import annotations

from auditor.model import ResourceKind
from auditor.providers.base import CollectRequest, ShardTarget

# The account's global setting: its resource is the first shard's, the others leave it.
LEAVES = {ResourceKind.ACCOUNT.value: frozenset({"public_access_block.enabled"})}


def region_shards(request: CollectRequest, by: str) -> list[ShardTarget] | None:
    """One shard per region named (None: not by region, or fewer than 2 regions named)."""
    from auditor.providers.alibaba._targets import DIRECTORY_ERROR, DIRECTORY_GAPS, ODD_MEMBER

    if by != "region" or request.options.get(ODD_MEMBER):  # an odd member fails whole
        return None
    from auditor.providers.alibaba._collect import _listed_regions

    regions = _listed_regions(request.options.get("region"))  # ids: oss-cn-x is cn-x
    if len(regions) < 2:
        return None
    # The directory's gaps are the first shard's to record.
    return [ShardTarget(f"region {region}", {"region": [region], **(
        {DIRECTORY_GAPS: None, DIRECTORY_ERROR: None} if index else {})},
        LEAVES if index else {}) for index, region in enumerate(regions)]
