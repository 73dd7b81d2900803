"""S3 calls: list buckets, locate them, and read each bucket's configuration (read-only)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from auditor.errors import ListingIncomplete
from auditor.model import ResourceKind
from auditor.providers._runtime import Outcome, PageGuard
from auditor.providers._runtime.shapes import odd_items
from auditor.providers.aws._errors import Caller
from auditor.providers.aws._normalize import effective_flags, enforced_ownership
from auditor.providers.aws._session import AwsSession
from auditor.providers.base import CollectRequest
from auditor.regions import normalize_aws_location

BUCKET = ResourceKind.BUCKET
_EXPOSURE = ("public_exposure.is_public", "public_exposure.reasons")
_KEYED = ("encryption.enabled", "encryption.algorithm", "encryption.key_id",
          "key_custody.level", "key_custody.hsm", "key_rotation.enabled",
          "key_rotation.period_days", "key_rotation.supported")
_IMMUTABILITY = ("immutability.enabled", "immutability.mode", "immutability.retention_days",
                 "immutability.locked")
_REPLICATION = ("data_residency.replication_destinations",
                "data_residency.replication_jurisdictions")

# call -> the bucket facts that read its answer
NEEDS: dict[str, tuple[str, ...]] = {
    "encryption": _KEYED,
    "pab": ("public_access_block.bucket", "public_access_block.effective", *_EXPOSURE),
    "policy": ("tls_enforced.required", *_EXPOSURE),
    "policy_status": _EXPOSURE,
    "ownership": ("access_control.acls_disabled", *_EXPOSURE),
    "acl": _EXPOSURE,
    "versioning": ("versioning.enabled", "versioning.mfa_delete"),
    "object_lock": _IMMUTABILITY,
    "logging": ("access_logging.enabled", "access_logging.target"),
    "replication": _REPLICATION,
}
ACCOUNT_PAB_FACTS = ("public_access_block.account", "public_access_block.effective", *_EXPOSURE)

# The calls left out because an earlier answer (or the listing) already implies theirs
# (docs/requests.md). ``collect(..., skips=frozenset())`` sends every call instead, so tests
# can compare the facts of both paths on one estate.
SKIPS: frozenset[str] = frozenset({
    "location:listed",  # ListBuckets carried BucketRegion: no GetBucketLocation
    "policy_status:no_policy",  # no bucket policy: no public policy to report
    "policy_status:restrict_public_buckets",  # a public policy grants nothing then
    "acl:owner_enforced",  # BucketOwnerEnforced: ACLs are disabled
    "acl:ignore_public_acls",  # public ACLs are ignored then
    "versioned:never",  # never versioned: no Object Lock, no replication
    "object_lock:suspended",  # versioning Suspended: Object Lock is impossible
})

# call -> (client method, ledger/source operation name)
CALLS: dict[str, tuple[str, str]] = {
    "encryption": ("get_bucket_encryption", "s3:GetBucketEncryption"),
    "pab": ("get_public_access_block", "s3:GetPublicAccessBlock"),
    "policy": ("get_bucket_policy", "s3:GetBucketPolicy"),
    "policy_status": ("get_bucket_policy_status", "s3:GetBucketPolicyStatus"),
    "ownership": ("get_bucket_ownership_controls", "s3:GetBucketOwnershipControls"),
    "acl": ("get_bucket_acl", "s3:GetBucketAcl"),
    "versioning": ("get_bucket_versioning", "s3:GetBucketVersioning"),
    "object_lock": ("get_object_lock_configuration", "s3:GetObjectLockConfiguration"),
    "logging": ("get_bucket_logging", "s3:GetBucketLogging"),
    "replication": ("get_bucket_replication", "s3:GetBucketReplication"),
}


@dataclass(slots=True)
class BucketRaw:
    """What the API said about one bucket, call by call."""

    name: str
    region: str | None = None
    location: Outcome | None = None  # GetBucketLocation, or ListBuckets when it had BucketRegion
    answers: dict[str, Outcome] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # call -> why its answer is implied


def wanted_calls(request: CollectRequest) -> set[str]:
    return {call for call, facts in NEEDS.items() if request.wants(BUCKET, *facts)}


def normalize_location(constraint: Any) -> str:
    """GetBucketLocation's LocationConstraint: empty means us-east-1, "EU" means eu-west-1."""
    return normalize_aws_location(str(constraint) if constraint else None)


def list_buckets(session: AwsSession, caller: Caller,
                 skips: frozenset[str] = SKIPS) -> list[BucketRaw]:
    """Every bucket (paginated), with its region when the answer carries BucketRegion.

    A page that fails, repeats a token or exceeds the page budget is recorded as a listing
    failure (a coverage gap: the run is partial, never a clean estate) and the buckets read
    so far are kept, none when the first page failed; keys and account settings are still
    read.
    """
    client = session.client("s3", session.region)
    buckets: list[BucketRaw] = []
    guard = PageGuard("s3:ListBuckets")
    token: Hashable | None = None
    while True:
        kwargs: dict[str, Any] = {"MaxBuckets": 1000}
        if token:
            kwargs["ContinuationToken"] = token
        answer = caller.call(client, "list_buckets", "s3:ListBuckets", "s3", listing=True,
                             **kwargs)
        if answer.error is not None:  # recorded by the Caller as a listing failure
            return buckets
        for item in answer.value["Buckets"]:  # answers.yaml: Buckets of named buckets
            raw = BucketRaw(item["Name"])
            if item.get("BucketRegion") and "location:listed" in skips:
                raw.region = item["BucketRegion"]
                raw.location = answer
            buckets.append(raw)
        # An odd entry that names its bucket: read as any bucket the listing did not locate.
        buckets += [BucketRaw(o.identity["Name"]) for o in odd_items(answer.value) if o.named]
        try:
            # S3 has no IsTruncated here: a ContinuationToken alone says there is more.
            token = guard.follow(answer.value.get("ContinuationToken"))
        except ListingIncomplete as exc:
            caller.ledger.listing_failed("s3", exc)
            return buckets
        if token is None:
            return buckets


def locate(session: AwsSession, caller: Caller, raw: BucketRaw) -> BucketRaw:
    if raw.region is None:
        answer = caller.call(session.client("s3", session.region), "get_bucket_location",
                             "s3:GetBucketLocation", raw.name, Bucket=raw.name)
        raw.location = answer
        if answer.ok:
            raw.region = normalize_location((answer.value or {}).get("LocationConstraint"))
    return raw


def read_bucket(session: AwsSession, caller: Caller, raw: BucketRaw, calls: set[str],
                account_pab: Outcome | None, skips: frozenset[str] = SKIPS) -> BucketRaw:
    """Read the wanted configuration of one bucket, skipping calls whose answer is implied
    (each skip named in ``skips``; the skipped call and why are kept in ``raw.skipped``)."""
    client = session.client("s3", raw.region or session.region)
    answers = raw.answers

    def call(name: str) -> Outcome:
        method, operation = CALLS[name]
        answers[name] = caller.call(client, method, operation, raw.name, Bucket=raw.name)
        return answers[name]

    for name in ("encryption", "pab", "policy", "ownership", "logging"):
        if name in calls:
            call(name)
    flags = effective_flags(answers.get("pab"), account_pab)
    if "policy_status" in calls:
        policy = answers.get("policy")
        if policy is not None and policy.absent and "policy_status:no_policy" in skips:
            raw.skipped["policy_status"] = "no bucket policy, so no public policy"
        elif flags.get("RestrictPublicBuckets") is True and \
                "policy_status:restrict_public_buckets" in skips:
            raw.skipped["policy_status"] = ("RestrictPublicBuckets is in effect: a public "
                                            "policy grants no public access")
        else:
            call("policy_status")
    if "acl" in calls:
        if enforced_ownership(answers.get("ownership")) is True and \
                "acl:owner_enforced" in skips:
            raw.skipped["acl"] = "ownership controls BucketOwnerEnforced disable ACLs"
        elif flags.get("IgnorePublicAcls") is True and "acl:ignore_public_acls" in skips:
            raw.skipped["acl"] = "IgnorePublicAcls is in effect: public ACLs are ignored"
        else:
            call("acl")
    lock_and_replication = calls & {"object_lock", "replication"}
    if "versioning" in calls or len(lock_and_replication) == 2:
        versioning = call("versioning")
        status = (versioning.value or {}).get("Status") if versioning.ok else None
        if versioning.ok and not status and "versioned:never" in skips:
            # Object Lock and replication both need versioning, which can never be turned
            # back to "never enabled": neither can be configured on this bucket.
            for name in lock_and_replication:
                raw.skipped[name] = "versioning was never enabled on the bucket"
        elif status == "Suspended" and "object_lock" in calls and \
                "object_lock:suspended" in skips:
            # S3 User Guide, "Object Lock considerations": after Object Lock is enabled on a
            # bucket, its versioning can never be suspended.
            raw.skipped["object_lock"] = ("versioning is Suspended, which a bucket with "
                                          "Object Lock can never be")
    for name in ("object_lock", "replication"):
        if name in calls and name not in raw.skipped:
            call(name)
    return raw


def destination_regions(session: AwsSession, caller: Caller, known: dict[str, Outcome | str],
                        names: set[str]) -> dict[str, Outcome | str]:
    """Region of each replication destination: from the listing or a location already read
    (or already failed: not asked twice), else GetBucketLocation."""
    out: dict[str, Outcome | str] = {}
    client = session.client("s3", session.region)
    for name in sorted(names):
        if name in known:
            out[name] = known[name]
            continue
        answer = caller.call(client, "get_bucket_location", "s3:GetBucketLocation", name,
                             Bucket=name)
        out[name] = (normalize_location((answer.value or {}).get("LocationConstraint"))
                     if answer.ok else answer)
    return out
