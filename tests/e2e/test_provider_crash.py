"""Nothing kills the run: an exception escaping one adapter fails that provider only.

A test plugin (crash_plugin.py, registered through the ``auditor.providers`` entry points like
any third-party adapter) raises next to the real Alibaba adapter scanning its stand-in. The
Alibaba findings are reported, the plugin is a provider failure with a one-line reason, exit 3
(exit 1 stays "a FAIL at or above --fail-on"), no traceback unless --debug.
"""

from __future__ import annotations

import json

import pytest
from crash_plugin import PLUGIN, install

from auditor.model import SEVERITIES
from auditor.reports import FORMATS, file_name
from auditor.sandbox.estate import make_sandbox
from auditor.sandbox.manage import scan_flags

# Alibaba buckets whose every read the stand-in answers: a run of these alone is complete.
ESTATE = {
    "account": "5483920175638291", "public_access_block": False, "list_page_size": 10,
    "ecs_default_encryption": {"cn-hangzhou": {"encrypted": True}},
    "keys": [],
    "buckets": [
        {"name": "acme-hz-logs", "region": "oss-cn-hangzhou", "encryption": "AES256",
         "versioning": "Enabled", "block_public_access": True},
        {"name": "acme-hz-web-assets", "region": "oss-cn-hangzhou", "encryption": "AES256",
         "acl": "public-read"},
    ],
}
WRITTEN = [f for f in FORMATS if f != "table"]


@pytest.fixture(scope="module")
def alibaba():
    sandbox = make_sandbox("alibaba")
    sandbox.start()
    try:
        sandbox.seed(ESTATE)
        yield sandbox
    finally:
        sandbox.stop()


def _scan(auditor_cli, sandbox, tmp_path, *extra: str, mode: str = "value",
          providers: tuple[str, ...] = ("alibaba", PLUGIN)):
    env = {**sandbox.environment(), **install(tmp_path / "plugin"), "BOOM_MODE": mode,
           "BOOM_TRACE": str(tmp_path / "trace.txt")}
    out_dir = tmp_path / "out"
    out = auditor_cli("scan", *providers, *scan_flags("alibaba", sandbox.scan_options()),
                      "-o", str(out_dir), "-f", ",".join(WRITTEN), *extra, env=env)
    return out, out_dir


def _report(out_dir):
    return json.loads((out_dir / "auditor-report.json").read_text(encoding="utf-8"))


def test_the_real_provider_alone_is_complete(auditor_cli, alibaba, tmp_path):
    """The control: without the plugin this estate gives exit 0, so exit 3 below is the
    plugin's failure and nothing else."""
    out, out_dir = _scan(auditor_cli, alibaba, tmp_path, providers=("alibaba",))
    assert out.returncode == 0, out.stderr
    assert _report(out_dir)["runs"][0]["status"] == "complete"


@pytest.mark.parametrize("mode, kind, where", [
    ("value", "ValueError", "boom_adapter.py"),          # raised by the adapter itself
    ("worker", "KeyError", "boom_adapter.py"),           # raised in one pool worker
    ("attribute", "AttributeError", "auditor/executors/unit.py"),  # returned what is not a Collection
])
def test_a_raising_adapter_is_a_provider_failure(auditor_cli, alibaba, tmp_path, mode, kind,
                                                 where):
    out, out_dir = _scan(auditor_cli, alibaba, tmp_path, mode=mode)
    assert out.returncode == 3, out.stderr
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout
    lines = [line for line in out.stderr.splitlines() if PLUGIN in line]
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith(f"auditor: {PLUGIN}: not collected: unexpected {kind} at ")
    assert where in lines[0]
    for fmt in WRITTEN:  # every format written, the failure's odd characters included
        assert (out_dir / file_name(fmt)).read_text(encoding="utf-8")
    report = _report(out_dir)
    runs = {r["provider"]: r for r in report["runs"]}
    assert runs["alibaba"]["status"] == "complete"
    assert runs[PLUGIN]["status"] == "failed"
    error = runs[PLUGIN]["errors"][0]
    assert error["code"] == kind and "\n" not in error["message"]
    assert report["provider_failures"][PLUGIN] == error["message"]
    assert {f["provider"] for f in report["findings"]} == {"alibaba"}
    assert {"acme-hz-logs", "acme-hz-web-assets"} <= {f["resource_name"] for f in report["findings"]}
    if mode == "value":  # the lone surrogate of the message is U+FFFD in every document
        assert "unparsable answer \ufffd" in error["message"]
        assert "\ufffd" in (out_dir / file_name("html")).read_text(encoding="utf-8")


def test_a_raising_worker_does_not_stop_the_other_workers(auditor_cli, alibaba, tmp_path):
    out, _ = _scan(auditor_cli, alibaba, tmp_path, mode="worker")
    assert out.returncode == 3
    assert (tmp_path / "trace.txt").read_text() == "0 1 3 4 5 6 7"
    assert "7 of 8" not in out.stderr  # one item raised: no count note


def test_debug_prints_the_traceback(auditor_cli, alibaba, tmp_path):
    out, _ = _scan(auditor_cli, alibaba, tmp_path, "--debug")
    assert out.returncode == 3
    assert "Traceback (most recent call last)" in out.stderr
    assert "boom_adapter.py" in out.stderr and "ValueError" in out.stderr


def test_exit_1_still_means_a_fail_at_or_above_fail_on(auditor_cli, alibaba, tmp_path):
    out, out_dir = _scan(auditor_cli, alibaba, tmp_path, "--fail-on", "info")
    failing = [f for f in _report(out_dir)["findings"] if f["status"] == "FAIL"]
    assert failing, "the estate has a public bucket"
    assert out.returncode == 1
    top = max(SEVERITIES.index(f["severity"]) for f in failing)
    above = SEVERITIES[top + 1] if top + 1 < len(SEVERITIES) else None
    if above:  # nothing fails at the next level up: the plugin's failure gives 3 again
        again, _ = _scan(auditor_cli, alibaba, tmp_path / "again", "--fail-on", above)
        assert again.returncode == 3
