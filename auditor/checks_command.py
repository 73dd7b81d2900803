"""``auditor checks list|show``: kept apart from commands.py so that listing the checks
imports neither the model nor the scan pipeline (start-up time, issue 14)."""

from __future__ import annotations

import argparse
from pathlib import Path

from auditor.errors import UsageError
from auditor.exit_codes import EXIT_OK


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
        from auditor.providers._option_values import suggestion_text

        raise UsageError("checks show", "$", f"unknown check id {args.check_id!r}"
                         f"{suggestion_text(args.check_id, sorted(by_id))}")
    with open(by_id[args.check_id].source, encoding="utf-8") as fh:
        print(fh.read().rstrip())
    return EXIT_OK
