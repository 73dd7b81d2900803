"""What a drift is made of: one dataclass per kind of change, each with a stable JSON form.

The JSON shape is documented in docs/drift.md and schemas/drift.schema.json.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from auditor.model import SEVERITIES

# Why a finding or resource is in one run and not the other. A removal caused by a failure of
# the new run (an account, a provider or a listing that failed) is not a resource that went
# away: renderers say so next to it.
CAUSES = ("resource_added", "resource_removed", "check_added", "check_removed",
          "finding_added", "finding_removed", "account_failed", "provider_failed",
          "listing_failed", "account_recovered", "provider_recovered", "listing_recovered")
NOT_OBSERVED_CAUSES = frozenset({"account_failed", "provider_failed", "listing_failed"})


@dataclass(frozen=True, slots=True)
class FindingChange:
    """One finding (check, provider, account, region, resource) whose status changed.

    ``old`` / ``new`` are statuses; None when the finding is absent from that run, and then
    ``cause`` says why (a resource or check added or removed, an account that failed...).
    """

    check_id: str
    title: str
    severity: str
    kind: str
    provider: str
    account: str
    region: str
    resource_id: str
    resource_name: str
    old: str | None
    new: str | None
    cause: str | None = None
    cause_detail: str | None = None

    @property
    def identity(self) -> tuple[str, str, str, str, str]:
        return (self.check_id, self.provider, self.account, self.region, self.resource_id)

    def sort_key(self) -> tuple[str, ...]:
        return (self.provider, self.account, self.region, self.resource_id, self.check_id)

    def at_or_above(self, severity: str) -> bool:
        rank = SEVERITIES.index(self.severity) if self.severity in SEVERITIES else -1
        return rank >= SEVERITIES.index(severity)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ResourceChange:
    """A resource (provider, account, kind, id, name) found in one run's findings only."""

    provider: str
    account: str
    kind: str
    resource_id: str
    name: str
    cause: str | None = None  # None: it was simply there (or not); else a failure, see CAUSES
    cause_detail: str | None = None

    def sort_key(self) -> tuple[str, ...]:
        return (self.provider, self.account, self.kind, self.resource_id, self.name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ScoreChange:
    """A transparency figure that changed: a score (verifiability, provider_opacity,
    access_gap, pass_rate) or, with ``safeguard`` set, that safeguard's exposure level.
    ``account`` None means the provider as a whole."""

    provider: str
    account: str | None
    score: str
    old: float | str | None
    new: float | str | None
    safeguard: str | None = None

    def sort_key(self) -> tuple[str, ...]:
        return (self.provider, self.account or "", self.safeguard or "", self.score)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class CheckChange:
    id: str
    title: str
    severity: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class FailureChange:
    """A provider (``account`` None) or one account that failed in one run and not the
    other; ``reason`` is the failing run's."""

    provider: str
    account: str | None
    reason: str

    def sort_key(self) -> tuple[str, str]:
        return (self.provider, self.account or "")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RunSide:
    """Which run a side of the drift is: its history id (when it came from the history
    database), when it was generated and what it covered."""

    generated_at: str
    tool_version: str
    providers: list[str]
    accounts: list[str]
    id: int | None = None
    recorded_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Drift:
    """Everything that changed between two reports; every list sorted."""

    old: RunSide
    new: RunSide
    new_failures: list[FindingChange] = field(default_factory=list)
    resolved_failures: list[FindingChange] = field(default_factory=list)
    status_changes: list[FindingChange] = field(default_factory=list)
    resources_added: list[ResourceChange] = field(default_factory=list)
    resources_removed: list[ResourceChange] = field(default_factory=list)
    transparency_changes: list[ScoreChange] = field(default_factory=list)
    checks_added: list[CheckChange] = field(default_factory=list)
    checks_removed: list[CheckChange] = field(default_factory=list)
    failures_new: list[FailureChange] = field(default_factory=list)
    failures_recovered: list[FailureChange] = field(default_factory=list)

    CATEGORIES = ("new_failures", "resolved_failures", "status_changes", "resources_added",
                  "resources_removed", "transparency_changes", "checks_added", "checks_removed",
                  "failures_new", "failures_recovered")

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in self.CATEGORIES}

    @property
    def empty(self) -> bool:
        return not any(self.counts().values())

    def new_failures_at_or_above(self, severity: str) -> list[FindingChange]:
        return [c for c in self.new_failures if c.at_or_above(severity)]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schema_version": DRIFT_SCHEMA_VERSION, "tool": "safeguard-auditor",
                               "old": self.old.to_dict(), "new": self.new.to_dict(),
                               "counts": self.counts()}
        for name in self.CATEGORIES:
            out[name] = [item.to_dict() for item in getattr(self, name)]
        return out


DRIFT_SCHEMA_VERSION = "1.0"
