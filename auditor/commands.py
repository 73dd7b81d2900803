"""What each CLI command does, and the one scan pipeline that `scan` and `demo` share.

Parsing lives in cli.py, exit codes in exit_codes.py, the settings a command is asked for
(config, checks, mutelist, bounds) in settings.py. This module imports neither cli.py nor the
commands built on it (compare.py, demo.py): they import it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.checks_command import cmd_checks
from auditor.emission import INVENTORY_FILE, Emission, emission, emit_report
from auditor.errors import UsageError
from auditor.exit_codes import EXIT_OK, report_exit_code
from auditor.model import Report
from auditor.settings import (
    Collecting,
    collecting,
    config_needs_tags,
    evaluation_setup,
    ids,
    mutelist_source,
    mutes_need_tags,
    providers_asked,
    selected_checks,
    settings,
)


def say(args: argparse.Namespace, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text)


# --- the scan pipeline -------------------------------------------------------------


def collect_reported(registry, providers: Sequence[str], options: dict[str, dict[str, Any]],
                     checks, how: Collecting, quiet: bool = False, *, tags: bool = False,
                     no_color: bool = False, sink: Any = None):
    """Collect with a progress display; a provider or account that failed, or a provider that
    found nothing, says so on stderr, so an empty result is never read as a clean estate.
    ``tags``: read resource tags (a mutelist rule matches on them). ``sink``: where each
    unit's result goes as it arrives (auditor._sink; default: merged into one inventory)."""
    from auditor.collection_notes import collection_notes
    from auditor.executors import opened
    from auditor.pipeline import collect
    from auditor.progress import progress_display

    with opened(how.executor) as executor, progress_display(
            providers, quiet=quiet, no_color=no_color) as progress:
        outcome = collect(registry, providers, options, checks, how.max_workers, progress,
                          timeout=how.timeout, max_accounts=how.max_accounts, tags=tags,
                          executor=executor, sink=sink)
    if sink is not None:
        outcome.seen = sink.seen
    for line in collection_notes(registry, providers, options, outcome, how.debug):
        print(line, file=sys.stderr)
    return outcome


@dataclass(slots=True)
class ScanResult:
    outcome: Any  # pipeline.CollectOutcome
    report: Report
    written: list[Path]
    sink: Any = None  # auditor._sink.EvaluatingSink: the report's findings live in its spool

    def close(self) -> None:
        """Remove the spool (the report's findings are gone with it)."""
        if self.sink is not None:
            self.sink.close()

    def __enter__(self) -> ScanResult:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_scan(registry, providers: Sequence[str], options: dict[str, dict[str, Any]], checks,
             mutes, how: Collecting, out: Emission, *, mutelist_source: str = "") -> ScanResult:
    """Collect, build the report and emit it: `auditor scan` and `auditor demo` both run this.

    Each unit's result is evaluated as it arrives and its resources dropped (auditor._sink):
    the report's findings are a spool on disk, kept until the result is closed (use it as a
    context manager); an error or an interrupt removes it at once.
    """
    from auditor._sink import EvaluatingSink
    from auditor.pipeline import registry_exposure

    sink = EvaluatingSink(checks, mutes, save_inventory=out.save_inventory)
    try:
        outcome = collect_reported(registry, providers, options, checks, how, out.quiet,
                                   tags=mutes_need_tags(mutes), no_color=out.no_color,
                                   sink=sink)
        report = sink.report(registry_exposure(registry), outcome.failures,
                             mutelist_source=mutelist_source)
        _warn_uncollected(report)
        written = emit_report(report, out, sink.inventory_writer())
    except BaseException:
        sink.close()
        raise
    return ScanResult(outcome, report, written, sink)


# --- commands ----------------------------------------------------------------------


def cmd_evaluate(args: argparse.Namespace) -> int:
    from auditor.documents import load_inventory
    from auditor.pipeline import build_report, registry_exposure
    from auditor.providers.base import ProviderRegistry

    config, checks, mutes = evaluation_setup(args)
    inventory = load_inventory(args.inventory)
    _refuse_uncollected(args, config, inventory, checks)
    report = build_report(inventory, checks, registry_exposure(ProviderRegistry.from_entry_points()),
                          mutes, mutelist_source=mutelist_source(args, config))
    _warn_uncollected(report)
    emit_report(report, emission(args, config))
    return _finished(args, config, report, "evaluate")


def _finished(args: argparse.Namespace, config: dict[str, Any], report: Report,
              command: str) -> int:
    """The exit code, once the run is stored in the history and its drift printed (when
    asked): neither changes the code."""
    from auditor.drift.commands import diff_last
    from auditor.history import record_run

    code = report_exit_code(report, args.fail_on or config.get("fail_on"))
    recorded = record_run(args, config, report, exit_code=code, command=command)
    diff_last(args, config, report, recorded)
    return code


def _refuse_uncollected(args: argparse.Namespace, config: dict[str, Any], inventory,
                        checks) -> None:
    """A check asked for by name whose facts the inventory lacks is an input error."""
    from auditor.engine import uncollected

    named = set(ids(args, "checks") or config.get("checks", {}).get("include", []))
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
    from auditor._sink import EvaluatingSink
    from auditor.documents import write_streamed
    from auditor.exit_codes import EXIT_NOTHING, EXIT_PARTIAL, collected_nothing, runs_incomplete

    config = settings(args)
    checks = selected_checks(args, config) if args.checks or args.checks_dir else None
    how = collecting(args, config)
    registry, providers, options = providers_asked(args, config)
    # The config's mutelist decides whether tags are read, so that a later evaluate of this
    # inventory can match its tag rules. Each unit's resources go to a spool as they arrive.
    with EvaluatingSink(None, save_inventory=True) as sink:
        outcome = collect_reported(registry, providers, options, checks, how,
                                   getattr(args, "quiet", False), tags=config_needs_tags(config),
                                   no_color=getattr(args, "no_color", False), sink=sink)
        path = write_streamed(Path(args.output or INVENTORY_FILE), sink.inventory_writer())
    runs = outcome.inventory.runs
    say(args, f"wrote {path}: {sink.seen.resources} resources from {len(runs)} provider run(s)")
    if collected_nothing(runs, sink.seen.observed):  # as exit_codes.collect_exit_code
        return EXIT_NOTHING
    return EXIT_PARTIAL if runs_incomplete(runs, outcome.failures) else EXIT_OK


def cmd_scan(args: argparse.Namespace) -> int:
    config, checks, mutes = evaluation_setup(args)
    how = collecting(args, config)
    registry, providers, options = providers_asked(args, config)
    with run_scan(registry, providers, options, checks, mutes, how, emission(args, config),
                  mutelist_source=mutelist_source(args, config)) as result:
        return _finished(args, config, result.report, "scan")


def cmd_report(args: argparse.Namespace) -> int:
    from auditor.documents import load_report

    report = load_report(args.report)
    emit_report(report, emission(args))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from auditor.config_schema import installed_schema

    print(json.dumps(installed_schema(args.name), indent=2))
    return EXIT_OK


COMMANDS = {"evaluate": cmd_evaluate, "collect": cmd_collect, "scan": cmd_scan,
            "report": cmd_report, "checks": cmd_checks, "schema": cmd_schema}
