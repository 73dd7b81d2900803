"""Config files and mutelists: validated, applied, and rejected with file, path and reason."""

from __future__ import annotations

import datetime as dt

import pytest

from auditor.checks import load_checks
from auditor.config import compile_with_params, load_config, select_checks
from auditor.errors import ConfigError, UsageError
from auditor.model import Evidence, Finding, Status
from auditor.mutelist import apply_mutes, load_mutelist


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_config_params_reach_checks(tmp_path):
    path = _write(tmp_path, "auditor.toml", """
fail_on = "high"
[params."*"]
allowed_jurisdictions = ["EU"]
[params.bucket-key-rotation]
max_rotation_days = 90
""")
    config = load_config(path)
    compiled = {c.check.id: c for c in compile_with_params(load_checks(), config["params"], str(path))}
    assert compiled["bucket-key-rotation"].params["max_rotation_days"] == 90
    assert compiled["bucket-data-residency"].params["allowed_jurisdictions"] == ["EU"]
    assert compiled["bucket-replication-residency"].params["allowed_jurisdictions"] == ["EU"]
    assert compiled["kms-key-rotation"].params["max_rotation_days"] == 365


@pytest.mark.parametrize("text, where, reason", [
    ('fail_on = "urgent"\n', "$.fail_on", "urgent"),
    ("max_workers = 0\n", "$.max_workers", "minimum"),
    ("[checks]\ninclude = 3\n", "$.checks.include", "array"),
    ("colour = true\n", "$.colour", "colour"),
])
def test_bad_config_document(tmp_path, text, where, reason):
    path = _write(tmp_path, "auditor.toml", text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert (info.value.source, info.value.path) == (str(path), where)
    assert reason in info.value.reason


@pytest.mark.parametrize("params, where, reason", [
    ({"bucket-key-rotation": {"max_rotation_days": "soon"}},
     "$.params.bucket-key-rotation.max_rotation_days", "integer"),
    ({"bucket-key-rotation": {"max_rotation_days": 0}},
     "$.params.bucket-key-rotation.max_rotation_days", "minimum"),
    ({"bucket-key-custody": {"minimum_custody": "vault"}},
     "$.params.bucket-key-custody.minimum_custody", "vault"),
    ({"no-such-check": {"x": 1}}, "$.params.no-such-check", "no such check"),
    ({"bucket-versioning": {"x": 1}}, "$.params.bucket-versioning.x", "no parameter"),
    ({"*": {"colour": 1}}, "$.params.*.colour", "no check has this parameter"),
])
def test_bad_param_values(params, where, reason):
    with pytest.raises(ConfigError) as info:
        compile_with_params(load_checks(), params, "auditor.toml")
    assert info.value.path == where
    assert reason in info.value.reason


def test_unparsable_toml(tmp_path):
    path = _write(tmp_path, "auditor.toml", "fail_on = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_select_checks_filters_and_rejects_unknown_ids():
    checks = load_checks()
    assert [c.id for c in select_checks(checks, include=["bucket-versioning"])] == [
        "bucket-versioning"]
    high = select_checks(checks, severities=["high", "critical"])
    assert high and all(c.severity in ("high", "critical") for c in high)
    rest = select_checks(checks, exclude=["bucket-versioning"])
    assert len(rest) == len(checks) - 1
    with pytest.raises(UsageError, match="unknown check id 'nope'"):
        select_checks(checks, include=["nope"])


def _finding(status=Status.FAIL, name="logs", check="bucket-versioning"):
    return Finding(check, "t", "versioning", "medium", status, "versioning.enabled=false",
                   "storage.bucket", "aws", "1", "eu-west-1", f"arn:aws:s3:::{name}", name,
                   [Evidence("versioning.enabled", "observed", False, ["s3:GetBucketVersioning"])])


def test_mutelist_mutes_matching_findings_until_expiry(tmp_path):
    path = _write(tmp_path, "mute.yaml", """
mute:
  - check: bucket-versioning
    resource: "log*"
    reason: log buckets are write-once by design
    expires: "2030-01-01"
""")
    rules = load_mutelist(path)
    muted, other, passing = _finding(), _finding(name="data"), _finding(Status.PASS)
    apply_mutes([muted, other, passing], rules, today=dt.date(2029, 1, 1))
    assert muted.status is Status.MUTED
    assert muted.muted_reason == "log buckets are write-once by design"
    assert muted.message.startswith("[was FAIL]")
    assert other.status is Status.FAIL and passing.status is Status.PASS
    late = _finding()
    apply_mutes([late], rules, today=dt.date(2030, 1, 2))
    assert late.status is Status.FAIL


@pytest.mark.parametrize("text, where", [
    ("mute:\n  - check: x\n", "$.mute[0]"),
    ("mute:\n  - check: x\n    reason: ok ok\n    expires: tomorrow\n", "$.mute[0].expires"),
    ("rules: []\n", "$"),
])
def test_bad_mutelist(tmp_path, text, where):
    path = _write(tmp_path, "mute.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_mutelist(path)
    assert info.value.path == where
