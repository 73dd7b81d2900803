"""EBS volumes and snapshots: DescribeVolumes, DescribeSnapshots (the account's own) and, per
snapshot, DescribeSnapshotAttribute createVolumePermission, the only answer that says who may
create a volume from it (Amazon EC2 API Reference); once per region, the account's block
public access for snapshots (GetSnapshotBlockPublicAccessState), which decides whether a
permission of group all makes the snapshot public (Amazon EBS User Guide, "Block public
access for snapshots")."""

from __future__ import annotations

from typing import Any

from auditor.model import Fact
from auditor.providers._runtime import Outcome
from auditor.providers.aws._errors import Caller
from auditor.providers.aws._kms import KeyInfo
from auditor.providers.aws._listing import Paging, list_raws
from auditor.providers.aws._session import AwsSession
from auditor.providers.aws._storage_facts import Facts, Raw, at_rest, sharing_facts

VOLUME, SNAPSHOT = "storage.volume", "storage.snapshot"
DESCRIBE_VOLUMES = "ec2:DescribeVolumes"
DESCRIBE_SNAPSHOTS = "ec2:DescribeSnapshots"
SNAPSHOT_ATTRIBUTE = "ec2:DescribeSnapshotAttribute"
BLOCK_STATE = "ec2:GetSnapshotBlockPublicAccessState"
# block-all-sharing: snapshots already shared publicly are treated as private;
# block-new-sharing: they stay public (only new public shares are refused); unblocked.
_BLOCKS_EXISTING = {"block-all-sharing": True, "block-new-sharing": False, "unblocked": False}
# The EC2 API Reference bounds MaxResults: 5-500 for volumes, 5-1000 for snapshots.
_VOLUME_PAGES = Paging("NextToken", "NextToken", "MaxResults", 500)
_SNAPSHOT_PAGES = Paging("NextToken", "NextToken", "MaxResults", 1000)
# Attachment states in which an instance holds the volume (EC2 VolumeAttachment.State:
# attaching | attached | detaching | detached | busy); any other is read as neither.
_HELD = ("attaching", "attached", "busy")
_RELEASED = ("detaching", "detached")


def volumes(session: AwsSession, caller: Caller, region: str) -> list[Raw]:
    return list_raws(caller, session.client("ec2", region), "describe_volumes",
                     DESCRIBE_VOLUMES, "Volumes", _VOLUME_PAGES, VOLUME, region)


def snapshots(session: AwsSession, caller: Caller, region: str) -> list[Raw]:
    """The snapshots the account owns (public and shared ones of others are not its data)."""
    return list_raws(caller, session.client("ec2", region), "describe_snapshots",
                     DESCRIBE_SNAPSHOTS, "Snapshots", _SNAPSHOT_PAGES, SNAPSHOT, region, "ebs",
                     OwnerIds=["self"])


def read_permissions(session: AwsSession, caller: Caller, raw: Raw) -> Raw:
    snapshot_id = raw.item["SnapshotId"]
    raw.calls["permissions"] = caller.call(
        session.client("ec2", raw.region), "describe_snapshot_attribute", SNAPSHOT_ATTRIBUTE,
        snapshot_id, Attribute="createVolumePermission", SnapshotId=snapshot_id)
    return raw


def read_block_state(session: AwsSession, caller: Caller, region: str) -> Outcome:
    """The account's block public access for snapshots in ``region`` (one call a region)."""
    return caller.call(session.client("ec2", region), "get_snapshot_block_public_access_state",
                       BLOCK_STATE, region)


def volume_arn(partition: str, account: str, raw: Raw) -> str:
    return f"arn:{partition}:ec2:{raw.region}:{account}:volume/{raw.item['VolumeId']}"


def snapshot_arn(partition: str, raw: Raw) -> str:
    # EBS snapshot ARNs name no account (Service Authorization Reference, Amazon EC2).
    return f"arn:{partition}:ec2:{raw.region}::snapshot/{raw.item['SnapshotId']}"


def volume_facts(raw: Raw, keys: dict[tuple[str, str], KeyInfo], facts: Facts) -> None:
    item = raw.item
    at_rest(raw, DESCRIBE_VOLUMES, keys, facts)
    if facts.wants("attachment.attached"):
        facts.put("attachment.attached", _attached(item))


def _attached(item: dict[str, Any]) -> Fact:
    """Whether an instance holds the volume, from its attachments; an attachment in a state
    the reference does not name, or a volume in-use that no attachment holds, is no answer."""
    attachments = item.get("Attachments") or []
    odd = sorted({str(a.get("State")) for a in attachments
                  if a.get("State") not in (*_HELD, *_RELEASED)})
    if odd:
        return Fact.error(f"an attachment in state {', '.join(odd)}", DESCRIBE_VOLUMES)
    if any(a.get("State") in _HELD and not a.get("InstanceId") for a in attachments):
        return Fact.error("an attachment that holds the volume names no InstanceId",
                          DESCRIBE_VOLUMES)
    held = sorted({str(a.get("InstanceId")) for a in attachments if a.get("State") in _HELD})
    if not held and item.get("State") == "in-use":
        return Fact.error("State in-use, but no attachment names the instance holding it",
                          DESCRIBE_VOLUMES)
    detail = ("attached to " + ", ".join(held) if held
              else f"no instance holds it (State {item.get('State')})")
    return Fact.observed(bool(held), DESCRIBE_VOLUMES, detail=detail)


def _create_volume_permissions(value: dict[str, Any]) -> tuple[bool, list[str]]:
    public, accounts = False, []
    for grant in value.get("CreateVolumePermissions") or []:
        if grant.get("Group") == "all":
            public = True
        elif grant.get("UserId"):
            accounts.append(str(grant["UserId"]))
        else:
            raise ValueError(f"a createVolumePermission names neither group all nor an "
                             f"account: {sorted(grant)}")
    return public, accounts


def _blocked(permission: Fact, block: Outcome | None, region: str) -> Fact:
    """A snapshot whose permission says public, given the region's block public access."""
    sources = (SNAPSHOT_ATTRIBUTE, BLOCK_STATE)
    if block is None:
        return Fact.error("createVolumePermission group all, but block public access for "
                          "snapshots was not read", *sources)
    if not block.ok:
        fact = block.failure()
        return Fact(fact.state, None, sources, f"createVolumePermission group all, but block "
                    f"public access for snapshots was not read: {fact.detail}")
    state = (block.value or {}).get("State")
    if state not in _BLOCKS_EXISTING:  # the answer's schema names the states; never guessed
        return Fact.error(f"block public access for snapshots answered State {state!r}",
                          *sources)
    where = f"block public access for snapshots in {region} is {state}"
    if _BLOCKS_EXISTING[state]:
        return Fact.observed(False, *sources, detail=(
            f"createVolumePermission group all, but {where}: treated as private, not publicly "
            "available"))
    return Fact.observed(True, *sources, detail=f"{permission.detail}; {where}")


def snapshot_facts(raw: Raw, keys: dict[tuple[str, str], KeyInfo], facts: Facts) -> None:
    at_rest(raw, DESCRIBE_SNAPSHOTS, keys, facts)
    if "permissions" in raw.calls:
        sharing_facts(raw.calls["permissions"], _create_volume_permissions, facts,
                      public_via="createVolumePermission group all")
    public = facts.out.get("public_exposure.is_public")
    if public is not None and public.decided and public.value is True:
        facts.put("public_exposure.is_public",
                  _blocked(public, raw.calls.get("block"), raw.region))
