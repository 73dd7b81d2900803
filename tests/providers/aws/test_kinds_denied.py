"""Refused reads of the EC2, RDS and EFS kinds: denied facts and coverage gaps, never values.

Its own module: moto's IAM enforcement is process-wide, so this estate is not seeded while
another module's estate is live.
"""

from __future__ import annotations

from pathlib import Path

from aws_support import by_name, collect, mocked_estate

from auditor.model import FactState

SNAPSHOT, FILESYSTEM = "storage.snapshot", "storage.filesystem"


def test_denied_reads_are_denied_facts_and_gaps(tmp_path: Path) -> None:
    section = {
        "regions": ["us-east-1"],
        "keys": [{"alias": "k", "region": "us-east-1", "rotation": True}],
        "volumes": [{"name": "v", "region": "us-east-1", "key": "k"}],
        "snapshots": [{"name": "s", "volume": "v", "shared_with": ["210987654321"]}],
        "file_systems": [{"name": "f", "region": "us-east-1", "tls": True}],
        "scanner": {"user": "scanner", "deny": [
            {"action": "ec2:DescribeSnapshotAttribute"}, {"action": "rds:DescribeDBInstances"},
            {"action": "elasticfilesystem:DescribeFileSystemPolicy"}]},
    }
    with mocked_estate(section, tmp_path):
        collection = collect({"region": ["us-east-1"]})
    snapshot = by_name(collection, SNAPSHOT)["s"]
    for path in ("public_exposure.is_public", "sharing.accounts"):
        assert snapshot.facts[path].state is FactState.DENIED, path
    assert snapshot.facts["encryption.enabled"].state is FactState.OBSERVED
    fs = by_name(collection, FILESYSTEM)["f"]
    assert fs.facts["tls_enforced.required"].state is FactState.DENIED
    gaps = {(e.operation, e.kind) for e in collection.run.errors}
    assert ("rds:DescribeDBInstances", "listing") in gaps
    assert collection.run.status == "partial"
