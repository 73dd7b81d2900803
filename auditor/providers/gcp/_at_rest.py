"""Facts every storage kind beyond buckets shares: encryption at rest, the key's custody and
rotation (the same key join as buckets: a CMEK's custody and rotation are its CryptoKey's),
and where the data lives (the region table). No SDK here, no calls.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from auditor.errors import NotFound
from auditor.model import Fact
from auditor.providers._runtime import Outcome
from auditor.providers.gcp._kms import KeyInfo
from auditor.providers.gcp._normalize import (
    GOOGLE_KEY_HSM,
    GOOGLE_KEY_ROTATION,
    KEY_JOIN_PATHS,
    ROTATION_PATHS,
    _rotation,
    custody,
)
from auditor.regions import canonical, combine, locate, places_of

RESIDENCY_PATHS = ("data_residency.region", "data_residency.country",
                   "data_residency.jurisdiction", "data_residency.jurisdictions")
SUPPLIED_HSM = ("customer-supplied encryption key (CSEK): the customer holds the key and sends "
                "it with each request; no API says how it is kept")
SUPPLIED_ROTATION = ("customer-supplied encryption key (CSEK): Google cannot rotate a key it "
                     "does not keep; a new key means rewriting the data under it")


@dataclass(frozen=True, slots=True)
class AtRest:
    """Which key protects a resource: a Cloud KMS key, a customer-supplied one, or Google's
    default (neither)."""

    kms_key: str | None = None
    supplied: bool = False

    @property
    def detail(self) -> str:
        if self.kms_key:
            return f"customer-managed Cloud KMS key {self.kms_key}"
        if self.supplied:
            return "customer-supplied encryption key (CSEK)"
        return "Google-managed default encryption"


def encryption_facts(at_rest: AtRest, source: str, always: str) -> dict[str, Fact]:
    """``always``: why the service encrypts every resource of the kind."""
    return {"encryption.enabled": Fact.observed(True, source, detail=always),
            "encryption.key_id": Fact.observed(at_rest.kms_key, source, detail=at_rest.detail)}


def key_join_facts(at_rest: AtRest, key: Outcome, versions: Outcome,
                   source: str) -> dict[str, Fact]:
    """key_custody.* and key_rotation.* of a resource, from the key that protects it."""
    if at_rest.supplied:
        return {"key_custody.level": Fact.observed("customer_supplied", source,
                                                   detail=at_rest.detail),
                "key_custody.hsm": Fact.opaque(SUPPLIED_HSM, source),
                "key_rotation.enabled": Fact.observed(False, source, detail=SUPPLIED_ROTATION),
                "key_rotation.period_days": Fact.observed(None, source),
                "key_rotation.supported": Fact.observed(False, source,
                                                        detail=SUPPLIED_ROTATION)}
    if at_rest.kms_key is None:
        return {"key_custody.level": Fact.observed("provider", source, detail=at_rest.detail),
                "key_custody.hsm": Fact.opaque(GOOGLE_KEY_HSM, source),
                **dict.fromkeys(ROTATION_PATHS, Fact.opaque(GOOGLE_KEY_ROTATION, source))}
    if not key.ok:
        error = key.error
        if isinstance(error, NotFound):
            failed = Fact.error(f"the resource names key {at_rest.kms_key}, which no longer "
                                f"exists ({error.code}: {error.message})", source,
                                error.operation)
        else:
            failed = key.failure(source)
        return dict.fromkeys(KEY_JOIN_PATHS, failed)
    found: KeyInfo = key.value
    return {**custody(found, versions, source, found.source),
            **_rotation(found, source, found.source)}


def residency_facts(locations: Iterable[str], source: str) -> dict[str, Fact]:
    """Where the data is: one zone's region, a region, or a multi-region (a snapshot's or an
    image's storage locations); a location the region table does not know is an error."""
    codes = [c for c in locations if c]
    spread = places_of("gcp", codes)
    if spread.unknown:
        unknown = Fact.error(f"location {', '.join(spread.unknown)} is not in the region "
                             "table", source)
        return dict.fromkeys(RESIDENCY_PATHS, unknown)
    loc = combine(locate("gcp", c) for c in codes)
    region = ",".join(canonical("gcp", c) or c for c in codes)
    return {"data_residency.region": Fact.observed(region, source),
            "data_residency.country": Fact.observed(loc.country, source),
            "data_residency.jurisdiction": Fact.observed(loc.jurisdiction, source),
            "data_residency.jurisdictions": Fact.observed(spread.jurisdictions, source)}


def zone_region(zone_or_region: str) -> str:
    """``us-central1`` for zone ``us-central1-a`` (a region stays itself)."""
    parts = zone_or_region.split("-")
    if len(parts) == 3 and len(parts[2]) == 1:
        return "-".join(parts[:2])
    return zone_or_region
