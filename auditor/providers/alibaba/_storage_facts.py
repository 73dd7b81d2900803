"""Normalized facts of the storage kinds beyond buckets: ECS disks (storage.volume), ECS
snapshots and custom images (storage.snapshot), NAS file systems (storage.filesystem). No
SDK imports; the key join (DescribeKey of the key a listing names) is resolved by the
caller and handed in as an Outcome, so custody and rotation are the key's, as for buckets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from auditor.model import Fact, Resource, ResourceKind
from auditor.providers.alibaba._name import PROVIDER
from auditor.providers.alibaba._normalize import Locate, Outcome, Wanted, _key_facts_from, observed
from auditor.regions import places

VOLUME, SNAPSHOT = ResourceKind.VOLUME, ResourceKind.SNAPSHOT
FILESYSTEM = ResourceKind.FILESYSTEM
AT_REST = ("encryption.enabled", "encryption.key_id", "key_custody.level", "key_custody.hsm",
           "key_rotation.enabled", "key_rotation.period_days", "key_rotation.supported")
RESIDENCY = ("data_residency.region", "data_residency.country", "data_residency.jurisdiction",
             "data_residency.jurisdictions")
SHARING = ("public_exposure.is_public", "sharing.accounts")
# Status of a disk that is (or is not) attached to an instance; any other status (Attaching,
# Creating, ReIniting...) is a transition this adapter does not guess through.
DISK_ATTACHED = {"In_use": True, "Detaching": True, "Available": False}
KeyOf = Callable[[str], Outcome]  # key id -> its DescribeKey outcome


def residency_facts(region: str, source: str, locate: Locate) -> dict[str, Fact]:
    """The region's places from the region table (auditor/regions.py), as for buckets."""
    country, jurisdiction, _ = locate(PROVIDER, region)
    spread = places(PROVIDER, region)
    facts = {"data_residency.region": observed(region, source)}
    if spread.unknown:
        unknown = Fact.error(f"region {region!r} is not in the region table", source)
        return facts | dict.fromkeys(RESIDENCY[1:], unknown)
    return facts | {"data_residency.country": observed(country, source),
                    "data_residency.jurisdiction": observed(jurisdiction, source),
                    "data_residency.jurisdictions": observed(spread.jurisdictions, source)}


def at_rest_facts(listed: Outcome, enabled: bool, key_ref: str | None, key_of: KeyOf,
                  service_key: str) -> dict[str, Fact]:
    """Encryption, the key, its custody and rotation. ``service_key`` says which service key
    an encrypted resource that names no key uses (its custody is provider_kms; its HSM use
    and rotation no answer states)."""
    src = listed.source
    if not enabled:
        return {"encryption.enabled": observed(False, src),
                "encryption.key_id": observed(None, src),
                "key_custody.level": observed("none", src),
                "key_custody.hsm": observed(False, src)}
    facts = {"encryption.enabled": observed(True, src),
             "encryption.key_id": observed(key_ref, src)}
    if key_ref is None:
        why = f"encrypted with {service_key}; the answer names no key to describe"
        facts["key_custody.level"] = observed("provider_kms", src, detail=why)
        for name in AT_REST[3:]:
            facts[name] = Fact.opaque(why, src)
        return facts
    return facts | _key_facts_from(key_of(key_ref), listed)


def _entry_error(listed: Outcome, why: str, names: tuple[str, ...]) -> dict[str, Fact]:
    return dict.fromkeys(names, Fact.error(why, listed.source))


def _encryption(listed: Outcome, key_of: KeyOf, service_key: str) -> dict[str, Fact]:
    """From an entry's Encrypted (a boolean: answers.yaml) and KMSKeyId."""
    entry = listed.value
    return at_rest_facts(listed, bool(entry["Encrypted"]), entry.get("KMSKeyId") or None,
                         key_of, service_key)


def _resource(kind: str, account: str, region: str, rid: str, name: str,
              facts: dict[str, Fact], wanted: Wanted) -> Resource:
    return Resource(kind, PROVIDER, account, region, rid, name,
                    {k: v for k, v in facts.items() if wanted(k)})


def volume_resource(listed: Outcome, region: str, account: str, key_of: KeyOf,
                    locate: Locate, wanted: Wanted) -> Resource:
    """One DescribeDisks entry."""
    disk = listed.value
    facts = _encryption(listed, key_of, "the ECS service key (alias/acs/ecs)")
    status = disk.get("Status")
    if status in DISK_ATTACHED:
        facts["attachment.attached"] = observed(DISK_ATTACHED[status], listed.source,
                                                detail=f"Status {status}")
    else:
        facts["attachment.attached"] = Fact.error(
            f"disk Status {status!r} is not one that says attached or not", listed.source)
    facts |= residency_facts(region, listed.source, locate)
    rid = f"acs:ecs:{region}:{account}:disk/{disk['DiskId']}"
    return _resource(VOLUME, account, region, rid, disk.get("DiskName") or disk["DiskId"],
                     facts, wanted)


def sharing_facts(shared: Outcome, source_image: str | None = None) -> dict[str, Fact]:
    """``shared``: (accounts, public) as read for an image (IsPublic, IsSelfShared and the
    share permissions together), or derived for a snapshot from the images made from it."""
    if not shared.ok:
        return dict.fromkeys(SHARING, shared.failure())
    accounts, public = shared.value
    return {"public_exposure.is_public": observed(public, shared.source, detail=source_image,
                                                  derived=True),
            "sharing.accounts": observed(accounts, shared.source, detail=source_image,
                                         derived=True)}


def snapshot_resource(listed: Outcome, region: str, account: str, key_of: KeyOf,
                      shared: Outcome, locate: Locate, wanted: Wanted) -> Resource:
    """One DescribeSnapshots entry; ``shared`` is what the custom images made from it
    expose (ECS cannot share a snapshot itself)."""
    snap = listed.value
    facts = _encryption(listed, key_of, "the ECS service key (alias/acs/ecs)")
    facts |= sharing_facts(shared, "ECS cannot share a snapshot itself; this is the sharing "
                                   "of the custom images made from it (none: private)")
    facts |= residency_facts(region, listed.source, locate)
    rid = f"acs:ecs:{region}:{account}:snapshot/{snap['SnapshotId']}"
    return _resource(SNAPSHOT, account, region, rid,
                     snap.get("SnapshotName") or snap["SnapshotId"], facts, wanted)


def image_encryption(listed: Outcome, snapshots: Mapping[str, dict[str, Any]],
                     snapshots_listed: Outcome, key_of: KeyOf) -> dict[str, Fact]:
    """A custom image is encrypted when every disk mapping is; its key is the one the
    mapped snapshots name (from the same region's DescribeSnapshots, which the key facts
    then name as a source too)."""
    mappings = listed.value.get("DiskDeviceMappings", {}).get("DiskDeviceMapping", [])
    if not mappings:
        return _entry_error(listed, "the image lists no DiskDeviceMapping", AT_REST)
    if not all(isinstance(m.get("Encrypted"), bool) for m in mappings):
        return _entry_error(listed, "a DiskDeviceMapping has no boolean Encrypted", AT_REST)
    if not all(m.get("Encrypted") is True for m in mappings):
        return at_rest_facts(listed, False, None, key_of, "")
    enabled = {"encryption.enabled": observed(True, listed.source)}
    if not snapshots_listed.ok:
        return enabled | dict.fromkeys(AT_REST[1:], snapshots_listed.failure(listed.source))
    keys = set()
    for mapping in mappings:
        snap = snapshots.get(str(mapping.get("SnapshotId")))
        if snap is None:
            return enabled | dict.fromkeys(AT_REST[1:], Fact.error(
                f"snapshot {mapping.get('SnapshotId')!r} of the image was not listed: its key "
                "is unknown", listed.source, snapshots_listed.source))
        keys.add(snap.get("KMSKeyId") or None)
    if len(keys) > 1:
        return enabled | dict.fromkeys(AT_REST[1:], Fact.error(
            "the image's disks use different keys", listed.source, snapshots_listed.source))
    facts = at_rest_facts(listed, True, keys.pop(), key_of, "the ECS service key (alias/acs/ecs)")
    return {path: fact if path == "encryption.enabled" or snapshots_listed.source in fact.source
            else replace(fact, source=(*fact.source, snapshots_listed.source))
            for path, fact in facts.items()}


def image_resource(listed: Outcome, region: str, account: str, encryption: dict[str, Fact],
                   shared: Outcome, locate: Locate, wanted: Wanted) -> Resource:
    image = listed.value
    facts = encryption | sharing_facts(shared) | residency_facts(region, listed.source, locate)
    rid = f"acs:ecs:{region}:{account}:image/{image['ImageId']}"
    return _resource(SNAPSHOT, account, region, rid, image.get("ImageName") or image["ImageId"],
                     facts, wanted)


# NAS EncryptType: 0 none, 1 NAS-managed key (a KMS service key), 2 a customer's KMS key.
NAS_ENCRYPT = {0: False, 1: True, 2: True}
NFS_TLS = ("NFS file systems take TLS only as a client mount option: no setting makes NAS "
           "refuse plain NFS")


def filesystem_resource(listed: Outcome, region: str, account: str, key_of: KeyOf,
                        smb: Outcome | None, locate: Locate, wanted: Wanted) -> Resource:
    """One DescribeFileSystems entry; ``smb`` is DescribeSmbAcl's Acl for an SMB one."""
    fs = listed.value
    kind = fs.get("EncryptType")
    if kind == 2 and not fs.get("KMSKeyId"):  # a customer's key, but the answer names none
        facts = {"encryption.enabled": observed(True, listed.source),
                 **_entry_error(listed, "EncryptType 2 (a customer's KMS key) but the entry "
                                "names no KMSKeyId", AT_REST[1:])}
    elif kind in NAS_ENCRYPT:
        facts = at_rest_facts(listed, NAS_ENCRYPT[kind], fs.get("KMSKeyId") or None, key_of,
                              "the NAS service key (NAS-managed key)")
    else:
        facts = _entry_error(listed, f"unrecognised EncryptType {kind!r}", AT_REST)
    if smb is None:
        facts["tls_enforced.required"] = Fact.opaque(NFS_TLS, listed.source)
    elif not smb.ok:
        facts["tls_enforced.required"] = smb.failure(listed.source)
    else:
        facts["tls_enforced.required"] = observed(
            smb.value.get("RejectUnencryptedAccess") is True, listed.source, smb.source,
            detail=f"RejectUnencryptedAccess {smb.value.get('RejectUnencryptedAccess')}")
    facts |= residency_facts(region, listed.source, locate)
    rid = f"acs:nas:{region}:{account}:filesystem/{fs['FileSystemId']}"
    return _resource(FILESYSTEM, account, region, rid,
                     fs.get("Description") or fs["FileSystemId"], facts, wanted)
