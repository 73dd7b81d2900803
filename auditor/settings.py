"""What a command is asked to do: the config file, the checks, the mutelist and the collection
bounds, from the flags over the config, each checked before any provider is called.

commands.py, demo.py and the history and drift commands read their settings here.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.defaults import DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_ACCOUNTS, DEFAULT_MAX_WORKERS
from auditor.emission import report_formats, split_values
from auditor.errors import ConfigError, UsageError
from auditor.executors import (
    DEFAULT_EXECUTOR,
    DEFAULT_SHARD_BY,
    ExecutorChoice,
    executor_names,
)


def settings(args: argparse.Namespace) -> dict[str, Any]:
    """The config file (--config, else $AUDITOR_CONFIG), its relative paths resolved against
    its folder; args.config then names it, so later errors and the history name the file."""
    from auditor.config import config_file, load_config

    path = config_file(getattr(args, "config", None))
    if path and hasattr(args, "config"):
        args.config = path
    return load_config(path)


def ids(args: argparse.Namespace, flag: str) -> list[str] | None:
    """A comma-separated flag's values; given but empty is a usage error, not 'all'."""
    raw = getattr(args, flag, None)
    if raw is None:
        return None
    values = split_values(raw)
    if not values:
        raise UsageError("--" + flag.replace("_", "-"), "$", "no value given")
    return values


def selected_checks(args: argparse.Namespace, config: dict[str, Any]):
    from auditor.checks import load_checks
    from auditor.config import compile_with_params, refuse_unknown_ids, select_checks

    section = config.get("checks", {})
    dirs = [Path(d) for d in section.get("dirs", [])] + [
        Path(d) for d in getattr(args, "checks_dir", None) or []]
    checks = load_checks(dirs)
    for key in ("include", "exclude"):  # the config's own ids, named by file and key
        refuse_unknown_ids(section.get(key, []), [c.id for c in checks], ConfigError,
                           getattr(args, "config", None) or "config", f"$.checks.{key}")
    include = ids(args, "checks") or section.get("include", [])
    exclude = (ids(args, "exclude_checks") or []) + section.get("exclude", [])
    severity = ids(args, "severity") or section.get("severity", [])
    selected = select_checks(checks, include, exclude, severity)
    return compile_with_params(selected, config.get("params", {}),
                               getattr(args, "config", None) or "config", known=checks)


def mute_rules(args: argparse.Namespace, config: dict[str, Any], checks) -> list:
    from auditor.mutelist import check_rules, load_mutelist

    path = getattr(args, "mutelist", None) or config.get("mutelist")
    if not path:
        return []
    from auditor.mutelist import expired_notes

    rules = load_mutelist(path)
    check_rules(rules, {c.check.id for c in checks}, str(path))
    for line in expired_notes(rules, str(path)):
        print(line, file=sys.stderr)
    return rules


def evaluation_setup(args: argparse.Namespace):
    """Config, compiled checks and mutes, validated before any collection or evaluation."""
    config = settings(args)
    checks = selected_checks(args, config)
    mutes = mute_rules(args, config, checks)
    report_formats(args, config)
    return config, checks, mutes



@dataclass(frozen=True, slots=True)
class Collecting:
    """How collection runs: the bounds the flags (and config) set."""

    max_workers: int = DEFAULT_MAX_WORKERS
    timeout: float = DEFAULT_CALL_TIMEOUT  # seconds, one SDK call (CollectRequest.timeout)
    debug: bool = False  # print the traceback of a provider's unexpected failure
    max_accounts: int = DEFAULT_MAX_ACCOUNTS  # accounts collected at once (multi-account)
    executor: ExecutorChoice | None = None  # what runs the units of work (None: local)


def max_workers(args: argparse.Namespace, config: dict[str, Any]) -> int:
    workers = args.max_workers if args.max_workers is not None else config.get(
        "max_workers", DEFAULT_MAX_WORKERS)
    if workers < 1:
        raise UsageError("--max-workers", "$", "must be at least 1")
    return workers



def max_accounts(args: argparse.Namespace, config: dict[str, Any]) -> int:
    """--max-accounts (else the config's ``max_accounts``): accounts collected at once."""
    flag = getattr(args, "max_accounts", None)
    if flag is not None:
        value, source, where = flag, "--max-accounts", "$"
    else:
        value = config.get("max_accounts", DEFAULT_MAX_ACCOUNTS)
        source, where = getattr(args, "config", None) or "config", "$.max_accounts"
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(source, where, "must be a whole number, at least 1")
    return value



def mutes_need_tags(mutes) -> bool:
    """Whether a mutelist rule matches on tags: only then do the adapters read them."""
    from auditor.mutelist import rules_need_tags

    return rules_need_tags(mutes)



def config_needs_tags(config: dict[str, Any]) -> bool:
    """Whether the config's mutelist has a tag rule (``collect`` has no --mutelist flag)."""
    from auditor.mutelist import load_mutelist

    path = config.get("mutelist")
    return bool(path) and mutes_need_tags(load_mutelist(path))


def mutelist_source(args: argparse.Namespace, config: dict[str, Any]) -> str:
    """The mutelist file (flag, else config), as the source of its expired rules."""
    return str(getattr(args, "mutelist", None) or config.get("mutelist") or "")



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
    accounts = max_accounts(args, config)
    return Collecting(max_workers(args, config), call_timeout(args, config),
                      debug=getattr(args, "debug", False), max_accounts=accounts,
                      executor=executing(args, config, accounts))


def _flag_or_key(args: argparse.Namespace, config: dict[str, Any], name: str):
    """(value, source, where) of a setting: the flag's, else the config key's, else None's."""
    flag = getattr(args, name, None)
    if flag is not None:
        return flag, "--" + name.replace("_", "-"), "$"
    return config.get(name), getattr(args, "config", None) or "config", f"$.{name}"


def executing(args: argparse.Namespace, config: dict[str, Any],
              accounts: int = DEFAULT_MAX_ACCOUNTS) -> ExecutorChoice:
    """--executor, --scheduler, --dask-workers (each else its config key): what runs the units
    of work. A scheduler or worker count flag needs the dask executor; a config's scheduler or
    dask_workers key is left unused by a local run. A local cluster's worker runs ``accounts``
    units at once (--max-accounts)."""
    by = sharding(args, config)
    name, source, where = _flag_or_key(args, config, "executor")
    name = DEFAULT_EXECUTOR if name is None else name
    if name not in executor_names():
        raise UsageError(source, where, f"not an executor: {str(name)[:40]!r}; one of "
                                        f"{', '.join(executor_names())}")
    scheduler, s_source, s_where = _flag_or_key(args, config, "scheduler")
    workers, w_source, w_where = _flag_or_key(args, config, "dask_workers")
    if name != "dask":
        for flag in ("scheduler", "dask_workers"):
            if getattr(args, flag, None) is not None:
                raise UsageError("--" + flag.replace("_", "-"), "$",
                                 "only with --executor dask")
        return ExecutorChoice(name, shard_by=by)
    if scheduler is not None:
        scheduler = scheduler_address(scheduler, s_source, s_where)
        if getattr(args, "dask_workers", None) is not None:
            raise UsageError("--dask-workers", "$", "sizes a local cluster: not with "
                                                    "--scheduler (its workers are its own)")
        return ExecutorChoice(name, scheduler, None, accounts, s_source, s_where, by)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise UsageError(w_source, w_where, "must be a whole number, at least 1")
    return ExecutorChoice(name, None, workers, accounts, shard_by=by)


def sharding(args: argparse.Namespace, config: dict[str, Any]) -> str:
    """--shard-by (else the config's ``shard_by``): what an account's collection is split by
    (account: whole; region: one unit per region where the adapter can split it)."""
    from auditor.providers.base import SHARD_DIMENSIONS

    value, source, where = _flag_or_key(args, config, "shard_by")
    if value is None:
        return DEFAULT_SHARD_BY
    if value not in SHARD_DIMENSIONS:
        raise UsageError(source, where, f"not a shard dimension: {str(value)[:40]!r}; one of "
                                        f"{', '.join(SHARD_DIMENSIONS)}")
    return str(value)


def scheduler_address(value: Any, source: str, where: str) -> str:
    """A Dask scheduler address: tcp://HOST:PORT (a port from 1 to 65535)."""
    from urllib.parse import urlsplit

    text = str(value)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        port = None
        parts = None
    if (not isinstance(value, str) or parts is None or parts.scheme != "tcp"
            or not parts.hostname or port is None or port < 1 or parts.path not in ("", "/")
            or parts.query or parts.fragment or parts.username):
        raise UsageError(source, where, f"not a scheduler address tcp://HOST:PORT: "
                                        f"{text[:60]!r}")
    return f"tcp://{parts.netloc}"



def providers_asked(args: argparse.Namespace, config: dict[str, Any] | None = None):
    """The registry, the chosen providers (PROVIDER, else the config's) and their option
    values (flag, else config table, else env), all checked before a call."""
    from auditor._provider_flags import chosen_providers, provider_options
    from auditor.providers.base import ProviderRegistry

    config = settings(args) if config is None else config
    registry = ProviderRegistry.from_entry_points()
    providers = args.providers = chosen_providers(args.providers, registry,
                                                  config.get("providers", ()))
    return registry, providers, provider_options(args, registry, providers, config)
