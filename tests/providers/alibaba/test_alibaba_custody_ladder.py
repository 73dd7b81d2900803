"""Every documented DescribeKey combination on the custody ladder, through the real KMS and
OSS clients against the stand-in, with the legal-reach fact the core derives from it.

The KMS API reference (2016-01-20: CreateKey/DescribeKey KeyMetadata, as the SDK's models
carry it) documents Creator (the account UID, or the service for a service key), Origin
Aliyun_KMS (KMS generated the material) | EXTERNAL (imported: BYOK), ProtectionLevel SOFTWARE
| HSM and DKMSInstanceId (a KMS instance). It names no field that tells a key of an external
key management instance (HYOK, through an XKI proxy) from another: custody ``external`` is
never observed on Alibaba Cloud, so legal_reach.key_external is false for every documented
combination, and an Origin the reference does not name is an error (UNVERIFIED), never a
guessed level.
"""

from __future__ import annotations

from typing import Any

import pytest
from alibaba_support import ACCOUNT, b, buckets, keys, scan

from auditor.derived_facts import KEY_EXTERNAL, derive_inventory
from auditor.model import FactState, Inventory

# (row id, the key as seeded, custody level, hsm, key_external; None: an error)
ROWS = [
    ("service-key", {"creator": "Oss"}, "provider_kms", False, False),
    ("kms-generated", {}, "customer_kms", False, False),
    ("software-instance", {"instance": "kst-hzz1"}, "customer_kms", False, False),
    ("hardware-instance", {"instance": "kst-hzz2", "protection": "HSM"}, "customer_kms", True,
     False),
    ("byok", {"origin": "EXTERNAL"}, "customer_imported", False, False),
    ("byok-into-hardware-instance", {"origin": "EXTERNAL", "instance": "kst-hzz2",
                                     "protection": "HSM"}, "customer_imported", True, False),
    # Not in the reference (an XKS-like spelling): not guessed as external or anything else.
    ("unnamed-origin", {"origin": "EXTERNAL_KEY_STORE"}, None, False, None),
]


@pytest.mark.parametrize(("spec", "level", "hsm", "external"), [r[1:] for r in ROWS],
                         ids=[r[0] for r in ROWS])
def test_documented_key_combinations_on_the_ladder(make_ali_sandbox: Any, spec: dict[str, Any],
                                                   level: str | None, hsm: bool,
                                                   external: bool | None) -> None:
    key = {"id": "key-x", "region": "cn-hangzhou", **spec}
    box = make_ali_sandbox({"account": ACCOUNT, "keys": [key], "buckets": [
        b("by-x", encryption={"algorithm": "KMS", "key": "key-x"})]})
    collection, _ = scan(box)
    bucket = buckets(collection)["by-x"]
    derive_inventory(Inventory([], [bucket]))
    for facts in (keys(collection)["key-x"].facts, bucket.facts):
        custody = facts["key_custody.level"]
        if level is None:
            assert custody.state is FactState.ERROR and "EXTERNAL_KEY_STORE" in custody.detail
        else:
            assert (custody.state, custody.value) == (FactState.OBSERVED, level)
        assert facts["key_custody.hsm"].value is hsm
    derived = bucket.facts[KEY_EXTERNAL]
    assert derived.value is external
    assert derived.state is (FactState.OBSERVED if external is not None else FactState.ERROR)
