"""What the adapter asks: reads only, once per answer, only what is wanted, in parallel."""

from __future__ import annotations

from collections import Counter

import pytest
from alibaba_support import BUCKETS, ESTATE, bucket_of, buckets, fast_adapter, keys, scan

from auditor.providers.base import CollectRequest

# What every bucket costs when all facts are wanted and GetBucketInfo answers.
# GetBucketReplication is always asked: CrossRegionReplication in GetBucketInfo says nothing
# of same-region replication.
PER_BUCKET = ["oss:GetBucketInfo", "oss:GetBucketPolicyStatus", "oss:GetBucketPolicy",
              "oss:GetBucketHttpsConfig", "oss:GetBucketWorm",
              "oss:GetBucketObjectWormConfiguration", "oss:GetBucketReplication"]
ASKED_OF_GETBUCKETINFO = {"oss:GetBucketEncryption", "oss:GetBucketAcl",
                          "oss:GetBucketVersioning", "oss:GetBucketLogging",
                          "oss:GetBucketPublicAccessBlock", "oss:GetBucketLocation"}


def per_bucket(requests) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for request in requests:
        name = bucket_of(request)
        if name:
            out.setdefault(name, Counter())[request.action] += 1
    return out




def test_requests_per_bucket(ali_scan):
    counts = per_bucket(ali_scan[1])
    assert set(counts) == {b["name"] for b in BUCKETS}
    plain = counts["enc-none"]
    assert sorted(plain.elements()) == sorted(PER_BUCKET)
    # The dedicated APIs are asked only when GetBucketInfo could not answer.
    for name, counter in counts.items():
        if name not in ("info-denied", "info-old-format", "location-missing"):
            assert not ASKED_OF_GETBUCKETINFO & set(counter), (name, counter)
    assert counts["info-denied"]["oss:GetBucketEncryption"] == 1
    assert counts["info-old-format"]["oss:GetBucketAcl"] == 1
    assert "oss:GetBucketVersioning" not in counts["info-old-format"]
    # Replication rules are read for every bucket, once.
    assert all(c["oss:GetBucketReplication"] == 1 for c in counts.values()), counts
    # Retries are visible as repeated requests, and only where a fault was injected.
    assert counts["flaky-then-ok"]["oss:GetBucketWorm"] == 3
    assert counts["always-500"]["oss:GetBucketPolicy"] == 4
    assert counts["enc-none"]["oss:GetBucketPolicy"] == 1
    total_oss = sum(sum(c.values()) for c in counts.values())
    assert total_oss / len(counts) < len(PER_BUCKET) + 0.5


def test_each_key_is_described_once(ali_scan):
    collection, requests = ali_scan
    described = Counter(r.query.get("KeyId", [""])[0] for r in requests
                        if r.action == "kms:DescribeKey")
    assert described and max(described.values()) == 1, described
    assert set(described) == set(keys(collection))
    assert Counter(r.action for r in requests)["kms:ListAliases"] == 2  # per region that needs it


def test_only_wanted_facts_are_collected(ali_sandbox):
    ali_sandbox.seed(ESTATE)
    collection, requests = scan(ali_sandbox, facts={"storage.bucket": frozenset(
        {"tls_enforced.required"})})
    actions = Counter(r.action for r in requests)
    # The one bucket the listing gives no Location for is located first (for its region).
    assert set(actions) == {"oss:ListBuckets", "oss:GetBucketLocation", "oss:GetBucketPolicy",
                            "oss:GetBucketHttpsConfig"}
    assert actions["oss:GetBucketLocation"] == 1
    assert not keys(collection)
    assert not [r for r in collection.resources if r.kind == "account"]
    for bucket in buckets(collection).values():
        assert set(bucket.facts) <= {"tls_enforced.required", "access_control.acls_disabled",
                                     "soft_delete.enabled", "soft_delete.retention_days"}
        assert "tls_enforced.required" in bucket.facts


def test_residency_needs_no_bucket_call(ali_sandbox):
    ali_sandbox.seed(ESTATE)
    collection, requests = scan(ali_sandbox, facts={"storage.bucket": frozenset(
        {"data_residency.region", "data_residency.jurisdiction"})})
    actions = Counter(r.action for r in requests)
    assert set(actions) == {"oss:ListBuckets", "oss:GetBucketLocation"}  # one bucket unlisted
    assert buckets(collection)["replication-eu"].facts["data_residency.jurisdiction"].value == "CN"


def test_keys_only(ali_sandbox):
    ali_sandbox.seed(ESTATE)
    collection, requests = scan(ali_sandbox, facts={"kms.key": frozenset({"key_custody.level"})})
    actions = set(Counter(r.action for r in requests))
    assert actions == {"oss:ListBuckets", "oss:GetBucketLocation", "kms:ListKeys",
                       "kms:DescribeKey"}
    assert keys(collection) and all(set(k.facts) == {"key_custody.level"}
                                    for k in keys(collection).values())


def test_rotation_support_costs_no_extra_call(ali_sandbox):
    ali_sandbox.seed(ESTATE)
    rotation = {"key_rotation.enabled", "key_rotation.period_days"}
    without = scan(ali_sandbox, facts={"storage.bucket": frozenset(rotation),
                                       "kms.key": frozenset(rotation)})[1]
    collection, requests = scan(ali_sandbox, facts={
        "storage.bucket": frozenset(rotation | {"key_rotation.supported"}),
        "kms.key": frozenset(rotation | {"key_rotation.supported"})})
    assert Counter(r.action for r in requests) == Counter(r.action for r in without)
    assert buckets(collection)["kms-byok"].facts["key_rotation.supported"].value is False
    # Wanted alone, it is the only key fact emitted and still rests on DescribeKey.
    collection, requests = scan(ali_sandbox, facts={
        "kms.key": frozenset({"key_rotation.supported"})})
    assert set(Counter(r.action for r in requests)) == {
        "oss:ListBuckets", "oss:GetBucketLocation", "kms:ListKeys", "kms:DescribeKey"}
    assert all(set(k.facts) == {"key_rotation.supported"} for k in keys(collection).values())
    # Not wanted, not emitted.
    collection, _ = scan(ali_sandbox, facts={"storage.bucket": frozenset(rotation),
                                             "kms.key": frozenset(rotation)})
    assert not any("key_rotation.supported" in r.facts for r in collection.resources)


def test_region_option_limits_the_scan(ali_sandbox):
    ali_sandbox.seed(ESTATE)
    options = {**ali_sandbox.scan_options(), "region": ["oss-eu-central-1"]}
    collection, requests = scan(ali_sandbox, options=options)
    assert sorted(buckets(collection)) == ["always-500", "public-both"]
    assert collection.run.regions == ["eu-central-1"]
    assert {bucket_of(r) for r in requests if bucket_of(r)} == {"always-500", "public-both",
                                                                "location-missing"}


def test_default_regions_come_from_the_listing(ali_sandbox):
    ali_sandbox.seed(ESTATE)
    options = {k: v for k, v in ali_sandbox.scan_options().items() if k != "region"}
    collection, _ = scan(ali_sandbox, options=options)
    assert collection.run.regions == ["cn-hangzhou", "cn-shanghai", "eu-central-1"]
    assert len(buckets(collection)) == len(BUCKETS)


def test_parallel_bounded_and_same_answer(make_ali_sandbox):
    section = {**ESTATE, "buckets": [b for b in ESTATE["buckets"] if "faults" not in b][:14]}
    box = make_ali_sandbox(section, latency=0.005)
    serial, _ = scan(box, max_workers=1)
    assert box.peak_in_flight == 1
    box.seed(section)
    parallel, _ = scan(box, max_workers=4)
    assert 2 <= box.peak_in_flight <= 4
    assert [r.to_dict() for r in serial.resources] == [r.to_dict() for r in parallel.resources]


def test_progress_is_reported(ali_sandbox):
    ali_sandbox.seed(ESTATE)
    seen: list[tuple[str, int, int | None]] = []
    with pytest.MonkeyPatch.context() as mp:
        for name, value in ali_sandbox.environment().items():
            mp.setenv(name, value)
        fast_adapter().collect(CollectRequest(
            options=ali_sandbox.scan_options(), max_workers=4,
            facts={"storage.bucket": frozenset({"versioning.enabled"})},
            progress=lambda *args: seen.append(args)))
    assert len(seen) == len(BUCKETS)
    assert sorted(done for _, done, _ in seen) == list(range(1, len(BUCKETS) + 1))
    assert {(p, t) for p, _, t in seen} == {("alibaba", len(BUCKETS))}
