"""Facts every new kind shares: encryption, the key join (custody, rotation) and residency.

EBS volumes and snapshots, RDS instances, clusters and snapshots and EFS file systems all
name their KMS key by ARN in the listing that carries their encryption flag; custody and
rotation are the key's, read through the same key join as buckets (_collect.keys). A key
that was not read is an error of those facts, never a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from auditor.errors import CallError
from auditor.model import Fact
from auditor.providers._runtime import Outcome
from auditor.providers.aws._kms import KeyInfo, key_region
from auditor.providers.aws._normalize import key_custody, key_rotation, key_rotation_supported
from auditor.regions import locate, places

KEY_PATHS = ("key_custody.level", "key_custody.hsm", "key_rotation.enabled",
             "key_rotation.period_days", "key_rotation.supported")
ROTATION_PATHS = ("key_rotation.enabled", "key_rotation.period_days", "key_rotation.supported")
RESIDENCY_PATHS = ("data_residency.region", "data_residency.country",
                   "data_residency.jurisdiction", "data_residency.jurisdictions")
SHARING_PATHS = ("public_exposure.is_public", "sharing.accounts")
COMMON_PATHS = ("encryption.enabled", "encryption.key_id", *KEY_PATHS, *RESIDENCY_PATHS)


@dataclass(slots=True)
class Raw:
    """One listed resource: its listing item and the answers of its own calls, by name."""

    kind: str
    region: str
    item: dict[str, Any]
    calls: dict[str, Outcome] = field(default_factory=dict)
    variant: str = ""  # which listing within the kind ("cluster": an RDS DB cluster)
    # the listing item did not fit its shape: ``item`` is what names it, every fact is error
    malformed: CallError | None = None


@dataclass(frozen=True, slots=True)
class Encryption:
    """What a listing says of one resource's encryption at rest."""

    source: str  # the listing operation
    enabled: object  # the answer's flag as given (checked to be a boolean here)
    key_id: object  # its KmsKeyId as given
    flag: str = "Encrypted"  # the flag's name in the answer, for the detail

    def key_ref(self, region: str) -> tuple[str, str] | None:
        """(region, key ARN) of the key to join, when the resource names one."""
        if self.enabled is True and isinstance(self.key_id, str) and self.key_id:
            where = key_region(self.key_id, region)
            return (where, self.key_id) if where else None
        return None


@dataclass(slots=True)
class Facts:
    """Facts of one resource, filtered by ``wanted`` (the paths the checks read)."""

    wanted: frozenset[str] | None
    out: dict[str, Fact] = field(default_factory=dict)

    def wants(self, *paths: str) -> bool:
        return self.wanted is None or any(p in self.wanted for p in paths)

    def put(self, path: str, fact: Fact) -> None:
        if self.wants(path):
            self.out[path] = fact


def _with_source(fact: Fact, first: str) -> Fact:
    source = tuple(dict.fromkeys((first, *fact.source)))
    return Fact(fact.state, fact.value, source, fact.detail, fact.basis)


def encryption_facts(enc: Encryption, region: str, keys: dict[tuple[str, str], KeyInfo],
                     facts: Facts) -> None:
    """encryption.enabled and key_id, and the custody and rotation of the key."""
    op = enc.source
    if not isinstance(enc.enabled, bool):
        bad = Fact.error(f"the answer has no boolean {enc.flag}", op)
        for path in ("encryption.enabled", "encryption.key_id", *KEY_PATHS):
            facts.put(path, bad)
        return
    facts.put("encryption.enabled", Fact.observed(enc.enabled, op))
    if not enc.enabled:
        why = f"{enc.flag} is false"
        facts.put("encryption.key_id", Fact.observed(None, op, detail=why))
        facts.put("key_custody.level", Fact.observed("none", op, detail=why))
        facts.put("key_custody.hsm", Fact.observed(False, op, detail=why))
        return  # key_rotation.* does not apply, as for an unencrypted bucket
    ref = enc.key_ref(region)
    if ref is None:
        bad = Fact.error(f"{enc.flag} is true but the answer names no KmsKeyId", op)
        for path in ("encryption.key_id", *KEY_PATHS):
            facts.put(path, bad)
        return
    facts.put("encryption.key_id", Fact.observed(ref[1], op))
    if not facts.wants(*KEY_PATHS):
        return
    info = keys.get(ref)
    if info is None:
        missing = Fact.error("the protecting key was not read", op, "kms:DescribeKey")
        for path in KEY_PATHS:
            facts.put(path, missing)
        return
    level, hsm = key_custody(info)
    enabled, period = key_rotation(info)
    for path, fact in (("key_custody.level", level), ("key_custody.hsm", hsm),
                       ("key_rotation.enabled", enabled), ("key_rotation.period_days", period),
                       ("key_rotation.supported", key_rotation_supported(info))):
        facts.put(path, _with_source(fact, op))


def at_rest(raw: Raw, source: str, keys: dict[tuple[str, str], KeyInfo], facts: Facts,
            flag: str = "Encrypted") -> None:
    """The encryption, key and residency facts of a resource ``source`` listed."""
    encryption_facts(Encryption(source, raw.item.get(flag), raw.item.get("KmsKeyId"), flag),
                     raw.region, keys, facts)
    residency_facts(raw.region, source, facts)


def residency_facts(region: str, source: str, facts: Facts) -> None:
    """Where the data is stored: the region of the listing that returned the resource."""
    if not facts.wants(*RESIDENCY_PATHS):
        return
    facts.put("data_residency.region", Fact.observed(region, source))
    where, spread = locate("aws", region), places("aws", region)
    if not where.known or spread.unknown:
        bad = Fact.error(f"region {region!r} is not in the region table", source)
        for path in RESIDENCY_PATHS[1:]:
            facts.put(path, bad)
        return
    facts.put("data_residency.country", Fact.observed(where.country, source))
    facts.put("data_residency.jurisdiction", Fact.observed(where.jurisdiction, source))
    facts.put("data_residency.jurisdictions", Fact.observed(spread.jurisdictions, source))


def name_tag(tags: object, default: str) -> str:
    """The Name tag of an EC2 or EFS tag list, else ``default``."""
    if isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, dict) and tag.get("Key") == "Name" and tag.get("Value"):
                return str(tag["Value"])
    return default


def tag_dict(tags: object) -> dict[str, str] | None:
    """A listing's Key/Value tag list as a dict: {} when it carries none (the listings omit
    an empty tag list); None when it is not a list (not observed)."""
    if tags is None:
        return {}
    if not isinstance(tags, list):
        return None
    return {str(t["Key"]): str(t.get("Value") or "") for t in tags
            if isinstance(t, dict) and "Key" in t}


def sharing_facts(answer: Outcome, read: Callable[[Any], tuple[bool, list[str]]],
                  facts: Facts, *, public_via: str) -> None:
    """public_exposure.is_public and sharing.accounts from a snapshot's permission answer:
    ``read(value)`` gives (public, the accounts beyond the owner) or raises ValueError for an
    answer it cannot read."""
    if not answer.ok:
        for path in SHARING_PATHS:
            facts.put(path, answer.failure())
        return
    try:
        public, accounts = read(answer.value or {})
    except ValueError as exc:
        bad = Fact.error(str(exc), answer.source)
        for path in SHARING_PATHS:
            facts.put(path, bad)
        return
    op = answer.source
    facts.put("public_exposure.is_public", Fact.observed(
        public, op, detail=f"{public_via}: anyone can restore it" if public else None))
    facts.put("sharing.accounts", Fact.observed(sorted(set(accounts)), op))


def private_by_rule(source: str, why: str, facts: Facts) -> None:
    """A snapshot the provider documents as never shareable: private, with no call."""
    facts.put("public_exposure.is_public", Fact.observed(False, source, detail=why))
    facts.put("sharing.accounts", Fact.observed([], source, detail=why))
