"""One collection run: list buckets, read each bucket's settings, describe keys, read the
account's settings (globally, and ECS default disk encryption per scanned region), then the
disks, snapshots, file systems and databases of the scanned regions (_storage_collect).

A ListBuckets that fails (first page included) is a coverage gap: the keys and the account's
settings are still read. The account id is ListBuckets' Owner; when nothing was listed it is
the one the account's own keys name (ListKeys lists the caller's keys, KeyArn
acs:kms:<region>:<account>:key/<id>). Only a run in which no call was answered, or whose
credentials were refused, fails the provider as a whole.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from alibabacloud_credentials_api import ICredentialsProvider

from auditor.errors import (
    CallError,
    CredentialsError,
    EndpointError,
    NotFound,
    ProviderError,
)
from auditor.model import Fact, ProviderRun, Resource
from auditor.providers._runtime import ApiLedger, Progress, attempt, bounded_map, utc_now
from auditor.providers._runtime.heard import Heard
from auditor.providers.alibaba import _ecs, _kms, _oss
from auditor.providers.alibaba._errors import CREDENTIAL_CODES, Caller, RetryPolicy
from auditor.providers.alibaba._name import PROVIDER
from auditor.providers.alibaba._normalize import (
    UNKNOWN_ACCOUNT,
    BucketRaw,
    Locate,
    Outcome,
    oss_location,
    region_id,
)
from auditor.providers.alibaba._once import Once as _Once
from auditor.providers.alibaba._reader import BucketReader
from auditor.providers.alibaba._resources import (
    ACCOUNT,
    BLOCK_STORAGE,
    BUCKET,
    KEY,
    PUBLIC,
    account_resource,
    bucket_resource,
    key_resource,
    regional_account_resource,
)
from auditor.providers.alibaba._session import Session
from auditor.providers.alibaba._storage_collect import StorageCollector
from auditor.providers.alibaba._tags import read_key_tags, tagged
from auditor.providers.base import Collection, CollectRequest

T = TypeVar("T")
DEFAULT_REGION = "cn-hangzhou"  # ListBuckets answers for every region from any endpoint
SERVICE_KEY_ALIAS = "alias/acs/oss"
KEY_FACTS = ("key.manager", "key.state", "key_custody.level", "key_custody.hsm",
             "key_rotation.enabled", "key_rotation.period_days", "key_rotation.supported",
             "key_exposure.is_public")


class _Caller(Heard, Caller):
    """The OSS/KMS caller, noting whether any call of the run was answered."""


def _key_account(listed: list[tuple[str, dict[str, str]]]) -> str | None:
    """The one account the listed keys' ARNs name (ListKeys lists only the caller's)."""
    named = {arn.split(":")[3] for _, key in listed
             if (arn := key.get("KeyArn") or "").startswith("acs:kms:") and arn.count(":") >= 4}
    named.discard("")
    return named.pop() if len(named) == 1 else None


def _unlisted(exc: CallError) -> ProviderError:
    """The provider failure of a run whose ListBuckets failed and that heard nothing else."""
    if exc.code == "NetworkError":
        return EndpointError(PROVIDER, f"OSS endpoint unreachable: {exc.message}; no other "
                             "call was answered")
    return ProviderError(PROVIDER, f"cannot list buckets: {exc}; no other call was answered")


def _listed_regions(option: Any) -> list[str]:
    values = [option] if isinstance(option, str) else list(option or [])
    return sorted({region_id(v) for v in values if str(v).strip()})


class Collector:
    def __init__(self, request: CollectRequest, retry: RetryPolicy,
                 locate: Locate | None = None, *, credentials: ICredentialsProvider | None = None,
                 ledger: ApiLedger | None = None) -> None:
        """``credentials``: a target account's (default: the caller's); ``ledger``: one that
        already counts the calls made for them (AssumeRole)."""
        if locate is None:
            from auditor.regions import locate as table_locate
            locate = table_locate
        self.request = request
        self.locate = locate
        self.wants_tags = request.tags  # a mutelist rule matches on tags: read them
        opts = request.options
        self.regions = _listed_regions(opts.get("region"))
        self.session = Session(opts.get("oss_endpoint"), opts.get("alibaba_kms_endpoint"),
                               request.max_workers, credentials,
                               ecs_endpoint=opts.get("alibaba_ecs_endpoint"),
                               timeout=request.timeout,
                               scrubber=ledger.scrubber if ledger is not None else None,
                               nas_endpoint=opts.get("alibaba_nas_endpoint"),
                               rds_endpoint=opts.get("alibaba_rds_endpoint"))
        self.ledger = ledger if ledger is not None else ApiLedger(self.session.scrubber)
        self.call = _Caller(self.ledger, retry, self.session.scrub)
        self._lock = threading.Lock()
        self._once: dict[tuple[str, ...], _Once] = {}
        self._progress: Progress | None = None

    # --- plumbing ----------------------------------------------------------------------

    def wants(self, kind: str, *paths: str) -> bool:
        return self.request.wants(kind, *paths)

    def attempt(self, scope: str, source: str, fn: Callable[[], Any]) -> Outcome:
        return attempt(self.ledger, scope, source, fn)

    def listing(self, scope: str, source: str, fn: Callable[[], Any]) -> Outcome:
        """A listing call: its failure is recorded as a coverage gap (kind "listing")."""
        return attempt(self.ledger, scope, source, fn, listing=True)

    def once(self, key: tuple[str, ...], compute: Callable[[], T]) -> T:
        with self._lock:
            slot = self._once.setdefault(key, _Once())
        return slot.get(compute)

    # --- the run -----------------------------------------------------------------------

    def run(self) -> Collection:
        run = ProviderRun(PROVIDER, started_at=utc_now(),
                          endpoint_overridden=self.session.endpoint_overridden)
        home = self.regions[0] if self.regions else DEFAULT_REGION
        listing = self._list_buckets(home)
        located = bounded_map(self._locate, listing.buckets, self.request.max_workers)
        # A bucket whose region cannot be read stays in, with that failure on its facts.
        buckets = [(b, where) for b, where in located
                   if not self.regions or not where.ok or region_id(where.value) in self.regions]
        regions = self.regions or sorted({region_id(w.value) for _, w in buckets if w.ok})
        want_keys = self.request.facts is None or bool(self.request.facts.get(KEY))
        listed_keys = None
        if not listing.pages and want_keys:  # nothing listed: no Owner, the keys name it
            listed_keys = self._list_keys(regions)
        account = listing.owner or _key_account(listed_keys or []) or UNKNOWN_ACCOUNT
        if listing.error is not None:  # a gap: keep what was listed (maybe nothing)
            self.ledger.listing_failed(account, listing.error)
        run.accounts, run.regions = [account], regions
        account_block = None
        if self.wants(BUCKET, *PUBLIC) or \
                self.wants(ACCOUNT, "public_access_block.enabled"):
            account_block = self.attempt(account, "oss:GetPublicAccessBlock", lambda: (
                _oss.account_public_access_block(self.session.oss(home), self.call)))
        self._progress = Progress(self.request.report, PROVIDER, len(buckets))
        raws = bounded_map(lambda item: self._bucket(*item, account, account_block),
                           buckets, self.request.max_workers)
        resources: list[Resource] = [tagged(bucket_resource(
            raw, lambda p: self.wants(BUCKET, p), self.locate), raw.answers.get("tags"))
            for raw in raws]
        if want_keys:
            resources.extend(read_key_tags(self, self._keys(regions, raws, account, listed_keys),
                                           account))
        if account_block is not None and self.wants(ACCOUNT, "public_access_block.enabled"):
            resources.append(account_resource(account, account_block,
                                              lambda p: self.wants(ACCOUNT, p)))
        if self.wants(ACCOUNT, *BLOCK_STORAGE):
            resources.extend(bounded_map(lambda r: self._disk_defaults(account, r), regions,
                                         self.request.max_workers))
        storage = StorageCollector(self, account)
        if storage.kinds_wanted():  # disks, snapshots, file systems, databases
            wider = self.regions or storage.regions(regions, home)
            run.regions = sorted(set(run.regions) | set(wider))
            resources.extend(storage.collect(wider))
        if not listing.pages and listing.error is not None and not self.call.heard:
            raise _unlisted(listing.error) from listing.error  # nothing to report on
        return Collection(self.ledger.finish(run, resources), resources)

    def _list_buckets(self, home: str) -> _oss.Listing:
        """The listing, maybe failed (a gap); refused credentials fail the provider."""
        listing = _oss.list_buckets(self.session.oss(home), self.call)
        exc = listing.error
        if not listing.pages and exc is not None and exc.code in CREDENTIAL_CODES:
            raise CredentialsError(PROVIDER, f"credentials rejected by OSS ({exc.code})") \
                from exc
        return listing

    def _disk_defaults(self, account: str, region: str) -> Resource:
        """ECS default disk encryption in one region; the key id only where it is on."""
        client, scope = self.session.ecs(region), f"{account}/{region}"
        status = self.attempt(scope, _ecs.STATUS, lambda: _ecs.encryption_by_default(
            client, self.call, region))
        key = None
        if self.wants(ACCOUNT, "block_storage_encryption.key_id") and status.ok and status.value:
            key = self.attempt(scope, _ecs.DEFAULT_KEY, lambda: _ecs.default_kms_key_id(
                client, self.call, region))
        return regional_account_resource(account, region, status, key,
                                         lambda p: self.wants(ACCOUNT, p))

    # --- one bucket --------------------------------------------------------------------

    def _locate(self, listed: _oss.ListedBucket) -> tuple[_oss.ListedBucket, Outcome]:
        """The bucket's OSS location: from the listing, else GetBucketLocation."""
        if listed.location:
            return listed, Outcome("oss:ListBuckets", oss_location(listed.location))
        return listed, self.attempt(listed.name, "oss:GetBucketLocation", lambda: oss_location(
            _oss.bucket_location(self.session.oss(DEFAULT_REGION), self.call, listed.name)))

    def _bucket(self, listed: _oss.ListedBucket, region: Outcome, account: str,
                account_block: Outcome | None) -> BucketRaw:
        name = listed.name
        client = self.session.oss(region_id(region.value) if region.ok else DEFAULT_REGION)
        raw = BucketRaw(name, account, region)
        BucketReader(self, client, raw, account_block).read()
        assert self._progress is not None, "run() sets it before reading buckets"
        self._progress.tick()
        return raw

    # --- keys --------------------------------------------------------------------------

    def describe(self, region: str, key_ref: str) -> Outcome:
        """DescribeKey once per key (a key id, or an ARN for another account's key)."""
        if key_ref.startswith("acs:kms:"):
            region = _kms.arn_region(key_ref) or region
        key_id = key_ref.rsplit("/", 1)[-1] if key_ref.startswith("acs:kms:") else key_ref
        return self.once(("key", region, key_id), lambda: self.attempt(
            key_ref, "kms:DescribeKey",
            lambda: _kms.describe_key(self.session.kms(region), self.call, key_ref)))

    def service_key(self, region: str) -> Outcome:
        """The OSS service key of a region, found through its alias alias/acs/oss."""
        aliases = self.once(("aliases", region), lambda: self.listing(
            region, "kms:ListAliases", lambda: self._aliases(region)))
        if not aliases.ok:
            return aliases
        found, cut_short = aliases.value
        key_id = found.get(SERVICE_KEY_ALIAS)
        if key_id is None:  # absent, or maybe on the pages that could not be listed
            return Outcome("kms:ListAliases", error=cut_short or NotFound(
                "kms:ListAliases", "AliasNotFound", f"{SERVICE_KEY_ALIAS} not in {region}"))
        return self.describe(region, key_id)

    def _aliases(self, region: str) -> tuple[dict[str, str], CallError | None]:
        """The region's aliases; a listing cut short after its first page is a coverage
        gap, and what it listed is kept."""
        found, cut_short = _kms.list_aliases(self.session.kms(region), self.call, region)
        if cut_short is not None:
            self.ledger.listing_failed(region, cut_short)
        return found, cut_short

    def _list_keys(self, regions: list[str]) -> list[tuple[str, dict[str, str]]]:
        """(region, {"KeyId", "KeyArn"}) of every listed key; failed listings are gaps."""
        listed: list[tuple[str, dict[str, str]]] = []
        for region in regions:
            keys = self.listing(region, "kms:ListKeys", lambda r=region: _kms.list_keys(
                self.session.kms(r), self.call, r))
            if keys.ok:
                found, later_page_failed = keys.value
                if later_page_failed is not None:  # keep the pages that answered
                    self.ledger.listing_failed(region, later_page_failed)
                listed.extend((region, k) for k in found)
        return listed

    def _keys(self, regions: list[str], raws: list[BucketRaw], account: str,
              listed: list[tuple[str, dict[str, str]]] | None = None) -> list[Resource]:
        if listed is None:
            listed = self._list_keys(regions)
        answers = bounded_map(lambda item: (item[0], item[1], self.describe(
            item[0], item[1]["KeyId"])), listed, self.request.max_workers)
        seen: dict[str, tuple[str, Outcome, str | None]] = {}
        for region, entry, answer in answers:
            seen.setdefault(entry["KeyId"], (region, answer, entry.get("KeyArn")))
        # Keys named by buckets but not listed (another region or account, or ListKeys
        # denied) count too, even when they could not be described.
        for raw in raws:
            enc, key = raw.answers.get("encryption"), raw.answers.get("key")
            ref = enc.value.get("key_id") if enc is not None and enc.ok and enc.value else None
            if key is None or (not key.ok and not ref):
                continue  # an unreadable service key has no id to report it under
            key_id = key.value["KeyId"] if key.ok else str(ref).rsplit("/", 1)[-1]
            if key_id not in seen:
                arn = key.value.get("Arn") if key.ok else (ref if ref.startswith("acs:") else None)
                region = _kms.arn_region(arn) or region_id(raw.region.value)
                seen[key_id] = (region, key, arn)

        def wanted(path: str) -> bool:
            return self.wants(KEY, path)

        return bounded_map(lambda item: self._key_resource(item[0], *item[1], account, wanted),
                           list(seen.items()), self.request.max_workers)

    def _key_resource(self, key_id: str, region: str, meta: Outcome, arn: str | None,
                      account: str, wanted: Callable[[str], bool]) -> Resource:
        if not meta.ok:
            fact: Fact = meta.failure()
            return Resource(KEY, PROVIDER, account, region,
                            arn or f"acs:kms:{region}:{account}:key/{key_id}", key_id,
                            {p: fact for p in KEY_FACTS if wanted(p)})
        policy = None
        instance = meta.value.get("DKMSInstanceId")
        if instance and wanted("key_exposure.is_public"):
            ref = meta.value.get("Arn") or key_id
            policy = self.attempt(key_id, "kms:GetKeyPolicy", lambda: _kms.get_key_policy(
                self.session.kms(region), self.call, ref))
        return key_resource(meta, policy, region, account, wanted)

