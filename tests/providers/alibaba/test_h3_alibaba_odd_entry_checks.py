"""An odd listed entry's findings, end to end: the real Alibaba Cloud SDKs over HTTP against the
stand-in, a rewriting proxy putting one entry that does not fit its API reference on a
listing page, the checks run by the engine.

An odd ECS disk, NAS file system or RDS instance (DescribeDisks Encrypted Boolean,
DescribeFileSystems EncryptType Integer, DescribeDBInstances DeletionProtection Boolean) is a
resource whose exposed facts are the entry's error (UNVERIFIED findings, never PASS or FAIL)
and whose legal reach the core derives (the adapter sets none; UNVERIFIED from the error
inputs). An odd OSS bucket entry (ListBuckets Location not a string) is read by its name: the
safeguards OSS has no feature for (soft delete, MFA delete, turning ACLs off: exposure.yaml
level none) are OPAQUE findings, never UNVERIFIED.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from alibaba_answer_proxy import AnswerProxy
from alibaba_support import scan
from test_alibaba_item_shapes import ESTATE, with_bucket, with_entry

from auditor.checks import compile_check, load_checks
from auditor.engine import evaluate, wanted_facts
from auditor.model import Inventory, Status
from auditor.providers._runtime import exposure_of
from auditor.providers._runtime.placeholders import CORE_DERIVED
from auditor.providers.alibaba import AlibabaAdapter

UNVERIFIED, OPAQUE = Status.UNVERIFIED, Status.OPAQUE
PROFILE = exposure_of(AlibabaAdapter.data_dir)
ROWS = [
    # (row id, endpoint option, proxy operation, rewrite, kind, odd name, {check: status})
    ("disk-encrypted-yes", "alibaba_ecs_endpoint", "ecs:DescribeDisks", with_entry(
        ("Disks", "Disk"), {"DiskId": "d-odd", "Encrypted": "yes"}), "storage.volume", "d-odd",
     {"storage-encryption-enabled": UNVERIFIED, "volume-attached": UNVERIFIED,
      "data-legal-reach": UNVERIFIED}),
    ("fs-encrypt-type-string", "alibaba_nas_endpoint", "kms:DescribeFileSystems", with_entry(
        ("FileSystems", "FileSystem"), {"FileSystemId": "fs-odd", "EncryptType": "2"}),
     "storage.filesystem", "fs-odd",
     {"storage-encryption-enabled": UNVERIFIED, "storage-tls-enforced": UNVERIFIED,
      "data-legal-reach": UNVERIFIED}),
    ("db-deletion-protection-yes", "alibaba_rds_endpoint", "kms:DescribeDBInstances",
     with_entry(("Items", "DBInstance"), {"DBInstanceId": "rm-odd", "DeletionProtection": "yes"},
                "TotalRecordCount"), "database.instance", "rm-odd",
     {"database-deletion-protection": UNVERIFIED, "database-backups-encrypted": UNVERIFIED,
      "data-legal-reach": UNVERIFIED}),
    ("bucket-location-element", "oss_endpoint", "oss:ListBuckets", with_bucket(
        "<Bucket><Name>bkt-odd</Name><Location><Region>x</Region></Location></Bucket>"),
     "storage.bucket", "bkt-odd",
     {"bucket-soft-delete": OPAQUE, "bucket-mfa-delete": OPAQUE,
      "bucket-acls-disabled": OPAQUE}),
]


@pytest.mark.parametrize(("option", "operation", "rewrite", "kind", "name", "statuses"),
                         [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_an_odd_entrys_findings(make_ali_sandbox: Any, option: str, operation: str,
                                rewrite: Callable[[bytes], bytes], kind: str, name: str,
                                statuses: dict[str, Status]) -> None:
    checks = [compile_check(c) for c in load_checks() if kind in c.kinds]
    box = make_ali_sandbox(ESTATE)
    with AnswerProxy(box.scan_options()[option], operation, rewrite) as proxy:
        collection, _ = scan(box, facts=wanted_facts(checks),
                             options={**box.scan_options(), option: proxy.url})
    assert proxy.rewritten >= 1
    odd = next(r for r in collection.resources if r.kind == kind and r.name == name)
    assert not set(odd.facts) & CORE_DERIVED  # the core derives them
    findings = evaluate(Inventory([collection.run], collection.resources), checks)
    mine = {f.check_id: f.status for f in findings if f.resource_id == odd.id}
    assert {c: mine[c] for c in statuses} == statuses
    if kind != "storage.bucket":  # read from the entry alone: nothing decided
        assert set(mine.values()) <= {UNVERIFIED, OPAQUE}, mine
        hidden = {p for p, f in odd.facts.items() if f.state.value == "opaque"}
        assert hidden == {p for p, e in PROFILE[kind].items() if e.level == "none"}

