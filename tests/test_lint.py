"""The code base stays ruff-clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_clean():
    out = subprocess.run([sys.executable, "-m", "ruff", "check", str(ROOT)], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_test_module_names_are_unique():
    # tests/ has no packages: pytest imports each module by its base name, so a second module
    # of the same name is refused ("import file mismatch") and its tests never run
    names: dict[str, list[str]] = {}
    for path in Path(__file__).resolve().parent.rglob("test_*.py"):
        names.setdefault(path.name, []).append(str(path))
    assert {n: p for n, p in names.items() if len(p) > 1} == {}
