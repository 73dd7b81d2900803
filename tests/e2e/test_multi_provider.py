"""One scan, several providers: concurrent, one report; a provider failing as a whole is reported."""

from __future__ import annotations

import json
import socket

from auditor.sandbox.estate import load_estate, make_sandbox
from auditor.sandbox.manage import scan_flags


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_failing_provider_does_not_stop_the_others(auditor, tmp_path):
    sandbox = make_sandbox("alibaba")
    sandbox.start()
    try:
        sandbox.seed(load_estate()["alibaba"])
        dead = f"http://127.0.0.1:{_closed_port()}"
        env = {**sandbox.environment(), "STORAGE_EMULATOR_HOST": dead,
               "AUDITOR_GCP_KMS_ENDPOINT": dead}
        out = auditor("scan", "alibaba", "gcp", *scan_flags("alibaba", sandbox.scan_options()),
                      "--project", "nowhere", "-o", str(tmp_path), "-f", "json", env=env)
    finally:
        sandbox.stop()
    assert out.returncode == 3, out.stderr
    assert "auditor: gcp: not collected:" in out.stderr
    report = json.loads((tmp_path / "auditor-report.json").read_text())
    assert set(report["provider_failures"]) == {"gcp"}
    runs = {r["provider"]: r["status"] for r in report["runs"]}
    assert runs == {"alibaba": "partial", "gcp": "failed"}
    providers = {f["provider"] for f in report["findings"]}
    assert providers == {"alibaba"}
    assert report["transparency"]["providers"]["alibaba"]["decided"] > 0
    assert "gcp: not collected" in out.stdout or "gcp" in out.stdout


def test_option_no_chosen_provider_takes_is_a_usage_error(auditor):
    out = auditor("scan", "gcp", "--oss-endpoint", "http://127.0.0.1:9")
    assert out.returncode == 2
    assert out.stderr.strip() == ("auditor: error: --oss-endpoint: not an option of gcp")


def test_unknown_provider(auditor):
    out = auditor("scan", "azure")
    assert out.returncode == 2 and "unknown provider 'azure'" in out.stderr
