"""What a faulted run must look like next to the clean run (the expected outcome per case).

For a fault on operation OP:
- every fact whose source names OP is ``denied`` (denied fault) or ``error`` (the others),
  except a derived fact that the other, observed inputs settle (``_runtime.derive``'s
  ``settled``): it may stay observed when it equals the clean run's;
- the failure is recorded in the run (a call or listing error naming OP);
- every finding that reads no such fact is identical to the clean run's (check, resource,
  status); one that reads such a fact is never PASS or FAIL; a bucket or key finding may
  vanish only when the run records a listing gap for OP (the resource was never listed), an
  account finding never; none appears; the provider fails as a whole only for a gate
  operation (Target.gates: nothing can be attributed without it);
- the exit code is 3 (partial), or 5 (nothing collected) when a gate operation failed the
  provider as a whole;
- the case finishes within CASE_BOUND_S and sends at most MAX_ATTEMPTS requests per request
  of the clean run.
Throttled-then-passing must be identical to the clean run: facts, findings and exit code.
"""

from __future__ import annotations

from typing import Any

from faults_table import CASE_BOUND_S, MAX_ATTEMPTS, Fault

from auditor.exit_codes import EXIT_NOTHING
from auditor.model import FactState, Status

VERDICTS = (Status.PASS, Status.FAIL)


def _facts(inventory: Any) -> dict[tuple[str, str, str], Any]:
    return {(r.kind, r.id, path): fact for r in inventory.resources
            for path, fact in r.facts.items()}


def _findings(report: Any) -> dict[tuple[str, str], Any]:
    return {(f.check_id, f.resource_id): f for f in report.findings}


def _reads(finding: Any, operation: str, settled: set[tuple[str, str]],
           reads: dict[str, tuple[str, ...]]) -> bool:
    """The check read (not merely showed as context) a fact of ``operation`` that the
    remaining inputs did not settle."""
    return any(operation in ev.source and ev.fact in reads.get(finding.check_id, ())
               and (finding.resource_id, ev.fact) not in settled for ev in finding.evidence)


def _common(run: Any, fault: Fault) -> list[str]:
    problems = []
    if run.crash:
        return [f"the run crashed: {run.crash}"]
    if run.elapsed > CASE_BOUND_S:
        problems.append(f"took {run.elapsed:.1f}s (bound {CASE_BOUND_S:g}s)")
    return problems


def _show(fact: Any) -> str:
    return "absent" if fact is None else f"{fact.state.value} {fact.value!r}"


def _identical(clean: Any, run: Any) -> list[str]:
    problems = []
    want, got = _facts(clean.inventory), _facts(run.inventory)
    for key in sorted(set(want) | set(got)):
        a, b = want.get(key), got.get(key)
        if a is None or b is None or (a.state, a.value) != (b.state, b.value):
            problems.append(f"fact {'/'.join(key)}: {_show(a)} -> {_show(b)}")
    if run.exit_code != clean.exit_code:
        problems.append(f"exit {run.exit_code}, the clean run exited {clean.exit_code}")
    return problems


def _settled(fact: Any, clean_fact: Any) -> bool:
    """A fact joined from several reads that the remaining observed ones decided, as in the
    clean run (an enforced bucket-level block settles the effective block without the
    account's); a fact read from one operation alone can never be."""
    return (fact.state is FactState.OBSERVED and len(fact.source) > 1
            and clean_fact is not None and clean_fact.state is FactState.OBSERVED
            and clean_fact.value == fact.value)


def judge(clean: Any, run: Any, operation: str, fault: Fault, gates: tuple[str, ...] = (),
          reads: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """Every way ``run`` (``fault`` on ``operation``) departs from the expected outcome."""
    problems = _common(run, fault)
    if run.crash:
        return problems
    sent, before = run.requests.get(operation, 0), clean.requests.get(operation, 0)
    if sent > MAX_ATTEMPTS * before or sum(run.requests.values()) > MAX_ATTEMPTS * sum(
            clean.requests.values()):
        problems.append(f"sent {sent} {operation} requests ({sum(run.requests.values())} in "
                        f"all), the clean run {before} ({sum(clean.requests.values())})")
    if fault.expect is None:
        return problems + _identical(clean, run)
    gated = bool(run.report.provider_failures) and operation in gates
    want = EXIT_NOTHING if gated else fault.exit_code  # the one provider lost: nothing read
    if run.exit_code != want:
        problems.append(f"exit {run.exit_code}, want {want}")
    if run.report.provider_failures:
        if operation not in gates:
            reason = next(iter(run.report.provider_failures.values()))
            problems.append(f"the whole provider failed ({reason[:160]}): "
                            f"{len(clean.report.findings)} findings lost")
        return problems
    want = FactState(fault.expect)
    before = _facts(clean.inventory)
    settled: set[tuple[str, str]] = set()
    for key, fact in sorted(_facts(run.inventory).items()):
        kind, rid, path = key
        if operation in fact.source and _settled(fact, before.get(key)):
            settled.add((rid, path))
        elif operation in fact.source and fact.state is not want:
            problems.append(f"fact {kind}/{rid}/{path} is {fact.state.value} "
                            f"{fact.value!r}, want {want.value}")
    errors = run.inventory.runs[0].errors if run.inventory.runs else []
    if not any(e.operation == operation for e in errors):
        problems.append(f"the run records no failure of {operation}")
    gap = any(e.operation == operation and e.kind == "listing" for e in errors)
    before_f, after_f = _findings(clean.report), _findings(run.report)
    for key, old in sorted(before_f.items()):
        new = after_f.get(key)
        if new is None:
            if not gap or old.kind == "account":
                why = "an account is never listed" if gap else f"no listing gap for {operation}"
                problems.append(f"finding {key[0]} on {key[1]} ({old.status.value}) vanished: "
                                f"{why}")
        elif _reads(new, operation, settled, reads or {}):
            if new.status in VERDICTS:
                problems.append(f"finding {key[0]} on {key[1]} is {new.status.value} from an "
                                f"unobserved {operation}")
        elif new.status is not old.status:
            problems.append(f"finding {key[0]} on {key[1]}: {old.status.value} -> "
                            f"{new.status.value}")
    problems += [f"new finding {k[0]} on {k[1]} ({after_f[k].status.value})"
                 for k in sorted(set(after_f) - set(before_f))]
    return problems


def judge_down(run: Any, fault: Fault) -> list[str]:
    """Nothing reachable: nothing observed, no verdict, exit 3, within the bound."""
    problems = _common(run, fault)
    if run.crash:
        return problems
    observed = [f"{k[0]}/{k[1]}/{k[2]}" for k, f in _facts(run.inventory).items()
                if f.state is FactState.OBSERVED]
    if observed:
        problems.append(f"{len(observed)} facts observed from nowhere, e.g. {observed[0]}")
    verdicts = [f for f in run.report.findings if f.status in VERDICTS]
    if verdicts:
        problems.append(f"{len(verdicts)} PASS/FAIL findings, e.g. {verdicts[0].check_id} on "
                        f"{verdicts[0].resource_id} {verdicts[0].status.value}")
    if run.exit_code != fault.exit_code:
        problems.append(f"exit {run.exit_code}, want {fault.exit_code}")
    return problems
