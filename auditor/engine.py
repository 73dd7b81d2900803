"""Run compiled checks over an inventory.

Order per (check, resource), as in DESIGN.md: absent facts -> NOT_APPLICABLE; any opaque fact ->
OPAQUE; any denied or error fact -> UNVERIFIED; ``applies_if`` not met -> NOT_APPLICABLE; then
``assert``: PASS or FAIL. A fact that could not be read never becomes PASS or FAIL.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from jsonschema.exceptions import ValidationError

from auditor.checks import CompiledCheck
from auditor.gc_pause import gc_paused
from auditor.model import (
    Evidence,
    Fact,
    FactState,
    Finding,
    Inventory,
    NotCollected,
    Resource,
    Status,
)


def nest(facts: dict[str, Fact], paths: Iterable[str]) -> dict[str, Any]:
    """{"a.b": fact} -> {"a": {"b": value}} for the JSON Schema instance."""
    out: dict[str, Any] = {}
    for path in paths:
        head, _, tail = path.partition(".")
        out.setdefault(head, {})[tail] = facts[path].value
    return out


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def evaluate_one(compiled: CompiledCheck, resource: Resource) -> tuple[Status, str]:
    """The status and message of one check on one resource."""
    check = compiled.check
    facts = resource.facts
    absent = [p for p in check.reads if p not in facts]
    if absent:  # an observed context fact with a detail says why (e.g. a read replica)
        why = "; ".join(f"{p}={_show(facts[p].value)}: {facts[p].detail}" for p in check.context
                        if p in facts and facts[p].decided and facts[p].detail)
        return Status.NOT_APPLICABLE, (f"not applicable: {', '.join(absent)} not present"
                                       + (f" ({why})" if why else ""))
    opaque = [p for p in check.reads if facts[p].state is FactState.OPAQUE]
    if opaque:
        reasons = "; ".join(f"{p}: {facts[p].detail}" for p in opaque)
        return Status.OPAQUE, f"{resource.provider} does not expose {reasons}"
    unread = [p for p in check.reads if facts[p].state in (FactState.DENIED, FactState.ERROR)]
    if unread:
        reasons = "; ".join(f"{p} {facts[p].state.value} ({facts[p].detail})" for p in unread)
        return Status.UNVERIFIED, f"could not verify: {reasons}"
    instance = nest(facts, check.reads)
    if compiled.applies is not None and not compiled.applies.is_valid(instance):
        found = ", ".join(f"{p}={_show(facts[p].value)}" for p in check.reads)
        return Status.NOT_APPLICABLE, f"not applicable: {found}"
    errors = list(compiled.validator.iter_errors(instance))
    shown = [p for p in check.context if p in facts and facts[p].decided]
    context = f" ({', '.join(f'{p}={_show(facts[p].value)}' for p in shown)})" if shown else ""
    if not errors:
        return Status.PASS, ", ".join(f"{p}={_show(facts[p].value)}" for p in check.reads)
    order = {p: i for i, p in enumerate(check.reads)}
    err = min(errors, key=lambda e: (order.get(_fact_of(e), len(order)), -len(e.absolute_path)))
    path = ".".join(str(p) for p in err.absolute_path) or "facts"
    return Status.FAIL, f"{path}={_show(err.instance)}: {_expected(err)}{context}"


def _fact_of(error: ValidationError) -> str:
    return ".".join(str(p) for p in list(error.absolute_path)[:2])


EXPECTATIONS = {
    "const": lambda v: f"expected {_show(v)}",
    "enum": lambda v: f"expected one of {_show(v)}",
    "maximum": lambda v: f"expected at most {_show(v)}",
    "minimum": lambda v: f"expected at least {_show(v)}",
    "type": lambda v: f"expected a value of type {_show(v)}",
}


def _expected(error: ValidationError) -> str:
    explain = EXPECTATIONS.get(str(error.validator))
    return explain(error.validator_value) if explain else error.message


def _evidence(compiled: CompiledCheck, resource: Resource) -> list[Evidence]:
    out = []
    for path in (*compiled.check.reads, *compiled.check.context):
        fact = resource.facts.get(path)
        if fact is not None:
            out.append(Evidence(path, fact.state.value, fact.value, list(fact.source),
                                fact.detail))
    return out


def finding_for(compiled: CompiledCheck, resource: Resource) -> Finding:
    """The finding of one check on one resource, decided afresh."""
    return _Decisions(compiled).finding(resource)


class _Decisions:
    """What a check decides depends on the check, the provider (named in OPAQUE messages) and
    the facts it reads or shows, nothing else: each distinct combination is decided once and
    its status, message and evidence are shared by the findings that have it (read only, as
    every Finding field is). Facts are compared by identity: an inventory read from a file
    shares equal facts (model.FactInterner), one collected just now does not, and then every
    resource is simply decided on its own."""

    def __init__(self, compiled: CompiledCheck) -> None:
        self.compiled = compiled
        self.paths = (*compiled.check.reads, *compiled.check.context)
        # key -> (the finding's fields before the resource's, those after them)
        self.seen: dict[tuple[Any, ...], tuple[tuple[Any, ...], tuple[Any, ...]]] = {}
        # (provider, kind) -> the remediation and frameworks of its findings
        self.per_place: dict[tuple[str, str], tuple[str, dict[str, list[str]]]] = {}

    def finding(self, resource: Resource) -> Finding:
        facts = resource.facts
        # The kind too: a check of several kinds may give each its own text and ids.
        key = (resource.provider, resource.kind, *map(id, map(facts.get, self.paths)))
        decided = self.seen.get(key)
        if decided is None:
            decided = self.seen[key] = self._decide(resource)
        head, tail = decided
        return Finding(*head, resource.kind, resource.provider, resource.account,
                       resource.region, resource.id, resource.name, *tail)

    def _decide(self, resource: Resource) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        check = self.compiled.check
        status, message = evaluate_one(self.compiled, resource)
        place = (resource.provider, resource.kind)
        texts = self.per_place.get(place)
        if texts is None:
            texts = self.per_place[place] = (check.remediation_for(*place),
                                             check.frameworks_for(*place))
        remediation, frameworks = texts
        return ((check.id, check.title, check.safeguard, check.severity, status, message),
                (_evidence(self.compiled, resource), remediation, frameworks))


def evaluate(inventory: Inventory, checks: Iterable[CompiledCheck]) -> list[Finding]:
    """Every check against every resource of each of its kinds, in check then inventory
    order.

    A check whose facts a provider's runs were not asked to collect gives no finding for that
    provider's resources (see ``uncollected``): absent because never requested is not absent
    because it does not apply. Resources are indexed by kind once; see ``_Decisions`` for
    what is decided once per distinct set of facts.
    """
    from auditor.derived_facts import derive_inventory

    derive_inventory(inventory)  # the core's derived facts (legal reach), from collected ones
    checks = list(checks)
    skipped: dict[str, set[str]] = defaultdict(set)  # check id -> providers not collected
    for gap in uncollected(inventory, checks):
        skipped[gap.check_id].add(gap.provider)
    by_kind: dict[str, list[Resource]] = defaultdict(list)
    for resource in inventory.resources:
        by_kind[resource.kind].append(resource)
    findings: list[Finding] = []
    with gc_paused():  # the findings all stay alive: see gc_pause
        for compiled in checks:
            finding = _Decisions(compiled).finding
            left_out = skipped.get(compiled.check.id, ())
            findings += [finding(r) for r in _of_kinds(compiled, by_kind, inventory)
                         if r.provider not in left_out]
    return findings


def _of_kinds(compiled: CompiledCheck, by_kind: dict[str, list[Resource]],
              inventory: Inventory) -> list[Resource]:
    """The resources of the check's kinds, in inventory order."""
    kinds = compiled.check.kinds
    if len(kinds) == 1:
        return by_kind.get(kinds[0], [])
    return [r for r in inventory.resources if r.kind in kinds]


def uncollected(inventory: Inventory, checks: Iterable[CompiledCheck]) -> list[NotCollected]:
    """Per check and provider, the facts it reads that a run of that provider did not request.

    Failed runs are left out: they collected nothing, and say so as provider failures.
    """
    from auditor.derived_facts import derive_requests

    derive_requests(inventory.runs)  # a derived fact is asked for when all its inputs were
    runs: dict[str, list] = defaultdict(list)
    for run in inventory.runs:
        if run.status != "failed":
            runs[run.provider].append(run)
    out = []
    for compiled in checks:
        check = compiled.check
        for provider, provider_runs in sorted(runs.items()):
            missing = sorted({path for run in provider_runs for kind in check.kinds
                              for path in check.reads if not run.requested(kind, path)})
            if missing:
                out.append(NotCollected(check.id, provider, missing))
    return out


def wanted_facts(checks: Iterable[CompiledCheck]) -> dict[str, frozenset[str]]:
    """kind -> fact paths the selected checks read or show as context: what to collect."""
    from auditor.derived_facts import with_inputs

    wanted: dict[str, set[str]] = defaultdict(set)
    for compiled in checks:
        for kind in compiled.check.kinds:
            wanted[kind].update(compiled.check.reads, compiled.check.context)
    # A fact the core derives is collected as its inputs (auditor.derived_facts).
    return with_inputs({kind: frozenset(paths) for kind, paths in wanted.items()})
