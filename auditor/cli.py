"""The ``auditor`` command line: argument parsing, and which module runs each command.

The top of the CLI layer: cli imports the command modules (commands, compare, demo, the
sandbox manager) and none of them imports cli. Exit codes live in exit_codes.py.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from auditor import __version__
from auditor._cli_history import SEVERITY_CHOICES, history_parsers
from auditor.claims_command import add_claims_parser
from auditor.defaults import DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_ACCOUNTS, DEFAULT_MAX_WORKERS
from auditor.exit_codes import EPILOG, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED
from auditor.reports import COMPARE_FORMATS, DEFAULT_FORMAT, FORMATS

PROVIDER_COMMANDS = ("collect", "scan")

class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        # prog is "auditor scan": the line starts with "auditor: error: " once, then names
        # the command the message is about (nothing more for the top-level parser).
        command = self.prog.removeprefix("auditor").strip()
        self.exit(EXIT_INPUT, f"auditor: error: {command + ': ' if command else ''}{message}\n")


def _formats_help(formats: Sequence[str]) -> str:
    others = [f for f in formats if f != DEFAULT_FORMAT]
    return f"{DEFAULT_FORMAT} (default, printed), {', '.join(others)}; repeatable"


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
    _history_options(p)


def _history_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("history")
    g.add_argument("--history-db", metavar="FILE",
                   help="the history database (default: config history.path, else "
                        "$XDG_DATA_HOME/safeguard-auditor/history.sqlite)")
    g.add_argument("--no-history", action="store_true",
                   help="do not store this run in the history database")
    g.add_argument("--diff-last", action="store_true",
                   help="after the run, print the drift since the previous run of the same scope")


def _output_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("output")
    g.add_argument("-f", "--format", action="append", metavar="FORMAT",
                   help=_formats_help(FORMATS))
    g.add_argument("-o", "--output-dir", metavar="DIR",
                   help="where report files are written (default ./auditor-out)")
    g.add_argument("--details", action="store_true",
                   help="print every finding, not only the summary per check (-f table -o DIR "
                        "writes them to a file instead)")
    g.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    g.add_argument("--no-color", action="store_true",
                   help="no ANSI colour (also NO_COLOR; FORCE_COLOR colours a pipe)")


def _run_options(p: argparse.ArgumentParser) -> None:
    """Bounds and diagnostics of a run that calls providers (collect, scan, demo)."""
    g = p.add_argument_group("run")
    g.add_argument("--timeout", metavar="SECONDS",
                   help=f"connect and read bound of one API call (default "
                        f"{DEFAULT_CALL_TIMEOUT:g}; config key timeout)")
    g.add_argument("--debug", action="store_true",
                   help="print the traceback when a provider fails unexpectedly")


def _executor_options(p: argparse.ArgumentParser) -> None:
    """What runs the units of work of collect and scan (auditor.executors; docs/scale-out.md)."""
    g = p.add_argument_group("executor")
    g.add_argument("--executor", choices=("local", "dask"),
                   help="local: this process's threads (default); dask: a Dask cluster, a "
                        "local one unless --scheduler (pip install 'safeguard-auditor[dask]'; "
                        "config key executor)")
    g.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="the Dask scheduler to run on (with --executor dask; config key "
                        "scheduler)")
    g.add_argument("--dask-workers", type=int, metavar="N",
                   help="worker processes of the local Dask cluster (default: one per core; "
                        "config key dask_workers)")
    g.add_argument("--shard-by", choices=("account", "region"),
                   help="account: each account one unit of work (default); region: an "
                        "account of several regions one unit per region, where its adapter "
                        "can split it (config key shard_by)")


def _provider_options(p: argparse.ArgumentParser, named: Sequence[str]) -> None:
    """One help group per provider with its prefixed flags (--aws-region), plus the short
    unprefixed forms (--region) that commands.py resolves. Groups of providers not named on
    the command line stay parseable (so their use is our own usage error) but hidden in help."""
    from auditor.providers.base import (
        ProviderOption,
        ProviderRegistry,
        option_dest,
        option_flag,
        short_dest,
        short_flag,
    )

    g = p.add_argument_group("collection")
    g.add_argument("--max-workers", type=int, metavar="N",
                   help=f"concurrent API calls per account (default {DEFAULT_MAX_WORKERS})")
    g.add_argument("--max-accounts", type=int, metavar="N",
                   help=f"accounts or projects collected at once in a multi-account scan "
                        f"(default {DEFAULT_MAX_ACCOUNTS}; config key max_accounts)")
    registry = ProviderRegistry.from_entry_points()
    shown = [n for n in registry.names() if n in named] or registry.names()
    own_flags: set[str] = set()
    shorthands: dict[str, ProviderOption] = {}
    for name in registry.names():
        adapter = registry.get(name)
        visible = name in shown
        shorts = [short_flag(o) for o in adapter.options if short_flag(o) != option_flag(name, o)]
        group = p.add_argument_group(
            f"{adapter.title} ({name}) options",
            f"also unprefixed ({', '.join(shorts)}) when no other provider chosen takes "
            "the option" if shorts else None) if visible else p
        for opt in adapter.options:
            flag = option_flag(name, opt)
            own_flags.add(flag)
            help_text = opt.help + (f" (env {opt.env})" if opt.env else "")
            group.add_argument(flag, dest=option_dest(name, opt),
                               help=help_text if visible else argparse.SUPPRESS,
                               **_option_action(opt))
            shorthands.setdefault(short_flag(opt), opt)
    for flag, opt in shorthands.items():
        if flag not in own_flags:
            p.add_argument(flag, dest=short_dest(opt), help=argparse.SUPPRESS,
                           **_option_action(opt))


def _option_action(opt) -> dict:
    """argparse settings of a provider option: a switch (None unless given), or a value."""
    if opt.flag:
        return {"action": "store_const", "const": True, "default": None}
    return {"metavar": opt.metavar, "action": "append" if opt.multiple else "store"}


def _providers_help(argv: Sequence[str]) -> str:
    """Lists the registered providers, unless help was asked about some of them only."""
    from auditor.providers.base import ProviderRegistry

    names = ProviderRegistry.from_entry_points().names()
    if set(_named_providers(argv)) & set(names):
        return "the providers to collect (case-insensitive)"
    return f"one or more of: {', '.join(names)} (case-insensitive)"


def _named_providers(argv: Sequence[str]) -> list[str]:
    """Words after the command that look like provider names, for filtering help."""
    return [word.casefold() for word in argv[1:] if not word.startswith("-")]


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
        p.add_argument("providers", nargs="*", metavar="PROVIDER",
                       help=(_providers_help(argv) + "; default: the config's providers")
                       if wants_providers else None)
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
        _run_options(p)
        _executor_options(p)
        if wants_providers:
            _provider_options(p, _named_providers(argv))

    history_parsers(sub, _Parser, _output_options)

    p = sub.add_parser("report", help="render a saved JSON report in other formats")
    p.add_argument("report", metavar="REPORT", help="report JSON file")
    _output_options(p)

    p = sub.add_parser("compare", help="providers side by side from one or more reports")
    p.add_argument("reports", nargs="+", metavar="REPORT", help="report JSON files")
    p.add_argument("-f", "--format", action="append", metavar="FORMAT",
                   help=_formats_help(COMPARE_FORMATS))
    p.add_argument("-o", "--output-dir", metavar="DIR", help="default ./auditor-out")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--kind", metavar="KIND",
                   help="one resource kind only (storage.volume, database.instance, ...)")

    p = sub.add_parser("checks", help="list or show the checks")
    checks_sub = p.add_subparsers(dest="checks_command", metavar="ACTION", required=True,
                                  parser_class=_Parser)
    c = checks_sub.add_parser("list", help="one line per check")
    c.add_argument("--checks-dir", action="append", metavar="DIR")
    c = checks_sub.add_parser("show", help="one check in full")
    c.add_argument("check_id", metavar="ID")
    c.add_argument("--checks-dir", action="append", metavar="DIR")

    add_claims_parser(sub, _Parser)

    p = sub.add_parser("permissions", help="print the least-privilege read-only policy a "
                       "provider's scan needs")
    p.add_argument("provider", metavar="PROVIDER", help="one registered provider")
    p.add_argument("--checks", action="append", metavar="IDS",
                   help="only what these check ids need (default: every check)")
    p.add_argument("--checks-dir", action="append", metavar="DIR")
    p.add_argument("--format", choices=("json", "text"), default="json",
                   help="json: the policy document (default); text: why each action is needed")
    p.add_argument("--option", action="append", metavar="NAME",
                   help="include what this adapter option adds (repeatable): e.g. "
                   "organization (the accounts listing and AssumeRole of a multi-account "
                   "scan), region (regions not listed)")
    p.add_argument("--tags", action="store_true",
                   help="include the tag reads (made only when a mutelist rule matches on tags)")

    p = sub.add_parser("init", help="write a commented example auditor.toml that validates")
    p.add_argument("path", nargs="?", default="auditor.toml", metavar="FILE",
                   help="where to write it (default ./auditor.toml; '-' prints it)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")

    p = sub.add_parser("schema", help="print one of the JSON Schemas")
    p.add_argument("name", choices=("inventory", "check", "report", "config", "mutelist",
                                     "drift"))

    p = sub.add_parser("demo", help="run the whole tool against local stand-ins of the clouds")
    p.add_argument("-o", "--output-dir", metavar="DIR", default="auditor-demo",
                   help="where the reports go (default ./auditor-demo)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--no-color", action="store_true")
    _run_options(p)

    p = sub.add_parser("sandbox", help="keep the local stand-ins running for manual use")
    p.add_argument("action", choices=("up", "down", "status"))
    p.add_argument("--env", action="store_true",
                   help='print only shell lines: export (up, status) or unset (down), for '
                        'eval "$(auditor sandbox up --env)"')
    p.add_argument("--state-file", metavar="FILE",
                   help="where the running sandbox is recorded (default "
                        "$XDG_STATE_HOME/safeguard-auditor/sandbox/state.json)")
    return parser


# command -> "module:function" that runs it, imported only when that command runs (keeps
# --help light); the rest are in commands.COMMANDS.
_RUNNERS = {
    "compare": "auditor.compare:run_compare",
    "demo": "auditor.demo:run_demo",
    "permissions": "auditor.permissions:cmd_permissions",
    "history": "auditor.history.commands:cmd_history",
    "diff": "auditor.drift.commands:cmd_diff",
    "init": "auditor.init:cmd_init",
    "checks": "auditor.checks_command:cmd_checks",
    "claims": "auditor.claims_command:cmd_claims",
    "sandbox": "auditor.sandbox.manage:run_sandbox_command",
}


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    """The function that runs ``name``."""
    from importlib import import_module

    if name in _RUNNERS:
        module, _, function = _RUNNERS[name].partition(":")
        return getattr(import_module(module), function)
    from auditor.commands import COMMANDS

    return COMMANDS[name]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from auditor.errors import AuditorError
    from auditor.terminal import guarded_stdout

    try:
        with guarded_stdout():  # `auditor ... | head` is not an error: see terminal.py
            parser = build_parser(argv)
            args, unknown = parser.parse_known_args(argv)
            if unknown:  # named with its command, as the command's own errors are
                command = " ".join(filter(None, (args.command,
                                                 getattr(args, f"{args.command}_command", None))))
                parser.error(f"{command + ': ' if command else ''}unrecognized arguments: "
                             f"{' '.join(unknown)}")
            if args.command is None:
                parser.print_help()
                return EXIT_INPUT
            return _command(args.command)(args)
    except KeyboardInterrupt:
        print("auditor: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except AuditorError as exc:
        print(f"auditor: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as exc:  # a bug of ours: one line, never the meaning of exit 1
        from auditor.pipeline import unexpected_reason

        if "--debug" in argv:
            import traceback

            traceback.print_exc()
        print(f"auditor: internal error: {unexpected_reason(exc)}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
