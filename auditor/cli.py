"""The ``auditor`` command line: argument parsing and exit codes.

Exit codes: 0 ok; 1 a FAIL at or above --fail-on; 2 usage or input error;
3 completed, but some facts were UNVERIFIED or a provider could not be collected;
130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from auditor import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_PARTIAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
SEVERITY_CHOICES = ("info", "low", "medium", "high", "critical")
PROVIDER_COMMANDS = ("collect", "scan")

EPILOG = """exit codes:
  0    completed; nothing at or above --fail-on
  1    a FAIL finding at or above --fail-on
  2    usage or input error (one line on stderr names the file, the path and the reason)
  3    completed, but some facts were UNVERIFIED or a provider could not be collected
  130  interrupted
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        self.exit(EXIT_INPUT, f"auditor: error: {self.prog}: {message}\n")


def _split(values: Sequence[str] | None) -> list[str]:
    """--checks a,b --checks c -> [a, b, c]."""
    return [v.strip() for item in values or () for v in item.split(",") if v.strip()]


def _evaluation_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("checks and output")
    g.add_argument("--config", metavar="FILE", help="auditor.toml with params and defaults")
    g.add_argument("--checks", action="append", metavar="IDS", help="only these check ids")
    g.add_argument("--exclude-checks", action="append", metavar="IDS", help="skip these ids")
    g.add_argument("--severity", action="append", metavar="LEVELS",
                   help="only checks of these severities (info,low,medium,high,critical)")
    g.add_argument("--checks-dir", action="append", metavar="DIR",
                   help="add a directory of your own check YAML files")
    g.add_argument("--mutelist", metavar="FILE", help="YAML mutelist")
    g.add_argument("--fail-on", choices=SEVERITY_CHOICES,
                   help="exit 1 when a FAIL at or above this severity is found")
    _output_options(p)


def _output_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("output")
    g.add_argument("-f", "--format", action="append", metavar="FORMAT",
                   help="table (default, printed), json, csv, sarif, ocsf, html, markdown, junit;"
                        " repeatable")
    g.add_argument("-o", "--output-dir", metavar="DIR",
                   help="where report files are written (default ./auditor-out)")
    g.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    g.add_argument("--no-color", action="store_true", help="no ANSI colour (also NO_COLOR)")


def _provider_options(p: argparse.ArgumentParser) -> None:
    from auditor.providers.base import ProviderRegistry

    g = p.add_argument_group("provider options")
    g.add_argument("--max-workers", type=int, metavar="N",
                   help="concurrent API calls per provider (default 16)")
    seen: set[str] = set()
    registry = ProviderRegistry.from_entry_points()
    for name in registry.names():
        for opt in registry.get(name).options:
            if opt.name in seen:
                continue
            seen.add(opt.name)
            flag = "--" + opt.name.replace("_", "-")
            g.add_argument(flag, dest=f"provider_{opt.name}", metavar=opt.metavar,
                           action="append" if opt.multiple else "store",
                           help=opt.help + (f" (env {opt.env})" if opt.env else ""))


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = _Parser(prog="auditor", description=(
        "Audit storage and encryption safeguards of AWS, Google Cloud and Alibaba Cloud: "
        "posture, transparency and side-by-side comparison."),
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"auditor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    wants_providers = bool(set(argv[:1]) & set(PROVIDER_COMMANDS))

    p = sub.add_parser("evaluate", help="evaluate a saved inventory (no cloud needed)",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inventory", metavar="INVENTORY", help="inventory JSON file")
    _evaluation_options(p)

    for name, help_text in (("collect", "collect an inventory from providers (read-only)"),
                            ("scan", "collect, evaluate and report")):
        p = sub.add_parser(name, help=help_text, epilog=EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("providers", nargs="+", metavar="PROVIDER", help="aws, gcp, alibaba")
        if name == "scan":
            _evaluation_options(p)
            p.add_argument("--save-inventory", action="store_true",
                           help="also write the inventory to the output directory")
        else:
            p.add_argument("--config", metavar="FILE", help="auditor.toml")
            p.add_argument("--checks", action="append", metavar="IDS",
                           help="collect only the facts these checks read")
            p.add_argument("--checks-dir", action="append", metavar="DIR")
            p.add_argument("-o", "--output", metavar="FILE",
                           help="inventory file (default ./auditor-inventory.json)")
            p.add_argument("-q", "--quiet", action="store_true")
        if wants_providers:
            _provider_options(p)

    p = sub.add_parser("report", help="render a saved JSON report in other formats")
    p.add_argument("report", metavar="REPORT", help="report JSON file")
    _output_options(p)

    p = sub.add_parser("compare", help="providers side by side from one or more reports")
    p.add_argument("reports", nargs="+", metavar="REPORT", help="report JSON files")
    p.add_argument("-f", "--format", action="append", metavar="FORMAT",
                   help="table (default, printed), markdown, html; repeatable")
    p.add_argument("-o", "--output-dir", metavar="DIR", help="default ./auditor-out")
    p.add_argument("-q", "--quiet", action="store_true")

    p = sub.add_parser("checks", help="list or show the checks")
    checks_sub = p.add_subparsers(dest="checks_command", metavar="ACTION", required=True,
                                  parser_class=_Parser)
    c = checks_sub.add_parser("list", help="one line per check")
    c.add_argument("--checks-dir", action="append", metavar="DIR")
    c = checks_sub.add_parser("show", help="one check in full")
    c.add_argument("check_id", metavar="ID")
    c.add_argument("--checks-dir", action="append", metavar="DIR")

    p = sub.add_parser("schema", help="print one of the JSON Schemas")
    p.add_argument("name", choices=("inventory", "check", "report", "config", "mutelist"))

    p = sub.add_parser("demo", help="run the whole tool against local stand-ins of the clouds")
    p.add_argument("-o", "--output-dir", metavar="DIR", default="auditor-demo",
                   help="where the reports go (default ./auditor-demo)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--no-color", action="store_true")

    p = sub.add_parser("sandbox", help="keep the local stand-ins running for manual use")
    p.add_argument("action", choices=("up", "down", "status"))
    p.add_argument("--state-file", metavar="FILE", default=".auditor-sandbox.json")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from auditor.errors import AuditorError

    try:
        parser = build_parser(argv)
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_INPUT
        from auditor.commands import run_command

        return run_command(args)
    except KeyboardInterrupt:
        print("auditor: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except AuditorError as exc:
        print(f"auditor: error: {exc}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":
    sys.exit(main())
