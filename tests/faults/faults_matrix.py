"""The fault matrix of one provider: its stand-in started and seeded once, a few proxy slots
in front of it, a clean run, then every (operation, fault) case run in-process.

A slot is one set of proxies (one per upstream of the stand-in) sharing one Plan, so cases
on different slots run side by side. Each case runs the real pipeline (auditor.pipeline
collect, build_report, report_exit_code) with the adapter from the entry points, its
CollectRequest.timeout set to faults_table.TIMEOUT_S, no --fail-on.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import Any

from faults_judge import judge, judge_down
from faults_proxy import FaultProxy, Plan, RefusedPort
from faults_table import BY_ID, DOWN, PROTOCOLS, TIMEOUT_S, Fault, arm
from faults_targets import TARGETS, Target

from auditor.checks import load_checks
from auditor.config import compile_with_params
from auditor.exit_codes import report_exit_code
from auditor.pipeline import build_report, collect, registry_exposure
from auditor.providers.base import ProviderRegistry
from auditor.sandbox.registry import SandboxRegistry

SLOTS = 6  # cases at once: much of a case's time is waiting (timeouts, backoff)
AMBIENT = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE",
           "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
           "AWS_SECRET_ACCESS_KEY", "GOOGLE_APPLICATION_CREDENTIALS", "STORAGE_EMULATOR_HOST",
           "ALIBABA_CLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_PROFILE")


class _WithTimeout:
    """The registered adapter, every CollectRequest carrying the case's timeout (what
    --timeout sets; built in-process until the flag reaches the pipeline)."""

    def __init__(self, inner: Any, timeout: float) -> None:
        self._inner = inner
        self.name, self.title, self.options = inner.name, inner.title, inner.options
        self.data_dir = inner.data_dir
        self._timeout = timeout

    def exposure_profile(self) -> Any:
        return self._inner.exposure_profile()

    def collect(self, request: Any) -> Any:
        return self._inner.collect(dataclasses.replace(request, timeout=self._timeout))


@dataclass
class Run:
    """One scan through a slot."""

    report: Any = None
    inventory: Any = None
    exit_code: int | None = None
    elapsed: float = 0.0
    requests: Counter[str] = field(default_factory=Counter)
    crash: str | None = None  # an exception escaped the pipeline


@dataclass
class Slot:
    plan: Plan
    proxies: list[FaultProxy]
    urls: dict[str, str]
    options: dict[str, Any] = field(default_factory=dict)


class Matrix:
    def __init__(self, provider: str) -> None:
        self.target: Target = TARGETS[provider]
        self.provider = provider
        self.sandbox: Any = None
        self.slots: list[Slot] = []
        self.down_options: dict[str, Any] = {}
        self.clean: Run | None = None
        self.stand_in_counts: Counter[str] = Counter()
        self._results: dict[str, dict[str, tuple[Run, list[str]]]] = {}
        self._saved_env: dict[str, str | None] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix=f"auditor-faults-{provider}-")
        self._refused = RefusedPort()
        inner = ProviderRegistry.from_entry_points().get(provider)
        self.registry = ProviderRegistry()
        self.registry.register(provider, lambda: _WithTimeout(inner, TIMEOUT_S))
        self.checks = compile_with_params(load_checks(), {}, "defaults")
        self.reads = {c.check.id: tuple(c.check.reads) for c in self.checks}

    # --- set-up ------------------------------------------------------------------------
    def start(self) -> Matrix:
        self.sandbox = SandboxRegistry.from_entry_points().create(self.provider)
        self.sandbox.start()
        self.sandbox.seed(self.target.estate)
        # The endpoints the matrix classifies; the others (a multi-account scan's STS and
        # directory listing) a single-account scan never calls.
        upstreams = {name: url for name, url in self.target.upstreams(self.sandbox).items()
                     if name in self.target.classifiers}
        for _ in range(SLOTS):
            plan = Plan()
            proxies = {name: FaultProxy(upstreams[name], self.target.classifiers[name],
                                        plan).start() for name in upstreams}
            self.slots.append(Slot(plan, list(proxies.values()),
                                   {n: p.url for n, p in proxies.items()}))
        down = {name: self._refused.url for name in upstreams}
        options, env = self.target.aim(self.sandbox, [s.urls for s in self.slots] + [down],
                                       Path(self._tmp.name))
        for slot, opts in zip(self.slots, options, strict=False):
            slot.options = opts
        self.down_options = options[-1]
        self._patch_env(env)
        self.sandbox.reset_requests()
        self.clean = self._scan(self.slots[0])
        self.stand_in_counts = Counter(self.target.stand_in_action(r.action)
                                       for r in self.sandbox.requests())
        return self

    def _patch_env(self, env: dict[str, str]) -> None:
        names = set(AMBIENT) | set(self.sandbox.environment()) | set(env) | {"HOME"}
        self._saved_env = {k: os.environ.get(k) for k in names}
        for name in names:
            os.environ.pop(name, None)
        os.environ.update(env)
        os.environ["HOME"] = self._tmp.name  # no shared config or credential files

    def stop(self) -> None:
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for slot in self.slots:
            for proxy in slot.proxies:
                proxy.stop()
        if self.sandbox is not None:
            self.sandbox.stop()
        self._refused.close()
        self._tmp.cleanup()

    # --- runs --------------------------------------------------------------------------
    @property
    def operations(self) -> list[str]:
        """Every read the adapter made in the clean run, as the stand-in recorded them."""
        return sorted(op for op in self.stand_in_counts if op)

    def _scan(self, slot: Slot | None) -> Run:
        run = Run()
        options = slot.options if slot is not None else self.down_options
        started = time.monotonic()
        try:
            outcome = collect(self.registry, [self.provider], {self.provider: options},
                              self.checks, 8)
            run.inventory = outcome.inventory
            run.report = build_report(outcome.inventory, self.checks,
                                      registry_exposure(self.registry), (), outcome.failures)
            run.exit_code = report_exit_code(run.report, None)
        except Exception as exc:  # a crash is a case outcome, reported as such
            run.crash = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        run.elapsed = time.monotonic() - started
        if slot is not None:
            run.requests = slot.plan.counts()
        return run

    def _case(self, free: Queue[Slot], operation: str, fault: Fault) -> tuple[Run, list[str]]:
        slot = free.get()
        try:
            protocol = PROTOCOLS[self.target.protocol(operation)]
            arm(slot.plan, operation, fault, protocol)
            run = self._scan(slot)
            slot.plan.reset()
        finally:
            free.put(slot)
        assert self.clean is not None
        return run, judge(self.clean, run, operation, fault, self.target.gates, self.reads)

    def results(self, fault_id: str) -> dict[str, tuple[Run, list[str]]]:
        """operation -> (run, problems) for one fault over every operation."""
        if fault_id not in self._results:
            fault = BY_ID[fault_id]
            free: Queue[Slot] = Queue()
            for slot in self.slots:
                free.put(slot)
            with ThreadPoolExecutor(max_workers=len(self.slots)) as pool:
                runs = pool.map(lambda op: self._case(free, op, fault), self.operations)
                self._results[fault_id] = dict(zip(self.operations, runs, strict=True))
        return self._results[fault_id]

    def down(self) -> tuple[Run, list[str]]:
        run = self._scan(None)
        return run, judge_down(run, DOWN)
