"""The check data-legal-reach over the core's derived facts legal_reach.jurisdictions and
legal_reach.key_external (auditor/derived_facts.py).

The table below is worked by hand from auditor/data/jurisdictions.yaml and the region tables:
where the data is, who operates the region, the provider's home, and whether the key is held
outside the provider. The same table is decided by Reach.verdict and by the engine running
the shipped check: both must agree, row by row.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.checks import compile_check, load_checks
from auditor.derived_facts import JURISDICTIONS, KEY_EXTERNAL, derive_inventory, with_inputs
from auditor.engine import evaluate, evaluate_one, uncollected, wanted_facts
from auditor.legal_reach import reach
from auditor.model import Fact, FactState, Inventory, ProviderRun, Resource, Status
from auditor.regions import places
from auditor.schema import validate

CHECK_ID = "data-legal-reach"
(CHECK,) = [c for c in load_checks() if c.id == CHECK_ID]
DEFAULT = ["EU", "US", "UK", "CH"]
DENIED_LOCATION = Fact.denied("AccessDenied: Access Denied", "s3:GetBucketLocation")
DENIED_KEY = Fact.denied("AccessDenied: not authorized", "kms:DescribeKey")
OPAQUE_KEY = Fact.opaque("encrypted, but the answer names no key", "ecs:DescribeDisks")


def compiled(allowed: list[str] | None = None):
    return compile_check(CHECK, None if allowed is None else {"allowed_legal_reach": allowed})


def resource(provider: str, region: str, custody: str | Fact, *, kind: str = "storage.bucket",
             location: Fact | None = None) -> Resource:
    """A resource with the facts its adapter collects: the region, where the region table
    places it (an error when it cannot), and the key custody level."""
    spread = places(provider, region)
    where = location or (Fact.observed(spread.jurisdictions, "x:List") if spread.known else
                         Fact.error(f"region {region!r} is not in the region table", "x:List"))
    facts = {"data_residency.region": Fact.observed(region, "x:List"),
             "data_residency.jurisdictions": where,
             "key_custody.level": (custody if isinstance(custody, Fact)
                                   else Fact.observed(custody, "kms:DescribeKey"))}
    return Resource(kind, provider, "acct-1", region, f"{provider}/{region}", region, facts)


def decided(res: Resource, allowed: list[str] | None = None) -> tuple[Status, Resource]:
    derive_inventory(Inventory([], [res]))
    status, _ = evaluate_one(compiled(allowed), res)
    return status, res


# (provider, region, custody, allowed or None for the default, derived jurisdictions,
#  derived key_external, status), each worked by hand:
HAND = [
    # AWS Ireland with SSE-KMS: stored in the EU, AWS operates it, home US.
    ("aws", "eu-west-1", "customer_kms", None, ["EU", "US"], False, "PASS"),
    ("aws", "eu-west-1", "customer_kms", ["EU"], ["EU", "US"], False, "FAIL"),
    # AWS Beijing: operated by Sinnet (CN); AWS's home is still US.
    ("aws", "cn-north-1", "customer_kms", None, ["CN", "US"], False, "FAIL"),
    ("aws", "cn-north-1", "customer_kms", ["CN", "US"], ["CN", "US"], False, "PASS"),
    # AWS Ningxia, NWCD (CN): an XKS key keeps the key outside AWS, so it passes anyway.
    ("aws", "cn-northwest-1", "external", ["EU"], ["CN", "US"], True, "PASS"),
    # Google Cloud Frankfurt with a Cloud EKM key: outside Google's control.
    ("gcp", "europe-west3", "external", ["EU"], ["EU", "US"], True, "PASS"),
    ("gcp", "europe-west3", "customer_kms", ["EU"], ["EU", "US"], False, "FAIL"),
    # Alibaba Cloud Hangzhou: stored in CN, operated from CN.
    ("alibaba", "cn-hangzhou", "provider", None, ["CN"], False, "FAIL"),
    ("alibaba", "cn-hangzhou", "provider", ["CN"], ["CN"], False, "PASS"),
    # Alibaba Cloud Frankfurt: the data is in the EU, the home is CN.
    ("alibaba", "eu-central-1", "customer_kms", ["EU", "US"], ["CN", "EU"], False, "FAIL"),
]


@pytest.mark.parametrize("provider, region, custody, allowed, jurisdictions, external, status",
                         HAND)
def test_hand_worked_table(provider, region, custody, allowed, jurisdictions, external, status):
    got, res = decided(resource(provider, region, custody), allowed)
    reach_fact, key_fact = res.facts[JURISDICTIONS], res.facts[KEY_EXTERNAL]
    assert (reach_fact.state, reach_fact.value, reach_fact.basis) == (
        FactState.OBSERVED, jurisdictions, "derived")
    assert (key_fact.value, key_fact.basis) == (external, "derived")
    assert reach_fact.source == ("x:List",) and key_fact.source == ("kms:DescribeKey",)
    assert got.name == status
    assert reach(provider, region, custody).verdict(allowed or DEFAULT) == status


def test_a_denied_region_read_is_unverified_naming_the_input():
    status, res = decided(resource("aws", "eu-west-1", "customer_kms", location=DENIED_LOCATION))
    fact = res.facts[JURISDICTIONS]
    assert status is Status.UNVERIFIED and fact.state is FactState.DENIED
    assert "data_residency.jurisdictions denied" in fact.detail
    assert fact.source == ("s3:GetBucketLocation",)  # the call that was refused


def test_a_denied_custody_read_is_unverified_even_where_the_location_is_allowed():
    # The location alone is allowed (EU, US), but the check reads both facts: never PASS.
    status, res = decided(resource("aws", "eu-west-1", DENIED_KEY))
    assert status is Status.UNVERIFIED
    assert res.facts[KEY_EXTERNAL].state is FactState.DENIED
    assert res.facts[JURISDICTIONS].value == ["EU", "US"]
    assert reach("aws", "eu-west-1", None).verdict(DEFAULT) == "UNVERIFIED"


def test_an_opaque_custody_is_opaque_never_a_guess():
    status, res = decided(resource("alibaba", "cn-hangzhou", OPAQUE_KEY,
                                   kind="storage.volume"), ["EU"])
    fact = res.facts[KEY_EXTERNAL]
    assert status is Status.OPAQUE and fact.state is FactState.OPAQUE
    assert "key_custody.level" in fact.detail and fact.source == ("ecs:DescribeDisks",)


def test_a_region_the_table_cannot_place_is_unverified_not_failed():
    # Home US alone is outside ["EU"], but the location is unknown: not decided.
    status, res = decided(resource("aws", "xx-nowhere-1", "provider"), ["EU"])
    assert status is Status.UNVERIFIED
    assert res.facts[JURISDICTIONS].state is FactState.ERROR
    assert reach("aws", "xx-nowhere-1", "provider").verdict(["EU"]) == "UNVERIFIED"


def test_a_provider_without_legal_data_is_an_error_fact():
    res = Resource("storage.bucket", "acme", "a", "r1", "b", "b",
                   {"data_residency.region": Fact.observed("r1", "acme:List"),
                    "data_residency.jurisdictions": Fact.observed(["EU"], "acme:List"),
                    "key_custody.level": Fact.observed("external", "acme:Key")})
    status, res = decided(res, ["EU"])
    assert status is Status.UNVERIFIED
    assert "no home jurisdiction" in res.facts[JURISDICTIONS].detail
    assert reach("acme", "r1", "external").verdict(["EU"]) == "UNVERIFIED"


@pytest.mark.parametrize("kind", CHECK.kinds)
def test_every_data_kind_of_the_check_gets_the_facts(kind):
    status, res = decided(resource("gcp", "us-central1", "customer_kms", kind=kind), ["EU"])
    assert status is Status.FAIL and res.facts[JURISDICTIONS].value == ["US"]


def test_equal_inputs_share_one_derived_fact():
    region, where = Fact.observed("eu-west-1", "x"), Fact.observed(["EU"], "x")
    custody = Fact.observed("provider", "y")
    twins = [Resource("storage.bucket", "aws", "a", "eu-west-1", n, n,
                      {"data_residency.region": region, "data_residency.jurisdictions": where,
                       "key_custody.level": custody}) for n in ("one", "two")]
    derive_inventory(Inventory([], twins))
    assert twins[0].facts[JURISDICTIONS] is twins[1].facts[JURISDICTIONS]


def test_the_fail_message_names_the_jurisdiction_and_the_region():
    res = resource("aws", "cn-north-1", "provider")
    derive_inventory(Inventory([], [res]))
    status, message = evaluate_one(compiled(), res)
    assert status is Status.FAIL
    assert message.startswith('legal_reach.jurisdictions.0="CN": expected one of')
    assert 'data_residency.region="cn-north-1"' in message


# --- collection: the inputs are asked for; old inventories still evaluate ---------------


def test_a_scan_of_the_check_asks_the_adapters_for_its_inputs():
    wanted = wanted_facts([compiled()])
    for kind in CHECK.kinds:
        assert {"data_residency.region", "data_residency.jurisdictions",
                "key_custody.level", JURISDICTIONS, KEY_EXTERNAL} <= wanted[kind]
    other = with_inputs({"storage.bucket": frozenset({"encryption.enabled"})})
    assert other == {"storage.bucket": frozenset({"encryption.enabled"})}


RESIDENCY = ["data_residency.jurisdictions", "data_residency.region"]


def _saved_inventory(requested: dict[str, list[str]] | None) -> Inventory:
    """An inventory as written before the derived facts existed, through its JSON."""
    res = resource("aws", "cn-north-1", "customer_kms")
    run = ProviderRun("aws", facts_requested=requested)
    document = Inventory([run], [res]).to_dict()
    validate("inventory", document, "inventory.json")
    return Inventory.from_dict(json.loads(json.dumps(document)))


@pytest.mark.parametrize("requested", [
    None,  # a legacy run: everything asked for
    # asked for the inputs (a scan of the custody and residency checks, every data kind)
    {kind: [*RESIDENCY, "key_custody.level"] for kind in CHECK.kinds},
], ids=["legacy", "inputs"])
def test_a_saved_inventory_with_the_inputs_evaluates(requested):
    inventory = derive_inventory(_saved_inventory(requested))
    assert uncollected(inventory, [compiled()]) == []
    (finding,) = evaluate(inventory, [compiled()])
    assert finding.status is Status.FAIL
    document = inventory.to_dict()  # the derived facts fit the catalog
    validate("inventory", document, "inventory.json")


def test_a_saved_inventory_without_the_inputs_is_not_collected_never_failed():
    inventory = derive_inventory(_saved_inventory({kind: RESIDENCY for kind in CHECK.kinds}))
    (gap,) = uncollected(inventory, [compiled()])
    assert (gap.check_id, gap.provider) == (CHECK_ID, "aws")
    assert KEY_EXTERNAL in gap.facts and JURISDICTIONS not in gap.facts
    assert evaluate(inventory, [compiled()]) == []


def test_a_resource_lacking_an_input_gets_no_derived_fact():
    res = resource("aws", "eu-west-1", "provider")
    del res.facts["key_custody.level"]
    derive_inventory(Inventory([], [res]))
    assert JURISDICTIONS in res.facts and KEY_EXTERNAL not in res.facts
    assert evaluate_one(compiled(), res)[0] is Status.NOT_APPLICABLE


def test_the_catalog_page_lists_the_derived_paths():
    text = (Path(__file__).parents[2] / "docs" / "catalog.md").read_text()
    for path in (JURISDICTIONS, KEY_EXTERNAL):
        assert f"`{path}`" in text


@pytest.mark.parametrize("provider, needed", [
    ("aws", {"s3:GetBucketEncryption", "kms:DescribeKey", "ec2:DescribeVolumes",
             "rds:DescribeDBInstances"}),
    ("gcp", {"storage:buckets.list", "cloudkms:cryptoKeys.get", "compute:disks.aggregatedList"}),
    ("alibaba", {"oss:GetBucketEncryption", "kms:DescribeKey", "ecs:DescribeDisks"}),
])
def test_the_permissions_of_the_check_name_its_inputs_calls(provider, needed):
    from auditor.permissions import derive_policy
    from auditor.providers.base import ProviderRegistry

    policy = derive_policy(ProviderRegistry.from_entry_points().get(provider), [compiled()])
    assert needed <= set(policy.needs), sorted(policy.needs)
    assert all(CHECK_ID in why for op, why in policy.needs.items() if op in needed)


def test_the_report_table_takes_the_key_from_the_checks_derived_fact():
    from auditor.pipeline import build_report

    estate = [resource("aws", "eu-west-1", "external"), resource("aws", "eu-central-1",
                                                                 "customer_kms")]
    report = build_report(Inventory([ProviderRun("aws")], estate), [compiled()],
                          lambda provider: None)
    rows = {r["region"]: r for r in report.legal_reach["providers"]["aws"]}
    assert rows["eu-west-1"]["key_external"] is True
    assert rows["eu-central-1"]["key_external"] is False
