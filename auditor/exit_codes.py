"""The process exit codes and how a finished run maps onto them.

Import-light on purpose: ``auditor --help`` loads this module, so the model is imported only
when a code is computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.model import Report

EXIT_OK = 0           # completed; nothing at or above --fail-on
EXIT_FINDINGS = 1     # a FAIL at or above --fail-on (takes precedence over EXIT_PARTIAL)
EXIT_INPUT = 2        # usage or input error
EXIT_PARTIAL = 3      # completed, but some facts were UNVERIFIED or a provider (account) not
#                       collected while others were
EXIT_INTERNAL = 4     # a bug in the tool itself (one line; the traceback with --debug)
EXIT_NOTHING = 5      # nothing could be collected: every provider and account failed
#                       (outranks EXIT_PARTIAL and EXIT_OK; a FAIL cannot exist then)
EXIT_INTERRUPTED = 130

EPILOG = """exit codes:
  0    completed; nothing at or above --fail-on
  1    a FAIL finding at or above --fail-on
  2    usage or input error (one line on stderr names the file, the path and the reason)
  3    completed, but some facts were UNVERIFIED, or a provider or an account (of a
       multi-account scan) could not be collected while others were
  4    internal error: a bug in the tool, not in the input or the cloud (one line on
       stderr; --debug prints the traceback); no partial report set is left behind
  5    nothing could be collected: every provider (every account) failed, so the
       report holds no observation at all; never 0, so a job cannot pass on it
  130  interrupted
"""


def runs_incomplete(runs: Iterable[Any], failures: Mapping[str, str]) -> bool:
    """A provider failed as a whole, or a run recorded failed calls or listings, or a run (one
    account's) failed."""
    return bool(failures) or any(r.status != "complete" for r in runs)


def collected_nothing(runs: Iterable[Any], observed: bool) -> bool:
    """Nothing could be collected: no run completed (every provider and account failed, or
    the ones that ran failed every call) and not one fact was ``observed``; no run at all is
    nothing too. A complete run of an empty estate did collect: it found nothing."""
    return not observed and not any(r.status == "complete" for r in runs)


def collect_exit_code(runs: Iterable[Any], failures: Mapping[str, str],
                      resources: Iterable[Any]) -> int:
    """``auditor collect``: EXIT_NOTHING, EXIT_PARTIAL or EXIT_OK."""
    from auditor.model import FactState

    runs = list(runs)
    observed = any(f.state is FactState.OBSERVED for r in resources for f in r.facts.values())
    if collected_nothing(runs, observed):
        return EXIT_NOTHING
    return EXIT_PARTIAL if runs_incomplete(runs, failures) else EXIT_OK


def report_exit_code(report: Report, fail_on: str | None) -> int:
    """EXIT_FINDINGS for a FAIL at or above ``fail_on``, else EXIT_NOTHING when nothing was
    collected at all, else EXIT_PARTIAL when anything could not be observed, else EXIT_OK."""
    from auditor.model import SEVERITIES, Status

    if fail_on:
        floor = SEVERITIES.index(fail_on)
        if any(f.status is Status.FAIL and SEVERITIES.index(f.severity) >= floor
               for f in report.findings):
            return EXIT_FINDINGS
    observed = any(e.state == "observed" for f in report.findings for e in f.evidence)
    if collected_nothing(report.runs, observed):
        return EXIT_NOTHING
    partial = (any(f.status is Status.UNVERIFIED for f in report.findings)
               or runs_incomplete(report.runs, report.provider_failures)
               or bool(report.account_failures))
    return EXIT_PARTIAL if partial else EXIT_OK
