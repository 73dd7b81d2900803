"""KMS key metadata -> custody, HSM, rotation and state (no SDK imports)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

KEY_STATES = {
    "Enabled": "enabled",
    "Disabled": "disabled",
    "PendingDeletion": "pending_deletion",
    "PendingImport": "pending_import",
}
HSM_NO_ROTATION = ("keys protected by an HSM (ProtectionLevel HSM) cannot rotate "
                   "automatically")


class KeyMetadataError(ValueError):
    """DescribeKey answered something this adapter cannot place on the ladder."""


@dataclass(frozen=True, slots=True)
class KeyProfile:
    key_id: str
    arn: str | None
    manager: str  # customer | provider
    level: str  # provider_kms | customer_kms | customer_imported
    hsm: bool
    rotation_enabled: bool
    period_days: float | None
    rotation_detail: str | None
    state: str | None  # normalized; None when KeyState is unrecognised
    raw_state: str | None
    instance_id: str | None


def _is_service_creator(creator: str | None) -> bool:
    """Customer keys name the account UID as Creator; service keys name the service (Oss)."""
    return bool(creator) and not str(creator).isdigit()


def rotation_days(interval: str | None) -> float | None:
    """``31536000s`` (or ``365d``) -> 365."""
    if not interval:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(interval))
    if match is None:
        raise KeyMetadataError(f"unrecognised RotationInterval {interval!r}")
    seconds = float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[
        match.group(2)]
    days = seconds / 86400
    return int(days) if days.is_integer() else round(days, 3)


def profile(meta: dict[str, Any]) -> KeyProfile:
    """Place one DescribeKey KeyMetadata on the custody ladder."""
    key_id = meta.get("KeyId")
    if not key_id:
        raise KeyMetadataError("KeyMetadata has no KeyId")
    origin = meta.get("Origin")
    service = _is_service_creator(meta.get("Creator"))
    if service:
        level = "provider_kms"
    elif origin == "Aliyun_KMS":
        level = "customer_kms"
    elif origin == "EXTERNAL":
        level = "customer_imported"  # BYOK: key material imported by the customer
    else:
        raise KeyMetadataError(f"unrecognised Origin {origin!r}")
    protection = meta.get("ProtectionLevel") or "SOFTWARE"
    if protection not in ("SOFTWARE", "HSM"):
        raise KeyMetadataError(f"unrecognised ProtectionLevel {protection!r}")
    hsm = protection == "HSM"
    rotation = meta.get("AutomaticRotation")
    if rotation not in ("Enabled", "Disabled", "Suspended"):
        raise KeyMetadataError(f"unrecognised AutomaticRotation {rotation!r}")
    enabled = rotation == "Enabled"
    detail = None
    if rotation == "Suspended":
        detail = "automatic rotation is Suspended"
    if hsm and not enabled:
        detail = HSM_NO_ROTATION
    raw_state = meta.get("KeyState")
    return KeyProfile(
        key_id=str(key_id), arn=meta.get("Arn"),
        manager="provider" if service else "customer", level=level, hsm=hsm,
        rotation_enabled=enabled,
        period_days=rotation_days(meta.get("RotationInterval")) if enabled else None,
        rotation_detail=detail, state=KEY_STATES.get(str(raw_state)), raw_state=raw_state,
        instance_id=meta.get("DKMSInstanceId") or None)
