"""Large accounts split into several units of work: (provider, account, region).

:func:`expand_units` is where the pipeline asks whether an account's unit is collected
whole or as shards; each shard is a WorkUnit of the same provider and account whose options
narrow what it collects and whose ``shard`` names the part ("region eu-west-1").

A run asks for shards with ``--shard-by region`` (config key ``shard_by``), carried in the
executor's ExecutorChoice; the adapter splits through its optional ``shards`` hook
(auditor.providers.base SHARDS_HOOK). A unit is left whole when the run does not ask, when
the adapter has no hook, or when the hook gives fewer than two parts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from auditor.executors import DEFAULT_SHARD_BY
from auditor.executors.unit import WorkUnit, unit_request
from auditor.providers.base import SHARDS_HOOK, ShardTarget


def shard_dimension(executor: Any) -> str:
    """What the run splits accounts by: the executor's choice, "account" (whole) without one."""
    choice = getattr(executor, "choice", None)
    return getattr(choice, "shard_by", DEFAULT_SHARD_BY) or DEFAULT_SHARD_BY


def expand_units(adapter: Any, units: Sequence[WorkUnit], executor: Any) -> list[WorkUnit]:
    """The units to run for ``units``, each replaced by its shards where the run asks for
    shards and the adapter can split it; a unit's shards follow each other, in the order the
    adapter gives them. A shard's options are the unit's updated by the shard's own; its
    facts are the unit's without those the shard leaves to another shard."""
    by = shard_dimension(executor)
    hook = getattr(adapter, SHARDS_HOOK, None)
    if by == DEFAULT_SHARD_BY or hook is None:
        return list(units)
    out: list[WorkUnit] = []
    for unit in units:
        parts = hook(unit_request(unit), by)
        if parts is not None and (not isinstance(parts, list | tuple) or not all(
                isinstance(p, ShardTarget) for p in parts)):
            raise TypeError(f"the {SHARDS_HOOK} hook returned {type(parts).__name__}, "
                            "not a list of ShardTarget")
        if not parts or len(parts) < 2:
            out.append(unit)
            continue
        out += [shard_unit(unit, part) for part in parts]
    return out


def shard_unit(unit: WorkUnit, part: ShardTarget) -> WorkUnit:
    """``unit`` narrowed to ``part``: its options updated, the facts it leaves removed."""
    return replace(unit, options={**unit.options, **dict(part.options)},
                   facts=without(unit.facts, part.leaves), shard=part.label)


def without(facts: dict[str, list[str]] | None,
            leaves: Mapping[str, frozenset[str]]) -> dict[str, list[str]] | None:
    """``facts`` (None: every fact of the catalog) less ``leaves``; unchanged when it leaves
    nothing."""
    if not any(leaves.values()):
        return facts
    if facts is None:
        from auditor.schema import fact_catalog

        facts = {kind: sorted(paths) for kind, paths in fact_catalog().items()}
    return {kind: [p for p in paths if p not in leaves.get(kind, frozenset())]
            for kind, paths in facts.items()}
