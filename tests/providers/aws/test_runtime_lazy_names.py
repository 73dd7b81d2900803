"""auditor.providers._runtime names each public name lazily (its __getattr__). No public name
may also be a submodule of the package: importing a submodule binds it on the package under
its own name, so a thread that asked for the function between that binding and the lazy
lookup's own got the module ("'module' object is not callable": a scan's bucket exposure
failed the whole provider at dab5d54 once in a profiled 1,000-bucket run).
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import auditor.providers._runtime as runtime


def test_no_public_name_is_also_a_submodule() -> None:
    submodules = {info.name for info in pkgutil.iter_modules(runtime.__path__)}
    assert submodules & set(runtime.__all__) == set()
    assert "unobserved" in runtime.__all__ and "derive" in runtime.__all__


def test_every_name_is_what_its_home_defines_after_every_submodule_loaded() -> None:
    """In a fresh process: load each submodule first (as a thread of the pool may), then ask
    the package for each public name."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import auditor.providers._runtime as r\n"
        "for info in pkgutil.iter_modules(r.__path__):\n"
        "    importlib.import_module(f'{r.__name__}.{info.name}')\n"
        "from auditor.providers._runtime import derive, unobserved, bounded_map\n"
        "bad = [n for n in r.__all__ if type(getattr(r, n)).__name__ == 'module']\n"
        "assert callable(derive) and callable(unobserved) and callable(bounded_map), bad\n"
        "assert not bad, bad\n"
        "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-800:]
