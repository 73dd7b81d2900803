"""The adapter protocol and the registry fed by the ``auditor.providers`` entry points.

Import-light on purpose: every adapter package imports this module, and the CLI loads the
adapter classes to build ``--help`` and to find their checks.yaml, so yaml, jsonschema (via
auditor.schema) and the model are imported only when a profile is read or an adapter is
validated.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from auditor._plugins import EntryPointRegistry
from auditor.defaults import DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_WORKERS
from auditor.errors import PluginError
from auditor.provider_data import ENTRY_POINT_GROUP, read_yaml, validate_data_files, validate_once

if TYPE_CHECKING:
    from auditor.model import ProviderRun, Resource

EXPOSURE_LEVELS = ("api", "derived", "none")


@dataclass(frozen=True, slots=True)
class ProviderOption:
    """A CLI option an adapter accepts; the CLI builds its flags from these."""

    name: str  # python name, e.g. "region"; for provider aws the flag is --aws-region
    help: str
    multiple: bool = False
    metavar: str = "VALUE"
    env: str | None = None  # environment variable read when the flag is absent
    # Checks one typed value before any call: returns the value to use, raises ValueError
    # with the reason (auditor/providers/_option_values.py has the shared ones).
    check: Callable[[str], str] | None = None
    # A switch that takes no value (--aws-organization): its value is True when given,
    # None when not. ``multiple``, ``metavar`` and ``check`` do not apply to it.
    flag: bool = False


def option_flag(provider: str, option: ProviderOption) -> str:
    """The provider's own flag: --aws-region; a name already prefixed keeps it (gcp_kms_endpoint)."""
    name = option.name if option.name.startswith(provider + "_") else f"{provider}_{option.name}"
    return "--" + name.replace("_", "-")


def short_flag(option: ProviderOption) -> str:
    """The unprefixed form (--region), usable when one chosen provider alone declares it."""
    return "--" + option.name.replace("_", "-")


def option_dest(provider: str, option: ProviderOption) -> str:
    return f"provider:{provider}:{option.name}"


def short_dest(option: ProviderOption) -> str:
    return f"shorthand:{option.name}"


ProgressCallback = Callable[[str, int, int | None], None]  # (provider, done, total)


@dataclass(frozen=True, slots=True)
class CollectRequest:
    """What to collect. ``facts`` maps kind -> fact paths wanted; None means everything."""

    options: Mapping[str, Any] = field(default_factory=dict)
    facts: Mapping[str, frozenset[str]] | None = None
    max_workers: int = DEFAULT_MAX_WORKERS
    progress: ProgressCallback | None = None
    timeout: float = DEFAULT_CALL_TIMEOUT  # seconds: connect and read bound of one SDK call
    # Set when the run is interrupted: bounded_map starts no new item and the retry backoff
    # wakes (auditor.cancellation); the pipeline makes it the adapter thread's current event.
    cancel: threading.Event = field(default_factory=threading.Event)
    # Whether resource tags (labels) are wanted: only when a mutelist rule matches on tags,
    # so that a scan that needs none sends no tag call.
    tags: bool = False

    def wants(self, kind: str, *paths: str) -> bool:
        """True when any of ``paths`` of ``kind`` is wanted."""
        if self.facts is None:
            return True
        wanted = self.facts.get(kind, frozenset())
        return any(p in wanted for p in paths)

    def report(self, provider: str, done: int, total: int | None) -> None:
        if self.progress is not None:
            self.progress(provider, done, total)


@dataclass(frozen=True, slots=True)
class AccountTarget:
    """One account (AWS account, Google Cloud project, Alibaba Cloud account) of a
    multi-account scan, as an adapter's optional ``accounts`` hook names it.

    ``options`` are option values that replace the request's own for this account (for
    example the role to assume in it); the pipeline collects each target with them.
    """

    account: str
    options: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""  # a human name (the account or project name), when the listing gives one


@dataclass(frozen=True, slots=True)
class ShardTarget:
    """One part of an account's collection, as an adapter's optional ``shards`` hook names it.

    ``options`` replace the unit's own for this part (for example one region); ``leaves``
    are the facts (kind -> fact paths) this part does not collect because another part of
    the same account does (a global setting read once, not once per region).
    """

    label: str  # what the part is, said in a failure's reason: "region eu-west-1"
    options: Mapping[str, Any] = field(default_factory=dict)
    leaves: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(slots=True)
class Collection:
    run: ProviderRun
    resources: list[Resource]


@dataclass(frozen=True, slots=True)
class ExposureEntry:
    level: str  # api | derived | none
    operations: tuple[str, ...] = ()
    opaque_when: str | None = None  # an api/derived fact that is opaque in some cases
    note: str = ""
    absent: bool = False  # level none because the provider has no such feature at all


ExposureProfile = dict[str, dict[str, ExposureEntry]]  # kind -> fact path -> entry


def load_exposure_profile(path: Path) -> ExposureProfile:
    """Read an adapter's exposure profile YAML (kind -> fact path -> entry)."""
    raw = read_yaml(path)
    profile: ExposureProfile = {}
    for kind, facts in raw.items():
        profile[kind] = {
            fact: ExposureEntry(spec["level"], tuple(spec.get("operations", ())),
                                spec.get("opaque_when"), spec.get("note", ""),
                                bool(spec.get("absent", False)))
            for fact, spec in facts.items()
        }
    return profile


@runtime_checkable
class ProviderAdapter(Protocol):
    """What every provider adapter provides."""

    name: ClassVar[str]
    title: ClassVar[str]
    options: ClassVar[tuple[ProviderOption, ...]]
    # The adapter's own folder of data files (exposure.yaml, regions.yaml, not_configured.yaml,
    # auditor.provider_data.DATA_FILES), each checked against its schema on registration.
    data_dir: ClassVar[Path]

    def exposure_profile(self) -> ExposureProfile: ...

    def collect(self, request: CollectRequest) -> Collection:
        """Collect read-only. Raises ProviderError when nothing at all can be collected."""
        ...


# Optional hook, looked up with getattr so that an adapter without it keeps working:
#
#     def accounts(self, request: CollectRequest) -> list[AccountTarget] | None
#
# None when the request names no multi-account scope (the adapter is collected once, as
# before). Otherwise the accounts to collect, each with its option overrides; the pipeline
# collects them concurrently (an account bound apart from max_workers) and reports an account
# whose collect raises ProviderError as a failed account with its reason. Listing the
# accounts may itself raise ProviderError: the provider then fails as a whole.
ACCOUNTS_HOOK = "accounts"
#
# Optional hook, looked up with getattr (its name: auditor.providers._option_rules
# CHECK_OPTIONS_HOOK):
#
#     def check_options(self, options: Mapping[str, Any]) -> None
#
# Judges the option values together, once each has passed its own ``check``: a combination
# that cannot work (a role name an organization scan needs, two options that exclude each
# other, an option the scan would ignore) raises ValueError(reason), best an
# OptionRuleError(option, reason) naming the option given, or a UsageError. The CLI calls it
# for every chosen provider before any provider sends a call, so the mistake is exit 2 naming
# the flag, config key or variable (auditor._provider_flags); adapters also run it at the top
# of ``accounts`` for callers of the API (a ProviderError there).
#
# Optional hook, looked up with getattr (auditor.executors.shards asks it):
#
#     def shards(self, request: CollectRequest, by: str) -> list[ShardTarget] | None
#
# The parts one account's collection splits into when the run asks for shards ``by`` a
# dimension (SHARD_DIMENSIONS; --shard-by): None when the adapter cannot split it that way
# (the account is then collected whole). The parts together collect exactly what the whole
# collection would: no resource twice, none lost. Raising is a bug of the adapter: a listing
# the hook needs that fails means None, so that the whole collection reports the failure.
SHARDS_HOOK = "shards"
SHARD_DIMENSIONS = ("account", "region")  # "account": every account collected whole


def validate_adapter(adapter: Any, registered_name: str) -> None:
    """Raise PluginError unless the adapter satisfies the protocol and its profile is sound."""
    if not isinstance(adapter, ProviderAdapter):
        raise PluginError(f"provider {registered_name!r} does not implement ProviderAdapter")
    if adapter.name != registered_name:
        raise PluginError(f"provider {registered_name!r} calls itself {adapter.name!r}")
    for hook in (ACCOUNTS_HOOK, SHARDS_HOOK):
        if getattr(adapter, hook, None) is not None and not callable(getattr(adapter, hook)):
            raise PluginError(f"provider {registered_name!r}: its {hook} hook is not callable")
    validate_once(adapter, registered_name, lambda: _validate_data(adapter, registered_name))


def _validate_data(adapter: Any, registered_name: str) -> None:
    """The data files fit their schemas and the exposure profile the fact catalog."""
    from auditor.schema import fact_catalog

    validate_data_files(adapter)  # the exposure profile's file included: its shape first
    catalog = fact_catalog()
    profile = adapter.exposure_profile()
    for kind, facts in catalog.items():
        if kind not in profile:
            continue  # a kind this provider does not collect: its checks find nothing there
        declared = profile[kind]
        missing = set(facts) - set(declared)
        unknown = set(declared) - set(facts)
        if missing or unknown:
            raise PluginError(
                f"provider {registered_name!r} exposure profile for {kind}: "
                f"missing {sorted(missing)}, unknown {sorted(unknown)}")
        for fact, entry in declared.items():
            if entry.level not in EXPOSURE_LEVELS:
                raise PluginError(f"provider {registered_name!r}: {kind} {fact}: "
                                  f"level {entry.level!r} not in {EXPOSURE_LEVELS}")
            if entry.absent and entry.level != "none":
                raise PluginError(f"provider {registered_name!r}: {kind} {fact}: "
                                  "absent applies to level none only")


class ProviderRegistry(EntryPointRegistry):
    """Adapters by name, loaded lazily from entry points and validated on registration."""

    GROUP = ENTRY_POINT_GROUP
    KIND = "provider"

    def __init__(self) -> None:
        super().__init__()
        self._instances: dict[str, ProviderAdapter] = {}

    def get(self, name: str) -> ProviderAdapter:
        if name not in self._instances:
            adapter = self._factories.build(name, f"unknown provider {name!r}")
            validate_adapter(adapter, name)
            self._instances[name] = adapter
        return self._instances[name]
