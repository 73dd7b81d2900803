"""From parsed flags to each chosen provider's own option values, checked before any call.

cli.py declares, from the registry, one prefixed flag per provider option (--aws-region) and
one unprefixed form per option name (--region). Here the unprefixed form goes to the one chosen
provider that declares it, or is refused when several (or none) do; a prefixed flag of a
provider not chosen is refused; every value passes its option's check. No provider is named
in this module: everything comes from the registry.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from typing import Any

from auditor.errors import ConfigError, InputError, UsageError
from auditor.model import ResourceKind
from auditor.providers._option_rules import CHECK_OPTIONS_HOOK, OptionRuleError
from auditor.providers._option_values import suggestion_text
from auditor.providers.base import (
    ProviderOption,
    ProviderRegistry,
    option_dest,
    option_flag,
    short_dest,
    short_flag,
)


def chosen_providers(typed: Sequence[str], registry: ProviderRegistry,
                     configured: Sequence[str] = ()) -> list[str]:
    """Registered names for the PROVIDER words (case-insensitive); unknown or repeated is 2.
    No word: the config's ``providers`` (validated when it was loaded); neither is 2."""
    names = registry.names()
    if not typed:
        if not configured:
            raise UsageError("PROVIDER", "$", f"no provider named: give one or more of "
                             f"{', '.join(names)}, or set providers = [...] in the config "
                             "(--config FILE or AUDITOR_CONFIG)")
        return list(configured)
    chosen: list[str] = []
    for word in typed:
        name = word.strip().casefold()
        if name not in names:
            raise UsageError("PROVIDER", "$", f"unknown provider {word!r}"
                             f"{suggestion_text(name, names)} (registered: {', '.join(names)})")
        if name in chosen:
            raise UsageError("PROVIDER", "$", f"provider {name!r} named more than once")
        chosen.append(name)
    return chosen


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _checked(opt: ProviderOption, source: str, value: Any) -> Any:
    if value is None or opt.check is None:
        return value
    try:
        if isinstance(value, list):
            return [opt.check(v) for v in value]
        return opt.check(value)
    except ValueError as exc:
        raise UsageError(source, "$", str(exc)) from exc


def _shorthands(values: dict[str, Any], registry: ProviderRegistry,
                providers: Sequence[str]) -> dict[tuple[str, str], tuple[str, Any]]:
    """(provider, option name) -> (flag typed, value) for each unprefixed form given."""
    takers: dict[str, list[tuple[str, ProviderOption]]] = {}
    for provider in providers:
        for opt in registry.get(provider).options:
            takers.setdefault(short_dest(opt), []).append((provider, opt))
    found: dict[tuple[str, str], tuple[str, Any]] = {}
    for dest, value in sorted(values.items()):
        if not dest.startswith("shorthand:") or value is None:
            continue
        flag = "--" + dest.removeprefix("shorthand:").replace("_", "-")
        owners = takers.get(dest, [])
        if not owners:
            raise UsageError(flag, "$", f"not an option of {', '.join(providers)}")
        if len(owners) > 1:
            names = " and ".join(p for p, _ in owners)
            flags = " or ".join(option_flag(p, o) for p, o in owners)
            raise UsageError(flag, "$", f"taken by {names}: use {flags}")
        provider, opt = owners[0]
        if isinstance(value, list) and not opt.multiple:
            value = value[-1]
        found[(provider, opt.name)] = (flag, value)
    return found


# Where an option's value came from: the error class to raise, its source and JSON path
# (a flag or variable: UsageError, "$"; a config key: ConfigError, "$.aws.role_name").
_Where = tuple[type[InputError], str, str]


def provider_options(args: argparse.Namespace, registry: ProviderRegistry,
                     providers: Sequence[str],
                     config: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Per chosen provider, each of its options' values, checked: its flag, else the config's
    key in the provider's table (checked when loaded; a switch set false is off), else its
    environment variable. A flag replaces the config's value whole (a list is not merged).
    Then the adapter's ``check_options`` hook judges the values together (before any call),
    its error naming the flag, config key or variable the offending value came from."""
    values = vars(args)
    for name in registry.names():
        if name in providers:
            continue
        for opt in registry.get(name).options:
            if values.get(option_dest(name, opt)) is not None:
                raise UsageError(option_flag(name, opt), "$",
                                 f"{name} is not among the chosen providers "
                                 f"({', '.join(providers)})")
    shorthands = _shorthands(values, registry, providers)
    config_file = str(getattr(args, "config", None) or "config")
    options: dict[str, dict[str, Any]] = {}
    for provider in providers:
        options[provider] = {}
        sources: dict[str, _Where] = {}  # option -> where its value came from
        table = (config or {}).get(provider) or {}
        for opt in registry.get(provider).options:
            source, value = option_flag(provider, opt), values.get(option_dest(provider, opt))
            if (provider, opt.name) in shorthands:
                if value is not None:
                    raise UsageError(short_flag(opt), "$",
                                     f"given together with {source}; give one of them")
                source, value = shorthands[(provider, opt.name)]
            if value is None and opt.name in table:
                options[provider][opt.name] = table[opt.name] if table[opt.name] is not False \
                    else None
                sources[opt.name] = (ConfigError, config_file, f"$.{provider}.{opt.name}")
                continue
            if value is None and opt.env and os.environ.get(opt.env):
                source, value = opt.env, os.environ[opt.env]
                value = _split(value) if opt.multiple else value
            options[provider][opt.name] = _checked(opt, source, value)
            sources[opt.name] = (UsageError, source, "$")
        _check_together(registry.get(provider), provider, options[provider], sources)
    return options


def _check_together(adapter: Any, provider: str, values: dict[str, Any],
                    sources: Mapping[str, _Where]) -> None:
    """The adapter's optional option-combination rules; a broken one is exit 2."""
    hook = getattr(adapter, CHECK_OPTIONS_HOOK, None)
    if hook is None:
        return
    try:
        hook(values)
    except OptionRuleError as exc:
        where = sources.get(exc.option)
        if where is None:  # a rule about an option not given: name its flag
            opt = next((o for o in adapter.options if o.name == exc.option), None)
            flag = option_flag(provider, opt) if opt else f"{provider} options"
            raise UsageError(flag, "$", exc.reason) from exc
        error, source, path = where
        raise error(source, path, exc.reason) from exc
    except ValueError as exc:
        raise UsageError(f"{provider} options", "$", str(exc)) from exc


def nothing_collected(registry: ProviderRegistry, providers: Sequence[str],
                      options: dict[str, dict[str, Any]], outcome: Any) -> list[str]:
    """One stderr line per provider that was collected but gave no bucket or key, so an empty
    report is not read as a clean estate (account settings alone do not count)."""
    found = {p for p, kinds in outcome.kinds_found().items() if kinds - {ResourceKind.ACCOUNT}}
    return [f"auditor: {p}: collected no buckets or keys; asked for "
            f"{asked(p, registry, options[p])}"
            for p in providers if p not in outcome.failures and p not in found]


def asked(provider: str, registry: ProviderRegistry, values: dict[str, Any]) -> str:
    """What a provider was asked for, as the flags that say it ("the defaults" when none)."""
    parts = []
    for opt in registry.get(provider).options:
        value = values.get(opt.name)
        if value is not None:
            shown = ",".join(value) if isinstance(value, list) else str(value)
            parts.append(f"{option_flag(provider, opt)} {shown}")
    return "; ".join(parts) or "the defaults"
