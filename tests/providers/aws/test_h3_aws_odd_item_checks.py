"""An odd listed item's findings, end to end: the real boto3 clients over HTTP against the answer
stand (moto behind it), one listing item that does not fit its API reference (the pages of
test_aws_item_shapes), the checks run by the engine.

An odd EBS volume, RDS instance or EFS file system (Volume.Encrypted, DBInstance
BackupRetentionPeriod, FileSystemDescription.Encrypted of another type) is a resource whose
exposed facts are the item's error: UNVERIFIED findings, never PASS or FAIL, every fact of
the kind's exposure profile there (an RDS instance's backup.replica_of included) but the
legal reach, which the core derives (UNVERIFIED from the error inputs). An odd S3 ListBuckets
entry that names its bucket is read by that name: S3 has no soft-delete feature (exposure.yaml
level none), so bucket-soft-delete is OPAQUE, never UNVERIFIED.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from answer_stand import REGION, running_stand
from test_aws_item_shapes import KIND_ROWS, LIST_ROWS, RETRY

from auditor.checks import compile_check, load_checks
from auditor.engine import evaluate, wanted_facts
from auditor.model import FactState, Inventory, Status
from auditor.providers._runtime import exposure_of
from auditor.providers._runtime.placeholders import CORE_DERIVED
from auditor.providers.aws import AwsAdapter
from auditor.providers.base import CollectRequest

UNVERIFIED, OPAQUE = Status.UNVERIFIED, Status.OPAQUE
PROFILE = exposure_of(AwsAdapter.data_dir)
# row id -> (operation, its odd page, the odd resource's id)
_PAGES = {row[0]: (row[2], row[3], row[4]) for row in KIND_ROWS} | {
    row[0]: (row[2], row[3], *row[4]) for row in LIST_ROWS if len(row[4]) == 1}
ROWS = [
    # (row of test_aws_item_shapes, kind, {check: status of the odd item})
    ("volume-encrypted-yes", "storage.volume",
     {"storage-encryption-enabled": UNVERIFIED, "volume-attached": UNVERIFIED,
      "data-legal-reach": UNVERIFIED}),
    ("db-retention-words", "database.instance",
     {"database-backup-retention": UNVERIFIED, "storage-tls-enforced": UNVERIFIED,
      "data-legal-reach": UNVERIFIED}),
    ("fs-encrypted-string", "storage.filesystem",
     {"storage-encryption-enabled": UNVERIFIED, "storage-tls-enforced": UNVERIFIED,
      "data-legal-reach": UNVERIFIED}),
    ("bucket-creation-date", "storage.bucket", {"bucket-soft-delete": OPAQUE}),
]


def _collect(tmp: Path, operation: str, page: Any, facts: dict[str, frozenset[str]]) -> Any:
    with running_stand(tmp) as stand:
        stand.answer(operation, page)
        return AwsAdapter(retry=RETRY).collect(CollectRequest(
            options={"region": [REGION]}, facts=facts))


@pytest.mark.parametrize(("row", "kind", "statuses"), ROWS, ids=[r[0] for r in ROWS])
def test_an_odd_items_findings(tmp_path: Path, row: str, kind: str,
                               statuses: dict[str, Status]) -> None:
    checks = [compile_check(c) for c in load_checks() if kind in c.kinds]
    operation, page, odd_id = _PAGES[row]
    wanted = wanted_facts(checks)
    collection = _collect(tmp_path, operation, page, wanted)
    (odd,) = [r for r in collection.resources if r.id == odd_id]
    collected = dict(odd.facts)
    assert not set(collected) & CORE_DERIVED  # the core derives them (evaluate, in place)
    findings = evaluate(Inventory([collection.run], collection.resources), checks)
    mine = {f.check_id: f.status for f in findings if f.resource_id == odd.id}
    assert {c: mine[c] for c in statuses} == statuses
    if kind != "storage.bucket":  # read from the item alone: nothing decided, nothing left out
        assert set(mine.values()) <= {UNVERIFIED, OPAQUE}, mine
        assert set(collected) == {p for p in PROFILE[kind] if p in wanted[kind]} - CORE_DERIVED
        assert {f.state for f in odd.facts.values()} == {FactState.ERROR}  # derived ones too
