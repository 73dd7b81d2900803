"""`auditor init` writes a commented example that validates, covers every section and every
registered provider option, refuses to overwrite without --force, prints with '-', and (once
its provider table is filled in) drives a real scan of the Google Cloud stand-in."""

from __future__ import annotations

import json
import sqlite3
import tomllib

from auditor.config import load_config
from auditor.config_schema import config_schema
from auditor.init import example_config
from auditor.providers.base import ProviderRegistry
from auditor.sandbox.estate import load_estate, make_sandbox


def test_the_example_validates_and_covers_every_section_and_option(tmp_path):
    path = tmp_path / "auditor.toml"
    path.write_text(example_config())
    config = load_config(path)
    registry = ProviderRegistry.from_entry_points()
    schema_keys = set(config_schema(registry)["properties"])
    text = path.read_text()
    for key in schema_keys:  # each key appears, set or commented out
        assert f"{key} =" in text or f"[{key}]" in text or f"[{key}." in text, key
    for name in registry.names():
        assert name in config  # every provider has its table
        for opt in registry.get(name).options:
            assert f"# {opt.name} = " in text, (name, opt.name)
    commented = [line[2:] for line in text.splitlines()
                 if line.startswith("# ") and " = " in line and not line.startswith("# [")]
    assert commented  # the commented examples are TOML too (a user only removes the '# ')
    for line in commented:
        tomllib.loads(line.split("  #")[0])


def test_init_writes_refuses_to_overwrite_and_prints(auditor, tmp_path):
    out = auditor("init", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    written = (tmp_path / "auditor.toml").read_text()
    assert written == example_config()
    (tmp_path / "auditor.toml").write_text("# mine\n")
    again = auditor("init", cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [
        "auditor: error: auditor.toml: already exists; give --force to overwrite it"]
    assert (tmp_path / "auditor.toml").read_text() == "# mine\n"
    forced = auditor("init", str(tmp_path / "auditor.toml"), "--force")
    assert forced.returncode == 0 and (tmp_path / "auditor.toml").read_text() == written
    printed = auditor("init", "-", cwd=tmp_path)
    assert printed.returncode == 0 and printed.stdout == written
    assert auditor("init", str(tmp_path)).returncode == 2  # a folder is not a file


def test_the_example_filled_in_drives_a_scan(auditor, tmp_path):
    """The user's edit: name the provider and fill its table; nothing else on the command
    line. Output folder, formats, fail_on, history path, checks and mutelist all apply."""
    job = tmp_path / "job"
    job.mkdir()
    sandbox = make_sandbox("gcp")
    sandbox.start()
    try:
        sandbox.seed(load_estate()["gcp"])
        table = "".join(f"{key} = {json.dumps(value)}\n"
                        for key, value in sandbox.scan_options().items())
        text = (example_config()
                .replace('providers = ["aws"]', 'providers = ["gcp"]')
                .replace('formats = ["table", "json", "sarif"]', 'formats = ["json", "sarif"]')
                .replace('# mutelist = "mutelist.yaml"', 'mutelist = "mutelist.yaml"')
                .replace('exclude = []        #', 'exclude = ["bucket-mfa-delete"]  #')
                .replace('# path = "history.sqlite"', 'path = "history.sqlite"')
                .replace("[gcp]  # Google Cloud\n", "[gcp]  # Google Cloud\n" + table))
        (job / "auditor.toml").write_text(text)
        (job / "mutelist.yaml").write_text(
            "mute:\n  - check: bucket-versioning\n    resource: acme-eu-archive\n"
            "    reason: archive is write-once\n    expires: 2099-12-31\n")
        out = auditor("scan", "--config", str(job / "auditor.toml"), "-q", cwd=tmp_path)
    finally:
        sandbox.stop()
    assert out.returncode == 1, out.stderr  # fail_on = "high": the estate has high FAILs
    assert sorted(p.name for p in (job / "auditor-out").iterdir()) == [
        "auditor-report.json", "auditor-report.sarif"]
    assert not (tmp_path / "auditor-out").exists()  # relative to the config, not the cwd
    report = json.loads((job / "auditor-out" / "auditor-report.json").read_text())
    assert {r["provider"] for r in report["runs"]} == {"gcp"}
    checks = {f["check_id"] for f in report["findings"]}
    assert "bucket-mfa-delete" not in checks and "bucket-versioning" in checks
    muted = [f for f in report["findings"] if f["status"] == "MUTED"]
    assert [(f["resource_name"], f["check_id"]) for f in muted] == [
        ("acme-eu-archive", "bucket-versioning")]
    with sqlite3.connect(job / "history.sqlite") as db:  # history.path, relative to the config
        assert db.execute("select count(*) from sqlite_master").fetchone()[0] > 0
