"""Collect, evaluate and assemble a Report: the steps the CLI and the demo share."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.cancellation import cancel_scope, cancellable_map
from auditor.checks import CompiledCheck
from auditor.defaults import DEFAULT_CALL_TIMEOUT
from auditor.engine import evaluate, uncollected, wanted_facts
from auditor.errors import ProviderError
from auditor.model import Inventory, ProviderRun, Report, RunError
from auditor.mutelist import MuteRule, apply_mutes
from auditor.providers.base import CollectRequest, ProgressCallback, ProviderRegistry
from auditor.safe_text import one_line

MESSAGE_LIMIT = 200  # characters of an unexpected exception's message kept in the report
# Frames that only pass an exception on; "where" names the code that raised it.
_PLUMBING = ("/auditor/pipeline.py", "/auditor/cancellation.py",
             "/auditor/providers/_runtime/pool.py")


@dataclass(slots=True)
class CollectOutcome:
    inventory: Inventory
    failures: dict[str, str] = field(default_factory=dict)  # provider -> reason
    # provider -> traceback of an unexpected exception (shown with --debug only)
    tracebacks: dict[str, str] = field(default_factory=dict)


def collect(registry: ProviderRegistry, providers: Sequence[str],
            options: Mapping[str, Mapping[str, Any]], checks: Sequence[CompiledCheck] | None,
            max_workers: int, progress: ProgressCallback | None = None, *,
            timeout: float = DEFAULT_CALL_TIMEOUT,
            cancel: threading.Event | None = None) -> CollectOutcome:
    """Collect the providers concurrently; one failing as a whole does not stop the others.

    ``options`` maps provider name -> that adapter's option values. Whatever escapes an
    adapter (its own ProviderError, or any other exception: a bug, an SDK raising on an odd
    answer) fails that provider only. An interrupt sets ``cancel`` (no new call starts) and
    propagates at once, without waiting for calls in flight.
    """
    facts = wanted_facts(checks) if checks is not None else None
    requested = requested_facts(facts)
    adapters = [registry.get(name) for name in providers]  # unknown names fail before any call
    cancel = cancel if cancel is not None else threading.Event()

    def one(adapter) -> Inventory | _Failed:
        started = _now()
        request = CollectRequest(options=dict(options.get(adapter.name, {})), facts=facts,
                                 max_workers=max_workers, progress=progress, timeout=timeout,
                                 cancel=cancel)
        try:
            collection = adapter.collect(request)
            collection.run.facts_requested = requested
            return Inventory([collection.run], collection.resources)
        except ProviderError as exc:
            return _failed(adapter.name, started, requested, type(exc).__name__, exc.reason)
        except Exception as exc:  # whatever escapes fails this provider only
            failed = _failed(adapter.name, started, requested, type(exc).__name__,
                             unexpected_reason(exc))
            failed.traceback = "".join(traceback.format_exception(exc))
            return failed

    outcome = CollectOutcome(Inventory())
    try:
        with cancel_scope(cancel):
            results = cancellable_map(one, adapters, len(adapters), name="auditor-provider",
                                      inline=False)
    except BaseException:
        cancel.set()  # the adapters' pools start nothing more; their threads are daemons
        raise
    for adapter, result in zip(adapters, results, strict=True):
        if isinstance(result, BaseException):  # raised past one()'s handlers (SystemExit)
            result = _failed(adapter.name, _now(), requested, type(result).__name__,
                             unexpected_reason(result))
        if isinstance(result, _Failed):
            outcome.failures[adapter.name] = result.reason
            outcome.inventory.runs.append(result.run)
            if result.traceback:
                outcome.tracebacks[adapter.name] = result.traceback
        else:
            outcome.inventory = outcome.inventory.merge(result)
    return outcome


def unexpected_reason(exc: BaseException) -> str:
    """One line for an exception nobody translated: its type, where it surfaced, its message.

    "Where" is the innermost frame in auditor's own code (the adapter line that let it
    through), so the report points at the bug without a traceback.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    frames = [f for f in frames if not f.filename.replace("\\", "/").endswith(_PLUMBING)] or frames
    where = ""
    for frame in reversed(frames):
        path = frame.filename.replace("\\", "/")
        marker = path.rfind("/auditor/")
        if marker >= 0:
            where = f" at {path[marker + 1:]}:{frame.lineno} in {frame.name}"
            break
    else:
        if frames:  # a plugin outside the package: its file name only, never a home path
            last = frames[-1]
            where = f" at {Path(last.filename).name}:{last.lineno} in {last.name}"
    from auditor.providers._runtime.scrub import scrub_shapes

    message = scrub_shapes(one_line(str(exc)), limit=10 * MESSAGE_LIMIT)  # no credential shape
    if len(message) > MESSAGE_LIMIT:
        message = message[:MESSAGE_LIMIT - 3] + "..."
    return f"unexpected {type(exc).__name__}{where}" + (f": {message}" if message else "")


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
    traceback: str = ""


def _failed(provider: str, started: str, requested: dict[str, list[str]], code: str,
            reason: str) -> _Failed:
    run = ProviderRun(provider, started_at=started, finished_at=_now(), status="failed",
                      errors=[RunError("provider", "collect", code, reason)],
                      facts_requested=requested)
    return _Failed(run, reason)


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
