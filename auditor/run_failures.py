"""One collect (of a provider, or of one account) whose failure becomes a failed run.

Whatever escapes an adapter's collect (its own ProviderError, or any other exception: a bug,
an SDK raising on an odd answer) is recorded as a failed ProviderRun with its reason, so that
one provider, or one account of a multi-account scan, never takes the others down.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor.errors import ProviderError
from auditor.model import ProviderRun, RunError
from auditor.safe_text import one_line

MESSAGE_LIMIT = 200  # characters of an unexpected exception's message kept in the report
# Frames that only pass an exception on; "where" names the code that raised it.
_PLUMBING = ("/auditor/pipeline.py", "/auditor/run_failures.py", "/auditor/multi_account.py",
             "/auditor/cancellation.py", "/auditor/providers/_runtime/pool.py",
             "/auditor/executors/unit.py", "/auditor/executors/local.py")

# The scope and operation of the one error of a run that failed as a whole.
PROVIDER_SCOPE = "provider"
ACCOUNT_SCOPE = "account"  # one account of a multi-account scan
COLLECT_OPERATION = "collect"


@dataclass(slots=True)
class Failed:
    run: ProviderRun
    reason: str
    traceback: str = ""


def failed(provider: str, started: str, requested: dict[str, list[str]], code: str,
           reason: str, scope: str = PROVIDER_SCOPE) -> Failed:
    """A failed run of ``scope`` (provider or account) with its one error."""
    run = ProviderRun(provider, started_at=started, finished_at=now(), status="failed",
                      errors=[RunError(scope, COLLECT_OPERATION, code, reason)],
                      facts_requested=requested)
    return Failed(run, reason)


def is_account_failure(run: ProviderRun) -> bool:
    """A run of one account that could not be collected (the provider's others may have)."""
    return run.status == "failed" and any(
        e.scope == ACCOUNT_SCOPE and e.operation == COLLECT_OPERATION for e in run.errors)


def guarded(provider: str, scope: str, requested: dict[str, list[str]],
            work: Callable[[], Any]) -> Any:
    """``work()``, or a failed run of ``scope`` for whatever it raised."""
    started = now()
    try:
        return work()
    except ProviderError as exc:
        return failed(provider, started, requested, type(exc).__name__, exc.reason, scope)
    except Exception as exc:  # whatever escapes fails this provider (account) only
        result = failed(provider, started, requested, type(exc).__name__,
                        unexpected_reason(exc), scope)
        result.traceback = "".join(traceback.format_exception(exc))
        return result


def unexpected_reason(exc: BaseException) -> str:
    """One line for an exception nobody translated: its type, where it surfaced, its message.

    "Where" is the innermost frame in auditor's own code (the adapter line that let it
    through), so the report points at the bug without a traceback.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    frames = [f for f in frames if not f.filename.replace("\\", "/").endswith(_PLUMBING)] or frames
    where = ""
    for frame in reversed(frames):
        path = frame.filename.replace("\\", "/")
        marker = path.rfind("/auditor/")
        if marker >= 0:
            where = f" at {path[marker + 1:]}:{frame.lineno} in {frame.name}"
            break
    else:
        if frames:  # a plugin outside the package: its file name only, never a home path
            last = frames[-1]
            where = f" at {Path(last.filename).name}:{last.lineno} in {last.name}"
    from auditor.providers._runtime.scrub import scrub_shapes

    message = scrub_shapes(one_line(str(exc)), limit=10 * MESSAGE_LIMIT)  # no credential shape
    if len(message) > MESSAGE_LIMIT:
        message = message[:MESSAGE_LIMIT - 3] + "..."
    return f"unexpected {type(exc).__name__}{where}" + (f": {message}" if message else "")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
