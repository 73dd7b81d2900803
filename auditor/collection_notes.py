"""What a finished collection tells the user on stderr: each provider and each account that
could not be collected, and each provider that found nothing, so that an empty result is never
read as a clean estate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from auditor.safe_text import one_line


def collection_notes(registry: Any, providers: Sequence[str],
                     options: dict[str, dict[str, Any]], outcome: Any,
                     debug: bool = False) -> list[str]:
    """One line per failed provider, per failed account ("auditor: aws: account 1111: not
    collected: REASON"), and per provider that collected no bucket or key; with ``debug``
    the traceback of an unexpected failure follows its line."""
    from auditor._provider_flags import nothing_collected

    lines = []
    for provider, reason in outcome.failures.items():
        lines.append(f"auditor: {provider}: not collected: {one_line(reason)}")
        if debug and provider in outcome.tracebacks:
            lines.append(outcome.tracebacks[provider].rstrip())
    for failure in outcome.account_failures:
        lines.append(f"auditor: {failure.provider}: account {one_line(failure.account)}: "
                     f"not collected: {one_line(failure.reason)}")
        trace = outcome.account_tracebacks.get((failure.provider, failure.account))
        if debug and trace:
            lines.append(trace.rstrip())
    # A provider whose every account failed has said so above, account by account.
    reached = [p for p in providers
               if p in outcome.failures
               or any(r.provider == p and r.status != "failed" for r in outcome.inventory.runs)]
    return lines + nothing_collected(registry, reached, options, outcome)
