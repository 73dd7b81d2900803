"""Collect the storage kinds beyond buckets, region by region: ECS disks, snapshots and
custom images, NAS file systems and ApsaraDB RDS instances.

Only the kinds a request wants are listed, and per-resource reads are made only for the
facts wanted (a bucket-only scan sends none of these calls). A listing that fails is a
coverage gap of its region (its resources are missing, never reported clean); one cut short
keeps the entries of the pages that answered. Keys are described once per run through the
collector's key join (``Collector.describe``), as for buckets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from auditor.errors import CallError
from auditor.model import Resource
from auditor.providers._runtime import ApiLedger, bounded_map
from auditor.providers.alibaba import _ecs_storage as ecs
from auditor.providers.alibaba import _nas as nas
from auditor.providers.alibaba import _rds as rds
from auditor.providers.alibaba._database_facts import (
    DATABASE,
    SSL_ON,
    DatabaseRaw,
    database_resource,
    disk_encrypted,
    is_replica,
    public_endpoints,
)
from auditor.providers.alibaba._errors import Caller
from auditor.providers.alibaba._normalize import Locate, Outcome
from auditor.providers.alibaba._odd_entries import (
    KEEP_AS_UNVERIFIED,
    OddEntry,
    odd_resource,
    split,
)
from auditor.providers.alibaba._session import Session
from auditor.providers.alibaba._storage_facts import (
    AT_REST,
    FILESYSTEM,
    SHARING,
    SNAPSHOT,
    VOLUME,
    filesystem_resource,
    image_encryption,
    image_resource,
    snapshot_resource,
    volume_resource,
)
from auditor.providers.base import CollectRequest


class Owner(Protocol):
    """What this module uses of the run's Collector (_collect.py)."""

    request: CollectRequest
    session: Session
    call: Caller
    ledger: ApiLedger
    locate: Locate

    def wants(self, kind: str, *paths: str) -> bool: ...
    def attempt(self, scope: str, source: str, fn: Callable[[], Any]) -> Outcome: ...
    def listing(self, scope: str, source: str, fn: Callable[[], Any]) -> Outcome: ...
    def describe(self, region: str, key_ref: str) -> Outcome: ...

KEY_PATHS = AT_REST[2:]
BACKUP = ("backup.enabled", "backup.retention_days")


def _shared_flag(value: Any) -> bool | None:
    """IsSelfShared is documented as a string ("True"/"False"); a boolean is taken too.
    None: any other value, which says neither."""
    if isinstance(value, bool):
        return value
    return {"true": True, "false": False}.get(str(value).lower())


class StorageCollector:
    def __init__(self, owner: Owner, account: str) -> None:
        self.owner, self.account = owner, account
        self.call, self.session = owner.call, owner.session

    def kinds_wanted(self) -> bool:
        return any(self._wants_kind(k) for k in (VOLUME, SNAPSHOT, FILESYSTEM, DATABASE))

    def _wants_kind(self, kind: str) -> bool:
        facts = self.owner.request.facts
        return facts is None or bool(facts.get(kind))

    def regions(self, scanned: list[str], home: str) -> list[str]:
        """The regions to list: ``scanned`` and every region ECS DescribeRegions names (the
        kinds beyond buckets live in regions without buckets too). A failed DescribeRegions
        is a coverage gap; the scanned regions are still listed."""
        found = self.owner.listing(self.account, ecs.REGIONS, lambda: ecs.list_regions(
            self.session.ecs(home), self.call))
        return sorted(set(scanned) | set(found.value)) if found.ok else scanned

    def collect(self, regions: list[str]) -> list[Resource]:
        out: list[Resource] = []
        for kind, read in ((VOLUME, self._volumes), (SNAPSHOT, self._snapshots),
                           (FILESYSTEM, self._file_systems), (DATABASE, self._databases)):
            if self._wants_kind(kind):
                for region in regions:
                    out.extend(read(region))
        return out

    # --- plumbing ----------------------------------------------------------------------

    def _wanted(self, kind: str) -> Callable[[str], bool]:
        return lambda path: self.owner.wants(kind, path)

    def _key_of(self, kind: str, region: str) -> Callable[[str], Outcome]:
        if not self.owner.wants(kind, *KEY_PATHS):
            return lambda ref: Outcome.not_read("kms:DescribeKey", "no key fact is wanted")
        return lambda ref: self.owner.describe(region, ref)

    def _list(self, region: str, operation: str,
              fn: Callable[[], tuple[list[dict[str, Any]], CallError | None]]
              ) -> tuple[list[dict[str, Any]], Outcome]:
        """The entries (none when the first page failed: a gap) and the listing's outcome."""
        scope = f"{self.account}/{region}"
        listed = self.owner.listing(scope, operation, fn)
        if not listed.ok:
            return [], listed
        entries, cut_short = listed.value
        if cut_short is not None:
            self.owner.ledger.listing_failed(scope, cut_short)
            return entries, Outcome.failed(cut_short, operation)
        return entries, listed

    def _map(self, fn: Callable[[dict[str, Any]], Resource],
             entries: list[dict[str, Any]]) -> list[Resource]:
        return bounded_map(fn, entries, self.owner.request.max_workers)

    # --- ECS -----------------------------------------------------------------------------

    def _volumes(self, region: str) -> list[Resource]:
        client = self.session.ecs(region)
        listed, _ = self._list(region, ecs.DISKS, lambda: ecs.list_disks(client, self.call, region))
        (disks, odd), wanted = split(listed), self._wanted(VOLUME)
        key_of = self._key_of(VOLUME, region)
        return [volume_resource(Outcome(ecs.DISKS, d), region, self.account, key_of,
                                self.owner.locate, wanted) for d in disks] + self._odd(odd, region)

    def _snapshots(self, region: str) -> list[Resource]:
        client = self.session.ecs(region)
        snaps, snaps_listed = self._list(region, ecs.SNAPSHOTS,
                                         lambda: ecs.list_snapshots(client, self.call, region))
        images, images_listed = self._list(region, ecs.IMAGES,
                                           lambda: ecs.list_images(client, self.call, region))
        (snaps, odd_snaps), (images, odd_images) = split(snaps), split(images)
        wants_sharing = self.owner.wants(SNAPSHOT, *SHARING)
        shares = self._map(lambda image: self._image_sharing(client, region, image, wants_sharing),
                           images)
        key_of, wanted = self._key_of(SNAPSHOT, region), self._wanted(SNAPSHOT)
        by_id = {str(s.get("SnapshotId")): s for s in snaps}
        out = [snapshot_resource(Outcome(ecs.SNAPSHOTS, s), region, self.account, key_of,
                                 self._through_images(s, images, shares, images_listed),
                                 self.owner.locate, wanted) for s in snaps]
        for image, shared in zip(images, shares, strict=True):
            listed = Outcome(ecs.IMAGES, image)
            encryption = image_encryption(listed, by_id, snaps_listed, key_of)
            out.append(image_resource(listed, region, self.account, encryption, shared,
                                      self.owner.locate, wanted))
        return out + self._odd(odd_snaps + odd_images, region)

    def _odd(self, entries: list[OddEntry], region: str) -> list[Resource]:
        """Entries that do not fit their shape but name themselves: UNVERIFIED resources."""
        return [odd_resource(e, region, self.account, self._wanted(
            KEEP_AS_UNVERIFIED[e.operation][0])) for e in entries]

    def _image_sharing(self, client: Any, region: str, image: dict[str, Any],
                       wanted: bool) -> Outcome:
        """(accounts, public) of one custom image: from the listing when it says the image
        is neither shared nor public, else DescribeImageSharePermission."""
        public = image.get("IsPublic") is True
        # Private from the listing only when both flags say so; else the permissions decide.
        if _shared_flag(image.get("IsSelfShared")) is False and image.get("IsPublic") is False:
            return Outcome(ecs.IMAGES, ([], False))
        if not wanted:
            return Outcome.not_read(ecs.IMAGE_SHARES, "no sharing fact is wanted")
        image_id = str(image["ImageId"])
        read = self.owner.attempt(image_id, ecs.IMAGE_SHARES, lambda: ecs.image_shares(
            client, self.call, region, image_id))
        if not read.ok:
            return read
        accounts, everyone = read.value
        return Outcome(ecs.IMAGE_SHARES, (accounts, public or everyone))

    @staticmethod
    def _through_images(snap: dict[str, Any], images: list[dict[str, Any]],
                        shares: list[Outcome], images_listed: Outcome) -> Outcome:
        """A snapshot's reach: the union of the sharing of the custom images made from it."""
        if not images_listed.ok:
            return images_listed
        accounts: set[str] = set()
        public = False
        for image, shared in zip(images, shares, strict=True):
            mapped = image.get("DiskDeviceMappings", {}).get("DiskDeviceMapping", [])
            if not any(m.get("SnapshotId") == snap.get("SnapshotId") for m in mapped):
                continue
            if not shared.ok:
                return shared
            accounts.update(shared.value[0])
            public = public or shared.value[1]
        return Outcome(ecs.IMAGES, (sorted(accounts), public))

    # --- NAS -----------------------------------------------------------------------------

    def _file_systems(self, region: str) -> list[Resource]:
        client = self.session.service("nas", region)
        listed, _ = self._list(region, nas.FILE_SYSTEMS,
                               lambda: nas.list_file_systems(client, self.call, region))
        found, odd = split(listed)
        key_of, wanted = self._key_of(FILESYSTEM, region), self._wanted(FILESYSTEM)
        wants_tls = self.owner.wants(FILESYSTEM, "tls_enforced.required")

        def one(fs: dict[str, Any]) -> Resource:
            protocol, smb = fs.get("ProtocolType"), None
            fs_id = str(fs["FileSystemId"])
            if wants_tls and protocol == "SMB":
                smb = self.owner.attempt(fs_id, nas.SMB_ACL, lambda: nas.smb_acl(
                    client, self.call, region, fs_id))
            elif wants_tls and protocol != "NFS":
                smb = Outcome.not_read(nas.FILE_SYSTEMS, f"unrecognised ProtocolType {protocol!r}")
            return filesystem_resource(Outcome(nas.FILE_SYSTEMS, fs), region, self.account,
                                       key_of, smb, self.owner.locate, wanted)

        return self._map(one, found) + self._odd(odd, region)

    # --- RDS -----------------------------------------------------------------------------

    def _databases(self, region: str) -> list[Resource]:
        client = self.session.service("rds", region)
        listed, _ = self._list(region, rds.INSTANCES,
                               lambda: rds.list_instances(client, self.call, region))
        (found, odd), wanted = split(listed), self._wanted(DATABASE)
        key_of = self._key_of(DATABASE, region)
        return self._map(lambda entry: database_resource(
            self._database(client, region, entry), self.account, key_of, self.owner.locate,
            wanted), found) + self._odd(odd, region)

    def _database(self, client: Any, region: str, entry: dict[str, Any]) -> DatabaseRaw:
        raw = DatabaseRaw(Outcome(rds.INSTANCES, entry), region)
        db_id = str(entry["DBInstanceId"])

        def read(operation: str, fn: Callable[[], Any]) -> Outcome:
            return self.owner.attempt(db_id, operation, fn)

        def plain(operation: str) -> Outcome:
            return read(operation, lambda: rds.read(client, self.call, operation, db_id))

        wants = self.owner.wants
        if wants(DATABASE, "public_exposure.is_public"):
            raw.net = read(rds.NET_INFO, lambda: rds.net_info(client, self.call, db_id))
            if raw.net.ok and public_endpoints(raw.net):
                raw.ips = read(rds.IP_ARRAYS, lambda: rds.ip_arrays(client, self.call, db_id))
        if wants(DATABASE, "tls_enforced.required"):
            raw.ssl = plain(rds.SSL)
            ssl_on = raw.ssl.ok and str(raw.ssl.value.get("SSLEnabled", "")).lower() in SSL_ON
            if ssl_on and entry.get("Engine") == "MySQL":
                raw.secure_transport = read(rds.PARAMETERS, lambda: rds.running_parameter(
                    client, self.call, db_id, "require_secure_transport"))
            elif ssl_on and entry.get("Engine") == "PostgreSQL":
                raw.hba = read(rds.PG_HBA, lambda: rds.hba_entries(client, self.call, db_id))
        if wants(DATABASE, *AT_REST, "backup.encrypted"):
            raw.disk_key = plain(rds.DISK_KEY)
            if not disk_encrypted(raw.disk_key):  # else encrypted whatever TDE says
                raw.tde = plain(rds.TDE)
        if wants(DATABASE, *BACKUP) and not is_replica(entry):  # no policy of its own
            raw.backup = plain(rds.BACKUP)
        return raw
