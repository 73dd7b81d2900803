"""The layering of auditor/: import-linter's contracts (pyproject.toml) and no import cycle.

Contracts: the core never imports a concrete provider, a sandbox, a renderer or the CLI;
renderers read only the model; providers never import each other; cli > compare|demo >
commands; no cycle between siblings. The module-level cycle check below is stricter than
import-linter's sibling contract: it also sees a package importing its own submodule back.
Provider independence is also checked from the entry points (``provider_import_violations``),
so a provider registered later is covered without editing pyproject's contract.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept():
    exe = shutil.which("lint-imports")
    assert exe, "lint-imports missing: pip install -e '.[test]' -c constraints.txt"
    proc = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def import_cycles(package: str) -> list[list[str]]:
    """Every set of modules under ``package`` that import each other in a circle (Tarjan's
    strongly connected components over grimp's graph; lazy and TYPE_CHECKING imports count)."""
    graph = grimp.build_graph(package, cache_dir=None)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in edges.get(module, []):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1 or module in edges.get(module, []):
                cycles.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(edges) + 100))
    try:
        for module in sorted(edges):
            if module not in index:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)
    return sorted(cycles)


def test_no_module_of_auditor_is_in_an_import_cycle():
    assert import_cycles("auditor") == []


@pytest.fixture
def toy_package(tmp_path, monkeypatch):
    """A throwaway package whose imports are written per test."""
    def make(name: str, modules: dict[str, str]) -> str:
        root = tmp_path / name
        root.mkdir()
        for module, source in modules.items():
            (root / f"{module}.py").write_text(source)
        monkeypatch.syspath_prepend(str(tmp_path))
        return name

    return make


def test_the_cycle_check_finds_a_lazy_import_cycle(toy_package):
    # The shape this suite replaced: cli imports commands, commands imports cli back lazily.
    name = toy_package("toy_cycle", {
        "__init__": "",
        "cli": "from toy_cycle import commands\n",
        "commands": "def run():\n    from toy_cycle.cli import main\n",
        "model": "",
    })
    assert import_cycles(name) == [["toy_cycle.cli", "toy_cycle.commands"]]


def test_the_cycle_check_accepts_a_layered_package(toy_package):
    name = toy_package("toy_layers", {
        "__init__": "",
        "cli": "from toy_layers import commands, exit_codes\n",
        "commands": "from toy_layers import exit_codes, model\n",
        "exit_codes": "",
        "model": "",
    })
    assert import_cycles(name) == []


def provider_packages(group: str = "auditor.providers") -> dict[str, str]:
    """provider -> the package its adapter's entry point lives in."""
    return {ep.name: _package_of(ep.module) for ep in entry_points(group=group)}


def _package_of(module: str) -> str:
    spec = importlib.util.find_spec(module)
    assert spec is not None, module
    return module if spec.submodule_search_locations is not None else module.rpartition(".")[0]


def provider_import_violations(packages: Mapping[str, str]) -> list[str]:
    """``importer -> imported`` for every import (lazy and TYPE_CHECKING ones included) from one
    provider's package into another's, or from any module outside them (the core) into one."""
    roots = sorted({"auditor", *(package.split(".")[0] for package in packages.values())})
    graph = grimp.build_graph(*roots, cache_dir=None)

    def owner(module: str) -> str | None:
        return next((name for name, package in packages.items()
                     if module == package or module.startswith(package + ".")), None)

    return [f"{module} -> {target}" for module in sorted(graph.modules)
            for target in sorted(graph.find_modules_directly_imported_by(module))
            if owner(target) not in (None, owner(module))]


def test_providers_come_from_the_entry_points_each_with_its_stand_in_inside():
    packages = provider_packages()
    assert len(packages) >= 3 and len(set(packages.values())) == len(packages)
    # A stand-in belongs to its provider: its imports count as that provider's.
    for name, package in provider_packages("auditor.sandboxes").items():
        assert package == packages[name] or package.startswith(packages[name] + "."), name


def test_no_provider_imports_another_and_the_core_imports_none():
    assert provider_import_violations(provider_packages()) == []


def test_the_provider_check_finds_cross_and_core_imports(toy_package):
    # toy_tree.a and toy_tree.b stand for two providers, the rest for the core.
    name = toy_package("toy_tree", {
        "__init__": "",
        "a": "from toy_tree import model\n",
        "b": "def lazy():\n    from toy_tree import a\n",
        "model": "",
        "engine": "from toy_tree import b, model\n",
    })
    packages = {"a": f"{name}.a", "b": f"{name}.b"}
    assert provider_import_violations(packages) == ["toy_tree.b -> toy_tree.a",
                                                    "toy_tree.engine -> toy_tree.b"]
    # With b not a provider it is core, and its import of a is still refused.
    assert provider_import_violations({"a": f"{name}.a"}) == ["toy_tree.b -> toy_tree.a"]
