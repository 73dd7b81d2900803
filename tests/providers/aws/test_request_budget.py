"""Calls left out because an earlier answer implies theirs: the facts are the same.

Each skip of ``_s3.SKIPS`` is tested on a moto estate where it applies: the collection with
every skip and the one with none (every call sent) give every bucket fact the same state and
value; where the skip changed the basis, the fact's source names the answer that implied it
and its detail says why. And the skipped operation is not sent.

moto 5.2 omits ``BucketRegion`` from ListBuckets, which S3 sends for every bucket (Amazon S3
API Reference, ListBuckets: Bucket.BucketRegion; botocore's model has it). ``listing_regions``
makes moto answer as S3 does, moto-side (its S3Response), never the SDK.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_support import by_name, mocked_estate

from auditor.model import FactState
from auditor.providers.aws import _collect, _s3
from auditor.providers.base import Collection, CollectRequest

US, EU, DE = "us-east-1", "eu-west-1", "eu-central-1"


@contextlib.contextmanager
def listing_regions() -> Iterator[None]:
    """moto's ListBuckets with each bucket's BucketRegion, as S3 answers it."""
    from moto.core.responses import ActionResult
    from moto.s3.responses import S3Response

    def all_buckets(self: Any) -> Any:
        self.data["Action"] = "ListAllMyBuckets"
        self._authenticate_and_authorize_s3_action()
        listed = self.backend.list_buckets(prefix=self._get_param("prefix"),
                                           bucket_region=self._get_param("bucket-region"),
                                           max_buckets=self._get_param("max-buckets"))
        self.data["Action"] = "ListBuckets"
        return self.serialized(ActionResult({
            "Owner": {"ID": "bcaf1ffd86f41161ca5fb16fd081034f", "DisplayName": "webfile"},
            "Buckets": [{"Name": b.name, "CreationDate": b.creation_date_ISO8601,
                         "BucketRegion": b.region_name} for b in listed]}))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(S3Response, "all_buckets", all_buckets)
        yield


def run(skips: frozenset[str], regions: list[str]) -> Collection:
    return _collect.collect(CollectRequest(options={"region": regions}, max_workers=4),
                            skips=skips)


ESTATE: dict[str, Any] = {
    "regions": [US, EU, DE],
    "bucket_defaults": {"encryption": {"algorithm": "AES256"},
                        "ownership": "BucketOwnerEnforced", "public_access_block": True},
    "account": {"public_access_block": {"IgnorePublicAcls": True}},
    "keys": [{"alias": "eu-key", "region": EU, "rotation": True}],
    "buckets": [
        # no policy (policy_status:no_policy), BucketOwnerEnforced (acl:owner_enforced),
        # never versioned (versioned:never)
        {"name": "rb-plain", "region": US},
        # a public policy under RestrictPublicBuckets (policy_status:restrict_public_buckets)
        {"name": "rb-restricted", "region": US, "policy": ["public-read", "tls"]},
        # ACLs on, a public ACL ignored by the account's IgnorePublicAcls
        {"name": "rb-acl", "region": EU, "acl": "public-read", "ownership": "ObjectWriter",
         "public_access_block": False, "policy": ["public-read"]},
        # a bare alias resolves in the bucket's region: from the listing here
        {"name": "rb-kms", "region": EU,
         "encryption": {"algorithm": "aws:kms", "key": "alias/eu-key"}},
        # versioning Suspended (object_lock:suspended), replication still read
        {"name": "rb-suspended", "region": DE, "versioning": "Suspended"},
        # versioned with Object Lock: both reads are sent on either path
        {"name": "rb-locked", "region": DE, "object_lock": {"mode": "GOVERNANCE", "days": 3}},
        # out of scope: listed in us-west-2 and dropped either way
        {"name": "rb-elsewhere", "region": "us-west-2"},
    ],
}
SCOPE = [US, EU, DE]


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Collection, Collection]:
    tmp = tmp_path_factory.mktemp("budget")
    with mocked_estate(ESTATE, tmp), listing_regions():
        skipped = run(_s3.SKIPS, SCOPE)
        full = run(frozenset(), SCOPE)
    return skipped, full


def test_every_skip_keeps_every_fact(both: tuple[Collection, Collection]) -> None:
    skipped, full = both
    new, old = by_name(skipped, "storage.bucket"), by_name(full, "storage.bucket")
    assert set(new) == set(old) == {b["name"] for b in ESTATE["buckets"][:-1]}
    for name, bucket in old.items():
        assert set(new[name].facts) == set(bucket.facts), name
        assert new[name].region == bucket.region
        for path, was in bucket.facts.items():
            now = new[name].facts[path]
            assert (now.state, now.value) == (was.state, was.value), (name, path, now, was)
            assert now.state is not FactState.ERROR or was.state is FactState.ERROR


def test_a_skipped_call_is_named_in_the_fact(both: tuple[Collection, Collection]) -> None:
    skipped, full = both
    new, old = by_name(skipped, "storage.bucket"), by_name(full, "storage.bucket")
    # The region from the listing: its source says so (on AWS, always).
    for name in new:
        assert new[name].facts["data_residency.region"].source == ("s3:ListBuckets",)
        assert old[name].facts["data_residency.region"].source == ("s3:GetBucketLocation",)
    # Object Lock from versioning Suspended: the basis and the reason are in the fact.
    lock = new["rb-suspended"].facts["immutability.enabled"]
    assert lock.source == ("s3:GetBucketVersioning",)
    assert "Suspended" in lock.detail
    assert old["rb-suspended"].facts["immutability.enabled"].source == (
        "s3:GetObjectLockConfiguration",)
    # Locked bucket read for real on both paths.
    assert new["rb-locked"].facts["immutability.mode"].value == "governance"


def test_the_skipped_calls_are_not_sent(both: tuple[Collection, Collection]) -> None:
    skipped, full = both
    new, old = skipped.run.api_calls, full.run.api_calls
    assert new.get("s3:GetBucketLocation", 0) == 0
    assert old["s3:GetBucketLocation"] == 7  # every listed bucket, the out-of-scope one too
    # Only rb-acl has a policy and no RestrictPublicBuckets: the one policy status read.
    assert new["s3:GetBucketPolicyStatus"] == 1 and old["s3:GetBucketPolicyStatus"] == 6
    # Every bucket but rb-acl enforces ownership; rb-acl's public ACLs are ignored.
    assert new.get("s3:GetBucketAcl", 0) == 0 and old["s3:GetBucketAcl"] == 6
    # Never versioned: no lock or replication read; Suspended: replication only.
    assert new["s3:GetObjectLockConfiguration"] == 1  # rb-locked
    assert new["s3:GetBucketReplication"] == 2  # rb-locked, rb-suspended
    assert old["s3:GetObjectLockConfiguration"] == old["s3:GetBucketReplication"] == 6
    # Six reads every bucket needs (encryption, Block Public Access, policy, ownership,
    # logging, versioning) and the four above.
    bucket_reads = sum(v for k, v in new.items() if k.startswith("s3:Get"))
    assert bucket_reads == 6 * 6 + 4, new


def test_without_bucket_region_the_location_is_read(tmp_path: Path) -> None:
    """moto as it is (no BucketRegion): one GetBucketLocation per listed bucket, the same
    region facts as from the listing."""
    estate = {"buckets": [{"name": "loc-us", "region": US}, {"name": "loc-eu", "region": EU}]}
    facts = frozenset({"data_residency.region", "data_residency.jurisdiction"})
    request = CollectRequest(options={"region": [US, EU]}, facts={"storage.bucket": facts})
    with mocked_estate(estate, tmp_path):
        plain = _collect.collect(request)
        with listing_regions():
            listed = _collect.collect(request)
    assert plain.run.api_calls["s3:GetBucketLocation"] == 2
    assert "s3:GetBucketLocation" not in listed.run.api_calls
    a, b = by_name(plain, "storage.bucket"), by_name(listed, "storage.bucket")
    for name in ("loc-us", "loc-eu"):
        for path in facts:
            assert (a[name].facts[path].state, a[name].facts[path].value) == (
                b[name].facts[path].state, b[name].facts[path].value)


def test_equal_facts_of_different_buckets_are_one_object() -> None:
    from auditor.model import Fact
    from auditor.providers.aws._normalize import SharedFacts

    shared = SharedFacts()
    first = shared({"a": Fact.observed(True, "s3:X"), "b": Fact.observed([{"r": 1}], "s3:Y"),
                    "c": Fact.observed(1, "s3:X")})
    second = shared({"a": Fact.observed(True, "s3:X"), "b": Fact.observed([{"r": 1}], "s3:Y"),
                     "c": Fact.observed(1.0, "s3:X"), "d": Fact.observed(True, "s3:X",
                                                                          detail="why")})
    assert second["a"] is first["a"] and second["b"] is first["b"]
    assert second["c"] is not first["c"] and second["c"].value == 1.0  # 1 is not 1.0
    assert second["d"] is not first["a"]  # another detail: another fact
    assert {k: f.to_dict() for k, f in second.items()} == {
        "a": Fact.observed(True, "s3:X").to_dict(), "b": Fact.observed([{"r": 1}], "s3:Y").to_dict(),
        "c": Fact.observed(1.0, "s3:X").to_dict(),
        "d": Fact.observed(True, "s3:X", detail="why").to_dict()}
