"""KMS calls: list keys and aliases per region, describe keys, rotation status, key policy."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from auditor.errors import ListingIncomplete
from auditor.providers._runtime import Outcome, PageGuard
from auditor.providers._runtime.shapes import odd_items
from auditor.providers.aws._errors import Caller
from auditor.providers.aws._session import AwsSession

AWS_MANAGED_S3 = "alias/aws/s3"


def key_region(ref: str, default: str | None) -> str | None:
    """The region a key reference points into: from its ARN, else ``default`` (a bare key id
    or alias resolves in the region of the caller, here the bucket's)."""
    if ref.startswith("arn:"):
        parts = ref.split(":")
        if len(parts) > 3 and parts[3]:
            return parts[3]
    return default


@dataclass(slots=True)
class RegionKeys:
    """ListKeys and ListAliases of one region."""

    region: str
    keys: Outcome | None = None
    key_ids: list[str] = field(default_factory=list)
    aliases: Outcome | None = None
    alias_names: dict[str, list[str]] = field(default_factory=dict)  # key id -> alias names
    alias_targets: dict[str, str] = field(default_factory=dict)  # alias name or ARN -> key id

    def resolve(self, ref: str) -> str:
        """The listed key ARN ``ref`` (key id, alias name or alias ARN) names, so that one
        key is described, and emitted, once; ``ref`` itself when it is a key ARN already or
        the listings do not say (another account's key, a listing that failed)."""
        if ref.startswith("alias/") or ":alias/" in ref:
            key_id = self.alias_targets.get(ref)
        elif ref.startswith("arn:"):
            return ref
        else:
            key_id = ref
        by_id = {arn.rsplit("key/", 1)[-1]: arn for arn in self.key_ids}
        return by_id.get(key_id or "", ref)


@dataclass(slots=True)
class KeyInfo:
    """What KMS said about one key."""

    ref: str
    region: str
    describe: Outcome
    aliases: list[str] = field(default_factory=list)
    rotation: Outcome | None = None
    # (enabled, period in days, why) when DescribeKey already implies the rotation status
    rotation_implied: tuple[bool, int | None, str] | None = None
    policy: Outcome | None = None

    @property
    def metadata(self) -> dict[str, Any]:
        return (self.describe.value or {}).get("KeyMetadata", {}) if self.describe.ok else {}

    @property
    def arn(self) -> str:
        return self.metadata.get("Arn") or self.ref

    @property
    def key_id(self) -> str:
        return self.metadata.get("KeyId") or self.ref.rsplit("key/", 1)[-1]


def _paginate(caller: Caller, client: Any, method: str, operation: str, scope: str,
              item_key: str) -> tuple[Outcome, list[dict[str, Any]]]:
    """Every item of a Marker/Truncated listing; a page that fails, repeats a marker or
    exceeds the page budget leaves the rest out, recorded as a listing failure."""
    items: list[dict[str, Any]] = []
    guard = PageGuard(operation)
    marker: Hashable | None = None
    while True:
        kwargs: dict[str, Any] = {"Limit": 1000}
        if marker:
            kwargs["Marker"] = marker
        # A failed page leaves its keys out of the inventory: recorded as a listing failure.
        answer = caller.call(client, method, operation, scope, listing=True, **kwargs)
        if not answer.ok:
            return answer, items
        items.extend(answer.value[item_key])  # answers.yaml: the list and Truncated
        # An odd entry that names itself: what names it (a key is still described).
        items.extend(dict(o.identity) for o in odd_items(answer.value) if o.named)
        try:
            marker = guard.follow(answer.value.get("NextMarker"),
                                  truncated=answer.value["Truncated"])
        except ListingIncomplete as exc:
            caller.ledger.listing_failed(scope, exc)
            return Outcome.failed(exc), items
        if marker is None:
            return answer, items


def list_region(session: AwsSession, caller: Caller, region: str, with_keys: bool) -> RegionKeys:
    client = session.client("kms", region)
    out = RegionKeys(region)
    scope = f"kms/{region}"
    if with_keys:
        out.keys, items = _paginate(caller, client, "list_keys", "kms:ListKeys", scope, "Keys")
        # Describe by ARN, the form bucket configurations use, so both meet in one describe.
        out.key_ids = [k.get("KeyArn") or k["KeyId"] for k in items if "KeyId" in k]
    out.aliases, items = _paginate(caller, client, "list_aliases", "kms:ListAliases", scope,
                                   "Aliases")
    for alias in items:
        if alias.get("TargetKeyId") and alias.get("AliasName"):
            out.alias_names.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
            out.alias_targets[alias["AliasName"]] = alias["TargetKeyId"]
            if alias.get("AliasArn"):
                out.alias_targets[alias["AliasArn"]] = alias["TargetKeyId"]
    return out


def describe(session: AwsSession, caller: Caller, region: str, ref: str) -> KeyInfo:
    answer = caller.call(session.client("kms", region), "describe_key", "kms:DescribeKey",
                         ref, KeyId=ref)
    return KeyInfo(ref, region, answer)


def implied_rotation(info: KeyInfo) -> tuple[bool, int | None, str] | None:
    """The rotation status DescribeKey already implies, per the KMS API reference."""
    metadata = info.metadata
    if metadata.get("KeyManager") == "AWS" or any(
            a.startswith("alias/aws/") for a in (*info.aliases, info.ref)):
        return True, 365, ("AWS managed keys rotate every year; their rotation status is "
                           "always true and not configurable")
    origin = metadata.get("Origin")
    if origin and origin != "AWS_KMS":
        return False, None, f"automatic rotation is not supported for keys with Origin {origin}"
    spec = metadata.get("KeySpec") or metadata.get("CustomerMasterKeySpec")
    if spec and spec != "SYMMETRIC_DEFAULT":
        return False, None, f"automatic rotation is not supported for {spec} keys"
    return None


def read_rotation(session: AwsSession, caller: Caller, info: KeyInfo) -> KeyInfo:
    if not info.describe.ok or info.rotation is not None or info.rotation_implied:
        return info
    implied = implied_rotation(info)
    if implied:
        info.rotation_implied = implied
    else:
        info.rotation = caller.call(session.client("kms", info.region), "get_key_rotation_status",
                                    "kms:GetKeyRotationStatus", info.arn, KeyId=info.arn)
    return info


def read_policy(session: AwsSession, caller: Caller, info: KeyInfo) -> KeyInfo:
    if info.describe.ok and info.policy is None:
        info.policy = caller.call(session.client("kms", info.region), "get_key_policy",
                                  "kms:GetKeyPolicy", info.arn, KeyId=info.arn,
                                  PolicyName="default")
    return info
