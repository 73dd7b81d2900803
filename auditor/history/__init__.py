"""Run history: every scan and evaluate stores its report in an SQLite database (schema
versioned with migrations, one transaction per run, WAL, a lock timeout), which `auditor
history` lists, re-renders and prunes, and drift compares. See docs/history.md."""

from __future__ import annotations

from auditor.history._paths import configured_history_path, history_path
from auditor.history._recording import record_run
from auditor.history._scope import scope_of
from auditor.history._store import History, RunRecord

__all__ = ["History", "RunRecord", "configured_history_path", "history_path", "record_run",
           "scope_of"]
