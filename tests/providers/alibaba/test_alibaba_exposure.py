"""The adapter keeps to its exposure profile (exposure.yaml) on every resource it emits."""

from __future__ import annotations

from auditor.derived_facts import PATHS as CORE_DERIVED  # the core derives these
from auditor.model import FactState
from auditor.providers.alibaba import AlibabaAdapter
from auditor.providers.base import validate_adapter
from auditor.schema import fact_catalog

PROFILE = AlibabaAdapter().exposure_profile()
NOT_APPLICABLE_WHEN_UNENCRYPTED = {"key_rotation.enabled", "key_rotation.period_days",
                                   "key_rotation.supported"}
STORAGE_KINDS = ("storage.volume", "storage.snapshot", "storage.filesystem", "database.instance")
SERVICE_KEY_DETAIL = ("key_custody.hsm", *NOT_APPLICABLE_WHEN_UNENCRYPTED)


def resources(ali_scan, demo_scan):
    return ali_scan[0].resources + demo_scan[0].resources


def test_profile_is_valid_and_complete():
    validate_adapter(AlibabaAdapter(), "alibaba")
    assert {k: set(v) for k, v in PROFILE.items()} == {
        k: set(v) for k, v in fact_catalog().items()}


def test_every_wanted_fact_is_emitted(ali_scan, demo_scan):
    catalog = fact_catalog()
    seen_regional = False
    for resource in resources(ali_scan, demo_scan):
        expected = set(catalog[resource.kind]) - set(CORE_DERIVED)
        custody = resource.facts.get("key_custody.level")
        if (resource.kind in ("storage.bucket", *STORAGE_KINDS) and custody is not None
                and custody.value == "none"):
            expected -= NOT_APPLICABLE_WHEN_UNENCRYPTED
        if resource.kind == "account":
            # Global: Block Public Access; per region: ECS default disk encryption.
            regional = resource.region != "global"
            seen_regional |= regional
            expected = ({p for p in expected if p.startswith("block_storage_encryption.")}
                        if regional else {"public_access_block.enabled"})
        assert set(resource.facts) == expected, resource.name
    assert seen_regional


def test_opaque_exactly_where_the_profile_says(ali_scan, demo_scan):
    opaque_api: set[str] = set()
    for resource in resources(ali_scan, demo_scan):
        for path, fact in resource.facts.items():
            entry = PROFILE[resource.kind][path]
            if entry.level == "none":
                assert fact.state is FactState.OPAQUE and fact.detail, (resource.name, path)
            elif fact.state is FactState.OPAQUE:
                assert entry.opaque_when, (resource.name, path, fact)
                opaque_api.add((resource.kind, path))
                if resource.kind in STORAGE_KINDS:
                    # The declared cases: an encrypted resource naming no key (a service
                    # key), and TLS on an NFS file system.
                    level = resource.facts["key_custody.level"].value
                    assert (level == "provider_kms" and path in SERVICE_KEY_DETAIL) or (
                        path == "tls_enforced.required" and "NFS" in fact.detail), \
                        (resource.name, path)
                    continue
                if resource.kind == "kms.key":
                    # The declared case: a service key whose rotation no API states.
                    assert resource.facts["key.manager"].value == "provider", resource.name
                    assert "service-managed key" in (fact.detail or ""), resource.name
                    continue
                # The declared cases: keys OSS manages itself (AES256, SM4 without KMS), and
                # the OSS service key whose rotation no API states.
                algorithm = resource.facts["encryption.algorithm"]
                level = resource.facts["key_custody.level"].value
                assert (level == "provider" and algorithm.value in ("AES256", "SM4")) or (
                    level == "provider_kms" and path.startswith("key_rotation.")), resource.name
    assert opaque_api == {(kind, path) for kind in ("storage.bucket", "kms.key", *STORAGE_KINDS)
                          for path, entry in PROFILE[kind].items()
                          if entry.level != "none" and entry.opaque_when}


def test_sources_are_declared_operations(ali_scan, demo_scan):
    for resource in resources(ali_scan, demo_scan):
        for path, fact in resource.facts.items():
            declared = set(PROFILE[resource.kind][path].operations)
            assert set(fact.source) <= declared, (resource.name, path, fact.source)


def test_derived_facts_carry_the_basis(ali_scan, demo_scan):
    for resource in resources(ali_scan, demo_scan):
        for path, fact in resource.facts.items():
            if fact.state is FactState.OBSERVED:
                derived = PROFILE[resource.kind][path].level == "derived"
                assert (fact.basis == "derived") is derived, (resource.name, path)
