"""Executors: what runs the units of work of a collection.

A unit is one (provider, account) collection of a multi-account scan, or one provider's
collection of a single-account scan (:class:`auditor.executors.unit.WorkUnit`). The pipeline
builds the units and merges what comes back; an executor only runs them:

- ``local`` (the default): the units on this process's daemon threads, as the pipeline always
  did (auditor.cancellation.cancellable_map). No Dask module is imported.
- ``dask``: the units as tasks of a Dask distributed cluster, a local one started for the run
  or an existing scheduler. Each task carries the unit's payload (no credential) and returns
  the partial inventory as its schema-validated JSON document.

The registry below maps a name to the module that implements it, imported only when chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from auditor.executors.unit import WorkUnit

DEFAULT_EXECUTOR = "local"
DEFAULT_SHARD_BY = "account"  # one unit per account (auditor.providers.base SHARD_DIMENSIONS)
# name -> "module:class"; the class takes an ExecutorChoice (only the module chosen is imported)
EXECUTORS: dict[str, str] = {
    "local": "auditor.executors.local:LocalExecutor",
    "dask": "auditor.executors._dask:DaskExecutor",
}


@dataclass(frozen=True, slots=True)
class ExecutorChoice:
    """Which executor runs a collection, as the flags (or the config) chose it.

    ``scheduler``: a Dask scheduler address (tcp://HOST:PORT), None for a local cluster;
    ``workers``: worker processes of that local cluster (None: one per core); ``threads``:
    units one local-cluster worker runs at once; ``source``: the flag or config file that
    named the scheduler (an unreachable one is reported against it); ``shard_by``: what an
    account's collection is split by (auditor.executors.shards): "account" keeps every
    account one unit, "region" makes an account of several regions one unit per region where
    its adapter can split it (--shard-by).
    """

    name: str = DEFAULT_EXECUTOR
    scheduler: str | None = None
    workers: int | None = None
    threads: int = 1
    source: str = "--scheduler"
    where: str = "$"
    shard_by: str = DEFAULT_SHARD_BY


# What one unit gives: its partial inventory or its failed run (auditor.run_failures.Failed),
# or the exception that stopped it (turned into a failed account by the caller).
Here = Callable[["WorkUnit"], Any]


class Executor(Protocol):
    """Runs units of work; one failing unit never loses another's result."""

    name: str

    def run(self, units: Sequence[WorkUnit], here: Here, limit: int, *,
            label: str) -> Iterator[tuple[int, Any]]:
        """(index in ``units``, result) for every unit, in the order they finish.

        ``here`` runs one unit in this process (what the local executor calls); ``limit``
        bounds the units in flight on this process's threads. A result is the unit's
        Inventory or Failed, or the exception that stopped it.
        """
        ...

    def close(self) -> None:
        """Stop what the executor started (threads finish, a cluster shuts down)."""
        ...


def executor_names() -> list[str]:
    return sorted(EXECUTORS)


def create(choice: ExecutorChoice) -> Executor:
    """The executor ``choice`` names, its module imported only now."""
    module, _, cls = EXECUTORS[choice.name].partition(":")
    return getattr(import_module(module), cls)(choice)


@contextmanager
def opened(choice: ExecutorChoice | None) -> Iterator[Executor]:
    """The chosen executor (local when None), closed when the block ends, however it ends."""
    executor = create(choice or ExecutorChoice())
    try:
        yield executor
    finally:
        executor.close()
