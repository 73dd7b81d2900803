"""One collection run: list buckets per project, read what the wanted facts need, normalize.

Order: bucket lists (projects at once) -> the organization policy of the projects whose
facts need it -> the listings of disks, snapshots, images, Filestore and Cloud SQL (``_kinds``)
-> Cloud KMS enumeration when kms.key facts are wanted -> one bounded pool for every
per-bucket, per-key and per-snapshot call (the CMEKs of every kind read once each) ->
normalization. The organization policy comes first so
that no IAM or ACL read is made for a bucket that it already keeps private.

A bucket listing that fails (in every project, first page included) is a coverage gap: the
keys and the projects' facts are still read and reported. Only a run in which no call was
answered at all fails the provider as a whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from auditor.errors import CallError, EndpointError, MalformedAnswer, ProviderError, ServiceError
from auditor.model import ProviderRun, Resource, ResourceKind
from auditor.providers._runtime import (
    ApiLedger,
    Outcome,
    Progress,
    attempt,
    bounded_map,
    naming_gaps,
    utc_now,
)
from auditor.providers._runtime.heard import Heard
from auditor.providers.base import Collection, CollectRequest
from auditor.providers.gcp import _kms, _orgpolicy, _storage
from auditor.providers.gcp._answers import Listed
from auditor.providers.gcp._errors import Caller, RetryPolicy
from auditor.providers.gcp._kinds import KindsCollector
from auditor.providers.gcp._labels import bucket_tags, key_tags
from auditor.providers.gcp._name import PROVIDER
from auditor.providers.gcp._normalize import KEY_JOIN_PATHS, account_facts, bucket_facts, key_facts
from auditor.providers.gcp._public import prevented
from auditor.providers.gcp._session import GcpSession, open_session
from auditor.regions import canonical

BUCKET, KEY, ACCOUNT = ResourceKind.BUCKET, ResourceKind.KEY, ResourceKind.ACCOUNT
EXPOSURE_PATHS = ("public_exposure.is_public", "public_exposure.reasons")
ACCOUNT_PAB = "public_access_block.enabled"


# What a resource's facts are built from when the call was not needed (their facts are not
# wanted, or an earlier answer made the call moot).
_UNREAD_KEY = (Outcome.not_read(_kms.OP_GET_KEY, "no bucket fact needs the key"),
               Outcome.not_read(_kms.OP_VERSIONS, "no bucket fact needs the key"),
               Outcome.not_read(_kms.OP_KEY_IAM, "no bucket fact needs the key"))
_UNREAD_IAM = Outcome.not_read(_storage.OP_IAM, "public exposure is not wanted or prevented")
_UNREAD_ORG = Outcome.not_read(_orgpolicy.OP_EFFECTIVE, "no fact of the project needs it")


def _whole(listed: Listed[Any]) -> list[Any]:
    """The items of a listing that must be complete to mean anything (a key's versions)."""
    if listed.gap is not None:
        raise listed.gap
    return listed.items


def bucket_id(name: str) -> str:
    return f"projects/_/buckets/{name}"


class _Caller(Heard, Caller):
    """Google's caller, noting whether any call of the run was answered."""


def _raise_unlisted(failures: list[CallError], projects: list[str]) -> None:
    """Raise the provider-level error for a run in which no project's buckets could be
    listed and no other call was answered either: there is nothing to report on."""
    first = failures[0]
    where = f"project {projects[0]}" if len(projects) == 1 else f"any of {len(projects)} projects"
    if all(f.code == "NetworkError" for f in failures):
        raise EndpointError(PROVIDER, "Cloud Storage could not be reached: "
                            f"{first.operation} failed after retries, and no other call "
                            "was answered") from first
    raise ProviderError(PROVIDER, f"no buckets could be listed for {where}: {first}") from first


class _Run:
    def __init__(self, request: CollectRequest, session: GcpSession, call: _Caller,
                 ledger: ApiLedger) -> None:
        self.request = request
        self.session = session
        self.call = call
        self.ledger = ledger
        self.workers = request.max_workers
        self.timeout = request.timeout
        # The bucket listing failures when no project's buckets could be listed.
        self.unlisted: list[CallError] = []

    def wants_kind(self, kind: str) -> bool:
        facts = self.request.facts
        return facts is None or bool(facts.get(kind))

    def _try(self, scope: str, source: str, fn: Callable[[], Any]) -> Outcome:
        """The value, or the CallError (recorded once, in the runtime) that stood in its way."""
        return attempt(self.ledger, scope, source, fn)

    def _listing(self, scope: str, source: str, fn: Callable[[], Listed[Any]]) -> list[Any]:
        """The listed items; a listing that failed, or stopped before its end, is a recorded
        gap (what it would have listed is missing) and keeps what it listed."""
        found = attempt(self.ledger, scope, source, fn, listing=True)
        if not found.ok:
            return []
        for error in found.value.unnamed:
            self.ledger.listing_failed(scope, error)
        if found.value.gap is not None:
            self.ledger.listing_failed(scope, found.value.gap)
        return found.value.items

    # -- listing ------------------------------------------------------------------

    def list_buckets(self) -> list[_storage.BucketInfo]:
        """Buckets of every project; a project whose listing fails (first page included) is
        a recorded gap of the bucket kind, and the run goes on.

        When no project at all could be listed the failures are kept: if nothing else is
        answered either, the run has nothing to report on (see ``collect``).
        """
        projects = self.session.projects
        results = bounded_map(
            lambda p: attempt(self.ledger, f"projects/{p}", _storage.OP_LIST, lambda: (
                _storage.list_buckets(self.call, self.session.storage, p, self.timeout)),
                listing=True),
            projects, self.workers)
        failures = [r.error for r in results if r.error is not None]
        if projects and len(failures) == len(projects):
            self.unlisted = failures
        buckets = []
        for project, result in zip(projects, results, strict=True):
            if not result.ok:
                continue
            for error in result.value.unnamed:
                self.ledger.listing_failed(f"projects/{project}", error)
            if result.value.gap is not None:
                self.ledger.listing_failed(f"projects/{project}", result.value.gap)
            for info in result.value.items:
                if info.malformed is not None:
                    self.ledger.failed(bucket_id(info.name), info.malformed)
                buckets.append(info)
        return buckets

    def enumerate_keys(self) -> dict[str, _kms.KeyInfo | MalformedAnswer]:
        """Every key in every key ring of every Cloud KMS location of the projects.

        A failed listing at any level is recorded as a gap: what it would have listed (the
        locations' rings, the rings' keys) is missing from the key inventory.
        """
        kms, call, timeout = self.session.kms, self.call, self.timeout

        def locations(project: str) -> list[tuple[str, str]]:
            found = self._listing(f"projects/{project}", _kms.OP_LOCATIONS,
                                  lambda: _kms.list_locations(call, kms, project, timeout))
            return [(project, loc) for loc in found]

        def rings(where: tuple[str, str]) -> list[str]:
            return self._listing(f"projects/{where[0]}/locations/{where[1]}", _kms.OP_RINGS,
                                 lambda: _kms.list_key_rings(call, kms, *where, timeout))

        def keys(ring: str) -> list[tuple[str, _kms.KeyInfo | MalformedAnswer]]:
            found = self._listing(ring, _kms.OP_KEYS,
                                  lambda: _kms.list_keys(call, kms, ring, timeout))
            for name, key in found:
                if isinstance(key, MalformedAnswer):
                    self.ledger.failed(name, key)
            return found

        places = [p for found in bounded_map(locations, self.session.projects, self.workers)
                  for p in found]
        ring_names = [r for found in bounded_map(rings, places, self.workers) for r in found]
        return dict(k for found in bounded_map(keys, ring_names, self.workers) for k in found)

    def org_projects(self, buckets: list[_storage.BucketInfo]) -> list[str]:
        """Projects whose wanted facts depend on their organization policy."""
        req, wanted = self.request, set()
        if req.wants(ACCOUNT, ACCOUNT_PAB):
            wanted.update(self.session.projects)
        readable = [b for b in buckets if b.malformed is None]
        if req.wants(BUCKET, "public_access_block.account"):
            wanted.update(b.project for b in readable)
        if req.wants(BUCKET, "public_access_block.effective", *EXPOSURE_PATHS):
            wanted.update(b.project for b in readable if b.public_access_prevention != "enforced")
        return [p for p in self.session.projects if p in wanted]

    def org_policies(self, projects: list[str]) -> dict[str, Outcome]:
        """Project -> its effective storage.publicAccessPrevention outcome."""
        client = self.session.orgpolicy

        def read(project: str) -> Outcome:
            scope = f"projects/{project}"
            if client is None:
                # A fact that was needed but cannot be asked for: a recorded failure.
                unread = ServiceError(_orgpolicy.OP_EFFECTIVE, "NotCalled",
                                      _orgpolicy.NO_ENDPOINT)
                self.ledger.failed(scope, unread)
                return Outcome.failed(unread)
            return self._try(scope, _orgpolicy.OP_EFFECTIVE,
                             lambda: _orgpolicy.effective_policy(self.call, client, project,
                                                                 self.timeout))

        return dict(zip(projects, bounded_map(read, projects, self.workers), strict=True))

    # -- per-resource calls ----------------------------------------------------------

    def bucket_task(self, info: _storage.BucketInfo) -> tuple[Outcome,
                                                              tuple[Outcome, Outcome] | None]:
        """(IAM public members, (bucket ACL, default object ACL) public grantees) outcomes."""
        scope, client = bucket_id(info.name), self.session.storage
        iam = self._try(scope, _storage.OP_IAM, lambda: _storage.iam_public_members(
            self.call, client, info.name, self.timeout))
        acls = None
        if not info.uniform_access:  # legacy ACLs apply only with fine-grained access
            acl, default_acl = (self._try(scope, op, lambda d=default: (
                _storage.acl_public_entities(self.call, client, info.name, d, self.timeout)))
                for op, default in ((_storage.OP_ACL, False), (_storage.OP_DEFAULT_ACL, True)))
            acls = (acl, default_acl)
        return iam, acls

    def key_task(self, name: str, known: _kms.KeyInfo | MalformedAnswer | None,
                 need_state: bool, need_iam: bool) -> tuple[Outcome, Outcome, Outcome]:
        """(key, versions, public members) outcomes for one key (``known``: as listed, or
        the MalformedAnswer its listed resource was, already recorded)."""
        kms, timeout = self.session.kms, self.timeout
        if isinstance(known, MalformedAnswer):
            key = Outcome.failed(known)
        elif known is not None:
            key = Outcome(known.source, known)
        else:
            key = self._try(name, _kms.OP_GET_KEY,
                            lambda: _kms.get_key(self.call, kms, name, timeout))
        versions = Outcome.not_read(_kms.OP_VERSIONS, "the key has a primary version, or its "
                                    "state and custody are not wanted")
        members = Outcome.not_read(_kms.OP_KEY_IAM, "key exposure is not wanted")
        if key.ok:
            if need_state and key.value.primary is None:
                versions = self._try(name, _kms.OP_VERSIONS,
                                     lambda: _whole(_kms.list_versions(self.call, kms, name,
                                                                       timeout)))
            if need_iam:
                members = self._try(name, _kms.OP_KEY_IAM,
                                    lambda: _kms.key_public_members(self.call, kms, name,
                                                                    timeout))
        return key, versions, members

    # -- the run ---------------------------------------------------------------------

    def run(self) -> list[Resource]:
        req = self.request
        want_buckets, want_keys = self.wants_kind(BUCKET), self.wants_kind(KEY)
        buckets = self.list_buckets() if (want_buckets or want_keys) else []
        orgs = self.org_policies(self.org_projects(buckets if want_buckets else []))
        kinds = KindsCollector(req, self.session.projects, self.session.kinds, self.call,
                               self.ledger, self.workers, self.timeout)
        kinds.list()
        kind_keys = kinds.key_names()

        def org_of(project: str) -> Outcome:
            return orgs.get(project) or _UNREAD_ORG
        need_join = want_buckets and req.wants(BUCKET, *KEY_JOIN_PATHS)
        need_exposure = want_buckets and req.wants(BUCKET, *EXPOSURE_PATHS)
        named: dict[str, list[str]] = defaultdict(list)
        for b in buckets:
            if b.kms_key:  # a malformed bucket names no key: it was not read
                named[b.kms_key].append(b.name)
        known = self.enumerate_keys() if want_keys else {}
        key_names = sorted(set(known) | (set(named) if (need_join or want_keys) else set())
                           | kind_keys)
        need_state = need_join or bool(kind_keys) or (want_keys and req.wants(
            KEY, "key.state", "key_custody.level", "key_custody.hsm"))
        need_iam = want_keys and req.wants(KEY, "key_exposure.is_public")

        tasks: list[Callable[[], tuple[str, Any]]] = []
        for b in buckets:
            if need_exposure and b.malformed is None and not prevented(b, org_of(b.project)):
                tasks.append(lambda b=b: (bucket_id(b.name), self.bucket_task(b)))
        for name in key_names:
            tasks.append(lambda n=name: (n, self.key_task(n, known.get(n), need_state, need_iam)))
        tasks.extend(kinds.tasks())
        progress = Progress(req.report, PROVIDER, len(tasks))

        def run_task(task: Callable[[], tuple[str, Any]]) -> tuple[str, Any]:
            result = task()
            progress.tick()
            return result

        results = dict(bounded_map(run_task, tasks, self.workers))
        resources: list[Resource] = []
        if want_buckets:
            for b in buckets:
                key, versions, _ = results.get(b.kms_key, _UNREAD_KEY) if b.kms_key else \
                    _UNREAD_KEY
                iam, acls = results.get(bucket_id(b.name), (_UNREAD_IAM, None))
                facts = bucket_facts(b, key, versions, iam, acls, org_of(b.project),
                                     lambda p: req.wants(BUCKET, p))
                region = canonical(PROVIDER, b.location) or b.location or "unknown"
                resources.append(Resource(BUCKET, PROVIDER, b.project, region,
                                          bucket_id(b.name), b.name, facts,
                                          bucket_tags(req, self.ledger, b)))
        if want_keys:
            for name in key_names:
                key, versions, members = results[name]
                facts = key_facts(name, key, versions, members, named.get(name, []),
                                  lambda p: req.wants(KEY, p))
                parts = name.split("/")
                region = canonical(PROVIDER, parts[3]) or parts[3]
                resources.append(Resource(KEY, PROVIDER, parts[1], region, name, parts[-1],
                                          facts, key_tags(req, self.ledger, name, key)))
        resources.extend(kinds.resources(results, lambda name: (
            results[name][:2] if name in results else _UNREAD_KEY[:2])))
        if self.wants_kind(ACCOUNT):
            for project in self.session.projects:
                facts = account_facts(org_of(project), lambda p: req.wants(ACCOUNT, p))
                resources.append(Resource(ACCOUNT, PROVIDER, project, "global", project, project,
                                          facts))
        return resources


def collect(request: CollectRequest, policy: RetryPolicy | None = None) -> Collection:
    """One collection run. A project of a multi-project scan whose listing item was odd fails
    before any call (EndpointError with the item's reason); the listing's gaps this target
    carries are gaps of its run (_projects)."""
    from auditor.providers.gcp._projects import GAP_SCOPE, odd_project_error, project_gaps

    odd = odd_project_error(request.options)
    if odd is not None:
        raise odd
    run = ProviderRun(PROVIDER, started_at=utc_now())
    ledger = ApiLedger()
    gaps = project_gaps(request.options)
    for gap in gaps:
        ledger.listing_failed(GAP_SCOPE, gap)
    with naming_gaps(gaps, "listed item(s)", "project"):
        session = open_session(request.options, request.max_workers, scrubber=ledger.scrubber)
    run.accounts = list(session.projects)
    run.endpoint_overridden = session.endpoint_overridden
    call = _Caller(ledger, policy)
    try:
        collector = _Run(request, session, call, ledger)
        resources = collector.run()
    finally:
        session.close()
    if collector.unlisted and not call.heard:
        _raise_unlisted(collector.unlisted, session.projects)
    run.regions = sorted({r.region for r in resources if r.kind != ACCOUNT})
    return Collection(ledger.finish(run, resources), resources)
