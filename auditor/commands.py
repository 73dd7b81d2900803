"""What each CLI command does, and the one scan pipeline that `scan` and `demo` share.

Parsing lives in cli.py, exit codes in exit_codes.py. This module imports neither cli.py nor
the commands built on it (compare.py, demo.py): they import it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.defaults import DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_WORKERS
from auditor.emission import (
    INVENTORY_FILE,
    Emission,
    emission,
    emit_report,
    report_formats,
    split_values,
)
from auditor.errors import UsageError
from auditor.exit_codes import EXIT_OK, EXIT_PARTIAL, report_exit_code, runs_incomplete
from auditor.model import Report


def say(args: argparse.Namespace, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text)


# --- checks and settings -------------------------------------------------------


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """The config file, with its relative paths resolved against the file's folder."""
    from auditor.config import load_config

    path = getattr(args, "config", None)
    config = load_config(path)
    if path:
        base = Path(path).resolve().parent
        if "mutelist" in config:
            config["mutelist"] = str(base / config["mutelist"])
        if "dirs" in config.get("checks", {}):
            config["checks"]["dirs"] = [str(base / d) for d in config["checks"]["dirs"]]
    return config


def _ids(args: argparse.Namespace, flag: str) -> list[str] | None:
    """A comma-separated flag's values; given but empty is a usage error, not 'all'."""
    raw = getattr(args, flag, None)
    if raw is None:
        return None
    values = split_values(raw)
    if not values:
        raise UsageError("--" + flag.replace("_", "-"), "$", "no value given")
    return values


def _selected_checks(args: argparse.Namespace, config: dict[str, Any]):
    from auditor.checks import load_checks
    from auditor.config import compile_with_params, select_checks

    section = config.get("checks", {})
    dirs = [Path(d) for d in section.get("dirs", [])] + [
        Path(d) for d in getattr(args, "checks_dir", None) or []]
    checks = load_checks(dirs)
    include = _ids(args, "checks") or section.get("include", [])
    exclude = (_ids(args, "exclude_checks") or []) + section.get("exclude", [])
    severity = _ids(args, "severity") or section.get("severity", [])
    selected = select_checks(checks, include, exclude, severity)
    return compile_with_params(selected, config.get("params", {}),
                               getattr(args, "config", None) or "config", known=checks)


def _mutes(args: argparse.Namespace, config: dict[str, Any], checks) -> list:
    from auditor.mutelist import check_rules, load_mutelist

    path = getattr(args, "mutelist", None) or config.get("mutelist")
    if not path:
        return []
    rules = load_mutelist(path)
    check_rules(rules, {c.check.id for c in checks}, str(path))
    return rules


def _evaluation_setup(args: argparse.Namespace):
    """Config, compiled checks and mutes, validated before any collection or evaluation."""
    config = _settings(args)
    checks = _selected_checks(args, config)
    mutes = _mutes(args, config, checks)
    report_formats(args, config)
    return config, checks, mutes


# --- the scan pipeline -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Collecting:
    """How collection runs: the bounds the flags (and config) set."""

    max_workers: int = DEFAULT_MAX_WORKERS
    timeout: float = DEFAULT_CALL_TIMEOUT  # seconds, one SDK call (CollectRequest.timeout)
    debug: bool = False  # print the traceback of a provider's unexpected failure


def collect_reported(registry, providers: Sequence[str], options: dict[str, dict[str, Any]],
                     checks, how: Collecting, quiet: bool = False):
    """Collect with a progress display; a provider that failed or found nothing says so on
    stderr, so an empty result is never read as a clean estate."""
    from auditor._provider_flags import nothing_collected
    from auditor.pipeline import collect
    from auditor.progress import progress_display

    with progress_display(providers, quiet=quiet) as progress:
        outcome = collect(registry, providers, options, checks, how.max_workers, progress,
                          timeout=how.timeout)
    from auditor.safe_text import one_line

    for provider, reason in outcome.failures.items():
        print(f"auditor: {provider}: not collected: {one_line(reason)}", file=sys.stderr)
        if how.debug and provider in outcome.tracebacks:
            print(outcome.tracebacks[provider].rstrip(), file=sys.stderr)
    for line in nothing_collected(registry, providers, options, outcome):
        print(line, file=sys.stderr)
    return outcome


@dataclass(slots=True)
class ScanResult:
    outcome: Any  # pipeline.CollectOutcome
    report: Report
    written: list[Path]


def run_scan(registry, providers: Sequence[str], options: dict[str, dict[str, Any]], checks,
             mutes, how: Collecting, out: Emission) -> ScanResult:
    """Collect, build the report and emit it: `auditor scan` and `auditor demo` both run this."""
    from auditor.pipeline import build_report, registry_exposure

    outcome = collect_reported(registry, providers, options, checks, how, out.quiet)
    report = build_report(outcome.inventory, checks, registry_exposure(registry), mutes,
                          outcome.failures)
    _warn_uncollected(report)
    written = emit_report(report, out, outcome.inventory)
    return ScanResult(outcome, report, written)


def _max_workers(args: argparse.Namespace, config: dict[str, Any]) -> int:
    workers = args.max_workers if args.max_workers is not None else config.get(
        "max_workers", DEFAULT_MAX_WORKERS)
    if workers < 1:
        raise UsageError("--max-workers", "$", "must be at least 1")
    return workers


def call_timeout(args: argparse.Namespace, config: dict[str, Any] | None = None) -> float:
    """--timeout (else the config's ``timeout``): seconds, positive and finite."""
    raw = getattr(args, "timeout", None)
    source = "--timeout"
    if raw is None and (config or {}).get("timeout") is not None:
        raw, source = config["timeout"], f"{getattr(args, 'config', None) or 'config'}"
    if raw is None:
        return DEFAULT_CALL_TIMEOUT
    where = "$" if source == "--timeout" else "$.timeout"
    try:
        seconds = float(raw) if not isinstance(raw, bool) else math.nan
    except (TypeError, ValueError):
        raise UsageError(source, where, f"not a number of seconds: {str(raw)[:40]!r}") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise UsageError(source, where, "must be a positive, finite number of seconds")
    return seconds


def collecting(args: argparse.Namespace, config: dict[str, Any]) -> Collecting:
    """The collection bounds of the flags and config, each checked before any call."""
    return Collecting(_max_workers(args, config), call_timeout(args, config),
                      debug=getattr(args, "debug", False))


def _providers_asked(args: argparse.Namespace):
    """The registry, the chosen providers and their option values, all checked before a call."""
    from auditor._provider_flags import chosen_providers, provider_options
    from auditor.providers.base import ProviderRegistry

    registry = ProviderRegistry.from_entry_points()
    providers = args.providers = chosen_providers(args.providers, registry)
    return registry, providers, provider_options(args, registry, providers)


# --- commands ----------------------------------------------------------------------


def cmd_evaluate(args: argparse.Namespace) -> int:
    from auditor.documents import load_inventory
    from auditor.pipeline import build_report, registry_exposure
    from auditor.providers.base import ProviderRegistry

    config, checks, mutes = _evaluation_setup(args)
    inventory = load_inventory(args.inventory)
    _refuse_uncollected(args, config, inventory, checks)
    report = build_report(inventory, checks, registry_exposure(ProviderRegistry.from_entry_points()),
                          mutes)
    _warn_uncollected(report)
    emit_report(report, emission(args, config))
    return report_exit_code(report, args.fail_on or config.get("fail_on"))


def _refuse_uncollected(args: argparse.Namespace, config: dict[str, Any], inventory,
                        checks) -> None:
    """A check asked for by name whose facts the inventory lacks is an input error."""
    from auditor.engine import uncollected

    named = set(_ids(args, "checks") or config.get("checks", {}).get("include", []))
    for gap in uncollected(inventory, checks):
        if gap.check_id in named:
            raise UsageError(str(args.inventory), "$.runs",
                             f"check {gap.check_id} was not collected for {gap.provider} "
                             f"(missing {', '.join(gap.facts)}); re-run collect with "
                             f"--checks {gap.check_id}")


def _warn_uncollected(report: Report) -> None:
    """One stderr line listing the checks left out because their facts were not collected."""
    if not report.not_collected:
        return
    by_check: dict[str, list[str]] = {}
    for gap in report.not_collected:
        by_check.setdefault(gap.check_id, []).append(gap.provider)
    listed = ", ".join(f"{cid} ({', '.join(providers)})" for cid, providers in by_check.items())
    print(f"auditor: not collected, left out: {listed}; re-run collect with these checks",
          file=sys.stderr)


def cmd_collect(args: argparse.Namespace) -> int:
    from auditor.documents import dump_inventory

    config = _settings(args)
    checks = _selected_checks(args, config) if args.checks or args.checks_dir else None
    registry, providers, options = _providers_asked(args)
    outcome = collect_reported(registry, providers, options, checks,
                               collecting(args, config), getattr(args, "quiet", False))
    path = dump_inventory(outcome.inventory, Path(args.output or INVENTORY_FILE))
    say(args, f"wrote {path}: {len(outcome.inventory.resources)} resources from "
              f"{len(outcome.inventory.runs)} provider run(s)")
    incomplete = runs_incomplete(outcome.inventory.runs, outcome.failures)
    return EXIT_PARTIAL if incomplete else EXIT_OK


def cmd_scan(args: argparse.Namespace) -> int:
    config, checks, mutes = _evaluation_setup(args)
    how = collecting(args, config)
    registry, providers, options = _providers_asked(args)
    result = run_scan(registry, providers, options, checks, mutes, how, emission(args, config))
    return report_exit_code(result.report, args.fail_on or config.get("fail_on"))


def cmd_report(args: argparse.Namespace) -> int:
    from auditor.documents import load_report

    report = load_report(args.report)
    emit_report(report, emission(args))
    return EXIT_OK


def cmd_checks(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from auditor.checks import load_checks

    checks = load_checks([Path(d) for d in args.checks_dir or []])
    if args.checks_command == "list":
        rows = [(c.id, c.resource, c.safeguard, c.severity, c.title) for c in checks]
        print(tabulate(rows, headers=("id", "resource", "safeguard", "severity", "title")))
        print(f"{len(checks)} checks")
        return EXIT_OK
    by_id = {c.id: c for c in checks}
    if args.check_id not in by_id:
        raise UsageError("checks show", "$", f"unknown check id {args.check_id!r}")
    with open(by_id[args.check_id].source, encoding="utf-8") as fh:
        print(fh.read().rstrip())
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from auditor.schema import load_schema

    print(json.dumps(load_schema(args.name), indent=2))
    return EXIT_OK


COMMANDS = {"evaluate": cmd_evaluate, "collect": cmd_collect, "scan": cmd_scan,
            "report": cmd_report, "checks": cmd_checks, "schema": cmd_schema}
