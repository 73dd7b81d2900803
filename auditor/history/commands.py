"""`auditor history list | show | prune`: the runs stored by scan and evaluate."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from auditor.errors import UsageError
from auditor.exit_codes import EXIT_OK
from auditor.history._paths import configured_history_path
from auditor.history._store import History, RunRecord

LISTED_COUNTS = ("PASS", "FAIL", "OPAQUE", "UNVERIFIED")
ACCOUNTS_SHOWN = 3  # accounts named in one table cell; the rest are counted


def _config(args: argparse.Namespace) -> dict[str, Any]:
    from auditor.config import load_config

    return load_config(getattr(args, "config", None))


def _database(args: argparse.Namespace, config: dict[str, Any]) -> Path:
    return configured_history_path(config, getattr(args, "config", None),
                                   getattr(args, "history_db", None))


def _accounts_cell(accounts: list[str]) -> str:
    shown = ", ".join(accounts[:ACCOUNTS_SHOWN])
    rest = len(accounts) - ACCOUNTS_SHOWN
    return f"{shown} (+{rest})" if rest > 0 else shown


def _table(records: list[RunRecord]) -> str:
    from tabulate import tabulate

    from auditor.safe_text import clean_text

    rows = [(r.id, r.recorded_at, r.command, ", ".join(r.providers),
             clean_text(_accounts_cell(r.accounts)),
             *(r.counts.get(status, 0) for status in LISTED_COUNTS), r.exit_code)
            for r in records]
    return tabulate(rows, headers=("id", "recorded (UTC)", "command", "providers", "accounts",
                                   *LISTED_COUNTS, "exit"))


def _list(args: argparse.Namespace, path: Path) -> int:
    limit = getattr(args, "limit", None)
    if limit is not None and limit < 1:
        raise UsageError("--limit", "$", "must be at least 1")
    records: list[RunRecord] = []
    if path.exists():
        with History(path) as history:
            records = history.runs(limit=limit)
    if getattr(args, "format", None) == "json":
        print(json.dumps({"database": str(path), "runs": [r.to_dict() for r in records]},
                         indent=2, ensure_ascii=False))
    elif not records:
        print(f"no runs recorded in {path}")
    else:
        print(_table(records))
    return EXIT_OK


def _show(args: argparse.Namespace, path: Path) -> int:
    from auditor.emission import emission, emit_report

    if not path.exists():  # looked at, not created
        raise UsageError(str(path), "$", f"no run {args.run!r}: no history database here")
    with History(path) as history:
        report = history.load(history.resolve(args.run))
    emit_report(report, emission(args))
    return EXIT_OK


def _prune(args: argparse.Namespace, path: Path, config: dict[str, Any]) -> int:
    keep, keep_days = getattr(args, "keep", None), getattr(args, "keep_days", None)
    if keep is None and keep_days is None:  # no flag: the configured retention
        section = config.get("history") or {}
        keep, keep_days = section.get("keep"), section.get("keep_days")
    if keep is None and keep_days is None:
        raise UsageError("history prune", "$", "give --keep N or --keep-days DAYS (or "
                         "[history] keep / keep_days in the config)")
    deleted = 0
    if path.exists():
        with History(path) as history:
            deleted = history.prune(keep=keep, keep_days=keep_days)
    print(f"deleted {deleted} run(s) from {path}")
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    config = _config(args)
    path = _database(args, config)
    action = getattr(args, "history_command", None) or "list"
    if action == "show":
        return _show(args, path)
    if action == "prune":
        return _prune(args, path, config)
    return _list(args, path)
