"""The normalized model: facts on resources in an inventory; findings in a report."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from auditor.errors import AccessDenied, CallError

SCHEMA_VERSION = "1.0"

# Key custody ladder, lowest to highest customer control (ordered).
CUSTODY_LADDER: tuple[str, ...] = (
    "none",
    "provider",
    "provider_kms",
    "customer_kms",
    "customer_imported",
    "customer_supplied",  # supplied with each request, not stored by the provider (GCP CSEK)
    "external",
)


def custody_at_least(level: str) -> list[str]:
    """The ladder levels at or above ``level``."""
    return list(CUSTODY_LADDER[CUSTODY_LADDER.index(level):])


class FactState(StrEnum):
    OBSERVED = "observed"
    OPAQUE = "opaque"
    DENIED = "denied"
    ERROR = "error"


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    OPAQUE = "OPAQUE"
    UNVERIFIED = "UNVERIFIED"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    MUTED = "MUTED"


class ResourceKind(StrEnum):
    BUCKET = "storage.bucket"
    KEY = "kms.key"
    ACCOUNT = "account"
    VOLUME = "storage.volume"  # block storage: EBS volume, persistent disk, ECS disk
    SNAPSHOT = "storage.snapshot"  # volume/database snapshots and images that hold data
    FILESYSTEM = "storage.filesystem"  # EFS, Filestore, NAS
    DATABASE = "database.instance"  # RDS instance or Aurora cluster, Cloud SQL, ApsaraDB RDS


SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")


@dataclass(frozen=True, slots=True)
class Fact:
    """One security-relevant attribute and how we know it."""

    state: FactState
    value: Any = None
    source: tuple[str, ...] = ()
    detail: str | None = None
    basis: str | None = None  # "derived" when computed from a policy document

    @classmethod
    def observed(cls, value: Any, *source: str, basis: str | None = None,
                 detail: str | None = None) -> Fact:
        return cls(FactState.OBSERVED, value, tuple(source), detail, basis)

    @classmethod
    def opaque(cls, detail: str, *source: str) -> Fact:
        return cls(FactState.OPAQUE, None, tuple(source), detail)

    @classmethod
    def denied(cls, detail: str, *source: str) -> Fact:
        return cls(FactState.DENIED, None, tuple(source), detail)

    @classmethod
    def error(cls, detail: str, *source: str) -> Fact:
        return cls(FactState.ERROR, None, tuple(source), detail)

    @classmethod
    def from_call_error(cls, exc: CallError, *extra_source: str) -> Fact:
        """A failed call as a fact: denied for AccessDenied, error otherwise."""
        source = (exc.operation, *extra_source)
        detail = f"{exc.code}: {exc.message}" if exc.message else exc.code
        if isinstance(exc, AccessDenied):
            return cls.denied(detail, *source)
        return cls.error(detail, *source)

    @property
    def decided(self) -> bool:
        return self.state is FactState.OBSERVED

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.state.value, "value": self.value,
                               "source": list(self.source)}
        if self.detail is not None:
            out["detail"] = self.detail
        if self.basis is not None:
            out["basis"] = self.basis
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fact:
        return cls(_STATES[data["state"]], data.get("value"), tuple(data.get("source", ())),
                   data.get("detail"), data.get("basis"))


_STATES: dict[str, FactState] = {s.value: s for s in FactState}
_SCALARS = (str, bool, int, float, type(None))
_SCALAR_KINDS = frozenset(_SCALARS)


class FactInterner:
    """Equal facts read from one inventory become one Fact object (facts are frozen): a large
    estate repeats the same few settings, so memory grows with the distinct facts, and the
    engine decides a check once per distinct set of facts. Equal means the same JSON: the
    value's type is part of the key (``true`` is not ``1``, ``1`` is not ``1.0``)."""

    def __init__(self) -> None:
        import json

        self._facts: dict[tuple[Any, ...], Fact] = {}
        # name -> the one str object of it (see ``text``); ``names.setdefault(n, n)`` is
        # ``text(n)`` without a Python call (Resource.from_dict, once per fact path)
        self.names: dict[str, str] = {}
        self._dumps = json.dumps

    def text(self, value: str) -> str:
        """One str object for each distinct name read (fact paths, kinds, providers,
        accounts, regions): a hundred thousand resources repeat a few dozen of them."""
        return self.names.setdefault(value, value)

    def fact(self, data: dict[str, Any]) -> Fact:
        value = data.get("value")
        kind = type(value)
        if kind is float:
            shown: Any = (float, repr(value))  # -0.0 == 0.0, but they are not the same JSON
        elif kind in _SCALAR_KINDS:
            shown = (kind, value)
        else:
            shown = self._dumps(value)
        source = data.get("source", ())
        key = (data["state"], shown, tuple(source), data.get("detail"), data.get("basis"))
        try:
            return self._facts[key]
        except KeyError:
            fact = self._facts[key] = Fact.from_dict(data)
            return fact
        except TypeError:  # an unhashable source item: the schema rejects it anyway
            return Fact.from_dict(data)

    def same(self, fact: Fact) -> Fact:
        """The one Fact equal to ``fact`` met so far (``fact`` itself the first time): equal
        as :meth:`fact` has it, the same JSON, each value's type part of the key. A value
        that is not JSON data all the way down (a tuple, a date) keeps its own Fact."""
        value = fact.value
        kind = type(value)
        if kind is float:
            shown: Any = (float, repr(value))
        elif kind in _SCALAR_KINDS:
            shown = (kind, value)
        elif _plain(value):
            shown = self._dumps(value)
        else:
            return fact
        key = (fact.state.value, shown, fact.source, fact.detail, fact.basis)
        try:
            return self._facts.setdefault(key, fact)
        except TypeError:  # an unhashable source item
            return fact


def _plain(value: Any) -> bool:
    """Whether ``value`` is JSON data (dict with str keys, list, scalars) all the way down:
    then ``json.dumps`` of it tells equal values from different ones."""
    kind = type(value)
    if kind in _SCALAR_KINDS:
        return True
    if kind is list:
        return all(map(_plain, value))
    if kind is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    return False


def share_facts(resources: list[Resource], interner: FactInterner | None = None) -> None:
    """Make equal facts of ``resources`` one object each, in place (facts are frozen; each
    resource keeps its own dict): a collected estate repeats the same few settings, and the
    engine decides a check once per distinct set of facts, as for an inventory read from a
    file (FactInterner). Each resource's facts keep their order."""
    same = (interner or FactInterner()).same
    # a Fact met again (an adapter may share its own: the AWS buckets') is not keyed again;
    # each id maps to (the fact, its shared one), so the fact stays alive while its id is used
    met: dict[int, tuple[Fact, Fact]] = {}
    for resource in resources:
        facts = resource.facts
        for path, fact in facts.items():
            known = met.get(id(fact))
            if known is None:
                known = met[id(fact)] = (fact, same(fact))
            if known[1] is not fact:
                facts[path] = known[1]


@dataclass(slots=True)
class Resource:
    kind: str
    provider: str
    account: str
    region: str
    id: str
    name: str
    facts: dict[str, Fact] = field(default_factory=dict)
    # Tags (labels) as read, only when they were asked for (CollectRequest.tags) and the read
    # succeeded; None means not observed, so no tag rule can match the resource.
    tags: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind, "provider": self.provider, "account": self.account,
               "region": self.region, "id": self.id, "name": self.name,
               "facts": {path: fact.to_dict() for path, fact in sorted(self.facts.items())}}
        if self.tags is not None:
            out["tags"] = dict(sorted(self.tags.items()))
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], interner: FactInterner | None = None) -> Resource:
        """``interner``: share equal facts and names (an inventory read from a file, see
        FactInterner)."""
        tags = dict(data["tags"]) if data.get("tags") is not None else None
        if interner is None:
            return cls(data["kind"], data["provider"], data["account"], data["region"],
                       data["id"], data["name"],
                       {path: Fact.from_dict(f) for path, f in data["facts"].items()}, tags)
        name, fact = interner.names.setdefault, interner.fact
        kind, provider, account, region = (data["kind"], data["provider"], data["account"],
                                           data["region"])
        return cls(name(kind, kind), name(provider, provider), name(account, account),
                   name(region, region), data["id"], data["name"],
                   {name(path, path): fact(f) for path, f in data["facts"].items()}, tags)


@dataclass(slots=True)
class RunError:
    """A failure recorded during collection (scope: what it concerned).

    ``kind`` is "listing" when the call that failed lists resources: whatever it would have
    listed is missing from the inventory, so no finding can stand for it.
    """

    scope: str
    operation: str
    code: str
    message: str = ""
    kind: str = "call"  # call | listing

    def to_dict(self) -> dict[str, str]:
        return {"scope": self.scope, "operation": self.operation, "code": self.code,
                "message": self.message, "kind": self.kind}


@dataclass(slots=True)
class ProviderRun:
    """Metadata of one provider's collection."""

    provider: str
    accounts: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    started_at: str = ""
    finished_at: str = ""
    status: str = "complete"  # complete | partial | failed
    api_calls: dict[str, int] = field(default_factory=dict)
    errors: list[RunError] = field(default_factory=list)
    endpoint_overridden: bool = False
    # kind -> fact paths this run was asked to collect; None only for inventories written
    # before the field existed (they were collected whole unless --checks narrowed them).
    facts_requested: dict[str, list[str]] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"provider": self.provider, "accounts": self.accounts, "regions": self.regions,
               "started_at": self.started_at, "finished_at": self.finished_at,
               "status": self.status, "api_calls": dict(sorted(self.api_calls.items())),
               "errors": [e.to_dict() for e in self.errors],
               "endpoint_overridden": self.endpoint_overridden}
        if self.facts_requested is not None:
            out["facts_requested"] = {kind: sorted(paths) for kind, paths
                                      in sorted(self.facts_requested.items())}
        return out

    def requested(self, kind: str, path: str) -> bool:
        """Whether this run was asked for ``path`` of ``kind`` (legacy runs: everything)."""
        if self.facts_requested is None:
            return True
        return path in self.facts_requested.get(kind, ())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProviderRun:
        return cls(data["provider"], list(data.get("accounts", [])),
                   list(data.get("regions", [])), data.get("started_at", ""),
                   data.get("finished_at", ""), data.get("status", "complete"),
                   dict(data.get("api_calls", {})),
                   [RunError(**e) for e in data.get("errors", [])],
                   bool(data.get("endpoint_overridden", False)),
                   ({kind: list(paths) for kind, paths in data["facts_requested"].items()}
                    if data.get("facts_requested") is not None else None))


@dataclass(slots=True)
class Inventory:
    runs: list[ProviderRun] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION,
                "runs": [r.to_dict() for r in self.runs],
                "resources": [r.to_dict() for r in self.resources]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Inventory:
        return cls([ProviderRun.from_dict(r) for r in data.get("runs", [])],
                   [Resource.from_dict(r) for r in data.get("resources", [])])

    def merge(self, other: Inventory) -> Inventory:
        return Inventory(self.runs + other.runs, self.resources + other.resources)


@dataclass(slots=True)
class Evidence:
    fact: str
    state: str
    value: Any
    source: list[str]
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"fact": self.fact, "state": self.state, "value": self.value,
               "source": self.source}
        if self.detail is not None:
            out["detail"] = self.detail
        return out


@dataclass(slots=True)
class Finding:
    check_id: str
    title: str
    safeguard: str
    severity: str
    status: Status
    message: str
    kind: str
    provider: str
    account: str
    region: str
    resource_id: str
    resource_name: str
    evidence: list[Evidence] = field(default_factory=list)
    remediation: str = ""
    frameworks: dict[str, list[str]] = field(default_factory=dict)
    muted_reason: str | None = None
    muted_status: Status | None = None  # the status a mute replaced (transparency counts it)

    def to_dict(self) -> dict[str, Any]:
        out = {"check_id": self.check_id, "title": self.title, "safeguard": self.safeguard,
               "severity": self.severity, "status": self.status.value,
               "message": self.message, "kind": self.kind, "provider": self.provider,
               "account": self.account, "region": self.region,
               "resource_id": self.resource_id, "resource_name": self.resource_name,
               "evidence": [e.to_dict() for e in self.evidence],
               "remediation": self.remediation, "frameworks": self.frameworks}
        if self.muted_reason is not None:
            out["muted_reason"] = self.muted_reason
        if self.muted_status is not None:
            out["muted_status"] = self.muted_status.value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(data["check_id"], data["title"], data["safeguard"], data["severity"],
                   Status(data["status"]), data["message"], data["kind"], data["provider"],
                   data["account"], data["region"], data["resource_id"],
                   data["resource_name"], [Evidence(**e) for e in data.get("evidence", [])],
                   data.get("remediation", ""), dict(data.get("frameworks", {})),
                   data.get("muted_reason"),
                   Status(data["muted_status"]) if data.get("muted_status") else None)


@dataclass(slots=True)
class CheckSummary:
    """What a report says about one check that ran."""

    id: str
    title: str
    safeguard: str
    kind: str  # the first of kinds (what a report before kinds existed named)
    severity: str
    params: dict[str, Any] = field(default_factory=dict)
    kinds: list[str] = field(default_factory=list)  # every kind it ran on

    def __post_init__(self) -> None:
        if not self.kinds:
            self.kinds = [self.kind]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "safeguard": self.safeguard,
                "kind": self.kind, "kinds": list(self.kinds), "severity": self.severity,
                "params": self.params}


@dataclass(slots=True)
class NotCollected:
    """A selected check left out for a provider because the facts it reads were not collected.

    Never turned into findings: NOT_APPLICABLE would claim the check does not apply.
    """

    check_id: str
    provider: str
    facts: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"check_id": self.check_id, "provider": self.provider, "facts": self.facts}


@dataclass(slots=True)
class AccountFailure:
    """An account of a multi-account scan that could not be collected (the role refused, no
    access, a timeout), while the provider's other accounts were."""

    provider: str
    account: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"provider": self.provider, "account": self.account, "reason": self.reason}


@dataclass(slots=True)
class ExpiredMute:
    """A mutelist rule past its expiry: it mutes nothing any more, and the report says so."""

    rule: int  # index in the mutelist's ``mute`` list
    reason: str
    expires: str  # ISO date
    source: str = ""  # the mutelist file

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "reason": self.reason, "expires": self.expires,
                "source": self.source}


@dataclass(slots=True)
class Report:
    """Everything a renderer may see."""

    tool_version: str
    generated_at: str
    runs: list[ProviderRun]
    checks: list[CheckSummary]
    # a list, or a FindingSource kept elsewhere (a spool on disk: auditor/finding_spool.py):
    # iterate it, count it, sort it with auditor.finding_source.ordered, never index it
    findings: list[Finding]
    # provider -> kind -> fact path -> api | derived | none
    exposure: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    transparency: dict[str, Any] = field(default_factory=dict)
    provider_failures: dict[str, str] = field(default_factory=dict)
    not_collected: list[NotCollected] = field(default_factory=list)
    account_failures: list[AccountFailure] = field(default_factory=list)
    expired_mutes: list[ExpiredMute] = field(default_factory=list)
    # the promise ledger (auditor/claims_ledger.py): provider -> promises and their evidence
    ledger: dict[str, Any] = field(default_factory=lambda: {"providers": {}})
    # legal reach (auditor/legal_reach.py): provider -> rows by region and key custody; laws
    legal_reach: dict[str, Any] = field(default_factory=lambda: {"providers": {}, "laws": []})

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Status}
        for f in self.findings:
            out[f.status.value] += 1
        return out

    def to_dict(self, *, findings: bool = True) -> dict[str, Any]:
        """The report document; ``findings`` False: with an empty findings list (a writer
        that streams them itself)."""
        return {"schema_version": SCHEMA_VERSION, "tool": "safeguard-auditor",
                "tool_version": self.tool_version, "generated_at": self.generated_at,
                "runs": [r.to_dict() for r in self.runs],
                "provider_failures": self.provider_failures,
                "checks": [c.to_dict() for c in self.checks],
                "summary": self.counts(),
                "findings": [f.to_dict() for f in self.findings] if findings else [],
                "exposure": self.exposure, "transparency": self.transparency,
                "not_collected": [n.to_dict() for n in self.not_collected],
                "account_failures": [a.to_dict() for a in self.account_failures],
                "expired_mutes": [m.to_dict() for m in self.expired_mutes],
                "ledger": self.ledger or {"providers": {}},
                "legal_reach": self.legal_reach or {"providers": {}, "laws": []}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        return cls(data["tool_version"], data["generated_at"],
                   [ProviderRun.from_dict(r) for r in data["runs"]],
                   [CheckSummary(**c) for c in data["checks"]],
                   [Finding.from_dict(f) for f in data["findings"]],
                   data.get("exposure", {}), data.get("transparency", {}),
                   dict(data.get("provider_failures", {})),
                   [NotCollected(**n) for n in data.get("not_collected", [])],
                   [AccountFailure(**a) for a in data.get("account_failures", [])],
                   [ExpiredMute(**m) for m in data.get("expired_mutes", [])],
                   data.get("ledger") or {"providers": {}},
                   data.get("legal_reach") or {"providers": {}, "laws": []})
