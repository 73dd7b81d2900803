"""Facts the core derives from the facts adapters collect, once, before any check reads them.

The legal reach of a data resource (auditor.legal_reach) is not read from any provider API:
it follows from the residency facts and the key custody an adapter collected, and from
auditor/data/jurisdictions.yaml. It is computed here, for every provider alike (no provider
is named in this module), in ``derive_inventory``, which ``engine.evaluate`` calls on every
inventory before any check runs: a live scan and ``auditor evaluate`` of a saved inventory
(one written before these facts existed included) get the same facts. ``engine.wanted_facts``
asks the adapters for a derived fact's inputs (``with_inputs``).

The rule is the adapters' one (auditor.providers._runtime.derive): a derived fact is observed
only when every input is; otherwise it is denied (every missing input denied) or error,
naming each input, and it is opaque when an input is opaque (the provider does not expose
it, so neither is the derived fact). A resource that lacks an input altogether (it was not
collected) gets no derived fact, so its checks are "not collected", never FAIL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from auditor.legal_reach import CUSTODY_FACT, DATA_KINDS, custody_external, holders
from auditor.model import Fact, FactState, Inventory, ProviderRun
from auditor.providers._runtime import derive  # the package name: a function, not the module

JURISDICTIONS = "legal_reach.jurisdictions"
KEY_EXTERNAL = "legal_reach.key_external"
REGION, LOCATION = "data_residency.region", "data_residency.jurisdictions"
# Where a resource's data is replicated to (a bucket's replication rules, its dual- or
# multi-region places): read when the resource has it, each destination's place, operator
# and provider home in reach too. Unread (denied, error), the reach is unread, never narrower.
REPLICAS = "data_residency.replication_destinations"
# The kinds whose resources hold data and carry residency facts (a KMS key has no region fact).
KINDS = tuple(kind for kind in DATA_KINDS if kind != "kms.key")
BASIS = "derived"


@dataclass(frozen=True)
class Derivation:
    """One derived path: its inputs (fact paths of the same resource) and how it is made from
    their observed values (``compute(provider, values)``)."""

    path: str
    inputs: tuple[str, ...]
    compute: Callable[[str, Mapping[str, Any]], Any]
    # inputs read when the resource's kind has them in the catalog (its state counts then)
    optional: tuple[str, ...] = ()


def _in_reach(provider: str, values: Mapping[str, Any]) -> list[str]:
    """Where the data is (every place of its location), who operates the region, and the
    provider's home: the jurisdictions whose authorities can compel access to it."""
    _, operator, home = holders(provider, values[REGION])
    if home is None:
        raise _Undecided(f"provider {provider!r} has no home jurisdiction in "
                         "auditor/data/jurisdictions.yaml")
    reach = {*values[LOCATION], operator, home}
    for replica in values.get(REPLICAS) or ():
        target, region = replica.get("target"), replica.get("region")
        if not region or not replica.get("jurisdiction"):
            raise _Undecided(f"replication destination {target} is not placed (region "
                             f"{region!r}, jurisdiction {replica.get('jurisdiction')!r})")
        _, operator, home = holders(provider, region)
        reach |= {replica["jurisdiction"], operator, home}
    return sorted(j for j in reach if j)


def _key_external(provider: str, values: Mapping[str, Any]) -> bool:
    return bool(custody_external(values[CUSTODY_FACT]))


DERIVATIONS = (Derivation(JURISDICTIONS, (REGION, LOCATION), _in_reach, (REPLICAS,)),
               Derivation(KEY_EXTERNAL, (CUSTODY_FACT,), _key_external))
PATHS = tuple(d.path for d in DERIVATIONS)


class _Undecided(Exception):
    """The inputs were observed but the data cannot place them (named in the fact)."""


def inputs_of(path: str) -> tuple[str, ...]:
    """The input paths of a derived path (empty for a collected one)."""
    return next((d.inputs for d in DERIVATIONS if d.path == path), ())


def _optional(derivation: Derivation, kind: str) -> tuple[str, ...]:
    """The optional inputs of ``derivation`` that ``kind``'s catalog names."""
    if not derivation.optional:
        return ()
    from auditor.schema import fact_catalog

    catalog = fact_catalog().get(kind, {})
    return tuple(p for p in derivation.optional if p in catalog)


def with_inputs(facts: Mapping[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    """The facts to ask the adapters for: ``facts`` plus the inputs of every derived path in
    it, optional ones where the kind has them (an adapter collects no derived core fact
    itself)."""
    out = dict(facts)
    for kind, paths in facts.items():
        extra = {p for d in DERIVATIONS if d.path in paths and kind in KINDS
                 for p in (*d.inputs, *_optional(d, kind))}
        if extra:
            out[kind] = frozenset(paths | extra)
    return out


def derive_one(provider: str, derivation: Derivation, inputs: Mapping[str, Fact]) -> Fact:
    """The derived fact from its input facts, by the one rule (see the module docstring)."""
    source = tuple(dict.fromkeys(s for f in inputs.values() for s in f.source))
    opaque = sorted(name for name, fact in inputs.items() if fact.state is FactState.OPAQUE)
    if opaque:
        detail = "derived from inputs the provider does not expose: " + "; ".join(
            f"{name} ({inputs[name].detail})" for name in opaque)
        return Fact(FactState.OPAQUE, None, source, detail, BASIS)

    def compute(values: Mapping[str, Any]) -> Fact:
        try:
            value = derivation.compute(provider, values)
        except _Undecided as why:
            return Fact(FactState.ERROR, None, source, str(why), BASIS)
        return Fact(FactState.OBSERVED, value, source, None, BASIS)

    return derive(inputs, compute)


def derive_requests(runs: Iterable[ProviderRun]) -> None:
    """Each run recorded as asked for a derived path of a kind when it was asked for all its
    inputs (what ``engine.uncollected`` reads): an inventory saved before a derived fact
    existed still runs its checks. In place; a legacy run (asked for everything) stays."""
    for run in runs:
        if run.facts_requested is None:
            continue
        for kind in KINDS:
            asked = run.facts_requested.get(kind)
            if asked is None:
                continue
            more = [d.path for d in DERIVATIONS
                    if d.path not in asked and all(p in asked for p in d.inputs)]
            if more:
                run.facts_requested[kind] = sorted({*asked, *more})


def derive_inventory(inventory: Inventory) -> Inventory:
    """``inventory`` with the derived facts set on every resource that has their inputs, and
    its runs as ``derive_requests`` makes them. In place; recomputed when already there, so
    an inventory saved with them evaluates the same. Equal inputs give the one shared
    derived fact (the engine decides once per distinct set of facts)."""
    derive_requests(inventory.runs)
    shared: dict[tuple[Any, ...], Fact] = {}
    equal: dict[tuple[Any, ...], Fact] = {}
    kinds = frozenset(KINDS)
    for resource in inventory.resources:
        if resource.kind not in kinds:
            continue
        facts, provider = resource.facts, resource.provider
        for derivation in DERIVATIONS:
            try:
                got = [facts[p] for p in derivation.inputs]
            except KeyError:  # an input not collected: no derived fact
                continue
            names = (*derivation.inputs, *(p for p in derivation.optional if p in facts))
            got += [facts[p] for p in names[len(got):]]
            key = (provider, derivation.path, *names, *map(id, got))
            fact = shared.get(key)
            if fact is None:
                made = derive_one(provider, derivation, dict(zip(names, got, strict=True)))
                # equal derived facts from different inputs are one object too
                fact = shared[key] = equal.setdefault(_content(made), made)
            facts[derivation.path] = fact
    return inventory


def _content(fact: Fact) -> tuple[Any, ...]:
    value = tuple(fact.value) if isinstance(fact.value, list) else fact.value
    return (fact.state, type(fact.value), value, fact.source, fact.detail, fact.basis)
