"""Large accounts split into several units of work: (provider, account, region).

:func:`expand_units` is where the pipeline asks whether an account's unit is collected
whole or as shards; each shard is a WorkUnit of the same provider and account whose options
narrow what it collects and whose ``shard`` names the part ("region eu-west-1").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from auditor.executors.unit import WorkUnit


def expand_units(adapter: Any, units: Sequence[WorkUnit], executor: Any) -> list[WorkUnit]:
    """The units to run for ``units``, each replaced by its shards where the run asks for
    shards and the adapter can split it; today every unit is collected whole."""
    return list(units)
