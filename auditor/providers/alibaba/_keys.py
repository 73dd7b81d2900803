"""KMS key metadata -> custody, HSM, rotation and state (no SDK imports)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from auditor.model import Fact

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
    """One key on the ladder. A field DescribeKey left out or answered unrecognisably is
    never guessed: the facts that depend on it carry the ``*_error`` reason instead."""

    key_id: str
    arn: str | None
    manager: str | None  # customer | provider; None when custody_error
    level: str | None  # provider_kms | customer_kms | customer_imported; None when custody_error
    custody_error: str | None
    hsm: bool | None  # None when hsm_error
    hsm_error: str | None
    rotation_enabled: bool | None  # None when rotation_error
    period_days: float | None
    rotation_detail: str | None
    rotation_error: str | None
    state: str | None  # normalized; None when KeyState is unrecognised
    raw_state: str | None
    instance_id: str | None


def _is_service_creator(creator: str) -> bool:
    """Customer keys name the account UID as Creator; service keys name the service (Oss)."""
    return not creator.isdigit()


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


def _custody(meta: dict[str, Any]) -> tuple[str, str]:
    """(manager, level) from Creator and Origin. Raises KeyMetadataError."""
    creator = meta.get("Creator")
    if not creator:
        raise KeyMetadataError("DescribeKey returned no Creator: cannot tell a service key "
                               "from a customer key")
    if _is_service_creator(str(creator)):
        return "provider", "provider_kms"
    origin = meta.get("Origin")
    if origin == "Aliyun_KMS":
        return "customer", "customer_kms"
    if origin == "EXTERNAL":
        return "customer", "customer_imported"  # BYOK: key material imported by the customer
    if not origin:
        raise KeyMetadataError("DescribeKey returned no Origin")
    raise KeyMetadataError(f"unrecognised Origin {origin!r}")


def _hsm(meta: dict[str, Any]) -> bool:
    protection = meta.get("ProtectionLevel")
    if not protection:
        raise KeyMetadataError("DescribeKey returned no ProtectionLevel: cannot tell whether "
                               "an HSM holds the key")
    if protection not in ("SOFTWARE", "HSM"):
        raise KeyMetadataError(f"unrecognised ProtectionLevel {protection!r}")
    return protection == "HSM"


def _rotation(meta: dict[str, Any]) -> tuple[bool, float | None, str | None]:
    rotation = meta.get("AutomaticRotation")
    if rotation not in ("Enabled", "Disabled", "Suspended"):
        raise KeyMetadataError(f"unrecognised AutomaticRotation {rotation!r}")
    enabled = rotation == "Enabled"
    period = rotation_days(meta.get("RotationInterval")) if enabled else None
    return enabled, period, "automatic rotation is Suspended" if rotation == "Suspended" else None


def profile(meta: dict[str, Any]) -> KeyProfile:
    """Place one DescribeKey KeyMetadata on the custody ladder.

    Raises KeyMetadataError only when there is no KeyId; any other field that cannot be
    placed turns the facts that depend on it into errors (see KeyProfile).
    """
    key_id = meta.get("KeyId")
    if not key_id:
        raise KeyMetadataError("KeyMetadata has no KeyId")
    manager = level = custody_error = hsm_error = rotation_error = None
    hsm = enabled = period = detail = None
    try:
        manager, level = _custody(meta)
    except KeyMetadataError as exc:
        custody_error = str(exc)
    try:
        hsm = _hsm(meta)
    except KeyMetadataError as exc:
        hsm_error = str(exc)
    try:
        enabled, period, detail = _rotation(meta)
    except KeyMetadataError as exc:
        rotation_error = str(exc)
    if hsm and enabled is False:
        detail = HSM_NO_ROTATION
    raw_state = meta.get("KeyState")
    return KeyProfile(
        key_id=str(key_id), arn=meta.get("Arn"), manager=manager, level=level,
        custody_error=custody_error, hsm=hsm, hsm_error=hsm_error, rotation_enabled=enabled,
        period_days=period, rotation_detail=detail, rotation_error=rotation_error,
        state=KEY_STATES.get(str(raw_state)), raw_state=raw_state,
        instance_id=meta.get("DKMSInstanceId") or None)


def key_facts(prof: KeyProfile, *source: str) -> dict[str, Fact]:
    """Manager, custody level, HSM and rotation facts of a profile: observed, or error where
    the field they rest on could not be read."""
    def fact(value: Any, error: str | None, detail: str | None = None) -> Fact:
        if error is not None:
            return Fact.error(error, *source)
        return Fact.observed(value, *source, detail=detail)

    return {
        "key.manager": fact(prof.manager, prof.custody_error),
        "key_custody.level": fact(prof.level, prof.custody_error),
        "key_custody.hsm": fact(prof.hsm, prof.hsm_error),
        "key_rotation.enabled": fact(prof.rotation_enabled, prof.rotation_error,
                                     prof.rotation_detail),
        "key_rotation.period_days": fact(prof.period_days, prof.rotation_error,
                                         prof.rotation_detail),
    }
