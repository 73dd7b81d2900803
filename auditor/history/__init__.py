"""Run history: every scan and evaluate stores its report in an SQLite database (schema
versioned with migrations, one transaction per run, WAL, a lock timeout), which `auditor
history` lists, re-renders and prunes, and drift compares. See docs/history.md."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.history._paths import configured_history_path, history_path
    from auditor.history._recording import record_run
    from auditor.history._scope import scope_of
    from auditor.history._store import History, RunRecord

# Each public name's module, imported when the name is first used: a scan with --no-history
# imports only auditor.history._recording (its check), not the store or the scopes.
_HOMES = {"History": "_store", "RunRecord": "_store", "configured_history_path": "_paths",
          "history_path": "_paths", "record_run": "_recording", "scope_of": "_scope"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = ["History", "RunRecord", "configured_history_path", "history_path", "record_run",
           "scope_of"]
