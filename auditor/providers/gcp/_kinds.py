"""Collection of the storage kinds beyond buckets: persistent disks (storage.volume), disk
snapshots and custom images (storage.snapshot), Filestore instances (storage.filesystem) and
Cloud SQL instances (database.instance).

One listing per project and service carries every setting; the only per-resource call is a
snapshot's or image's IAM policy (where its sharing lives), made only when exposure facts are
wanted. A CMEK's custody and rotation come from the same key reads as buckets' (the caller
runs them: ``key_names`` says which keys are needed). A listing that fails is a coverage gap
of its kind; a service that cannot be called (no endpoint while others are overridden) is one
too, recorded, never an empty estate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auditor.errors import ServiceError
from auditor.model import Resource, ResourceKind
from auditor.providers._runtime import ApiLedger, Outcome, attempt, bounded_map
from auditor.providers.base import CollectRequest
from auditor.providers.gcp import _compute, _filestore, _sqladmin
from auditor.providers.gcp._answers import Listed
from auditor.providers.gcp._at_rest import zone_region
from auditor.providers.gcp._clients import KindClients
from auditor.providers.gcp._errors import Caller
from auditor.providers.gcp._kind_facts import (
    KeyOutcomes,
    database_facts,
    filesystem_facts,
    snapshot_facts,
    volume_facts,
)
from auditor.providers.gcp._name import PROVIDER
from auditor.providers.gcp._normalize import KEY_JOIN_PATHS
from auditor.regions import canonical

VOLUME, SNAPSHOT = ResourceKind.VOLUME, ResourceKind.SNAPSHOT
FILESYSTEM, DATABASE = ResourceKind.FILESYSTEM, ResourceKind.DATABASE
SHARING_PATHS = ("public_exposure.is_public", "sharing.accounts")

# kind -> (service, its listing operation, the listing function), in listing order
_LISTINGS: dict[str, tuple[tuple[str, str, Callable[..., Listed[Any]]], ...]] = {
    VOLUME: (("disks", _compute.OP_DISKS, _compute.list_disks),),
    SNAPSHOT: (("snapshots", _compute.OP_SNAPSHOTS, _compute.list_snapshots),
               ("images", _compute.OP_IMAGES, _compute.list_images)),
    FILESYSTEM: (("filestore", _filestore.OP_INSTANCES, _filestore.list_instances),),
    DATABASE: (("sql", _sqladmin.OP_INSTANCES, _sqladmin.list_instances),),
}
_UNREAD_SHARING = Outcome.not_read(_compute.OP_SNAPSHOT_IAM, "public exposure is not wanted")


def _kms_key(item: Any) -> str | None:
    key = getattr(item, "key", None)
    if isinstance(item, _compute.ComputeItem):
        return key.kms_key if key is not None else None
    return getattr(item, "kms_key", None)


class KindsCollector:
    def __init__(self, request: CollectRequest, projects: list[str], clients: KindClients,
                 call: Caller, ledger: ApiLedger, workers: int, timeout: float) -> None:
        self.request, self.projects, self.clients = request, projects, clients
        self.call, self.ledger, self.workers, self.timeout = call, ledger, workers, timeout
        facts = request.facts
        self.kinds = [k for k in _LISTINGS if facts is None or facts.get(k)]
        self.listed: dict[str, list[Any]] = {k: [] for k in self.kinds}

    # -- listing ---------------------------------------------------------------------

    def _list_one(self, job: tuple[str, str, str, Callable[..., Listed[Any]], str]) -> list[Any]:
        kind, service, operation, fn, project = job
        scope, client = f"projects/{project}", self.clients.get(service)
        if client is None:
            self.ledger.listing_failed(scope, ServiceError(operation, "NotCalled",
                                                           self.clients.missing(service)))
            return []
        found = attempt(self.ledger, scope, operation, lambda: fn(
            self.call, client, project, self.timeout), listing=True)
        if not found.ok:
            return []
        for error in found.value.unnamed:
            self.ledger.listing_failed(scope, error)
        if found.value.gap is not None:
            self.ledger.listing_failed(scope, found.value.gap)
        for item in found.value.items:
            if item.malformed is not None:
                self.ledger.failed(self._id(kind, item), item.malformed)
        return [(kind, item) for item in found.value.items]

    def list(self) -> None:
        """Every wanted kind's listings, every project at once."""
        self.clients.prepare({service for kind in self.kinds for service, _, _ in
                              _LISTINGS[kind]})
        jobs = [(kind, service, operation, fn, project) for kind in self.kinds
                for service, operation, fn in _LISTINGS[kind] for project in self.projects]
        for found in bounded_map(self._list_one, jobs, self.workers):
            for kind, item in found:
                self.listed[kind].append(item)

    # -- what the caller reads for us -----------------------------------------------

    def _joins(self, kind: str) -> bool:
        return self.request.wants(kind, *KEY_JOIN_PATHS)

    def key_names(self) -> set[str]:
        """The Cloud KMS keys whose custody and rotation wanted facts take."""
        return {key for kind in self.kinds if self._joins(kind)
                for item in self.listed[kind] if (key := _kms_key(item))}

    def tasks(self) -> list[Callable[[], tuple[str, Any]]]:
        """One IAM read per snapshot and image, when their exposure is wanted."""
        if SNAPSHOT not in self.kinds or not self.request.wants(SNAPSHOT, *SHARING_PATHS):
            return []

        def read(item: _compute.ComputeItem) -> tuple[str, Any]:
            service = "snapshots" if item.source == _compute.OP_SNAPSHOTS else "images"
            operation = (_compute.OP_SNAPSHOT_IAM if service == "snapshots"
                         else _compute.OP_IMAGE_IAM)
            return item.id, attempt(self.ledger, item.id, operation, lambda: _compute.sharing(
                self.call, self.clients.get(service), item, self.timeout))

        return [lambda i=i: read(i) for i in self.listed[SNAPSHOT] if i.malformed is None]

    # -- resources -------------------------------------------------------------------

    @staticmethod
    def _id(kind: str, item: Any) -> str:
        return item.id if kind != FILESYSTEM else item.name

    def resources(self, results: dict[str, Any],
                  key_of: Callable[[str | None], KeyOutcomes]) -> list[Resource]:
        out: list[Resource] = []
        for kind in self.kinds:
            wants = (lambda k: lambda p: self.request.wants(k, p))(kind)
            for item in self.listed[kind]:
                facts = _FACTS[kind](item, key_of(_kms_key(item)), results, wants)
                region = canonical(PROVIDER, zone_region(item.location)) or item.location
                out.append(Resource(kind, PROVIDER, item.project, region or "unknown",
                                    self._id(kind, item), _name(kind, item), facts))
        return out


def _name(kind: str, item: Any) -> str:
    return item.short_name if kind == FILESYSTEM else item.name


# kind -> its facts from (item, key outcomes, the per-resource results, wants)
_FACTS: dict[str, Callable[..., dict[str, Any]]] = {
    VOLUME: lambda item, key, _, wants: volume_facts(item, key, wants),
    SNAPSHOT: lambda item, key, results, wants: snapshot_facts(
        item, key, results.get(item.id, _UNREAD_SHARING), wants),
    FILESYSTEM: lambda item, key, _, wants: filesystem_facts(item, key, wants),
    DATABASE: lambda item, key, _, wants: database_facts(item, key, wants),
}
