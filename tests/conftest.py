"""Shared fixtures: paths to golden files and a runner for the installed console script."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="session", autouse=True)
def _private_data_home(tmp_path_factory):
    """Every scan the suite runs (in process or as a subprocess, which inherits os.environ)
    records its history, and caches its validated checks, under session folders, never the
    developer's ~/.local/share or ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        patch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("xdg-state")))  # sandbox
        yield


@pytest.fixture
def golden() -> Path:
    return GOLDEN


def run_auditor(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
                timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed ``auditor`` console script as a user would."""
    exe = shutil.which("auditor")
    assert exe, "the auditor console script is not installed (pip install -e '.[test]')"
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([exe, *args], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.fixture
def auditor():
    return run_auditor


@pytest.fixture(scope="session")
def auditor_cli():
    """``run_auditor`` for fixtures wider than one test."""
    return run_auditor


CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright: one per test module (its pages are
    reused by the module's tests). The pages are local files and load nothing else."""
    from playwright.sync_api import sync_playwright

    path = shutil.which("chromium") or "/usr/bin/chromium"
    assert shutil.which(path), "Chromium missing: run scripts/ensure-chromium.sh (make test does)"
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()
