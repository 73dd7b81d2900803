"""A report set appears whole or not at all: a signal between two renames waits for the last.

The signal is real (raised in this process, delivered through the handler in place); only
the moment is chosen, by a rename that signals right after it renamed.
"""

from __future__ import annotations

import os
import signal

import pytest

from auditor.documents import signals_deferred, write_all

NAMES = ("auditor-report.json", "auditor-report.csv", "auditor-report.html",
         "auditor-report.xml")


@pytest.fixture
def signal_after_first_rename(monkeypatch):
    """os.replace that raises ``signum`` once, right after the first file is renamed."""
    real = os.replace
    state = {"renames": 0, "signum": None}

    def replace(src, dst):
        real(src, dst)
        state["renames"] += 1
        if state["renames"] == 1 and state["signum"] is not None:
            signal.raise_signal(state["signum"])

    monkeypatch.setattr(os, "replace", replace)
    return state


def _old_set(folder):
    folder.mkdir()
    for name in NAMES:
        (folder / name).write_text("old", encoding="utf-8")


def test_sigint_between_renames_leaves_the_new_set_whole(tmp_path, signal_after_first_rename):
    _old_set(tmp_path / "out")
    signal_after_first_rename["signum"] = signal.SIGINT
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            write_all({tmp_path / "out" / name: f"new {name}" for name in NAMES})
    finally:
        signal.signal(signal.SIGINT, previous)
    assert signal_after_first_rename["renames"] == len(NAMES)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(NAMES)  # no temp
    for name in NAMES:
        assert (tmp_path / "out" / name).read_text(encoding="utf-8") == f"new {name}"


def test_sigterm_is_delivered_after_the_last_rename(tmp_path, signal_after_first_rename):
    seen: list[list[str]] = []

    def on_term(signum, frame):  # what the handler sees when the signal reaches it
        seen.append(sorted(p.read_text(encoding="utf-8") for p in (tmp_path / "out").iterdir()))

    _old_set(tmp_path / "out")
    signal_after_first_rename["signum"] = signal.SIGTERM
    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        write_all({tmp_path / "out" / name: "new" for name in NAMES})
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert seen == [["new"] * len(NAMES)]


def test_interrupt_before_the_renames_leaves_the_old_set(tmp_path, monkeypatch):
    _old_set(tmp_path / "out")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_all({tmp_path / "out" / name: "new" for name in NAMES})
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(NAMES)
    assert {(tmp_path / "out" / n).read_text(encoding="utf-8") for n in NAMES} == {"old"}


def test_deferral_restores_the_handlers_and_delivers_one_signal():
    calls: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: calls.append(signum))
    try:
        installed = signal.getsignal(signal.SIGTERM)
        with signals_deferred():
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGTERM)
            assert calls == []
        assert calls == [signal.SIGTERM]
        assert signal.getsignal(signal.SIGTERM) is installed
    finally:
        signal.signal(signal.SIGTERM, previous)
