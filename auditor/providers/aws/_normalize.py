"""Shared normalization: answers to facts for Block Public Access, keys and accounts."""

from __future__ import annotations

from typing import Any

from auditor.model import Fact, FactInterner
from auditor.providers._runtime import Outcome
from auditor.providers.aws import _policy
from auditor.providers.aws._kms import KeyInfo

PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
ACCOUNT_PAB = "s3control:GetPublicAccessBlock"

KEY_STATES = {
    "Enabled": "enabled", "Disabled": "disabled", "PendingDeletion": "pending_deletion",
    "PendingReplicaDeletion": "pending_deletion", "PendingImport": "pending_import",
    "Unavailable": "unavailable", "Creating": "unavailable", "Updating": "enabled",
}
# AWS KMS generates and uses key material only inside its FIPS 140-3 Security Level 3
# validated HSMs (shared, multi-tenant; OSCCA-certified in the China Regions); imported
# material is unwrapped inside them too. A CloudHSM key store holds it in the customer's
# CloudHSM cluster.
KMS_HSM = "AWS KMS keeps key material in FIPS 140-3 Level 3 HSMs"
_XKS_HSM = ("the key is in an external key store: whether the external key manager keeps it in "
            "an HSM is not visible through AWS APIs")


class SharedFacts:
    """Equal facts of different resources become one Fact object (facts are frozen): an
    estate of 10,000 buckets repeats a few settings, so memory grows with the distinct facts.
    Equal as model.FactInterner has it (the same JSON and the same type: ``true`` is not
    ``1``, ``1`` not ``1.0``), as for inventories read from a file."""

    def __init__(self) -> None:
        self._same = FactInterner().same

    def __call__(self, facts: dict[str, Fact]) -> dict[str, Fact]:
        same = self._same
        return {path: same(fact) for path, fact in facts.items()}


def failed(answer: Outcome, *extra: str) -> Fact:
    """The fact of a call that did not answer (the shared Outcome's one conversion)."""
    return answer.failure(*extra)


def pab_flags(answer: Outcome | None) -> dict[str, bool] | None:
    """The four flags of a Block Public Access answer; all off when not configured."""
    if answer is None or not answer.ok:
        return None
    config = (answer.value or {}).get("PublicAccessBlockConfiguration", {})
    return {flag: bool(config.get(flag, False)) for flag in PAB_FLAGS}


def effective_flags(bucket: Outcome | None, account: Outcome | None) -> dict[str, bool | None]:
    """Each flag is on when the bucket OR the account sets it; None when that is unknown."""
    b, a = pab_flags(bucket), pab_flags(account)
    out: dict[str, bool | None] = {}
    for flag in PAB_FLAGS:
        values = [d[flag] for d in (b, a) if d is not None]
        if any(values):
            out[flag] = True
        elif len(values) == 2:
            out[flag] = False
        else:
            out[flag] = None
    return out


def pab_fact(answer: Outcome, what: str) -> Fact:
    if not answer.ok:
        return failed(answer)
    flags = pab_flags(answer) or {}
    if answer.absent:
        return Fact.observed(False, answer.source,
                             detail=f"no {what} Block Public Access configuration ({answer.code})")
    off = [f for f in PAB_FLAGS if not flags[f]]
    return Fact.observed(not off, answer.source,
                         detail=f"off: {', '.join(off)}" if off else None)


def enforced_ownership(answer: Outcome | None) -> bool | None:
    """True when ownership controls say BucketOwnerEnforced (ACLs off); None if unknown."""
    if answer is None or not answer.ok:
        return None
    rules = ((answer.value or {}).get("OwnershipControls") or {}).get("Rules", [])
    return any(r.get("ObjectOwnership") == "BucketOwnerEnforced" for r in rules)


# --- keys ---------------------------------------------------------------------------------


def key_manager(info: KeyInfo) -> Fact:
    meta = info.metadata
    manager = meta.get("KeyManager")
    if manager == "AWS":
        return Fact.observed("provider", "kms:DescribeKey")
    aws_alias = [a for a in info.aliases if a.startswith("alias/aws/")]
    if info.ref.startswith("alias/aws/") or aws_alias:
        # AWS reserves the alias/aws/ prefix for its AWS managed keys.
        return Fact.observed("provider", "kms:DescribeKey", "kms:ListAliases",
                             detail=f"AWS managed key ({(aws_alias or [info.ref])[0]})")
    if manager == "CUSTOMER":
        return Fact.observed("customer", "kms:DescribeKey")
    return Fact.error(f"DescribeKey answer has no usable KeyManager ({manager!r})",
                      "kms:DescribeKey")


def key_custody(info: KeyInfo) -> tuple[Fact, Fact]:
    """(custody level, hsm) of a described key."""
    if not info.describe.ok:
        return failed(info.describe), failed(info.describe)
    manager = key_manager(info)
    if not manager.decided:
        return manager, manager
    meta = info.metadata
    origin = meta.get("Origin")
    store = meta.get("CustomKeyStoreId")
    src = ("kms:DescribeKey",)
    detail = (f"Origin {origin}" + (f", custom key store {store}" if store else "")
              + (", multi-Region key" if meta.get("MultiRegion") else ""))
    if manager.value == "provider":
        return (Fact.observed("provider_kms", *src, detail=manager.detail),
                Fact.observed(True, *src, detail=f"AWS managed key in the AWS KMS key store: "
                                                 f"{KMS_HSM}"))
    levels = {"AWS_KMS": "customer_kms", "AWS_CLOUDHSM": "customer_kms",
              "EXTERNAL": "customer_imported", "EXTERNAL_KEY_STORE": "external"}
    if origin not in levels:
        bad = Fact.error(f"DescribeKey answer has an unknown Origin ({origin!r})", *src)
        return bad, bad
    if origin == "EXTERNAL_KEY_STORE":
        hsm = Fact.opaque(_XKS_HSM, *src)
    elif origin == "AWS_CLOUDHSM":
        hsm = Fact.observed(True, *src, detail=f"{detail}: key material in the AWS CloudHSM "
                                                "cluster of the custom key store")
    else:  # AWS_KMS, or EXTERNAL: imported material is kept in the KMS HSMs too
        hsm = Fact.observed(True, *src, detail=f"{detail}: {KMS_HSM}")
    return Fact.observed(levels[origin], *src, detail=detail), hsm


def key_rotation(info: KeyInfo) -> tuple[Fact, Fact]:
    """(rotation enabled, period in days) of a described key."""
    if not info.describe.ok:
        return failed(info.describe), failed(info.describe)
    if info.rotation_implied:
        enabled, period, why = info.rotation_implied
        return (Fact.observed(enabled, "kms:DescribeKey", detail=why),
                Fact.observed(period, "kms:DescribeKey", detail=why))
    answer = info.rotation
    if answer is None:
        bad = Fact.error("rotation status was not read", "kms:GetKeyRotationStatus")
        return bad, bad
    if not answer.ok:
        return failed(answer), failed(answer)
    if answer.absent:
        why = f"automatic rotation is not supported for this key ({answer.code})"
        return (Fact.observed(False, answer.source, detail=why),
                Fact.observed(None, answer.source, detail=why))
    enabled = (answer.value or {}).get("KeyRotationEnabled")
    if not isinstance(enabled, bool):
        bad = Fact.error("GetKeyRotationStatus answer has no KeyRotationEnabled",
                         answer.source)
        return bad, bad
    if not enabled:
        return (Fact.observed(False, answer.source),
                Fact.observed(None, answer.source, detail="rotation is off"))
    period = (answer.value or {}).get("RotationPeriodInDays")
    if period is None:
        return (Fact.observed(True, answer.source),
                Fact.observed(365, answer.source,
                              detail="RotationPeriodInDays absent from the answer: the KMS API "
                                     "reference gives 365 days as its default value"))
    return Fact.observed(True, answer.source), Fact.observed(period, answer.source)


def key_rotation_supported(info: KeyInfo) -> Fact:
    """Whether KMS can rotate the key automatically: per the KMS developer guide, only
    symmetric encryption keys with key material generated by AWS KMS (Origin AWS_KMS)."""
    if not info.describe.ok:
        return failed(info.describe)
    meta, src = info.metadata, "kms:DescribeKey"
    origin = meta.get("Origin")
    spec = meta.get("KeySpec") or meta.get("CustomerMasterKeySpec")
    if origin is None:
        return Fact.error("DescribeKey answer has no Origin", src)
    if origin != "AWS_KMS":
        return Fact.observed(False, src, detail=f"automatic rotation is not supported for keys "
                                                 f"with Origin {origin}")
    if spec is not None and spec != "SYMMETRIC_DEFAULT":
        return Fact.observed(False, src,
                             detail=f"automatic rotation is not supported for {spec} keys")
    # Keys created before asymmetric keys existed may lack KeySpec: they are all symmetric,
    # and SYMMETRIC_DEFAULT is the documented default.
    return Fact.observed(True, src, detail=f"Origin AWS_KMS, {spec or 'no KeySpec (symmetric)'}")


def key_state(info: KeyInfo) -> Fact:
    if not info.describe.ok:
        code = info.describe.error.code if info.describe.error else ""
        if code == "NotFoundException":
            return Fact.observed("missing", "kms:DescribeKey",
                                 detail=f"the key {info.ref} does not exist")
        return failed(info.describe)
    state = info.metadata.get("KeyState")
    if state not in KEY_STATES:
        return Fact.error(f"DescribeKey answer has an unknown KeyState ({state!r})",
                          "kms:DescribeKey")
    return Fact.observed(KEY_STATES[state], "kms:DescribeKey")


def key_exposure(info: KeyInfo) -> Fact:
    answer = info.policy
    if answer is None:
        return failed(info.describe) if not info.describe.ok else Fact.error(
            "key policy was not read", "kms:GetKeyPolicy")
    if not answer.ok:
        return failed(answer)
    try:
        verdict = _policy.public_verdict(_policy.parse((answer.value or {}).get("Policy") or ""))
    except _policy.PolicyParseError as exc:
        return Fact.error(f"unparsable key policy: {exc}", answer.source)
    return Fact.observed(verdict.public, answer.source, basis="derived",
                         detail=verdict.detail if verdict.public else None)


def key_facts(info: KeyInfo, wants: Any) -> dict[str, Fact]:
    """Facts of a kms.key resource; ``wants(path)`` filters."""
    out: dict[str, Fact] = {}
    makers: dict[str, Any] = {
        "key.manager": lambda: (key_manager(info) if info.describe.ok
                                else failed(info.describe)),
        "key.state": lambda: key_state(info),
        "key_custody.level": lambda: key_custody(info)[0],
        "key_custody.hsm": lambda: key_custody(info)[1],
        "key_rotation.enabled": lambda: key_rotation(info)[0],
        "key_rotation.period_days": lambda: key_rotation(info)[1],
        "key_rotation.supported": lambda: key_rotation_supported(info),
        "key_exposure.is_public": lambda: key_exposure(info),
    }
    for path, make in makers.items():
        if wants(path):
            out[path] = make()
    return out


# --- account ------------------------------------------------------------------------------


def ebs_encryption_fact(answer: Outcome) -> Fact:
    if not answer.ok:
        return failed(answer)
    value = (answer.value or {}).get("EbsEncryptionByDefault")
    if not isinstance(value, bool):
        return Fact.error("answer has no EbsEncryptionByDefault", answer.source)
    return Fact.observed(value, answer.source)


def ebs_key_fact(answer: Outcome) -> Fact:
    if not answer.ok:
        return failed(answer)
    value = (answer.value or {}).get("KmsKeyId")
    if not value:
        return Fact.error("answer has no KmsKeyId", answer.source)
    return Fact.observed(value, answer.source)
