"""Start-up stays light, asserted by structure (what a fresh interpreter has imported), never
by timing: benchmarks/startup.py measures the time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SDKS = ("boto3", "botocore", "google.cloud", "google.auth", "alibabacloud_oss_v2",
        "alibabacloud_tea_openapi", "alibabacloud_kms20160120", "moto")
HEAVY = ("yaml", "jsonschema", "referencing", "tabulate", "rich", "jinja2")


def imported_after(code: str, tmp_path: Path) -> set[str]:
    """The modules a fresh interpreter holds after ``code`` (stdout of the code discarded)."""
    script = ("import contextlib, io, json, sys\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n"
              + "".join(f"    {line}\n" for line in code.splitlines())
              + "print(json.dumps(sorted(sys.modules)))\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, check=True, cwd=tmp_path)
    return set(json.loads(done.stdout.splitlines()[-1]))


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules for n in names if m == n or m.startswith(n + "."))


def test_build_parser_for_help_imports_no_sdk_no_yaml_no_jsonschema(tmp_path):
    modules = imported_after("from auditor.cli import build_parser\n"
                             "build_parser(['--help'])", tmp_path)
    assert loaded(modules, (*SDKS, *HEAVY)) == []
    # nor the model, the providers, entry points, or the renderers
    assert loaded(modules, ("auditor.model", "auditor.providers", "importlib.metadata",
                            "auditor.reports.table", "auditor.commands")) == []


@pytest.mark.parametrize("argv", [["--help"], ["--version"], []])
def test_main_help_and_version_stay_light(tmp_path, argv):
    modules = imported_after("from auditor.cli import main\n"
                             "try:\n"
                             f"    main({argv!r})\n"
                             "except SystemExit:\n"
                             "    pass", tmp_path)
    assert loaded(modules, (*SDKS, *HEAVY, "auditor.model", "auditor.providers")) == []


def test_checks_list_with_the_cache_warm_parses_and_validates_nothing(tmp_path):
    code = "from auditor.cli import main\nmain(['checks', 'list'])"
    first = imported_after(code, tmp_path)  # a miss: reads, validates, writes the cache
    assert {"yaml", "jsonschema"} <= first
    assert (tmp_path / "cache" / "safeguard-auditor" / "checks.json").is_file()
    modules = imported_after(code, tmp_path)
    assert loaded(modules, (*SDKS, "yaml", "jsonschema", "referencing")) == []


def test_scan_help_loads_no_sdk(tmp_path):
    for argv in (["scan", "--help"], ["scan", "aws", "--help"], ["collect", "gcp", "--help"]):
        modules = imported_after("from auditor.cli import main\n"
                                 "try:\n"
                                 f"    main({argv!r})\n"
                                 "except SystemExit:\n"
                                 "    pass", tmp_path)
        assert loaded(modules, SDKS) == [], argv


def test_adapter_classes_import_no_yaml_and_no_jsonschema(tmp_path):
    # The registry loads them to find their checks.yaml and flags; their data is read later.
    modules = imported_after("from importlib.metadata import entry_points\n"
                             "for ep in entry_points(group='auditor.providers'):\n"
                             "    ep.load()", tmp_path)
    assert loaded(modules, (*SDKS, *HEAVY)) == []
