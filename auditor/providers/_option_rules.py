"""Option-combination rules: the optional ``check_options`` adapter hook and its error.

A rule that needs several options at once (a role name wanted by an organization scan, two
options that exclude each other) is a usage mistake, found before any call: the CLI runs the
hook once every value has passed its own check (auditor._provider_flags), and names the flag
or the config key the offending option came from. The adapters also run it at the top of
their ``accounts`` hook, so a caller of the API gets a ProviderError instead of a scan that
ignores an option.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from auditor.errors import ProviderError

CHECK_OPTIONS_HOOK = "check_options"


class OptionRuleError(ValueError):
    """``option`` (an adapter option name) was given in a combination that cannot work."""

    def __init__(self, option: str, reason: str) -> None:
        self.option = option
        self.reason = reason
        super().__init__(reason)


def given(options: Mapping[str, Any], name: str) -> bool:
    """Whether an option is set: a switch that is on, a value, a non-empty list."""
    value = options.get(name)
    return value not in (None, False, "", [], ())


def first_given(options: Mapping[str, Any], names: tuple[str, ...]) -> str | None:
    return next((name for name in names if given(options, name)), None)


def enforce(provider: str, flag_of: Callable[[str], str],
            rules: Callable[[Mapping[str, Any]], None], options: Mapping[str, Any]) -> None:
    """Run ``rules`` for an API caller: a broken rule is a ProviderError (before any call)."""
    try:
        rules(options)
    except OptionRuleError as exc:
        raise ProviderError(provider, f"{flag_of(exc.option)} {exc.reason}") from exc
    except ValueError as exc:
        raise ProviderError(provider, str(exc)) from exc
