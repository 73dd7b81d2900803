"""What each CLI command does. Parsing and exit-code mapping live in cli.py."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from auditor.cli import EXIT_FINDINGS, EXIT_OK, EXIT_PARTIAL, _split
from auditor.errors import UsageError
from auditor.model import SEVERITIES, Report, Status

DEFAULT_OUTPUT_DIR = "auditor-out"
FILE_FORMATS_DEFAULT = ("table",)


def use_color(args: argparse.Namespace) -> bool:
    return (not getattr(args, "no_color", False) and "NO_COLOR" not in os.environ
            and sys.stdout.isatty())


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
    values = _split(raw)
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


# --- output ------------------------------------------------------------------------


def _formats(args: argparse.Namespace, config: dict[str, Any] | None = None) -> list[str]:
    from auditor.reports import FORMATS

    formats = _split(getattr(args, "format", None)) or list(
        (config or {}).get("formats", FILE_FORMATS_DEFAULT))
    for fmt in formats:
        if fmt not in FORMATS:
            raise UsageError("--format", "$", f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    return formats


def output_dir(args: argparse.Namespace, config: dict[str, Any] | None = None) -> Path:
    return Path(getattr(args, "output_dir", None) or (config or {}).get("output_dir")
                or DEFAULT_OUTPUT_DIR)


def emit_report(report: Report, args: argparse.Namespace, config: dict[str, Any] | None = None,
                extra: dict[Path, str] | None = None) -> list[Path]:
    """Render every requested format, then write them all or none; the table goes to stdout."""
    from auditor.documents import write_all
    from auditor.reports import extension, render

    formats = _formats(args, config)
    directory = output_dir(args, config)
    files = {directory / f"auditor-report.{extension(fmt)}": render(report, fmt)
             for fmt in formats if fmt != "table"}
    written = write_all({**files, **(extra or {})}) if files or extra else []
    if not getattr(args, "quiet", False):
        print(render(report, "table", color=use_color(args)))
        for path in written:
            print(f"wrote {path}")
    return written


def exit_code(report: Report, fail_on: str | None) -> int:
    if fail_on:
        floor = SEVERITIES.index(fail_on)
        if any(f.status is Status.FAIL and SEVERITIES.index(f.severity) >= floor
               for f in report.findings):
            return EXIT_FINDINGS
    partial = (any(f.status is Status.UNVERIFIED for f in report.findings)
               or runs_incomplete(report.runs, report.provider_failures))
    return EXIT_PARTIAL if partial else EXIT_OK


def runs_incomplete(runs, failures: dict[str, str]) -> bool:
    """A provider failed as a whole, or a run recorded failed calls or listings."""
    return bool(failures) or any(r.status != "complete" for r in runs)


def _evaluation_setup(args: argparse.Namespace):
    """Config, compiled checks and mutes, validated before any collection or evaluation."""
    config = _settings(args)
    checks = _selected_checks(args, config)
    mutes = _mutes(args, config, checks)
    _formats(args, config)
    return config, checks, mutes


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
    emit_report(report, args, config)
    return exit_code(report, args.fail_on or config.get("fail_on"))


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


def _provider_request(args: argparse.Namespace, registry,
                      providers: list[str]) -> dict[str, dict[str, Any]]:
    """Per provider, only its own option values (flag, else env), checked before any call."""
    from auditor._provider_flags import provider_options

    return provider_options(args, registry, providers)


def _collect(args: argparse.Namespace, checks, config: dict[str, Any]):
    from auditor._provider_flags import chosen_providers, nothing_collected
    from auditor.pipeline import collect
    from auditor.progress import progress_display
    from auditor.providers.base import ProviderRegistry

    registry = ProviderRegistry.from_entry_points()
    providers = args.providers = chosen_providers(args.providers, registry)
    options = _provider_request(args, registry, providers)
    workers = args.max_workers if args.max_workers is not None else config.get("max_workers", 16)
    if workers < 1:
        raise UsageError("--max-workers", "$", "must be at least 1")
    with progress_display(providers, quiet=getattr(args, "quiet", False)) as progress:
        outcome = collect(registry, providers, options, checks, workers, progress)
    for provider, reason in outcome.failures.items():
        print(f"auditor: {provider}: not collected: {reason}", file=sys.stderr)
    for line in nothing_collected(registry, providers, options, outcome):
        print(line, file=sys.stderr)
    return registry, outcome


def cmd_collect(args: argparse.Namespace) -> int:
    from auditor.documents import dump_inventory

    config = _settings(args)
    checks = _selected_checks(args, config) if args.checks or args.checks_dir else None
    _, outcome = _collect(args, checks, config)
    path = dump_inventory(outcome.inventory, Path(args.output or "auditor-inventory.json"))
    say(args, f"wrote {path}: {len(outcome.inventory.resources)} resources from "
              f"{len(outcome.inventory.runs)} provider run(s)")
    incomplete = runs_incomplete(outcome.inventory.runs, outcome.failures)
    return EXIT_PARTIAL if incomplete else EXIT_OK


def cmd_scan(args: argparse.Namespace) -> int:
    from auditor.documents import inventory_text
    from auditor.pipeline import build_report, registry_exposure

    config, checks, mutes = _evaluation_setup(args)
    registry, outcome = _collect(args, checks, config)
    extra = ({output_dir(args, config) / "auditor-inventory.json":
              inventory_text(outcome.inventory)} if args.save_inventory else None)
    report = build_report(outcome.inventory, checks, registry_exposure(registry), mutes,
                          outcome.failures)
    _warn_uncollected(report)
    emit_report(report, args, config, extra)
    return exit_code(report, args.fail_on or config.get("fail_on"))


def cmd_report(args: argparse.Namespace) -> int:
    from auditor.documents import load_report

    report = load_report(args.report)
    _formats(args)
    emit_report(report, args)
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


def cmd_compare(args: argparse.Namespace) -> int:
    from auditor.compare import run_compare

    return run_compare(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from auditor.demo import run_demo

    return run_demo(args)


def cmd_sandbox(args: argparse.Namespace) -> int:
    from auditor.sandbox.manage import run_sandbox_command

    return run_sandbox_command(args)


COMMANDS = {"evaluate": cmd_evaluate, "collect": cmd_collect, "scan": cmd_scan,
            "report": cmd_report, "checks": cmd_checks, "schema": cmd_schema,
            "compare": cmd_compare, "demo": cmd_demo, "sandbox": cmd_sandbox}


def run_command(args: argparse.Namespace) -> int:
    return COMMANDS[args.command](args)
