"""What an AWS region shard carries, without any call (the regions are given): every shard the
regions of all (shard_regions, the first one keeps the unlocated buckets); the organization
listing's gaps in the first shard only; an organization account whose entry was odd is not
split (its collect fails once, not once per region)."""

from __future__ import annotations

from auditor.executors import ExecutorChoice
from auditor.executors.local import LocalExecutor
from auditor.executors.shards import expand_units
from auditor.executors.unit import work_unit
from auditor.providers.aws import AwsAdapter
from auditor.providers.aws._organization import ODD_ACCOUNT, ORGANIZATION_GAPS
from auditor.providers.aws._shards import SHARD_REGIONS, shard_of
from auditor.providers.base import CollectRequest
from auditor.run_failures import ACCOUNT_SCOPE

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-1"]
BY_REGION = LocalExecutor(ExecutorChoice(shard_by="region"))


def _shards(**options):
    request = CollectRequest(options={"region": REGIONS, **options})
    return expand_units(AwsAdapter(), [work_unit("aws", "222222222222", ACCOUNT_SCOPE, request,
                                                 {})], BY_REGION)


def test_every_shard_knows_the_regions_of_all():
    shards = _shards()
    assert [s.options["region"] for s in shards] == [[r] for r in REGIONS]
    assert [shard_of(s.options) for s in shards] == [tuple(REGIONS)] * 3
    assert shard_of({"region": REGIONS}) is None  # a whole collection is no shard
    assert all(s.options[SHARD_REGIONS] == REGIONS for s in shards)


def test_the_listing_gaps_are_the_first_shards_alone():
    shards = _shards(**{ORGANIZATION_GAPS: ["item $.Accounts[3]: missing Id"]})
    assert [s.options[ORGANIZATION_GAPS] for s in shards] == [
        ["item $.Accounts[3]: missing Id"], None, None]


def test_an_odd_organization_account_is_not_split():
    unit_options = {ODD_ACCOUNT: "item $.Accounts[1].State (Id 222222222222): does not "
                                 "satisfy enum", "role_arn": None}
    (whole,) = _shards(**unit_options)
    assert whole.shard is None or whole.shard == ""
    assert whole.options[ODD_ACCOUNT].startswith("item $.Accounts[1]")
