"""OSS cross-region replication puts a bucket's data in the destination region's legal
reach: the real OSS client against the stand-in (GetBucketReplication
ReplicationRule.Destination.Location), the core deriving legal_reach.jurisdictions
(auditor/derived_facts.py). Worked by hand (auditor/data/jurisdictions.yaml: Alibaba Cloud
operates its regions, home CN; the region table: oss-cn-hangzhou CN, oss-eu-central-1 EU):
no replication [CN]; to Frankfurt [CN, EU]; to Hangzhou itself [CN]; GetBucketReplication
refused (403): denied, never the narrower [CN].
"""

from __future__ import annotations

from typing import Any

from alibaba_support import ACCOUNT, KEYS, b, scan

from auditor.derived_facts import JURISDICTIONS, derive_inventory, with_inputs
from auditor.model import Inventory

FRANKFURT = [{"bucket": "dr-frankfurt", "region": "oss-eu-central-1"}]
BUCKETS = [b("alone"), b("to-frankfurt", replication=FRANKFURT),
           b("to-hangzhou", replication=[{"bucket": "dr-hz", "region": "oss-cn-hangzhou"}]),
           b("refused", replication=FRANKFURT, faults={"GetBucketReplication": 403})]
EXPECTED = {"alone": ("observed", ["CN"]), "to-frankfurt": ("observed", ["CN", "EU"]),
            "to-hangzhou": ("observed", ["CN"]), "refused": ("denied", None)}


def test_a_cross_region_replica_is_in_the_legal_reach(make_ali_sandbox: Any) -> None:
    box = make_ali_sandbox({"account": ACCOUNT, "keys": KEYS, "buckets": BUCKETS})
    facts = with_inputs({"storage.bucket": frozenset({JURISDICTIONS})})
    collection, _ = scan(box, facts)
    buckets = [r for r in collection.resources if r.kind == "storage.bucket"]
    derive_inventory(Inventory([], buckets))
    got = {r.name: (r.facts[JURISDICTIONS].state.value, r.facts[JURISDICTIONS].value)
           for r in buckets}
    assert got == EXPECTED
