"""legal_reach.jurisdictions counts where a resource's data is replicated to
(data_residency.replication_destinations, auditor/derived_facts.py), by the one derivation
rule and no provider branch. Each row worked by hand from auditor/data/jurisdictions.yaml
(AWS home US, its cn-north-1 operated by Sinnet under CN law; Alibaba Cloud home CN) and the
region tables. A destination that was not read makes the reach unread, never narrower.
"""

from __future__ import annotations

from typing import Any

import pytest

from auditor.derived_facts import JURISDICTIONS, REPLICAS, derive_inventory, with_inputs
from auditor.model import Fact, FactState, Inventory, Resource

OP = "s3:GetBucketReplication"


def _to(region: str, jurisdiction: str | None, country: str | None = None) -> dict[str, Any]:
    return {"target": f"arn:aws:s3:::dr-{region}", "region": region, "country": country,
            "jurisdiction": jurisdiction}


def _resource(provider: str, region: str, place: str, replicas: Fact | None,
              kind: str = "storage.bucket") -> Resource:
    facts = {"data_residency.region": Fact.observed(region, "x:List"),
             "data_residency.jurisdictions": Fact.observed([place], "x:List"),
             "key_custody.level": Fact.observed("provider_managed", "x:Key")}
    if replicas is not None:
        facts[REPLICAS] = replicas
    return Resource(kind, provider, "acct", region, f"{provider}/{region}", region, facts)


# (row id, provider, region, its place, the replication fact, state, jurisdictions)
ROWS = [
    ("no-replication", "aws", "eu-west-1", "EU", Fact.observed([], OP), FactState.OBSERVED,
     ["EU", "US"]),
    ("to-singapore", "aws", "eu-west-1", "EU",
     Fact.observed([_to("ap-southeast-1", "SG", "SG")], OP), FactState.OBSERVED,
     ["EU", "SG", "US"]),
    # The destination's operator is in reach too: Sinnet operates cn-north-1 under CN law.
    ("to-beijing-operated-by-sinnet", "aws", "us-east-1", "US",
     Fact.observed([_to("cn-north-1", "CN", "CN")], OP), FactState.OBSERVED, ["CN", "US"]),
    ("alibaba-to-frankfurt", "alibaba", "cn-hangzhou", "CN",
     Fact.observed([_to("eu-central-1", "EU", "DE")], "oss:GetBucketReplication"),
     FactState.OBSERVED, ["CN", "EU"]),
    ("replication-denied", "aws", "eu-west-1", "EU", Fact.denied("AccessDenied: no", OP),
     FactState.DENIED, None),
    ("replication-error", "aws", "eu-west-1", "EU",
     Fact.error("destination dr-x: region 'xx-nowhere-1' is not in the region table", OP),
     FactState.ERROR, None),
    ("destination-not-placed", "aws", "eu-west-1", "EU",
     Fact.observed([_to("ap-southeast-1", None)], OP), FactState.ERROR, None),
    # Not collected for the resource (an inventory saved without it, or a kind without
    # replication): the reach is that of its own region, as before.
    ("not-collected", "aws", "eu-west-1", "EU", None, FactState.OBSERVED, ["EU", "US"]),
]


@pytest.mark.parametrize(("provider", "region", "place", "replicas", "state", "value"),
                         [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_replication_destinations_are_in_the_reach(provider: str, region: str, place: str,
                                                   replicas: Fact | None, state: FactState,
                                                   value: list[str] | None) -> None:
    res = _resource(provider, region, place, replicas)
    derive_inventory(Inventory([], [res]))
    fact = res.facts[JURISDICTIONS]
    assert (fact.state, fact.value) == (state, value)
    if replicas is not None:
        assert replicas.source[0] in fact.source


def test_the_adapters_are_asked_for_destinations_only_where_the_kind_has_them() -> None:
    asked = with_inputs({"storage.bucket": frozenset({JURISDICTIONS}),
                         "storage.volume": frozenset({JURISDICTIONS})})
    assert REPLICAS in asked["storage.bucket"]
    assert REPLICAS not in asked["storage.volume"]
