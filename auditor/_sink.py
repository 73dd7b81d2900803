"""The coordinator's side of a scan: each unit's result evaluated as it arrives, then dropped.

``pipeline.collect`` hands every unit's result (its partial inventory, or its failed run) to
:class:`EvaluatingSink` as soon as the executor gives it. The sink derives and evaluates that
partial inventory, applies the mute rules (matched on its resources' tags), spools the
findings (auditor.finding_spool) and keeps only the runs (each run's ``facts_requested``
interned: equal dicts are one object). The resources go to a resource spool when the
inventory is to be saved (``--save-inventory``, ``auditor collect``), and are dropped.

Per unit evaluation gives the findings ``engine.evaluate`` gives the merged inventory: each
check's findings in inventory order, as the spool orders them by (check, unit position,
index), and a check is left out for a provider exactly when a run of that provider did not
ask for its facts (every unit of one scan asks for the same facts). What depends on all runs
(not collected, summaries, account and provider failures) is computed at the end, from the
runs (``pipeline.assemble_report``).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor._sink_inventory import ResourceSpool, SavedInventory
from auditor.checks import CompiledCheck
from auditor.finding_spool import FindingSpool
from auditor.model import FactState, Inventory, ProviderRun, Report, share_facts
from auditor.mutelist import MuteRule
from auditor.pipeline import ExposureLookup, Position, assemble_report, evaluate_muted
from auditor.run_failures import Failed


@dataclass(slots=True)
class Seen:
    """What the sink saw of the resources it dropped."""

    resources: int = 0
    kinds: dict[str, set[str]] = field(default_factory=dict)  # provider -> kinds
    observed: bool = False  # any fact observed (auditor collect's exit code)


class EvaluatingSink:
    """Evaluates and spools each unit's result; holds runs, an index, never the resources.

    ``checks`` None: nothing is evaluated (``auditor collect``). ``save_inventory``: the
    resources are spooled for :meth:`inventory_writer`. Use as a context manager (or call
    :meth:`close`): the spool files are removed however the run ends.
    """

    def __init__(self, checks: Sequence[CompiledCheck] | None, mutes: Sequence[MuteRule] = (),
                 *, today: dt.date | None = None, save_inventory: bool = False,
                 run_size: int | None = None, memory_limit: int | None = None) -> None:
        self.checks = list(checks) if checks is not None else None
        self.mutes = list(mutes)
        self.today = today or dt.date.today()
        self._lock = threading.Lock()
        spool_options: dict[str, int] = {"run_size": run_size} if run_size else {}
        if memory_limit is not None:  # findings held as objects before going to disk
            spool_options["memory_limit"] = memory_limit
        self.findings = FindingSpool([c.check.id for c in self.checks or ()], **spool_options)
        self.resources = ResourceSpool(self.findings.directory) if save_inventory else None
        self._runs: dict[Position, list[ProviderRun]] = {}
        self._requested: dict[str, dict[str, list[str]]] = {}
        self.seen = Seen()
        self.closed = False

    @property
    def directory(self) -> Path:
        return self.findings.directory

    def deliver(self, position: Position, result: Inventory | Failed) -> None:
        with self._lock:
            if self.closed:  # a unit finishing after an interrupt: nothing is kept
                return
            if isinstance(result, Failed):
                self._runs[position] = [self._interned(result.run)]
                return
            self._take(position, result)

    def _take(self, position: Position, inventory: Inventory) -> None:
        if self.checks is not None:
            share_facts(inventory.resources)  # decided, and their evidence built, once each
            found = evaluate_muted(inventory, self.checks, self.mutes, self.today)
            self.findings.add_segment(position, found)  # cleaned there
        self._runs[position] = [self._interned(run) for run in inventory.runs]
        seen = self.seen
        seen.resources += len(inventory.resources)
        for resource in inventory.resources:
            seen.kinds.setdefault(resource.provider, set()).add(resource.kind)
        if not seen.observed:
            seen.observed = any(f.state is FactState.OBSERVED for r in inventory.resources
                                for f in r.facts.values())
        if self.resources is not None:
            self.resources.add_segment(position, inventory.resources)
        inventory.resources = []  # dropped: the sink keeps none

    def _interned(self, run: ProviderRun) -> ProviderRun:
        if run.facts_requested is not None:
            key = json.dumps(run.facts_requested, sort_keys=True)
            run.facts_requested = self._requested.setdefault(key, run.facts_requested)
        return run

    def runs(self) -> list[ProviderRun]:
        """Every run, in inventory order."""
        with self._lock:
            return [run for position in sorted(self._runs) for run in self._runs[position]]

    def inventory(self) -> Inventory:
        """The runs alone (the resources were dropped: see ``seen``)."""
        return Inventory(self.runs())

    def report(self, exposure: ExposureLookup, failures: dict[str, str] | None = None, *,
               mutelist_source: str = "") -> Report:
        """The scan's report: ``findings`` is the spool (valid until :meth:`close`)."""
        if self.checks is None:
            raise ValueError("a sink without checks evaluates nothing")
        return assemble_report(self.runs(), self.findings, self.checks, exposure, self.mutes,
                               failures, providers=set(self.seen.kinds),
                               mutelist_source=mutelist_source, today=self.today)

    def inventory_writer(self) -> SavedInventory | None:
        """``write(out)`` of the inventory document, when the resources were spooled."""
        if self.resources is None:
            return None
        return self.resources.writer(self.runs())

    def close(self) -> None:
        with self._lock:
            self.closed = True
        if self.resources is not None:
            self.resources.close()
        self.findings.close()

    def __enter__(self) -> EvaluatingSink:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
