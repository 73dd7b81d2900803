"""``auditor sandbox up|down|status``: keep the stand-ins running for trying the CLI by hand."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from auditor.errors import UsageError

START_TIMEOUT_S = 90


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_state(path: Path) -> dict[str, Any] | None:
    """The state file if it is ours and well formed; None when there is none."""
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(str(path), "$", f"not a sandbox state file: {exc}") from exc
    if not (isinstance(state, dict) and isinstance(state.get("pid"), int)
            and isinstance(state.get("env"), dict) and isinstance(state.get("options"), dict)):
        raise UsageError(str(path), "$", "not a sandbox state file")
    return state


def _is_sandbox(pid: int) -> bool:
    """Only signal a process that is our sandbox server (a pid may be reused)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return _alive(pid)  # no /proc: fall back to existence
    return b"auditor.sandbox.serve" in cmdline


def scan_flags(provider: str, options: dict[str, Any]) -> list[str]:
    """``auditor scan`` flags for a stand-in's scan options: the provider's own flags
    (--aws-region), as its adapter declares them."""
    from auditor.providers.base import ProviderRegistry, option_flag

    declared = {opt.name: opt for opt in ProviderRegistry.from_entry_points().get(provider).options}
    flags: list[str] = []
    for name, value in options.items():
        if name not in declared:
            raise UsageError(provider, "$", f"stand-in option {name!r} is not an option of "
                                            f"{provider}")
        flag = option_flag(provider, declared[name])
        for item in value if isinstance(value, list) else [value]:
            flags += [flag, str(item)]
    return flags


def describe(state: dict[str, Any]) -> str:
    lines = [f"sandbox running (pid {state['pid']}); stop it with: auditor sandbox down", "",
             "# point the CLI at it (fake credentials, local endpoints only):"]
    lines += [f"export {k}={shlex.quote(v)}" for k, v in sorted(state["env"].items())]
    lines.append("")
    for provider, options in state["options"].items():
        lines.append(shlex.join(["auditor", "scan", provider, *scan_flags(provider, options)]))
    return "\n".join(lines)


def up(state_file: Path) -> int:
    state = _read_state(state_file)
    if state and _alive(state["pid"]) and _is_sandbox(state["pid"]):
        print(describe(state))
        return 0
    state_file.unlink(missing_ok=True)
    log = open(state_file.with_suffix(".log"), "w")
    child = subprocess.Popen([sys.executable, "-m", "auditor.sandbox.serve", str(state_file)],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                             start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        state = _read_state(state_file)
        if state:
            print(describe(state))
            return 0
        if child.poll() is not None:
            raise UsageError(str(state_file.with_suffix(".log")), "$",
                             f"sandbox exited with code {child.returncode} while starting")
        time.sleep(0.2)
    child.terminate()
    raise UsageError("sandbox up", "$", f"stand-ins not ready after {START_TIMEOUT_S}s")


def down(state_file: Path) -> int:
    state = _read_state(state_file)
    if not state:
        print("no sandbox running")
        return 0
    pid = state["pid"]
    if _alive(pid) and _is_sandbox(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
    state_file.unlink(missing_ok=True)
    print(f"sandbox stopped (pid {pid})")
    return 0


def run_sandbox_command(args: argparse.Namespace) -> int:
    path = Path(args.state_file)
    if args.action == "up":
        return up(path)
    if args.action == "down":
        return down(path)
    state = _read_state(path)
    running = state and _alive(state["pid"]) and _is_sandbox(state["pid"])
    print(describe(state) if running else "no sandbox running")
    return 0
