"""The worker pool's contract and the run's cancel event (auditor.cancellation, bounded_map)."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest

from auditor.cancellation import Cancelled, cancel_scope, pause
from auditor.model import ProviderRun
from auditor.pipeline import collect
from auditor.providers import alibaba
from auditor.providers._runtime import bounded_map
from auditor.providers.base import Collection, ProviderRegistry, load_exposure_profile


@pytest.mark.parametrize("workers", [1, 3, 16])
def test_results_keep_item_order(workers):
    def slow_square(n: int) -> int:
        time.sleep(0.001 * (10 - n))
        return n * n

    assert bounded_map(slow_square, range(10), workers) == [n * n for n in range(10)]


@pytest.mark.parametrize("workers", [1, 4])
def test_every_item_runs_before_the_first_failure_is_raised(workers):
    ran: list[int] = []
    lock = threading.Lock()

    def fn(n: int) -> int:
        if n in (1, 4):
            raise KeyError(f"item {n}")
        with lock:
            ran.append(n)
        return n

    with pytest.raises(KeyError, match="item 1") as info:
        bounded_map(fn, range(8), workers)
    assert sorted(ran) == [0, 2, 3, 5, 6, 7]
    assert "2 of 8 items raised" in info.value.__notes__
    assert info.value.__traceback__ is not None  # its own traceback: "where" stays known


def test_contain_records_the_failed_item_and_keeps_the_others():
    def fn(n: int) -> str:
        if n % 3 == 0:
            raise ValueError("odd answer")
        return f"ok {n}"

    out = bounded_map(fn, range(6), 4,
                      contain=lambda n, exc: f"failed {n}: {type(exc).__name__}")
    assert out == ["failed 0: ValueError", "ok 1", "ok 2", "failed 3: ValueError", "ok 4",
                   "ok 5"]


def test_workers_are_daemon_threads_that_see_the_run_scope():
    event = threading.Event()
    seen: list[tuple[bool, bool]] = []

    def inner(_: int) -> None:
        from auditor.cancellation import current_cancel

        seen.append((threading.current_thread().daemon, current_cancel() is event))

    with cancel_scope(event):
        bounded_map(lambda n: bounded_map(inner, range(3), 3), range(3), 3)
    assert seen and all(daemon and same for daemon, same in seen), seen


@pytest.mark.parametrize("workers", [1, 4])
def test_no_item_starts_after_cancel(workers):
    event = threading.Event()
    started: list[int] = []

    def fn(n: int) -> int:
        started.append(n)
        if n == 1:
            event.set()
        return n

    with cancel_scope(event), pytest.raises(Cancelled):
        bounded_map(fn, range(50), workers)
    assert len(started) <= workers + 1


def test_pause_wakes_at_once_on_cancel():
    event = threading.Event()
    threading.Timer(0.1, event.set).start()
    started = time.monotonic()
    with cancel_scope(event), pytest.raises(Cancelled):
        pause(30)
    assert time.monotonic() - started < 5


def test_pause_outside_a_run_just_sleeps():
    started = time.monotonic()
    pause(0.05)
    assert time.monotonic() - started >= 0.04


# --- the pipeline: adapters registered through the registry API ---------------------------


class _Adapter:
    """A minimal adapter on the Alibaba adapter's data files; ``behaviour`` is its collect."""

    options = ()
    data_dir = Path(alibaba.__file__).parent

    def __init__(self, name: str, behaviour) -> None:
        self.name = self.title = name
        self.behaviour = behaviour
        self.requests = []

    def exposure_profile(self):
        return load_exposure_profile(self.data_dir / "exposure.yaml")

    def collect(self, request):
        self.requests.append(request)
        return self.behaviour(request)


def _registry(*adapters: _Adapter) -> ProviderRegistry:
    registry = ProviderRegistry()
    for adapter in adapters:
        registry.register(adapter.name, lambda a=adapter: a)
    return registry


def _fine(request) -> Collection:
    from auditor.cancellation import current_cancel

    # the run's event is the adapter thread's current one: its pools and backoff see it
    assert current_cancel() is request.cancel
    return Collection(ProviderRun("fine", status="complete"), [])


def _raises_in_a_worker(request) -> Collection:
    def read(n: int) -> int:
        if n == 3:
            raise TypeError("unsupported operand")
        return n

    bounded_map(read, range(6), request.max_workers)
    raise AssertionError("not reached")


def test_an_adapter_raising_fails_that_provider_only():
    registry = _registry(_Adapter("fine", _fine), _Adapter("bad", _raises_in_a_worker))
    outcome = collect(registry, ["fine", "bad"], {}, None, 4, timeout=7.5)
    assert set(outcome.failures) == {"bad"}
    reason = outcome.failures["bad"]
    assert reason.startswith("unexpected TypeError at test_cancellation.py:")
    assert "in read: unsupported operand" in reason
    runs = {r.provider: r for r in outcome.inventory.runs}
    assert runs["fine"].status == "complete" and runs["bad"].status == "failed"
    assert runs["bad"].errors[0].code == "TypeError"
    assert "Traceback" in outcome.tracebacks["bad"]
    request = registry.get("fine").requests[0]
    assert request.timeout == 7.5 and request.cancel is registry.get("bad").requests[0].cancel


def test_interrupt_does_not_wait_for_calls_in_flight():
    """KeyboardInterrupt in the waiting main thread propagates at once and cancels the run."""
    assert threading.current_thread() is threading.main_thread()  # where signals land
    waiting, released = threading.Event(), threading.Event()
    sent: list[float] = []

    def hangs(request) -> Collection:
        waiting.set()
        request.cancel.wait(60)
        released.set()
        raise Cancelled

    def ctrl_c() -> None:  # a real SIGINT to the main thread, as Ctrl-C delivers it
        if waiting.wait(60):
            sent.append(time.monotonic())
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    registry = _registry(_Adapter("hung", hangs))
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        threading.Thread(target=ctrl_c, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            collect(registry, ["hung"], {}, None, 4)
        assert time.monotonic() - sent[0] < 2  # not the adapter's 60 s
        assert released.wait(5)  # and the adapter saw the cancel event
    finally:
        signal.signal(signal.SIGINT, previous)
