"""Where moto deviates from AWS for the EC2 and EFS reads of volumes, snapshots and file
systems, the stand-in is made to answer as AWS does (as _documented.py does for S3).

- DescribeSnapshots ignores OwnerIds: moto answers every snapshot of the region, the
  snapshots behind its ~1,300 default AMIs included. The Amazon EC2 API Reference
  (DescribeSnapshots, OwnerIds: "self" and account ids) scopes the answer to those owners.
- CreateSnapshot of an encrypted volume: moto's snapshot is encrypted but names no key. The
  EC2 User Guide ("Amazon EBS encryption": snapshots of an encrypted volume are encrypted
  with its key) and DescribeSnapshots (KmsKeyId) name the volume's key.
- An Aurora cluster's member instance gets an automated DB snapshot of its own in moto; Aurora
  backs up the cluster (DB cluster snapshots), never its instances (Amazon Aurora User Guide,
  "Backing up and restoring an Aurora DB cluster"), so no such DB snapshot is made.
- With IAM enforcement on, moto checks a request's signature over its parsed parameters
  (for a GET without a body: its query or even its headers) instead of the payload as sent,
  so every signed EFS GET fails with SignatureDoesNotMatch. SigV4 signs the payload sent (an
  empty body's hash for a GET); the check is made over that body.
- GetSnapshotBlockPublicAccessState (and EnableSnapshotBlockPublicAccess, the seeder's
  write): moto has neither. The stand-in answers the Amazon EC2 API Reference's shape: the
  region's State (unblocked until enabled, as in a new account) and ManagedBy account.
Applied once per process (moto in-process and moto's server share moto's code).
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_applied = False


def _owned_snapshots() -> None:
    from moto.ec2.responses.elastic_block_store import ElasticBlockStore

    original = ElasticBlockStore.describe_snapshots

    def describe_snapshots(self: Any) -> Any:
        result = original(self)
        owners = self._get_param("OwnerIds", []) or []
        if not owners:
            return result
        wanted = {self.current_account if owner == "self" else owner for owner in owners}
        snapshots = [s for s in result.result["Snapshots"] if s.owner_id in wanted]
        return type(result)({"Snapshots": snapshots})

    ElasticBlockStore.describe_snapshots = describe_snapshots  # type: ignore[method-assign]


def _snapshot_key() -> None:
    from moto.ec2.models.elastic_block_store import EBSBackend

    original = EBSBackend.create_snapshot

    def create_snapshot(self: Any, volume_id: str, *args: Any, **kwargs: Any) -> Any:
        snapshot = original(self, volume_id, *args, **kwargs)
        if snapshot.encrypted and not snapshot.kms_key_id:
            snapshot.kms_key_id = self.get_volume(volume_id).kms_key_id
        return snapshot

    EBSBackend.create_snapshot = create_snapshot  # type: ignore[method-assign]


def _snapshot_block_public_access() -> None:
    from moto.core.responses import ActionResult
    from moto.ec2.responses.elastic_block_store import ElasticBlockStore

    def get_snapshot_block_public_access_state(self: Any) -> Any:
        self.error_on_dryrun()
        state = getattr(self.ec2_backend, "snapshot_block_public_access", "unblocked")
        return ActionResult({"State": state, "ManagedBy": "account"})

    def enable_snapshot_block_public_access(self: Any) -> Any:
        self.error_on_dryrun()
        self.ec2_backend.snapshot_block_public_access = self._get_param("State")
        return ActionResult({"State": self.ec2_backend.snapshot_block_public_access})

    ElasticBlockStore.get_snapshot_block_public_access_state = (  # type: ignore[attr-defined]
        get_snapshot_block_public_access_state)
    ElasticBlockStore.enable_snapshot_block_public_access = (  # type: ignore[attr-defined]
        enable_snapshot_block_public_access)


def _cluster_members_unsnapshotted() -> None:
    from moto.rds.models import DBInstanceClustered

    def save_automated_backup(self: Any) -> None:
        """Aurora backs up the cluster, not its instances."""

    DBInstanceClustered.save_automated_backup = save_automated_backup  # type: ignore[method-assign]


def _signed_payload() -> None:
    from moto.iam.access_control import IAMRequest

    original = IAMRequest.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        # EFS only: the other services this stand-in serves sign a body moto checks right.
        if self._service == "elasticfilesystem" and not self._body:
            self._data = b""  # the payload as sent: empty

    IAMRequest.__init__ = __init__  # type: ignore[method-assign]


def documented_kinds() -> None:
    """Make moto's EC2 snapshot reads and EFS request checks behave as AWS documents."""
    global _applied
    with _lock:
        if _applied:
            return
        _owned_snapshots()
        _snapshot_key()
        _cluster_members_unsnapshotted()
        _snapshot_block_public_access()
        _signed_payload()
        _applied = True
