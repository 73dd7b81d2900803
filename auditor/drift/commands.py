"""``auditor diff [RUN_A] [RUN_B]`` and the drift ``scan --diff-last`` prints after a scan.

Both read the history database (auditor.history). Exit codes of ``auditor diff``: 0, or 1
when a new failure is at or above --fail-on; 2 when there are not two runs to compare.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from auditor.drift import Drift, diff_reports, run_side
from auditor.errors import UsageError
from auditor.exit_codes import EXIT_FINDINGS, EXIT_OK
from auditor.model import Report


def history_file(args: argparse.Namespace) -> Path:
    """--history-db, else the config's [history] path (relative to the config file), else
    the default location (auditor.history decides the order)."""
    from auditor.config import load_config
    from auditor.history._paths import configured_history_path

    config_path = getattr(args, "config", None)
    return configured_history_path(load_config(config_path), config_path,
                                   getattr(args, "history_db", None))


def _pair(history, refs: Sequence[str], scope: str | None, source: str) -> tuple[Any, Any]:
    """The (old, new) RunRecords the RUN arguments (or their absence) name."""
    if len(refs) > 2:
        raise UsageError("diff", "$", f"at most two runs (RUN_A RUN_B), got {len(refs)}")
    if refs and scope is not None:
        raise UsageError("--scope", "$", "only without RUN: the runs named decide the scope")
    if refs:
        records = [history.record_of(history.resolve(ref)) for ref in refs]
        if len(records) == 2:
            return records[0], records[1]
        record = records[0]
        previous = history.previous(record.id)
        if previous is None:
            raise UsageError(source, "$", f"run {record.id} is the first run of its scope "
                                          f"({record.scope}): nothing to compare it with")
        return previous, record
    if scope is None:
        newest = history.runs(limit=1)
        if not newest:
            raise UsageError(source, "$", "no run stored yet: nothing to compare")
        scope = newest[0].scope
    latest = history.runs(scope=scope, limit=2)
    if len(latest) < 2:
        raise UsageError(source, "$", f"fewer than two runs of scope {scope!r} "
                                      f"({len(latest)} stored): nothing to compare")
    return latest[1], latest[0]


def drift_between(history, old, new) -> Drift:
    """The drift between two stored runs, each side naming its run id and record time."""
    drift = diff_reports(history.load(old.id), history.load(new.id))
    drift.old = replace(drift.old, id=old.id, recorded_at=old.recorded_at)
    drift.new = replace(drift.new, id=new.id, recorded_at=new.recorded_at)
    return drift


def fail_on_code(drift: Drift, fail_on: str | None) -> int:
    return EXIT_FINDINGS if fail_on and drift.new_failures_at_or_above(fail_on) else EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from auditor.config import load_config
    from auditor.emission import use_color
    from auditor.history import History

    path = history_file(args)
    fail_on = args.fail_on or load_config(getattr(args, "config", None)).get("fail_on")
    if not path.exists():  # never create a database only to say it is empty
        raise UsageError(str(path), "$", "no history database here: nothing to compare")
    with History(path) as history:
        old, new = _pair(history, args.runs, args.scope, str(path))
        drift = drift_between(history, old, new)
    from auditor.drift._render import render  # tabulate: only when drift is shown

    sys.stdout.write(render(drift, args.format, color=use_color(args)))
    return fail_on_code(drift, fail_on)


def drift_format(formats: Sequence[str]) -> str:
    """What ``scan --diff-last`` prints: the table beside the report's table, Markdown when
    the scan asked for Markdown and not for the table (a CI job summary), else the table."""
    return "markdown" if "markdown" in formats and "table" not in formats else "table"


def print_drift_after_scan(report: Report, path: Path, *, recorded: Any = None,
                           formats: Sequence[str] = ("table",), color: bool = False) -> None:
    """The drift from the previous run of the report's scope to this scan (``recorded``: its
    RunRecord, None when it was not stored: then the last stored run of the scope is the
    previous one). One line when there is none. Never changes the scan's exit code."""
    from auditor.history import History, scope_of

    scope = scope_of(report)
    if not path.exists():
        print(f"auditor: drift: no earlier run of scope {scope} to compare with")
        return
    with History(path) as history:
        if recorded is not None:
            previous = history.previous(recorded.id)
        else:
            stored = history.runs(scope=scope, limit=1)
            previous = stored[0] if stored else None
        if previous is None:
            print(f"auditor: drift: no earlier run of scope {scope} to compare with")
            return
        drift = diff_reports(history.load(previous.id), report)
    drift.old = replace(drift.old, id=previous.id, recorded_at=previous.recorded_at)
    drift.new = (replace(drift.new, id=recorded.id, recorded_at=recorded.recorded_at)
                 if recorded is not None else run_side(report))
    from auditor.drift._render import render  # tabulate: only when drift is shown

    sys.stdout.write(render(drift, drift_format(formats), color=color))


def diff_last(args: argparse.Namespace, config: dict[str, Any], report: Report,
              recorded: Any = None) -> None:
    """The ``--diff-last`` hook of scan and evaluate, called after the run was recorded
    (``recorded``: its RunRecord, or None). A history that cannot be read costs one warning
    line on stderr, never the scan's exit code."""
    if not getattr(args, "diff_last", False):
        return
    from auditor.emission import report_formats, use_color
    from auditor.errors import AuditorError
    from auditor.history._paths import configured_history_path
    from auditor.safe_text import one_line

    path = configured_history_path(config, getattr(args, "config", None),
                                   getattr(args, "history_db", None))
    try:
        print_drift_after_scan(report, path, recorded=recorded,
                               formats=report_formats(args, config), color=use_color(args))
    except AuditorError as exc:
        print(f"auditor: warning: drift not shown: {one_line(str(exc))}", file=sys.stderr)
