"""EBS volumes and snapshots, RDS databases and snapshots, EFS file systems in one collection.

Only the kinds, and within a kind only the calls, that the selected checks read are made
(CollectRequest.wants): a scan of buckets alone sends no EC2, RDS or EFS call. Listings carry
most facts; the per-resource calls are the ones no listing answers (docs/requests.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.model import Resource, ResourceKind
from auditor.providers._runtime import Outcome, exposure_of, placeholder_facts
from auditor.providers.aws import _ebs, _efs, _rds, _rds_snapshots
from auditor.providers.aws._errors import Caller
from auditor.providers.aws._kms import KeyInfo
from auditor.providers.aws._name import PROVIDER
from auditor.providers.aws._session import AwsSession
from auditor.providers.aws._storage_facts import (
    COMMON_PATHS,
    KEY_PATHS,
    ROTATION_PATHS,
    SHARING_PATHS,
    Encryption,
    Facts,
    Raw,
    name_tag,
    tag_dict,
)
from auditor.providers.base import CollectRequest

VOLUME, SNAPSHOT, FILESYSTEM, DATABASE = (str(ResourceKind.VOLUME), str(ResourceKind.SNAPSHOT),
                                          str(ResourceKind.FILESYSTEM),
                                          str(ResourceKind.DATABASE))
# The fact paths of each kind (the inventory schema's catalog; kinds-contract)
PATHS: dict[str, tuple[str, ...]] = {
    VOLUME: (*COMMON_PATHS, "attachment.attached"),
    SNAPSHOT: (*COMMON_PATHS, *SHARING_PATHS),
    FILESYSTEM: (*COMMON_PATHS, "tls_enforced.required"),
    DATABASE: (*COMMON_PATHS, "public_exposure.is_public", "tls_enforced.required",
               "deletion_protection.enabled", "backup.enabled", "backup.retention_days",
               "backup.encrypted"),
}
_HERE = Path(__file__).resolve().parent  # exposure.yaml
Mapper = Callable[[Callable[[Any], Any], Iterable[Any]], list[Any]]


@dataclass(slots=True)
class Gathered:
    """What the listings and per-resource calls answered, before the key join."""

    request: CollectRequest
    raws: list[Raw] = field(default_factory=list)
    instances: dict[tuple[str, str], Raw] = field(default_factory=dict)  # (region, id)
    groups: dict[_rds.Group, Outcome] = field(default_factory=dict)

    def wanted(self, kind: str) -> frozenset[str] | None:
        return None if self.request.facts is None else self.request.facts.get(kind, frozenset())

    @property
    def key_refs(self) -> frozenset[tuple[str, str]]:
        """(region, key ARN) of every key a resource names, when its custody is wanted."""
        refs = set()
        for raw in self.raws:
            if not self.request.wants(raw.kind, *KEY_PATHS):
                continue
            item = raw.item
            enabled = item.get("Encrypted", item.get("StorageEncrypted"))
            ref = Encryption("", enabled, item.get("KmsKeyId")).key_ref(raw.region)
            if ref:
                refs.add(ref)
        return frozenset(refs)

    @property
    def rotation(self) -> bool:
        return any(self.request.wants(kind, *ROTATION_PATHS) for kind in PATHS)


def _listings(request: CollectRequest) -> list[Callable[[AwsSession, Caller, str], list[Raw]]]:
    wants = {kind: request.wants(kind, *paths) for kind, paths in PATHS.items()}
    out = []
    if wants[VOLUME]:
        out.append(_ebs.volumes)
    if wants[SNAPSHOT]:
        out += [_ebs.snapshots, _rds_snapshots.snapshots]
    if wants[FILESYSTEM]:
        out.append(_efs.file_systems)
    if wants[DATABASE]:
        out += [_rds.instances, _rds.clusters]
    return out


def gather(session: AwsSession, caller: Caller, request: CollectRequest, regions: list[str],
           pool: Mapper) -> Gathered:
    """Every listing of every region, then the per-resource calls the wanted facts need."""
    out = Gathered(request)
    jobs = [(listing, region) for region in regions for listing in _listings(request)]
    for raws in pool(lambda job: job[0](session, caller, job[1]), jobs):
        out.raws += raws
    for raw in out.raws:
        if raw.kind == DATABASE and not _rds.is_cluster(raw):
            out.instances[(raw.region, str(raw.item.get("DBInstanceIdentifier")))] = raw
    # Instances of a cluster (Aurora, Multi-AZ DB cluster) are audited as their cluster.
    out.raws = [raw for raw in out.raws if raw.kind != DATABASE or _rds.is_cluster(raw)
                or not raw.item.get("DBClusterIdentifier")]
    calls: list[Callable[[], Any]] = []
    for raw in out.raws:
        read = _CALLS.get((raw.kind, raw.variant))
        if read and raw.malformed is None and request.wants(raw.kind, *read[0]) and read[1](raw):
            calls.append(lambda raw=raw, fn=read[2]: fn(session, caller, raw))
    blocks: dict[str, Outcome] = {}
    if request.wants(SNAPSHOT, "public_exposure.is_public"):
        # One block public access state per region holding EBS snapshots, not per snapshot.
        for region in dict.fromkeys(raw.region for raw in out.raws
                                    if (raw.kind, raw.variant) == (SNAPSHOT, "ebs")):
            calls.append(lambda region=region: blocks.__setitem__(
                region, _ebs.read_block_state(session, caller, region)))
    groups: set[_rds.Group] = set()
    if request.wants(DATABASE, "tls_enforced.required"):
        groups = {group for raw in out.raws if raw.kind == DATABASE
                  and _rds.tls_parameter(str(raw.item.get("Engine") or ""))
                  and (group := _rds.group_of(raw)) is not None}
    pool(lambda call: call(), calls)
    for raw in out.raws:
        if raw.region in blocks and (raw.kind, raw.variant) == (SNAPSHOT, "ebs"):
            raw.calls["block"] = blocks[raw.region]
    out.groups = dict(pool(lambda group: _rds.read_group(session, caller, group),
                           sorted(groups, key=lambda g: (g.region, g.name, g.cluster))))
    return out


def _always(_: Raw) -> bool:
    return True


# (kind, variant) -> (the facts that need the call, whether this resource does, the call)
_CALLS: dict[tuple[str, str], tuple[tuple[str, ...], Callable[[Raw], bool], Any]] = {
    (SNAPSHOT, "ebs"): (SHARING_PATHS, _always, _ebs.read_permissions),
    (SNAPSHOT, "db"): (SHARING_PATHS, _rds_snapshots.shareable, _rds_snapshots.read_restore),
    (SNAPSHOT, "cluster"): (SHARING_PATHS, _rds_snapshots.shareable,
                            _rds_snapshots.read_restore),
    (FILESYSTEM, ""): (("tls_enforced.required",), _always, _efs.read_policy),
}


def _ebs_identity(id_member: str, arn: Callable[[Raw], str]) -> Callable[[Raw], tuple[str, str]]:
    return lambda raw: (arn(raw), name_tag(raw.item.get("Tags"), str(raw.item.get(id_member))))


def _rds_database(raw: Raw, keys: dict[tuple[str, str], KeyInfo], gathered: Gathered,
                  facts: Facts) -> None:
    _rds.database_facts(raw, keys, gathered.groups, gathered.instances, facts)


def _plain(normalize: Callable[[Raw, dict[tuple[str, str], KeyInfo], Facts], None]) -> Any:
    return lambda raw, keys, _, facts: normalize(raw, keys, facts)


@dataclass(frozen=True, slots=True)
class _Shape:
    """How one (kind, variant) becomes a resource."""

    facts: Callable[[Raw, dict[tuple[str, str], KeyInfo], Gathered, Facts], None]
    identity: Callable[[Raw], tuple[str, str]]  # (id, name), given partition and account
    tags: str  # the listing's tag member


def _shapes(partition: str, account: str) -> dict[tuple[str, str], _Shape]:
    return {
        (VOLUME, ""): _Shape(_plain(_ebs.volume_facts), _ebs_identity(
            "VolumeId", lambda raw: _ebs.volume_arn(partition, account, raw)), "Tags"),
        (SNAPSHOT, "ebs"): _Shape(_plain(_ebs.snapshot_facts), _ebs_identity(
            "SnapshotId", lambda raw: _ebs.snapshot_arn(partition, raw)), "Tags"),
        (SNAPSHOT, "db"): _Shape(_plain(_rds_snapshots.snapshot_facts), lambda raw: (
            _rds_snapshots.arn(raw), _rds_snapshots.name(raw)), "TagList"),
        (SNAPSHOT, "cluster"): _Shape(_plain(_rds_snapshots.snapshot_facts), lambda raw: (
            _rds_snapshots.arn(raw), _rds_snapshots.name(raw)), "TagList"),
        (FILESYSTEM, ""): _Shape(_plain(_efs.file_system_facts), lambda raw: (
            str(raw.item.get("FileSystemArn")),
            str(raw.item.get("Name") or raw.item.get("FileSystemId"))), "Tags"),
        (DATABASE, ""): _Shape(_rds_database, lambda raw: (_rds.arn(raw), _rds.name(raw)),
                               "TagList"),
        (DATABASE, "cluster"): _Shape(_rds_database, lambda raw: (_rds.arn(raw),
                                                                  _rds.name(raw)), "TagList"),
    }


def resources(gathered: Gathered, keys: dict[tuple[str, str], KeyInfo], partition: str,
              account: str) -> list[Resource]:
    shapes = _shapes(partition, account)
    out = []
    for raw in gathered.raws:
        shape = shapes[(raw.kind, raw.variant)]
        facts = Facts(gathered.wanted(raw.kind))
        if raw.malformed is None:
            shape.facts(raw, keys, gathered, facts)
        else:  # its listing item is not the documented one: nothing of it is a value
            facts.out.update(placeholder_facts(raw.kind, raw.malformed, exposure_of(_HERE),
                                               facts.wants))
        resource_id, name = shape.identity(raw)
        resource = Resource(raw.kind, PROVIDER, account, raw.region, resource_id, name,
                            facts.out)
        if gathered.request.tags:
            resource.tags = tag_dict(raw.item.get(shape.tags))
        out.append(resource)
    return out
