"""The hook scan and evaluate call after their report is out: store the run, then apply the
configured retention. A history that cannot be written costs one warning line on stderr,
never the run's exit code or its report files (they are written before this runs)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from auditor.errors import AuditorError

if TYPE_CHECKING:
    from auditor.history._store import RunRecord
    from auditor.model import Report


def history_enabled(args: argparse.Namespace, config: Mapping[str, Any]) -> bool:
    """Off with --no-history or config ``[history] enabled = false``."""
    section = config.get("history") or {}
    return not getattr(args, "no_history", False) and section.get("enabled", True) is not False


def _warn(what: str, exc: AuditorError) -> None:
    from auditor.safe_text import one_line

    print(f"auditor: warning: {what}: {one_line(str(exc))}", file=sys.stderr)


def record_run(args: argparse.Namespace, config: Mapping[str, Any], report: Report, *,
               exit_code: int, command: str) -> RunRecord | None:
    """Store ``report`` in the history database; the stored run, or None when history is
    off or could not be written (said on stderr)."""
    if not history_enabled(args, config):
        return None
    from auditor.history._paths import configured_history_path
    from auditor.history._store import History  # the store only when a run is recorded

    section = config.get("history") or {}
    path = configured_history_path(config, getattr(args, "config", None),
                                   getattr(args, "history_db", None))
    try:
        history = History(path)
    except AuditorError as exc:
        _warn("run not stored in the history", exc)
        return None
    with history:
        try:
            record = history.record(report, exit_code=exit_code, command=command)
        except AuditorError as exc:
            _warn("run not stored in the history", exc)
            return None
        if section.get("keep") is not None or section.get("keep_days") is not None:
            try:
                history.prune(keep=section.get("keep"), keep_days=section.get("keep_days"))
            except AuditorError as exc:  # the run is stored; only the retention waits
                _warn("history retention not applied", exc)
    if not getattr(args, "quiet", False):
        print(f"recorded run {record.id} in {path}")
    return record
