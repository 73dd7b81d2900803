"""One AWS collection: scope, then buckets, keys and account settings through a bounded pool."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from auditor.errors import EndpointError
from auditor.model import ProviderRun, Resource, ResourceKind
from auditor.providers._runtime import (
    ApiLedger,
    Outcome,
    Progress,
    RetryPolicy,
    bounded_map,
    naming_gaps,
    utc_now,
)
from auditor.providers.aws import _account, _bucket_state, _kinds, _kms, _s3, _tags
from auditor.providers.aws._account_options import DEFAULT_SESSION_NAME
from auditor.providers.aws._bucket import BucketContext, bucket_facts, key_reference
from auditor.providers.aws._errors import Caller
from auditor.providers.aws._name import PROVIDER
from auditor.providers.aws._normalize import (
    SharedFacts,
    ebs_encryption_fact,
    ebs_key_fact,
    key_facts,
    key_manager,
    pab_fact,
)
from auditor.providers.aws._session import AwsSession
from auditor.providers.aws._shards import shard_of
from auditor.providers.base import Collection, CollectRequest
from auditor.schema import fact_catalog

BUCKET, KEY, ACCOUNT = ResourceKind.BUCKET, ResourceKind.KEY, ResourceKind.ACCOUNT
_BUCKET_KEY_FACTS = ("key_custody.level", "key_custody.hsm", "key_rotation.enabled",
                     "key_rotation.period_days", "key_rotation.supported")


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return list(dict.fromkeys(str(v) for v in items if v))


class _Collector:
    def __init__(self, request: CollectRequest, retry: RetryPolicy | None = None,
                 skips: frozenset[str] = _s3.SKIPS) -> None:
        self.request = request
        self.skips = skips
        self.workers = max(1, int(request.max_workers or 1))
        self.ledger = ApiLedger()
        self.retry = retry
        self.caller = Caller(self.ledger, retry)
        options = request.options
        self.session = AwsSession(options.get("profile"), options.get("role_arn"),
                                  options.get("external_id"), self.workers,
                                  timeout=request.timeout,
                                  scrubber=self.ledger.scrubber,
                                  session_name=options.get("session_name")
                                  or DEFAULT_SESSION_NAME,
                                  count=self.ledger.count,
                                  assume_attempts=(retry or RetryPolicy()).max_attempts)
        self.ident = _account.identity(self.session, self.caller)
        self.regions = _as_list(options.get("region"))
        # One region's shard of the account (_shards): the regions of all its shards; the
        # first shard keeps the buckets whose region cannot be read, the others leave them.
        self.shards = shard_of(options)
        self.keeps_unlocated = self.shards is None or self.regions[:1] == list(self.shards[:1])
        # Buckets are filtered by region only when the regions in scope are known.
        self.scoped = bool(self.regions)
        if not self.regions:
            listed = _account.enabled_regions(self.session, self.caller)
            self.scoped = listed is not None
            self.regions = listed if listed is not None else [self.session.region]

    def wants(self, kind: str, paths: Iterable[str] | None = None) -> bool:
        return self.request.wants(kind, *(paths if paths is not None else fact_catalog()[kind]))

    def _map(self, fn: Any, items: Iterable[Any]) -> list[Any]:
        return bounded_map(fn, items, self.workers)

    # --- buckets ----------------------------------------------------------------------

    def buckets(self) -> tuple[list[_s3.BucketRaw], dict[str, Outcome | str], Outcome | None]:
        """(the buckets in scope, read; bucket -> region or failed location; the account's
        Block Public Access when read)."""
        if not self.wants(BUCKET):
            return [], {}, self.account_pab(False)
        listed = _s3.list_buckets(self.session, self.caller, self.skips)
        located = self.locate(listed)
        known = {raw.name: raw.region for raw in located if raw.region}
        if self.scoped:
            # A bucket whose region could not be read stays in scope: it cannot be shown to
            # be out (in one shard of the account only, so that it is reported once).
            scoped = [raw for raw in located if raw.region in self.regions
                      or (raw.region is None and self.keeps_unlocated)]
        else:
            # The enabled regions could not be listed, but the bucket listing is global: keep
            # every bucket, and take the regions for keys and EBS from where the buckets are.
            scoped = located
            self.regions = sorted({self.session.region, *known.values()})
        account_pab = self.account_pab(bool(scoped))
        calls = _s3.wanted_calls(self.request)
        progress = Progress(self.request.report, PROVIDER, len(scoped))

        def read(raw: _s3.BucketRaw) -> _s3.BucketRaw:
            _s3.read_bucket(self.session, self.caller, raw, calls, account_pab, self.skips)
            progress.tick()
            return raw

        progress.start()
        # A bucket whose location call failed is not asked again as a replication target.
        failed = {raw.name: raw.location for raw in located
                  if raw.region is None and raw.location is not None}
        return self._map(read, scoped), {**failed, **known}, account_pab

    def account_pab(self, buckets: bool) -> Outcome | None:
        """The account's S3 Block Public Access (s3control), read when its own fact is wanted
        or ``buckets`` in scope read it: a region shard without buckets of its own, which
        leaves the account fact to the first shard, does not ask."""
        if self.request.wants(ACCOUNT, "public_access_block.enabled") or (
                buckets and self.request.wants(BUCKET, *_s3.ACCOUNT_PAB_FACTS)):
            return _account.account_public_access_block(self.session, self.caller,
                                                         self.ident.account)
        return None

    def locate(self, listed: list[_s3.BucketRaw]) -> list[_s3.BucketRaw]:
        """Each bucket with its region where it can be read. In a shard that leaves the
        unlocated buckets to another, a location that fails is that shard's to report (with
        the bucket): its calls count here, its failure is not recorded here."""
        if self.keeps_unlocated:
            return self._map(lambda raw: _s3.locate(self.session, self.caller, raw), listed)
        side = Caller(ApiLedger(self.ledger.scrubber), self.retry)
        located = self._map(lambda raw: _s3.locate(self.session, side, raw), listed)
        self.ledger.calls.update(side.ledger.calls)  # no call of this run is in flight now
        return located

    # --- keys -------------------------------------------------------------------------

    def keys(self, buckets: list[_s3.BucketRaw], others: _kinds.Gathered | None = None,
             ) -> tuple[dict[tuple[str, str], _kms.KeyInfo], list[_kms.KeyInfo]]:
        """(bucket and ``others``' key references -> key, key resources to emit)."""
        key_resources = self.wants(KEY)
        bucket_keys = self.request.wants(BUCKET, *_BUCKET_KEY_FACTS)
        # Keys that protect a bucket: for the bucket's custody, and emitted as key resources.
        refs = {ref for raw in buckets if (ref := key_reference(raw))} \
            if bucket_keys or key_resources else set()
        # ... and those of volumes, snapshots, file systems and databases (_kinds)
        other_refs = others.key_refs if others is not None else frozenset()
        refs |= other_refs
        regions = sorted(set(self.regions if key_resources else []) | {r for r, _ in refs})
        if not regions:
            return {}, []
        listings = {rk.region: rk for rk in self._map(
            lambda region: _kms.list_region(self.session, self.caller, region,
                                            key_resources and region in self.regions),
            regions)}
        # A key behind a reserved alias/aws/ alias is AWS managed: no need to describe it
        # unless it protects a bucket.
        listed = {(rk.region, key) for rk in listings.values() for key in rk.key_ids
                  if not any(a.startswith("alias/aws/") for a in
                             rk.alias_names.get(key.rsplit("key/", 1)[-1], ()))}
        # A bucket names its key by id, alias or ARN: described by the listed ARN it resolves
        # to, so that a key whose DescribeKey fails is still one key resource, not two.
        canonical = {(region, ref): (region, listings[region].resolve(ref)) for region, ref in refs}
        described = self._map(lambda target: _kms.describe(self.session, self.caller, *target),
                              sorted(set(canonical.values()) | listed))
        by_target: dict[tuple[str, str], _kms.KeyInfo] = {}
        by_arn: dict[str, _kms.KeyInfo] = {}
        for info in described:
            target = (info.region, info.ref)
            info.aliases = listings[info.region].alias_names.get(info.key_id, [])
            info = by_arn.setdefault(info.arn, info)
            by_target[target] = info
        for ref, target in canonical.items():
            by_target[ref] = by_target[target]
        emit: dict[str, _kms.KeyInfo] = {}
        if key_resources:
            for target in sorted(listed):
                info = by_target[target]
                manager = key_manager(info) if info.describe.ok else None
                if manager is None or manager.value != "provider":
                    emit.setdefault(info.arn, info)
            for target in sorted(refs):
                if self.reports_named_key(by_target[target]):
                    emit.setdefault(by_target[target].arn, by_target[target])
        rotate = {id(i): i for i in emit.values()} if self.wants(
            KEY, ("key_rotation.enabled", "key_rotation.period_days")) else {}
        if self.request.wants(BUCKET, "key_rotation.enabled", "key_rotation.period_days"):
            rotate.update({id(by_target[t]): by_target[t] for t in refs})
        if others is not None and others.rotation:
            rotate.update({id(by_target[t]): by_target[t] for t in other_refs})
        self._map(lambda info: _kms.read_rotation(self.session, self.caller, info),
                  rotate.values())
        if self.wants(KEY, ("key_exposure.is_public",)):
            self._map(lambda info: _kms.read_policy(self.session, self.caller, info),
                      emit.values())
        return {t: by_target[t] for t in refs}, list(emit.values())

    def reports_named_key(self, info: _kms.KeyInfo) -> bool:
        """Whether a key a collected resource names is a resource of this collection: yes,
        unless this is a shard and the key is in another shard's region, whose listing
        reports it; that listing leaves out an AWS managed key, which is then this shard's
        (only an unlocated bucket names a key outside its own shard's region)."""
        if self.shards is None or info.region in self.regions or info.region not in self.shards:
            return True
        manager = key_manager(info) if info.describe.ok else None
        return manager is not None and manager.value == "provider"

    # --- resources --------------------------------------------------------------------

    def key_resource(self, info: _kms.KeyInfo) -> Resource:
        arn = info.arn
        parts = arn.split(":")
        account = parts[4] if arn.startswith("arn:") and len(parts) > 5 else self.ident.account
        named = [a for a in info.aliases if not a.startswith("alias/aws/")] or info.aliases
        name = named[0].removeprefix("alias/") if named else info.key_id
        return Resource(KEY, PROVIDER, account, info.region, arn, name,
                        key_facts(info, lambda p: self.request.wants(KEY, p)))

    def account_resources(self, account_pab: Outcome | None) -> list[Resource]:
        account = self.ident.account
        out: list[Resource] = []
        if account_pab is not None and self.request.wants(ACCOUNT, "public_access_block.enabled"):
            out.append(Resource(ACCOUNT, PROVIDER, account, "global", account, account,
                                {"public_access_block.enabled": pab_fact(account_pab,
                                                                         "account-level")}))
        enc = self.request.wants(ACCOUNT, "block_storage_encryption.enabled")
        key = self.request.wants(ACCOUNT, "block_storage_encryption.key_id")
        if enc or key:
            for ebs in self._map(lambda r: _account.ebs_defaults(self.session, self.caller, r,
                                                                 enc, key), self.regions):
                facts = {}
                if ebs.encryption is not None:
                    facts["block_storage_encryption.enabled"] = ebs_encryption_fact(
                        ebs.encryption)
                if ebs.key is not None:
                    facts["block_storage_encryption.key_id"] = ebs_key_fact(ebs.key)
                out.append(Resource(ACCOUNT, PROVIDER, account, ebs.region,
                                    f"{account}/{ebs.region}", f"{account}/{ebs.region}", facts))
        return out

    def read_tags(self, resources: list[Resource], raws: list[_s3.BucketRaw],
                  keys: list[_kms.KeyInfo]) -> None:
        """Tags of the buckets and of the customer managed keys (an AWS managed key's tags
        are not the customer's to set); None where the read failed or was not made."""
        regions = {raw.name: raw.region for raw in raws}
        customer = {info.arn: info.region for info in keys
                    if info.describe.ok and info.metadata.get("KeyManager") == "CUSTOMER"}

        def read(resource: Resource) -> None:
            if resource.kind == BUCKET:
                resource.tags = _tags.bucket_tags(self.session, self.caller, resource.name,
                                                  regions.get(resource.name))
            elif resource.id in customer:
                resource.tags = _tags.key_tags(self.session, self.caller,
                                               customer[resource.id], resource.id)

        self._map(read, resources)

    def run(self) -> Collection:
        started = utc_now()
        raws, known, account_pab = self.buckets()
        wanted_destinations = {name for raw in raws for name in _bucket_state.destinations(raw)}
        destinations = _s3.destination_regions(self.session, self.caller, known,
                                               wanted_destinations)
        # The regions are final once the buckets are located (see buckets()).
        run = ProviderRun(PROVIDER, [self.ident.account], list(self.regions), started)
        others = _kinds.gather(self.session, self.caller, self.request, self.regions, self._map)
        key_map, key_infos = self.keys(raws, others)
        ctx = BucketContext(account_pab, key_map, destinations)
        shared = SharedFacts()  # equal facts of different buckets: one object
        resources = []
        for raw in raws:
            arn = f"arn:{self.ident.partition}:s3:::{raw.name}"
            resources.append(Resource(
                BUCKET, PROVIDER, self.ident.account, raw.region or "unknown", arn, raw.name,
                shared(bucket_facts(raw, arn, ctx, lambda p: self.request.wants(BUCKET, p)))))
            # Normalized: the answers are not needed again (tags need the name and region).
            raw.answers.clear()
            raw.skipped.clear()
        resources += [self.key_resource(info) for info in key_infos]
        if self.request.tags:
            self.read_tags(resources, raws, key_infos)
        resources += self.account_resources(account_pab)
        resources += _kinds.resources(others, key_map, self.ident.partition, self.ident.account)
        run.endpoint_overridden = self.session.endpoint_overridden
        return Collection(self.ledger.finish(run, resources), resources)


def collect(request: CollectRequest, retry: RetryPolicy | None = None,
            skips: frozenset[str] = _s3.SKIPS) -> Collection:
    """``skips``: the implied-answer skips to apply (_s3.SKIPS); tests pass fewer to compare.

    An organization account whose listing entry was odd fails before any call (EndpointError
    with the entry's reason); the entries that named no account are gaps of this run."""
    from auditor.providers.aws._organization import listing_gaps, odd_account_error

    odd = odd_account_error(request.options)
    if odd is not None:
        raise EndpointError(PROVIDER, f"{odd.operation}: {odd.code}: {odd.message}")
    gaps = listing_gaps(request.options)
    with naming_gaps(gaps, "organization entry(ies)", "account"):
        collector = _Collector(request, retry, skips)
    for gap in gaps:
        collector.ledger.listing_failed("organization", gap)
    return collector.run()

