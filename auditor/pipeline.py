"""Collect, evaluate and assemble a Report: the steps the CLI and the demo share."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from auditor import __version__
from auditor.checks import CompiledCheck
from auditor.engine import evaluate, uncollected, wanted_facts
from auditor.errors import ProviderError
from auditor.model import Inventory, ProviderRun, Report, RunError
from auditor.mutelist import MuteRule, apply_mutes
from auditor.providers.base import CollectRequest, ProgressCallback, ProviderRegistry


@dataclass(slots=True)
class CollectOutcome:
    inventory: Inventory
    failures: dict[str, str] = field(default_factory=dict)  # provider -> reason


def collect(registry: ProviderRegistry, providers: Sequence[str],
            options: Mapping[str, Mapping[str, Any]], checks: Sequence[CompiledCheck] | None,
            max_workers: int, progress: ProgressCallback | None = None) -> CollectOutcome:
    """Collect the providers concurrently; one failing as a whole does not stop the others.

    ``options`` maps provider name -> that adapter's option values.
    """
    facts = wanted_facts(checks) if checks is not None else None
    requested = requested_facts(facts)
    adapters = [registry.get(name) for name in providers]  # unknown names fail before any call

    def one(adapter) -> tuple[str, Inventory | _Failed]:
        started = _now()
        request = CollectRequest(options=dict(options.get(adapter.name, {})), facts=facts,
                                 max_workers=max_workers, progress=progress)
        try:
            collection = adapter.collect(request)
        except ProviderError as exc:
            run = ProviderRun(adapter.name, started_at=started, finished_at=_now(),
                              status="failed",
                              errors=[RunError("provider", "collect", type(exc).__name__,
                                               exc.reason)],
                              facts_requested=requested)
            return adapter.name, _Failed(run, exc.reason)
        collection.run.facts_requested = requested
        return adapter.name, Inventory([collection.run], collection.resources)

    outcome = CollectOutcome(Inventory())
    with ThreadPoolExecutor(max_workers=max(1, len(adapters))) as pool:
        for name, result in pool.map(one, adapters):
            if isinstance(result, _Failed):
                outcome.failures[name] = result.reason
                outcome.inventory.runs.append(result.run)
            else:
                outcome.inventory = outcome.inventory.merge(result)
    return outcome


def requested_facts(facts: Mapping[str, frozenset[str]] | None) -> dict[str, list[str]]:
    """What a run is recorded as asked for: the wanted facts, or the whole catalog."""
    from auditor.schema import fact_catalog

    if facts is None:
        return {kind: sorted(paths) for kind, paths in fact_catalog().items()}
    return {kind: sorted(paths) for kind, paths in facts.items() if paths}


@dataclass(slots=True)
class _Failed:
    run: ProviderRun
    reason: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


ExposureLookup = Callable[[str], dict[str, dict[str, str]] | None]


def registry_exposure(registry: ProviderRegistry) -> ExposureLookup:
    """Exposure levels per kind and fact path of a registered provider, or None."""

    def lookup(provider: str) -> dict[str, dict[str, str]] | None:
        if provider not in registry.names():
            return None
        profile = registry.get(provider).exposure_profile()
        return {kind: {path: "absent" if entry.absent else entry.level
                       for path, entry in facts.items()}
                for kind, facts in profile.items()}

    return lookup


def build_report(inventory: Inventory, checks: Sequence[CompiledCheck],
                 exposure: ExposureLookup, mutes: Sequence[MuteRule] = (),
                 failures: dict[str, str] | None = None) -> Report:
    from auditor.transparency import summarize

    findings = apply_mutes(evaluate(inventory, checks), list(mutes))
    providers = sorted({r.provider for r in inventory.runs}
                       | {r.provider for r in inventory.resources})
    exposures = {}
    for provider in providers:
        levels = exposure(provider)
        if levels is not None:
            exposures[provider] = levels
    failures = dict(failures or {})
    for run in inventory.runs:
        if run.status == "failed" and run.provider not in failures:
            failures[run.provider] = "; ".join(e.message or e.code for e in run.errors) or "failed"
    gaps = uncollected(inventory, checks)
    # A check no provider collected did not run at all: listed as not collected, not as a check.
    collecting = {r.provider for r in inventory.runs if r.status != "failed"}
    nowhere = {cid for cid in {g.check_id for g in gaps}
               if collecting and {g.provider for g in gaps if g.check_id == cid} >= collecting}
    summaries = [c.summary for c in checks if c.check.id not in nowhere]
    report = Report(__version__, _now(), inventory.runs, summaries, findings,
                    exposures, {}, failures, gaps)
    report.transparency = summarize(report)
    return report
