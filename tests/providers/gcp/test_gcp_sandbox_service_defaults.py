"""Every demo bucket carries the fields Cloud Storage always returns, read through
google-cloud-storage from the stand-in.

Source of every expectation: Cloud Storage JSON API reference, "Buckets" resource
(https://cloud.google.com/storage/docs/json_api/v1/buckets): location is upper case,
locationType is region / dual-region / multi-region, iamConfiguration carries
uniformBucketLevelAccess and publicAccessPrevention ("inherited" unless enforced),
softDeletePolicy.retentionDurationSeconds defaults to 604800 (7 days; "0" when off), rpo
("DEFAULT" or "ASYNC_TURBO") is set on dual- and multi-region buckets only.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from auditor.providers.gcp.sandbox import GcpSandbox, load_demo_section

DEMO = load_demo_section()
SPECS = {b["name"]: (p["id"], b) for p in DEMO["projects"] for b in p.get("buckets", [])}


@pytest.fixture(scope="module")
def buckets() -> Iterator[dict[str, storage.Bucket]]:
    box = GcpSandbox()
    box.start()
    try:
        box.seed({"gcp": DEMO})
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("STORAGE_EMULATOR_HOST", box.url)
            found: dict[str, storage.Bucket] = {}
            for project in DEMO["projects"]:
                client = storage.Client(project=project["id"],
                                        credentials=AnonymousCredentials())
                found.update({b.name: b for b in client.list_buckets()})
            yield found
    finally:
        box.stop()


def test_every_demo_bucket_is_listed(buckets: dict[str, storage.Bucket]) -> None:
    assert set(buckets) == set(SPECS)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_fields_the_service_always_returns(buckets: dict[str, storage.Bucket],
                                           name: str) -> None:
    _, spec = SPECS[name]
    bucket = buckets[name]
    props = bucket._properties
    assert bucket.location == str(spec["location"]).upper() == props["location"]
    assert bucket.location_type in ("region", "dual-region", "multi-region")
    iam = props["iamConfiguration"]
    assert iam["publicAccessPrevention"] == spec.get("public_access_prevention", "inherited")
    assert isinstance(iam["uniformBucketLevelAccess"]["enabled"], bool)
    days = spec.get("soft_delete_days", 7)
    assert props["softDeletePolicy"]["retentionDurationSeconds"] == str(days * 86400)
    if bucket.location_type == "region":
        assert "rpo" not in props
    else:
        assert bucket.rpo == spec.get("rpo", "DEFAULT")


def test_defaults_where_the_estate_names_nothing(buckets: dict[str, storage.Bucket]) -> None:
    plain = [n for n, (_, s) in SPECS.items()
             if "soft_delete_days" not in s and "public_access_prevention" not in s]
    assert plain
    for name in plain:
        props = buckets[name]._properties
        assert props["softDeletePolicy"]["retentionDurationSeconds"] == "604800"
        assert props["iamConfiguration"]["publicAccessPrevention"] == "inherited"
