"""The one rule for derived facts: computed only from observed inputs.

A derived fact (public exposure, TLS enforcement, the effective public access block) is
made from other facts. When an input it needs was not observed (denied, error, not read,
opaque), the derived fact is not observed either: ``denied`` when every missing input was
denied, else ``error``, naming each missing input. ``settled`` lets a derivation decide from
the observed inputs alone when they settle it whatever the others say (an enforced block
makes any policy irrelevant); it is asked only with observed values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from auditor.model import Fact, FactState

Compute = Callable[[Mapping[str, Any]], Fact]
Settle = Callable[[Mapping[str, Any]], Fact | None]


def derive(inputs: Mapping[str, Fact], compute: Compute, *,
           settled: Settle | None = None) -> Fact:
    """``compute(values)`` when every input is observed; else the unobserved fact.

    ``inputs`` maps an input's name to its fact; ``compute`` and ``settled`` get the observed
    values by the same names.
    """
    missing = {name: fact for name, fact in inputs.items() if not fact.decided}
    observed = {name: fact.value for name, fact in inputs.items() if fact.decided}
    if not missing:
        return compute(observed)
    if settled is not None:
        early = settled(observed)
        if early is not None:
            return early
    return unobserved(missing)


def unobserved(missing: Mapping[str, Fact]) -> Fact:
    """The fact a derivation stands for when ``missing`` inputs were not observed."""
    denied = all(f.state is FactState.DENIED for f in missing.values())
    detail = "derived from inputs not observed: " + "; ".join(
        f"{name} {fact.state.value}" + (f" ({fact.detail})" if fact.detail else "")
        for name, fact in sorted(missing.items()))
    source = tuple(dict.fromkeys(s for f in missing.values() for s in f.source))
    state = FactState.DENIED if denied else FactState.ERROR
    return Fact(state, None, source, detail, "derived")
