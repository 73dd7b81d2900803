"""``auditor demo``: the whole tool against local stand-ins, end to end, with one command."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from auditor.defaults import DEFAULT_MAX_WORKERS
from auditor.exit_codes import report_exit_code
from auditor.sandbox.running import endpoint_lines, running_sandboxes

DEMO_MUTELIST = Path(__file__).with_name("sandbox") / "demo-mutelist.yaml"
BANNER = ("Safeguard Auditor demo: scanning LOCAL STAND-INS on 127.0.0.1 (moto for AWS, built-in "
          "Cloud Storage / Cloud KMS and OSS / KMS stand-ins), seeded with a made-up estate. "
          "No cloud account is used and nothing leaves this machine.")
WIDTH = 96  # the demo's own lines wrap here


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so every server is shut down on the way out."""
    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def patched_environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def run_demo(args: argparse.Namespace) -> int:
    """Start and seed the stand-ins, then run the same scan pipeline as ``auditor scan``."""
    from auditor.checks import load_checks
    from auditor.commands import run_scan
    from auditor.config import compile_with_params
    from auditor.emission import Emission, use_color
    from auditor.mutelist import load_mutelist
    from auditor.providers.base import ProviderRegistry
    from auditor.reports import COMPARE_FORMATS, FORMATS
    from auditor.settings import Collecting, call_timeout

    quiet = args.quiet
    how = Collecting(DEFAULT_MAX_WORKERS, call_timeout(args), getattr(args, "debug", False))

    def say(text: str) -> None:  # flushed: a reader of the pipe sees each step as it comes
        if not quiet:
            print(text, flush=True)

    say("\n".join(textwrap.wrap(BANNER, WIDTH)))
    started = time.monotonic()
    registry = ProviderRegistry.from_entry_points()
    checks = compile_with_params(load_checks(), {}, "defaults")
    mutes = load_mutelist(DEMO_MUTELIST)
    # Every report format (the full finding table too), the comparison and the inventory;
    # on screen the summary and one row per safeguard.
    out = Emission(FORMATS, Path(args.output_dir), quiet=quiet, color=use_color(args),
                   write_table=True, compare=[f for f in COMPARE_FORMATS if f != "table"],
                   safeguards=True, save_inventory=True,
                   no_color=getattr(args, "no_color", False))
    with _terminate_as_interrupt(), running_sandboxes() as sandboxes:
        env: dict[str, str] = {}
        for sandbox in sandboxes.values():
            env.update(sandbox.environment())
        options = {p: s.scan_options() for p, s in sandboxes.items()}
        say(f"stand-ins up and seeded in {time.monotonic() - started:.1f}s, each cloud on "
            "its own ports of 127.0.0.1:\n" + "\n".join(endpoint_lines(sandboxes, WIDTH))
            + "\ncollecting...")
        with patched_environment(env):
            result = run_scan(registry, list(sandboxes), options, checks, mutes, how, out)
        requests = {p: len(s.requests()) for p, s in sandboxes.items()}
    with result:  # the report's findings are spooled on disk until here
        say(f"{result.outcome.resource_count()} resources, {len(result.report.findings)} "
            f"findings in {time.monotonic() - started:.1f}s; API requests served: "
            + ", ".join(f"{p} {n}" for p, n in requests.items()))
        say(f"side by side in full: auditor compare {out.directory / 'auditor-report.json'} "
            f"(or open {out.directory / 'auditor-compare.html'})")
        code = report_exit_code(result.report, None)
    if code:
        say(f"exit code {code}: some facts were UNVERIFIED, as the demo estate denies a few "
            "calls on purpose")
    return code


def main() -> None:  # pragma: no cover - convenience for python -m auditor.demo
    sys.exit(run_demo(argparse.Namespace(output_dir="auditor-demo", quiet=False,
                                         no_color=False)))
