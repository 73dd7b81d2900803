"""``auditor sandbox up|down|status``: keep the stand-ins running for trying the CLI by hand.

The running sandbox is recorded in one place, the XDG state directory
(``$XDG_STATE_HOME/safeguard-auditor/sandbox``, default ``~/.local/state/...``), so that
``status`` and ``down`` find it from any directory; ``--env`` prints only shell lines for
``eval "$(auditor sandbox up --env)"``.
"""

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
STATE_FILE = "state.json"


def state_dir() -> Path:
    """$XDG_STATE_HOME/safeguard-auditor/sandbox; ~/.local/state when the variable is unset
    or relative (the XDG base directory spec ignores a relative value)."""
    raw = os.environ.get("XDG_STATE_HOME", "")
    base = Path(raw) if raw and Path(raw).is_absolute() else Path.home() / ".local" / "state"
    return base / "safeguard-auditor" / "sandbox"


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


def export_lines(state: dict[str, Any]) -> list[str]:
    """The stand-ins' environment (fake credentials, local endpoints) as ``export`` lines."""
    return [f"export {k}={shlex.quote(v)}" for k, v in sorted(state["env"].items())]


def unset_lines(state: dict[str, Any]) -> list[str]:
    return [f"unset {k}" for k in sorted(state["env"])]


def describe(state: dict[str, Any]) -> str:
    from auditor.sandbox.running import endpoint_services

    lines = [f"sandbox running (pid {state['pid']}); stop it with: auditor sandbox down", ""]
    for provider, environment in state.get("environments", {}).items():
        for url, services in endpoint_services(provider, environment).items():
            named = ", ".join(s for s in services if s) or "every service"
            lines.append(f"  {provider:<8} {url}  {named}")
    lines += ["", "# point the CLI at it (fake credentials, local endpoints only), or run "
              'eval "$(auditor sandbox up --env)":', *export_lines(state), ""]
    for provider, options in state["options"].items():
        lines.append(shlex.join(["auditor", "scan", provider, *scan_flags(provider, options)]))
    return "\n".join(lines)


def _running(state_file: Path) -> dict[str, Any] | None:
    state = _read_state(state_file)
    return state if state and _alive(state["pid"]) and _is_sandbox(state["pid"]) else None


def up(state_file: Path, env_only: bool = False) -> int:
    show = (lambda state: "\n".join(export_lines(state))) if env_only else describe
    state = _running(state_file)
    if state:
        print(show(state))
        return 0
    state_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    state_file.unlink(missing_ok=True)
    log_file = state_file.with_suffix(".log")
    with open(log_file, "w") as log:  # the child keeps its own descriptor
        child = subprocess.Popen([sys.executable, "-m", "auditor.sandbox.serve", str(state_file)],
                                 stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                 start_new_session=True)
    if not env_only:
        print(f"starting the stand-ins (state in {state_file.parent})...", file=sys.stderr)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        state = _read_state(state_file)
        if state:
            print(show(state))
            return 0
        if child.poll() is not None:
            raise UsageError(str(log_file), "$",
                             f"sandbox exited with code {child.returncode} while starting")
        time.sleep(0.2)
    child.terminate()
    raise UsageError("sandbox up", "$", f"stand-ins not ready after {START_TIMEOUT_S}s")


def down(state_file: Path, env_only: bool = False) -> int:
    state = _read_state(state_file)
    if not state:  # on stderr under --env: what eval reads stays shell
        print("no sandbox running", file=sys.stderr if env_only else sys.stdout)
        return 0
    pid = state["pid"]
    if _alive(pid) and _is_sandbox(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
    state_file.unlink(missing_ok=True)
    print("\n".join(unset_lines(state)) if env_only else f"sandbox stopped (pid {pid})")
    return 0


def status(state_file: Path, env_only: bool = False) -> int:
    state = _running(state_file)
    if not state:
        print(f"no sandbox running (looked in {state_file})",
              file=sys.stderr if env_only else sys.stdout)
    elif env_only:
        print("\n".join(export_lines(state)))
    else:
        print(describe(state))
    return 0


ACTIONS = {"up": up, "down": down, "status": status}


def run_sandbox_command(args: argparse.Namespace) -> int:
    path = Path(args.state_file) if args.state_file else state_dir() / STATE_FILE
    return ACTIONS[args.action](path, getattr(args, "env", False))
