"""``auditor demo``: the whole tool against local stand-ins, end to end, with one command."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from auditor.sandbox.base import Sandbox

PROVIDERS = ("aws", "gcp", "alibaba")
DEMO_MUTELIST = Path(__file__).with_name("sandbox") / "demo-mutelist.yaml"
BANNER = ("Safeguard Auditor demo: scanning LOCAL STAND-INS on 127.0.0.1 (moto for AWS, built-in "
          "Cloud Storage / Cloud KMS and OSS / KMS stand-ins), seeded with a made-up estate. "
          "No cloud account is used and nothing leaves this machine.")


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
def running_sandboxes(providers: tuple[str, ...] = PROVIDERS) -> Iterator[dict[str, Sandbox]]:
    """Start and seed every provider's stand-in; stop them all however the block exits."""
    from auditor.sandbox.estate import load_estate, make_sandbox

    estate = load_estate()
    with ExitStack() as stack:
        sandboxes: dict[str, Sandbox] = {}
        for provider in providers:
            sandbox = make_sandbox(provider)
            stack.callback(sandbox.stop)
            sandbox.start()
            sandbox.seed(estate[provider])
            sandbox.reset_requests()
            sandboxes[provider] = sandbox
        yield sandboxes


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
    from auditor.checks import load_checks
    from auditor.commands import exit_code
    from auditor.compare import build_matrix
    from auditor.config import compile_with_params
    from auditor.documents import inventory_text, write_all
    from auditor.mutelist import load_mutelist
    from auditor.pipeline import build_report, collect, registry_exposure
    from auditor.progress import progress_display
    from auditor.providers.base import ProviderRegistry
    from auditor.reports import FORMATS, extension, render
    from auditor.reports.comparison import render_comparison

    quiet = args.quiet
    say = (lambda text: None) if quiet else print
    say(BANNER)
    out_dir = Path(args.output_dir)
    started = time.monotonic()
    registry = ProviderRegistry.from_entry_points()
    checks = compile_with_params(load_checks(), {}, "defaults")
    mutes = load_mutelist(DEMO_MUTELIST)
    with _terminate_as_interrupt(), running_sandboxes() as sandboxes:
        env: dict[str, str] = {}
        for sandbox in sandboxes.values():
            env.update(sandbox.environment())
        options = {p: s.scan_options() for p, s in sandboxes.items()}
        urls = sorted({v for s in sandboxes.values() for v in s.environment().values()
                       if isinstance(v, str) and "127.0.0.1:" in v})
        say(f"stand-ins up and seeded in {time.monotonic() - started:.1f}s at "
            f"{', '.join(urls)}; collecting...")
        with patched_environment(env), progress_display(PROVIDERS, quiet=quiet) as progress:
            outcome = collect(registry, PROVIDERS, options, checks, 16, progress)
        requests = {p: len(s.requests()) for p, s in sandboxes.items()}
    report = build_report(outcome.inventory, checks, registry_exposure(registry), mutes,
                          outcome.failures)
    matrix = build_matrix(report)
    files = {out_dir / f"auditor-report.{extension(fmt)}": render(report, fmt)
             for fmt in FORMATS if fmt != "table"}
    files.update({out_dir / f"auditor-compare.{ext}": render_comparison(matrix, fmt)
                  for fmt, ext in (("markdown", "md"), ("html", "html"))})
    files[out_dir / "auditor-inventory.json"] = inventory_text(outcome.inventory)
    paths = write_all(files)
    if not quiet:
        from auditor.reports.posture import render_posture

        print(render_posture(report))
        print()
        print(render_comparison(matrix, "table"))
        print()
        for provider, reason in outcome.failures.items():
            print(f"{provider}: not collected: {reason}")
        resources = len(outcome.inventory.resources)
        print(f"{resources} resources, {len(report.findings)} findings in "
              f"{time.monotonic() - started:.1f}s; API requests served: "
              + ", ".join(f"{p} {n}" for p, n in requests.items()))
        print(f"reports in {out_dir}/: " + ", ".join(p.name for p in paths))
    code = exit_code(report, None)
    if code and not quiet:
        print(f"exit code {code}: some facts were UNVERIFIED, as the demo estate denies a few "
              "calls on purpose")
    return code


def main() -> None:  # pragma: no cover - convenience for python -m auditor.demo
    sys.exit(run_demo(argparse.Namespace(output_dir="auditor-demo", quiet=False)))
