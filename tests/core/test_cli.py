"""The installed console script, run as a subprocess as a user would."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from jsonschema import Draft202012Validator

from auditor.schema import load_schema


def test_help_and_version(auditor):
    out = auditor("--help")
    assert out.returncode == 0
    for command in ("evaluate", "scan", "collect", "compare", "demo", "checks", "schema"):
        assert command in out.stdout
    assert "exit codes" in out.stdout
    assert auditor("--version").stdout.startswith("auditor ")
    for command in ("evaluate", "scan", "collect", "report", "compare", "checks", "schema",
                    "demo", "sandbox"):
        assert auditor(command, "--help").returncode == 0, command


def test_help_imports_no_cloud_sdk():
    code = (
        "import contextlib, io, sys\n"
        "from auditor.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "heavy = ('boto3', 'botocore', 'google', 'alibabacloud_oss_v2',\n"
        "         'alibabacloud_kms20160120', 'moto', 'jsonschema', 'jinja2', 'rich', 'yaml')\n"
        "print('LOADED:' + ','.join(sorted({m.split('.')[0] for m in sys.modules\n"
        "                                   if m.split('.')[0] in heavy})))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "LOADED:"


def test_evaluate_prints_every_status_and_writes_formats(auditor, golden, tmp_path):
    out = auditor("evaluate", str(golden / "mixed-inventory.json"), "-o", str(tmp_path),
                  "--format", "table", "--format", "json,sarif,csv,html,markdown,junit,ocsf")
    assert out.returncode == 3, out.stderr  # UNVERIFIED findings present
    for status in ("PASS", "FAIL", "OPAQUE", "UNVERIFIED", "NOT_APPLICABLE"):
        assert status in out.stdout
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == sorted(f"auditor-report.{ext}" for ext in  # -f table with -o: the txt file
                           ("txt", "json", "sarif", "csv", "html", "md", "xml", "ocsf.json"))
    report = json.loads((tmp_path / "auditor-report.json").read_text())
    Draft202012Validator(load_schema("report")).validate(report)
    golden_statuses = [f["status"] for f in json.loads((golden / "mixed-findings.json").read_text())]
    assert report["summary"]["FAIL"] == golden_statuses.count("FAIL")


def test_fail_on_and_mutelist(auditor, golden, tmp_path):
    inv = str(golden / "mixed-inventory.json")
    assert auditor("evaluate", inv, "-q", "--fail-on", "critical").returncode == 1
    mute = tmp_path / "mute.yaml"
    mute.write_text("mute:\n  - check: bucket-not-public\n    reason: public website\n"
                    "    expires: 2099-12-31\n"
                    "  - check: kms-key-not-public\n    reason: test key\n"
                    "    expires: 2099-12-31\n"
                    "  - check: snapshot-not-public\n    reason: public AMI source\n"
                    "    expires: 2099-12-31\n")
    out = auditor("evaluate", inv, "-q", "--fail-on", "critical", "--mutelist", str(mute))
    assert out.returncode == 3  # nothing critical left, UNVERIFIED remains
    only_pass = auditor("evaluate", inv, "-q", "--checks", "bucket-versioning",
                        "--fail-on", "info")
    assert only_pass.returncode == 1


def test_report_command_rerenders(auditor, golden, tmp_path):
    auditor("evaluate", str(golden / "mixed-inventory.json"), "-q", "-o", str(tmp_path),
            "-f", "json")
    out = auditor("report", str(tmp_path / "auditor-report.json"), "-f", "markdown",
                  "-o", str(tmp_path / "md"))
    assert out.returncode == 0, out.stderr
    assert "FAIL" in (tmp_path / "md" / "auditor-report.md").read_text()


def test_checks_and_schema_commands(auditor):
    listing = auditor("checks", "list")
    assert listing.returncode == 0 and "bucket-tls-enforced" in listing.stdout
    shown = auditor("checks", "show", "bucket-tls-enforced")
    assert "aws:SecureTransport" in shown.stdout
    schema = json.loads(auditor("schema", "inventory").stdout)
    assert schema["$id"].endswith("inventory.schema.json")


def _bad_inventory(tmp_path, golden, edit):
    doc = json.loads((golden / "mixed-inventory.json").read_text())
    text = edit(doc)
    path = tmp_path / "inv.json"
    path.write_text(text if isinstance(text, str) else json.dumps(doc))
    return path


BAD_INVENTORIES = {
    "truncated": (lambda d: json.dumps(d)[:500], "line 1 column 484", "not valid JSON"),
    "wrong type": (lambda d: d["resources"][0]["facts"]["encryption.enabled"].update(value="yes"),
                   "$.resources[0].facts.encryption.enabled.value", "not of type 'boolean'"),
    "unknown state": (lambda d: d["resources"][1]["facts"]["versioning.enabled"].update(
        state="maybe"), "$.resources[1].facts.versioning.enabled.state", "maybe"),
    "unknown fact": (lambda d: d["resources"][0]["facts"].update(
        {"encryption.colour": {"state": "observed", "value": 1, "source": []}}),
        "$.resources[0].facts", "encryption.colour"),
    "denied without detail": (lambda d: d["resources"][4]["facts"]["versioning.enabled"].pop(
        "detail") and None, "$.resources[4].facts.versioning.enabled", "detail"),
}


@pytest.mark.parametrize("case", BAD_INVENTORIES, ids=list(BAD_INVENTORIES))
def test_bad_inventory_one_line_exit_2_no_files(auditor, golden, tmp_path, case):
    edit, where, reason = BAD_INVENTORIES[case]
    path = _bad_inventory(tmp_path, golden, edit)
    out_dir = tmp_path / "out"
    out = auditor("evaluate", str(path), "-o", str(out_dir), "-f", "json")
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith(f"auditor: error: {path}: {where}: ")
    assert reason in lines[0]
    assert "Traceback" not in out.stderr and not out_dir.exists()


@pytest.mark.parametrize("args, fragment", [
    (["--checks", "no-such-check"], "unknown check id 'no-such-check'"),
    (["--format", "pdf"], "unknown format 'pdf'"),
    (["--severity", "urgent"], "unknown severity 'urgent'"),
    (["--fail-on", "urgent"], "invalid choice"),
])
def test_bad_flags(auditor, golden, tmp_path, args, fragment):
    out = auditor("evaluate", str(golden / "mixed-inventory.json"), "-o", str(tmp_path / "o"),
                  *args)
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and fragment in out.stderr
    assert not (tmp_path / "o").exists()


def test_bad_config_and_checks_dir(auditor, golden, tmp_path):
    config = tmp_path / "auditor.toml"
    config.write_text('[params.bucket-key-rotation]\nmax_rotation_days = "soon"\n')
    out = auditor("evaluate", str(golden / "mixed-inventory.json"), "--config", str(config))
    assert out.returncode == 2
    assert f"{config}: $.params.bucket-key-rotation.max_rotation_days:" in out.stderr
    checks_dir = tmp_path / "checks"
    checks_dir.mkdir()
    (checks_dir / "mine.yaml").write_text("id: mine\ntitle: [broken\n")
    out = auditor("evaluate", str(golden / "mixed-inventory.json"), "--checks-dir",
                  str(checks_dir))
    assert out.returncode == 2 and "mine.yaml" in out.stderr and "not valid YAML" in out.stderr


def test_missing_file(auditor, tmp_path):
    out = auditor("evaluate", str(tmp_path / "nope.json"))
    assert out.returncode == 2
    assert out.stderr.strip() == f"auditor: error: {tmp_path / 'nope.json'}: file not found"
