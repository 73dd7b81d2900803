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
# Which keys can rotate automatically (KMS API reference, UpdateRotationPolicy): not
# asymmetric keys, not BYOK (Origin EXTERNAL), and only keys in software key management
# instances, so not keys in a hardware key management instance (ProtectionLevel HSM with a
# DKMSInstanceId). Managed HSM keys outside an instance are not excluded: a rotation period
# can be set when they are created. Service-managed keys are not excluded either: their
# service decides, so their rotation is opaque unless DescribeKey shows a schedule.
SYMMETRIC_SPECS = frozenset({"Aliyun_AES_256", "Aliyun_AES_128", "Aliyun_AES_192", "Aliyun_SM4"})
ASYMMETRIC_SPECS = frozenset({"RSA_2048", "RSA_3072", "RSA_4096", "EC_P256", "EC_P256K",
                              "EC_SM2"})
NO_ROTATION_BYOK = ("imported key material (Origin EXTERNAL, BYOK) cannot rotate "
                    "automatically")
NO_ROTATION_ASYMMETRIC = "asymmetric keys (KeySpec {spec}) cannot rotate automatically"
NO_ROTATION_HSM_INSTANCE = ("keys in a hardware key management instance (ProtectionLevel HSM, "
                            "DKMSInstanceId set) cannot rotate automatically; only keys in "
                            "software key management instances can")
# The KMS key rotation guide: service-managed keys take no rotation policy; the service that
# created the key decides. DescribeKey states a schedule only when it shows AutomaticRotation
# Enabled with a RotationInterval; otherwise no API reveals whether or when it rotates.
SERVICE_ROTATION_UNSEEN = ("service-managed key (Creator {creator}): its service decides "
                           "rotation and DescribeKey shows no schedule (AutomaticRotation "
                           "{rotation}), so its rotation cannot be verified")
SERVICE_ROTATES = "service-managed key: rotated by its service (AutomaticRotation Enabled)"
PAUSED = ("rotation is paused while the key is {state}; it resumes when the key is "
          "Enabled again")


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
    supported: bool | None  # None when supported_error or rotation_opaque
    supported_detail: str | None
    supported_error: str | None
    rotation_opaque: str | None  # why no API shows this key's rotation (a service key)
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


def _exclusion(meta: dict[str, Any]) -> str | None:
    """The documented reason this key cannot rotate automatically, if DescribeKey shows one."""
    if meta.get("Origin") == "EXTERNAL":
        return NO_ROTATION_BYOK
    spec = meta.get("KeySpec")
    if spec in ASYMMETRIC_SPECS:
        return NO_ROTATION_ASYMMETRIC.format(spec=spec)
    if meta.get("ProtectionLevel") == "HSM" and meta.get("DKMSInstanceId"):
        return NO_ROTATION_HSM_INSTANCE
    return None


def _support(meta: dict[str, Any], rotation_enabled: bool | None) -> tuple[bool, str | None]:
    """(can the key rotate automatically, detail). Raises KeyMetadataError when no
    documented exclusion applies and a field the answer rests on is missing or unknown."""
    reason = _exclusion(meta)
    if reason is not None:
        return False, reason
    spec = meta.get("KeySpec")
    if spec not in SYMMETRIC_SPECS:
        raise KeyMetadataError(f"unrecognised KeySpec {spec!r}" if spec else
                               "DescribeKey returned no KeySpec: cannot tell a symmetric key")
    if meta.get("DKMSInstanceId") and meta.get("ProtectionLevel") != "SOFTWARE":
        _hsm(meta)  # raises for a missing or unknown ProtectionLevel
    creator = meta.get("Creator")
    if not creator:
        raise KeyMetadataError("DescribeKey returned no Creator: cannot tell a service key "
                               "from a customer key")
    state = meta.get("KeyState")
    paused = PAUSED.format(state=state) if state in ("Disabled", "PendingDeletion") else None
    if _is_service_creator(str(creator)):
        if rotation_enabled is None:
            raise KeyMetadataError(f"unrecognised AutomaticRotation "
                                   f"{meta.get('AutomaticRotation')!r}")
        # Not rotating as far as DescribeKey shows is not "cannot rotate": profile() turns
        # the rotation facts opaque.
        return (True, SERVICE_ROTATES) if rotation_enabled else (False, None)
    origin = meta.get("Origin")
    if origin != "Aliyun_KMS":
        raise KeyMetadataError(f"unrecognised Origin {origin!r}" if origin else
                               "DescribeKey returned no Origin")
    return True, paused


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
    supported = supported_detail = supported_error = None
    try:
        supported, supported_detail = _support(meta, enabled)
    except KeyMetadataError as exc:
        supported_error = str(exc)
    rotation_opaque = None
    creator = meta.get("Creator")
    if (supported is False and supported_detail is None and creator
            and _is_service_creator(str(creator))):
        rotation_opaque = SERVICE_ROTATION_UNSEEN.format(
            creator=creator, rotation=meta.get("AutomaticRotation"))
        supported = None
    if supported is False and enabled is False:
        detail = supported_detail  # why it is off: it cannot be turned on
    raw_state = meta.get("KeyState")
    return KeyProfile(
        key_id=str(key_id), arn=meta.get("Arn"), manager=manager, level=level,
        custody_error=custody_error, hsm=hsm, hsm_error=hsm_error, rotation_enabled=enabled,
        period_days=period, rotation_detail=detail, rotation_error=rotation_error,
        supported=supported, supported_detail=supported_detail,
        supported_error=supported_error, rotation_opaque=rotation_opaque,
        state=KEY_STATES.get(str(raw_state)), raw_state=raw_state,
        instance_id=meta.get("DKMSInstanceId") or None)


def key_facts(prof: KeyProfile, *source: str) -> dict[str, Fact]:
    """Manager, custody level, HSM and rotation facts of a profile: observed, or error where
    the field they rest on could not be read."""
    def fact(value: Any, error: str | None, detail: str | None = None,
             opaque: str | None = None) -> Fact:
        if error is not None:
            return Fact.error(error, *source)
        if opaque is not None:
            return Fact.opaque(opaque, *source)
        return Fact.observed(value, *source, detail=detail)

    return {
        "key.manager": fact(prof.manager, prof.custody_error),
        "key_custody.level": fact(prof.level, prof.custody_error),
        "key_custody.hsm": fact(prof.hsm, prof.hsm_error),
        "key_rotation.enabled": fact(prof.rotation_enabled, prof.rotation_error,
                                     prof.rotation_detail, prof.rotation_opaque),
        "key_rotation.period_days": fact(prof.period_days, prof.rotation_error,
                                         prof.rotation_detail, prof.rotation_opaque),
        "key_rotation.supported": fact(prof.supported, prof.supported_error,
                                       prof.supported_detail, prof.rotation_opaque),
    }
