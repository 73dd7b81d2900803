"""The parsers of ``auditor history`` and ``auditor diff``: the runs stored by scan and
evaluate. Built by cli.py, with its parser class and its output options."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from auditor.exit_codes import EPILOG

SEVERITY_CHOICES = ("info", "low", "medium", "high", "critical")  # --fail-on of every command


def history_parsers(sub, parser_class: type[argparse.ArgumentParser],
                    output_options: Callable[[argparse.ArgumentParser], None]) -> None:
    """history (list, show, prune) and diff: the runs stored by scan and evaluate."""
    p = sub.add_parser("history", help="the runs stored in the history database",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--history-db", metavar="FILE", help="the history database")
    p.add_argument("--config", metavar="FILE", help="auditor.toml (its history section)")
    hist = p.add_subparsers(dest="history_command", metavar="ACTION", parser_class=parser_class)
    h = hist.add_parser("list", help="one line per stored run, newest first (the default)")
    h.add_argument("--limit", type=int, metavar="N", help="at most N runs")
    h.add_argument("--format", choices=("table", "json"), default="table")
    h = hist.add_parser("show", help="re-render one stored run in any report format")
    h.add_argument("run", metavar="RUN", help="a run id, or 'last'")
    output_options(h)
    h = hist.add_parser("prune", help="delete old runs (retention)")
    h.add_argument("--keep", type=int, metavar="N", help="keep the newest N runs of each scope")
    h.add_argument("--keep-days", type=int, metavar="DAYS", help="keep runs newer than DAYS")
    for h in hist.choices.values():  # also accepted after the action
        h.add_argument("--history-db", metavar="FILE", help=argparse.SUPPRESS,
                       default=argparse.SUPPRESS)
        h.add_argument("--config", metavar="FILE", help=argparse.SUPPRESS,
                       default=argparse.SUPPRESS)

    p = sub.add_parser("diff", help="drift between two stored runs (default: the last two "
                       "of the same scope)", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="*", metavar="RUN", help="RUN_A RUN_B (ids, or 'last')")
    p.add_argument("--history-db", metavar="FILE", help="the history database")
    p.add_argument("--config", metavar="FILE", help="auditor.toml")
    p.add_argument("--scope", metavar="SCOPE", help="with no RUN: the scope whose last two "
                   "runs are compared (default: the scope of the newest run)")
    p.add_argument("-f", "--format", choices=("table", "json", "markdown"), default="table")
    p.add_argument("--fail-on", choices=SEVERITY_CHOICES,
                   help="exit 1 when a new FAIL at or above this severity appeared")
    p.add_argument("--no-color", action="store_true")
