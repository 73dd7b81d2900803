"""A run's scope: which providers and accounts it covered, so that the same job recorded
night after night shares one scope (drift compares runs within a scope)."""

from __future__ import annotations

from auditor.model import Report


def accounts_by_provider(report: Report) -> dict[str, list[str]]:
    """provider -> its sorted accounts: those of its runs and its failed accounts. A provider
    that failed as a whole is listed with no account (which ones it would have read is
    unknown)."""
    found: dict[str, set[str]] = {}
    for run in report.runs:
        found.setdefault(run.provider, set()).update(a for a in run.accounts if a)
    for failure in report.account_failures:
        found.setdefault(failure.provider, set()).add(failure.account)
    for provider in report.provider_failures:
        found.setdefault(provider, set())
    return {provider: sorted(accounts) for provider, accounts in sorted(found.items())}


def scope_of(report: Report) -> str:
    """``"aws:111111111111,222222222222|gcp:proj-a"``: sorted providers, each with its sorted
    accounts (failed accounts included)."""
    return "|".join(f"{provider}:{','.join(accounts)}"
                    for provider, accounts in accounts_by_provider(report).items())
