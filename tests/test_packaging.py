"""The wheel carries checks/ and schemas/ and works with no source tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_data_and_runs_without_source_tree(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
                    str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("safeguard_auditor-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped_checks = {p.name for p in (ROOT / "checks").glob("*.yaml")}
    assert {f"auditor/_data/checks/{n}" for n in shipped_checks} <= names
    for schema in ("inventory", "check", "report", "config", "mutelist"):
        assert f"auditor/_data/schemas/{schema}.schema.json" in names
    assert "auditor/reports/templates/report.html.j2" in names
    shipped_claims = {p.name for p in (ROOT / "claims").glob("*.yaml")}
    assert shipped_claims and {f"auditor/_data/claims/{n}" for n in shipped_claims} <= names
    assert "auditor/_data/schemas/claim.schema.json" in names
    for schema in ("regions", "exposure", "not_configured"):
        assert f"auditor/_data/schemas/{schema}.schema.json" in names
    for data in ("auditor/sandbox/demo-mutelist.yaml",
                 "auditor/sandbox/registry.py", "auditor/reports/templates/compare.html.j2",
                 *(f"auditor/providers/{p}/{f}" for p in ("aws", "gcp", "alibaba")
                   for f in ("exposure.yaml", "regions.yaml", "not_configured.yaml",
                             "sandbox/__init__.py", "sandbox/estate.yaml"))):
        assert data in names, data
    assert "auditor/data/regions.yaml" not in names  # split into the provider packages
    assert "auditor/sandbox/estate.yaml" not in names  # each stand-in ships its section
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    declared = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[auditor.providers]" in declared and "[auditor.sandboxes]" in declared
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    code = ("from auditor._data_dirs import data_dir; from auditor.checks import load_checks;"
            "from auditor.provider_data import DATA_FILES, load_data_file;"
            "from pathlib import Path; import auditor.providers as pp;"
            "[load_data_file(Path(pp.__file__).parent / p / f) for p in ('aws', 'gcp', 'alibaba')"
            " for f in DATA_FILES];"
            "print(data_dir('checks')); print(len(load_checks()));"
            "from auditor.claims import claims_dir, load_claims;"
            "print(claims_dir()); print(len(load_claims()))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, env={"PYTHONPATH": str(unpacked), "PATH": "/usr/bin:/bin"},
                         check=True)
    where, count, claims_where, claims = out.stdout.split()
    assert where.startswith(str(unpacked)) and int(count) == len(shipped_checks)
    assert claims_where.startswith(str(unpacked)) and int(claims) >= 36
