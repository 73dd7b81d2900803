"""The adapter as a whole: exposure profile, wanted facts, skipped calls, concurrency."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections import Counter

from gcp_support import ESTATE, MAIN_BUCKETS, fast_adapter, resources

from auditor.model import FactState
from auditor.providers.base import CollectRequest, validate_adapter
from auditor.providers.gcp import GcpAdapter
from auditor.providers.gcp.sandbox import load_demo_section
from auditor.schema import fact_catalog

ADAPTER = GcpAdapter()
PROFILE = ADAPTER.exposure_profile()


def test_adapter_contract():
    validate_adapter(ADAPTER, "gcp")
    assert [o.name for o in ADAPTER.options] == [
        "project", "credentials_file", "gcs_endpoint", "gcp_kms_endpoint",
        "gcp_orgpolicy_endpoint", "all_projects", "organization_id", "folder",
        "exclude_project", "gcp_compute_endpoint", "gcp_sqladmin_endpoint",
        "gcp_filestore_endpoint", "gcp_resourcemanager_endpoint"]
    envs = {o.name: o.env for o in ADAPTER.options}
    assert envs["gcs_endpoint"] == "STORAGE_EMULATOR_HOST"
    assert envs["gcp_kms_endpoint"] == "AUDITOR_GCP_KMS_ENDPOINT"
    assert envs["gcp_orgpolicy_endpoint"] == "AUDITOR_GCP_ORGPOLICY_ENDPOINT"
    assert envs["gcp_compute_endpoint"] == "AUDITOR_GCP_COMPUTE_ENDPOINT"
    assert envs["gcp_sqladmin_endpoint"] == "AUDITOR_GCP_SQLADMIN_ENDPOINT"
    assert envs["gcp_filestore_endpoint"] == "AUDITOR_GCP_FILESTORE_ENDPOINT"
    assert next(o for o in ADAPTER.options if o.name == "project").multiple


def test_importing_the_adapter_loads_no_google_module():
    code = ("import sys; from auditor.providers.gcp import GcpAdapter; "
            "GcpAdapter().exposure_profile(); "
            "print([m for m in sys.modules if m.startswith('google')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_facts_keep_to_the_exposure_profile(full_scan):
    collection, _ = full_scan
    seen_opaque_when: set[tuple[str, str]] = set()
    for resource in collection.resources:
        for path, fact in resource.facts.items():
            entry = PROFILE[resource.kind][path]
            if entry.level == "none":
                assert fact.state is FactState.OPAQUE and fact.detail, (resource.id, path)
            elif fact.state is FactState.OPAQUE:
                assert entry.opaque_when and fact.detail, (resource.id, path)
                seen_opaque_when.add((resource.kind, path))
    declared = {(kind, path) for kind, facts in PROFILE.items()
                for path, entry in facts.items() if entry.opaque_when}
    assert seen_opaque_when == declared  # each declared case does occur in the test estate


def test_opaque_only_in_the_declared_case(full_scan):
    collection, _ = full_scan
    for bucket in resources(collection, "storage.bucket").values():
        # The organization policy is read: public access prevention is never opaque now.
        for path in ("public_access_block.account", "public_access_block.effective"):
            assert bucket.facts[path].state is not FactState.OPAQUE, (bucket.name, path)
        rotation = bucket.facts["key_rotation.enabled"]
        google_key = bucket.facts["encryption.key_id"].value is None
        assert (rotation.state is FactState.OPAQUE) == google_key, bucket.name
        # Beyond Google's key, only an EXTERNAL_VPC key without a schedule leaves it untold.
        supported = bucket.facts["key_rotation.supported"]
        vpc = bucket.facts["key_custody.level"].detail == "protectionLevel EXTERNAL_VPC"
        assert (supported.state is FactState.OPAQUE) == (google_key or vpc), bucket.name


def test_every_kind_and_account_resource(full_scan):
    collection, _ = full_scan
    accounts = resources(collection, "account")
    assert set(accounts) == {"t-main", "t-nostorage", "t-nokms"}
    for account in accounts.values():
        assert account.region == "global" and account.id == account.account
        assert set(account.facts) == set(fact_catalog()["account"])


def test_calls_whose_answer_is_implied_are_skipped(full_scan):
    _, requests = full_scan
    iam = {r.path.split("/")[4] for r in requests if r.action == "storage.buckets.getIamPolicy"}
    assert "pap-enforced" not in iam  # enforced prevention: nothing can be public
    assert "gm-default" in iam
    acl = {r.path.split("/")[4] for r in requests if "AccessControls" in r.action}
    assert acl == {"acl-public", "acl-private", "acl-default-object-public", "acl-partly-denied"}
    assert not any(r.action == "storage.buckets.get" for r in requests)  # the list suffices


def test_only_wanted_facts_are_collected(sandbox):
    sandbox.reset_requests()
    collection = fast_adapter().collect(CollectRequest(
        options=sandbox.scan_options(),
        facts={"storage.bucket": frozenset({"versioning.enabled"})}))
    assert {r.kind for r in collection.resources} == {"storage.bucket"}
    assert all(set(r.facts) == {"versioning.enabled"} for r in collection.resources)
    assert {r.action for r in sandbox.requests()} == {"storage.buckets.list"}


def test_key_join_without_key_inventory_fetches_named_keys_only(sandbox):
    sandbox.reset_requests()
    collection = fast_adapter().collect(CollectRequest(
        options=sandbox.scan_options(),
        facts={"storage.bucket": frozenset({"key_custody.level"})}))
    actions = Counter(r.action for r in sandbox.requests())
    assert set(actions) == {"storage.buckets.list", "cloudkms.cryptoKeys.get"}
    named = {b["kms_key"] for p in ESTATE["projects"] for b in p["buckets"] if b.get("kms_key")}
    assert actions["cloudkms.cryptoKeys.get"] == len(named)  # one read per distinct key
    buckets = resources(collection, "storage.bucket")
    assert buckets["cmek-hsm"].facts["key_custody.level"].value == "customer_kms"
    assert buckets["cmek-hsm"].facts["key_custody.level"].source == (
        "storage:buckets.list", "cloudkms:cryptoKeys.get")


def test_rotation_support_alone_reads_only_the_named_keys(sandbox):
    sandbox.reset_requests()
    collection = fast_adapter().collect(CollectRequest(
        options=sandbox.scan_options(),
        facts={"storage.bucket": frozenset({"key_rotation.supported"})}))
    actions = Counter(r.action for r in sandbox.requests())
    # The key read that custody and rotation use already: no versions, no EKM connection.
    assert set(actions) == {"storage.buckets.list", "cloudkms.cryptoKeys.get"}
    named = {b["kms_key"] for p in ESTATE["projects"] for b in p["buckets"] if b.get("kms_key")}
    assert actions["cloudkms.cryptoKeys.get"] == len(named)
    buckets = resources(collection, "storage.bucket")
    assert all(set(b.facts) == {"key_rotation.supported"} for b in buckets.values())
    assert buckets["cmek-hsm"].facts["key_rotation.supported"].value is True
    assert buckets["cmek-external"].facts["key_rotation.supported"].value is False
    assert buckets["gm-default"].facts["key_rotation.supported"].state is FactState.OPAQUE


def test_account_facts_alone_read_only_the_organization_policy(sandbox):
    sandbox.reset_requests()
    collection = fast_adapter().collect(CollectRequest(
        options=sandbox.scan_options(),
        facts={"account": frozenset({"public_access_block.enabled"})}))
    # No bucket listing: one organization policy read per project, nothing else.
    assert sorted(r.path.split("/")[3] for r in sandbox.requests()) == [
        "t-main", "t-nokms", "t-nostorage"]
    assert {r.action for r in sandbox.requests()} == {"orgpolicy.policies.getEffectivePolicy"}
    accounts = {r.account: r.facts["public_access_block.enabled"] for r in collection.resources}
    assert [accounts[p].value for p in ("t-main", "t-nostorage")] == [False, True]
    assert accounts["t-nokms"].state is FactState.DENIED
    assert accounts["t-main"].source == ("orgpolicy:policies.getEffectivePolicy",)
    assert [r.kind for r in collection.resources] == ["account"] * 3


def test_facts_without_the_organization_policy_do_not_read_it(sandbox):
    sandbox.reset_requests()
    fast_adapter().collect(CollectRequest(
        options=sandbox.scan_options(),
        facts={"storage.bucket": frozenset({"public_access_block.bucket", "versioning.enabled"}),
               "account": frozenset({"block_storage_encryption.enabled"})}))
    assert {r.action for r in sandbox.requests()} == {"storage.buckets.list"}


def _many_buckets(count: int) -> dict:
    return {"projects": [{"id": "p", "number": "9", "buckets": [
        {"name": f"b{i:03d}", "location": "us-central1"} for i in range(count)]}]}


def test_per_bucket_calls_run_in_a_bounded_pool(make_sandbox, caplog):
    box = make_sandbox(_many_buckets(32), latency=0.03)
    exposure = {"storage.bucket": frozenset({"public_exposure.is_public"})}
    with caplog.at_level(logging.WARNING, logger="urllib3"):
        fast_adapter().collect(CollectRequest(options=box.scan_options(), facts=exposure,
                                              max_workers=16))
    assert 8 <= box.peak_in_flight <= 16
    # The connection pool matches the worker pool: no connection is thrown away.
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]
    box.reset_requests()
    fast_adapter().collect(CollectRequest(options=box.scan_options(), facts=exposure,
                                          max_workers=1))
    assert box.peak_in_flight == 1


def test_progress_is_reported(make_sandbox):
    box = make_sandbox(_many_buckets(5))
    seen: list[tuple[str, int, int | None]] = []
    fast_adapter().collect(CollectRequest(
        options=box.scan_options(), progress=lambda *a: seen.append(a),
        facts={"storage.bucket": frozenset({"public_exposure.is_public"})}))
    assert sorted(done for _, done, _ in seen) == [1, 2, 3, 4, 5]
    assert {(p, total) for p, _, total in seen} == {("gcp", 5)}


def test_requests_per_bucket_on_the_demo_estate(make_sandbox):
    box = make_sandbox(load_demo_section())
    collection = fast_adapter().collect(CollectRequest(options=box.scan_options()))
    buckets = len(resources(collection, "storage.bucket"))
    storage = [r for r in box.requests() if r.action.startswith("storage.")]
    assert buckets == 32
    # One list page per project, an IAM read unless prevention is enforced, two ACL reads
    # where uniform access is off: under one storage request per bucket here.
    assert len(storage) / buckets < 1.0
    bucket_side = [r for r in box.requests() if r.action.split(".")[0] in (
        "storage", "cloudkms", "orgpolicy")]
    assert len(bucket_side) / buckets < 2.0  # with the whole Cloud KMS inventory
    assert sum(collection.run.api_calls.values()) == len(box.requests())


def test_main_estate_lists_in_pages(full_scan):
    collection, requests = full_scan
    listed = [r for r in requests if r.action == "storage.buckets.list"
              and r.query.get("project") == ["t-main"]]
    assert len(listed) > 3 and all(r.query.get("projection") == ["noAcl"] for r in listed)
    assert len([b for b in resources(collection, "storage.bucket").values()
                if b.account == "t-main"]) == len(MAIN_BUCKETS)
