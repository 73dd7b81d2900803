"""Which executor runs a collection: --executor/--scheduler/--dask-workers over the config keys
executor/scheduler/dask_workers, each bad value one line naming the flag or the config file and
key (exit 2); an unreachable scheduler is one line and exit 2 within seconds; a local run
imports no Dask module at all."""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.errors import ConfigError, UsageError
from auditor.executors import ExecutorChoice
from auditor.exit_codes import EXIT_INPUT
from auditor.settings import executing

SOURCE = "/etc/auditor.toml"


def _args(**flags) -> argparse.Namespace:
    values = {"executor": None, "scheduler": None, "dask_workers": None, "config": SOURCE}
    return argparse.Namespace(**{**values, **flags})


def test_without_flags_or_keys_the_executor_is_local():
    assert executing(_args(), {}) == ExecutorChoice("local")


def test_config_keys_choose_dask_and_flags_replace_them():
    config = {"executor": "dask", "scheduler": "tcp://10.0.0.5:8786", "dask_workers": 3}
    choice = executing(_args(), config, 6)
    assert (choice.name, choice.scheduler, choice.workers) == ("dask", "tcp://10.0.0.5:8786", None)
    assert (choice.source, choice.where) == (SOURCE, "$.scheduler")
    flagged = executing(_args(scheduler="tcp://sched.internal:9000"), config)
    assert flagged.scheduler == "tcp://sched.internal:9000" and flagged.source == "--scheduler"
    # --executor local replaces the key; the config's Dask settings are then unused
    assert executing(_args(executor="local"), config) == ExecutorChoice("local")
    local_cluster = executing(_args(), {"executor": "dask", "dask_workers": 3}, 6)
    assert (local_cluster.scheduler, local_cluster.workers, local_cluster.threads) == (None, 3, 6)
    assert executing(_args(dask_workers=2), {"executor": "dask", "dask_workers": 3}).workers == 2


@pytest.mark.parametrize(("flags", "config", "source", "where", "reason"), [
    ({}, {"executor": "dusk"}, SOURCE, "$.executor", "not an executor: 'dusk'"),
    ({"executor": "dask"}, {"scheduler": "http://h:8786"}, SOURCE, "$.scheduler",
     "not a scheduler address"),
    ({"executor": "dask", "scheduler": "tcp://h"}, {}, "--scheduler", "$",
     "not a scheduler address"),
    ({"executor": "dask", "scheduler": "tcp://h:99999"}, {}, "--scheduler", "$",
     "not a scheduler address"),
    ({"executor": "dask"}, {"dask_workers": 0}, SOURCE, "$.dask_workers", "at least 1"),
    ({"executor": "dask"}, {"dask_workers": True}, SOURCE, "$.dask_workers", "whole number"),
    ({"scheduler": "tcp://h:8786"}, {}, "--scheduler", "$", "only with --executor dask"),
    ({"dask_workers": 2}, {"executor": "local"}, "--dask-workers", "$",
     "only with --executor dask"),
    ({"executor": "dask", "scheduler": "tcp://h:8786", "dask_workers": 2}, {},
     "--dask-workers", "$", "not with --scheduler"),
])
def test_bad_values_name_their_flag_or_config_key(flags, config, source, where, reason):
    with pytest.raises(UsageError) as info:
        executing(_args(**flags), config)
    assert (info.value.source, info.value.path) == (source, where)
    assert reason in info.value.reason


@pytest.mark.parametrize(("text", "where"), [
    ('executor = "dusk"\n', "$.executor"),
    ('scheduler = "tcp://h"\n', "$.scheduler"),
    ("dask_workers = 0\n", "$.dask_workers")])
def test_the_config_file_is_refused_naming_the_key(tmp_path, text, where):
    path = tmp_path / "auditor.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.path == where and str(path) in str(info.value)


def test_a_bad_config_key_is_one_line_and_exit_2(auditor, tmp_path):
    path = tmp_path / "auditor.toml"
    path.write_text('executor = "dusk"\n')
    result = auditor("scan", "gcp", "--config", str(path), "--no-history")
    assert result.returncode == EXIT_INPUT
    assert result.stderr.splitlines() == [
        f"auditor: error: {path}: $.executor: 'dusk' is not one of ['local', 'dask']"]


def _closed_port() -> tuple[socket.socket, int]:
    """A port bound on 127.0.0.1 that nobody listens on (connections are refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock, sock.getsockname()[1]


def test_an_unreachable_scheduler_is_one_line_and_exit_2_within_seconds(auditor, tmp_path):
    sock, port = _closed_port()
    try:
        started = time.monotonic()
        result = auditor("scan", "gcp", "--executor", "dask", "--scheduler",
                         f"tcp://127.0.0.1:{port}", "--no-history", "-o", str(tmp_path / "o"))
        elapsed = time.monotonic() - started
    finally:
        sock.close()
    assert result.returncode == EXIT_INPUT
    assert result.stderr.splitlines() == [
        f"auditor: error: --scheduler: no Dask scheduler answers at tcp://127.0.0.1:{port} "
        "within 3 s (OSError)"]
    assert elapsed < 30  # 3 s connect bound + start-up of a loaded 2-core machine
    assert not (tmp_path / "o").exists()  # nothing was written


# A scan in a fresh interpreter that prints which Dask modules it imported. Its provider
# endpoints are a closed 127.0.0.1 port: nothing leaves the machine, the scan fails (exit 5).
_PROBE = """
import json, sys
from auditor.cli import main
code = main(sys.argv[1:])
print(json.dumps([code, sorted(m for m in sys.modules
                               if m.split(".")[0] in ("dask", "distributed"))]))
"""


def _probe(tmp_path: Path, *flags: str) -> tuple[int, list[str]]:
    sock, port = _closed_port()
    url = f"http://127.0.0.1:{port}"
    env = {"STORAGE_EMULATOR_HOST": url, "HOME": str(tmp_path), "NO_COLOR": "1",
           **{f"AUDITOR_GCP_{s}_ENDPOINT": url for s in (
               "KMS", "ORGPOLICY", "RESOURCEMANAGER", "COMPUTE", "SQLADMIN", "FILESTORE")}}
    import os

    try:
        proc = subprocess.run(
            [sys.executable, "-c", _PROBE, "scan", "gcp", "--gcp-project", "probe-project", "-q",
             "--no-history", "--timeout", "1", "-o", str(tmp_path / "out"), *flags],
            env={**os.environ, **env}, capture_output=True, text=True, timeout=180)
    finally:
        sock.close()
    code, modules = json.loads(proc.stdout.strip().splitlines()[-1])
    return code, modules


def test_a_local_run_imports_no_dask_module(tmp_path):
    code, modules = _probe(tmp_path, "--executor", "local")
    assert code != EXIT_INPUT and modules == []
    config = tmp_path / "auditor.toml"
    config.write_text('executor = "local"\nscheduler = "tcp://127.0.0.1:1"\n')
    code, modules = _probe(tmp_path, "--config", str(config))
    assert code != EXIT_INPUT and modules == []


def test_the_probe_sees_dask_when_it_is_chosen(tmp_path):
    sock, port = _closed_port()
    try:
        code, modules = _probe(tmp_path, "--executor", "dask", "--scheduler",
                               f"tcp://127.0.0.1:{port}")
    finally:
        sock.close()
    assert code == EXIT_INPUT and "distributed" in modules
