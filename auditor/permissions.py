"""`auditor permissions`: the least-privilege policy of one provider, derived from data.

Never hand-listed per check: the selected checks -> the fact paths they read or show
(engine.wanted_facts) -> the operations the adapter's exposure profile declares for those
facts, plus the operations a run makes whatever is wanted (its permissions.yaml ``run``:
identity, region and resource listing) -> each operation's IAM/RAM actions (permissions.yaml
``operations``). The document format is the provider's data too (``document.format``), so no
provider is named here. Only read actions are ever rendered.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.checks import Check, CompiledCheck
from auditor.errors import PluginError, UsageError

FILE = "permissions.yaml"
# the verbs of every read API of the three providers (search: Resource Manager projects.search;
# aggregatedlist: Compute Engine's listing of every zone at once, e.g. disks.aggregatedList)
READ_VERBS = ("get", "list", "describe", "search", "aggregatedlist")
# Not a Get/List/Describe, but it only hands out temporary credentials to read with (the
# multi-account scans of AWS and Alibaba Cloud assume a role in each member account).
CREDENTIAL_ACTIONS = frozenset({"sts:AssumeRole"})
FORMATS = ("json", "text")


def is_read_action(action: str) -> bool:
    """True for Get*/List*/Describe* (s3:GetBucketAcl, storage.buckets.getIamPolicy)."""
    verb = re.split(r"[:.]", action)[-1].lower()
    return action in CREDENTIAL_ACTIONS or verb.startswith(READ_VERBS)


@dataclass(frozen=True, slots=True)
class RunOperation:
    """An operation a run makes that no fact names (identity, listing)."""

    operation: str
    why: str
    kinds: tuple[str, ...] = ()  # only when a fact of one of these kinds is wanted; () = always
    unless_option: str | None = None  # not made when this adapter option is given
    # made only when one of these adapter options is given: a multi-account listing, whose
    # permission belongs on the organization, not in the per-account role derived by default
    when_option: tuple[str, ...] = ()
    # made only when resource tags are read (a mutelist rule matches on tags): no option
    # asks for that, so it is its own field rather than a pseudo-option
    when_tags: bool = False

    def applies(self, kinds: set[str], given_options: Iterable[str], tags: bool = False) -> bool:
        given = set(given_options)
        if self.unless_option is not None and self.unless_option in given:
            return False
        if self.when_option and not given & set(self.when_option):
            return False
        if self.when_tags and not tags:
            return False
        return not self.kinds or bool(kinds & set(self.kinds))


@dataclass(frozen=True, slots=True)
class PermissionTable:
    """One adapter's permissions.yaml, checked against its exposure profile."""

    provider: str
    document: Mapping[str, Any]
    run: tuple[RunOperation, ...]
    actions: Mapping[str, tuple[str, ...]]  # operation -> IAM/RAM actions
    # operation -> the only kinds it is called for (its answer may be another kind's source)
    kinds: Mapping[str, frozenset[str]] = field(default_factory=dict)


def load_permission_table(adapter: Any) -> PermissionTable:
    """The adapter's table; a PluginError when an action is not a read or an operation the
    adapter can call (exposure profile, ``run``) has no mapping."""
    from auditor.provider_data import data_file, load_data_file

    path = data_file(adapter, FILE)
    doc = load_data_file(path)
    actions = {op: tuple(spec["actions"]) for op, spec in doc["operations"].items()}
    for op, names in actions.items():
        for action in names:
            if not is_read_action(action):
                raise PluginError(f"{path}: $.operations.{op}: {action} is not a read action "
                                  f"({'/'.join(READ_VERBS)}): the audit only reads")
    run = tuple(RunOperation(r["operation"], r["why"], tuple(r.get("kinds", ())),
                             r.get("unless_option"), tuple(r.get("when_option", ())),
                             bool(r.get("when_tags", False)))
                for r in doc["run"])
    declared = {opt.name for opt in getattr(adapter, "options", None) or ()}
    for i, r in enumerate(run if declared else ()):
        for name in (*r.when_option, *([r.unless_option] if r.unless_option else [])):
            if name not in declared:  # a condition no run can meet (or always meets)
                raise PluginError(f"{path}: $.run[{i}]: {name!r} is not an option of "
                                  f"{adapter.name} ({', '.join(sorted(declared))})")
    called = {r.operation for r in run} | {
        op for facts in adapter.exposure_profile().values() for entry in facts.values()
        for op in entry.operations}
    unmapped = sorted(called - set(actions))
    if unmapped:
        raise PluginError(f"{path}: $.operations: no actions for {', '.join(unmapped)}")
    kinds = {op: frozenset(spec["kinds"]) for op, spec in doc["operations"].items()
             if "kinds" in spec}
    return PermissionTable(adapter.name, doc["document"], run, actions, kinds)


@dataclass(slots=True)
class Policy:
    """What one provider's scan of the selected checks needs, with the reason for each grant."""

    provider: str
    checks: tuple[str, ...]
    table: PermissionTable
    # operation -> why it is called (check ids, or the run's reason)
    needs: dict[str, set[str]] = field(default_factory=dict)

    @property
    def operations(self) -> list[str]:
        return sorted(self.needs)

    @property
    def actions(self) -> list[str]:
        return sorted({a for op in self.needs for a in self.table.actions[op]})


def derive_policy(adapter: Any, checks: Sequence[CompiledCheck],
                  given_options: Iterable[str] = (), *, tags: bool = False) -> Policy:
    """The operations (and actions) a scan of ``checks`` may call. ``given_options`` are the
    adapter options set for the run: a run operation ``unless_option`` one of them is left
    out, one ``when_option`` none of them is left out (none given: a one-account scan of
    every region). ``tags``: the run reads resource tags (a mutelist rule matches on tags)."""
    from auditor.engine import wanted_facts

    table = load_permission_table(adapter)
    profile = adapter.exposure_profile()
    kinds = {kind for kind, paths in wanted_facts(checks).items() if paths}
    needs: dict[str, set[str]] = defaultdict(set)
    for compiled in checks:
        check = compiled.check
        for kind in check.kinds:
            declared = profile.get(kind, {})  # a kind the adapter does not collect: no call
            for path in (*check.reads, *check.context):
                for op in declared[path].operations if path in declared else ():
                    if kinds & table.kinds.get(op, kinds):  # not called for these kinds otherwise
                        needs[op].add(check.id)
    for run in table.run:
        if run.applies(kinds, given_options, tags):
            needs[run.operation].add(run.why)
    return Policy(adapter.name, tuple(c.check.id for c in checks), table, dict(needs))


# --- documents: one renderer per format a provider's table may name ---------------


def _what(policy: Policy) -> str:
    ids = policy.checks
    return f"check {ids[0]}" if len(ids) == 1 else f"{len(ids)} checks"


def _policy_document(policy: Policy, spec: Mapping[str, Any]) -> dict[str, Any]:
    """AWS IAM / Alibaba Cloud RAM: one Allow statement, sorted actions, every resource."""
    return {"Version": spec["version"], "Statement": [
        {"Effect": "Allow", "Action": policy.actions, "Resource": "*"}]}


def _custom_role(policy: Policy, spec: Mapping[str, Any]) -> dict[str, Any]:
    """Google Cloud: the file `gcloud iam roles create --file` takes (description <= 256)."""
    description = (f"Read-only permissions Safeguard Auditor needs for {_what(policy)} "
                   f"(auditor permissions {policy.provider})")
    return {"title": spec["title"], "description": description[:256], "stage": spec["stage"],
            "includedPermissions": policy.actions}


RENDERERS: Mapping[str, Callable[[Policy, Mapping[str, Any]], dict[str, Any]]] = {
    "policy-document": _policy_document,
    "custom-role": _custom_role,
}


def policy_document(policy: Policy) -> dict[str, Any]:
    spec = policy.table.document
    return RENDERERS[spec["format"]](policy, spec)


def render_text(policy: Policy) -> str:
    """Why each action is granted: the operations behind it and the checks (or run steps)."""
    from tabulate import tabulate

    rows = []
    for op in policy.operations:
        why = ", ".join(sorted(policy.needs[op]))
        for action in policy.table.actions[op] or ("(none needed)",):
            rows.append((action, op, why))
    rows.sort()
    head = (f"{policy.provider}: {len(policy.actions)} read-only actions for {_what(policy)} "
            f"(--format json prints the {policy.table.document['format']} itself)")
    return head + "\n" + tabulate(rows, headers=("action", "operation", "needed for"))


# --- the command ----------------------------------------------------------------------


def _select(checks: Sequence[Check], typed: Sequence[str]) -> list[Check]:
    """The named checks (all when none named); an unknown id is a usage error."""
    from auditor.providers._option_values import suggestion_text

    known = [c.id for c in checks]
    for name in typed:
        if name not in known:
            raise UsageError("--checks", "$", f"unknown check id {name!r}"
                             f"{suggestion_text(name, known)}")
    return [c for c in checks if not typed or c.id in typed]


def given_option_names(adapter: Any, typed: Sequence[str]) -> set[str]:
    """The adapter option names of ``--option`` values (organization, role-name, or a flag:
    --aws-role-name); an unknown one is a usage error with the nearest name."""
    from auditor.providers._option_values import suggestion_text

    known = [opt.name for opt in adapter.options]
    names: set[str] = set()
    for word in (v.strip() for item in typed for v in item.split(",") if v.strip()):
        name = word.removeprefix("--").replace("-", "_")
        if name not in known:
            name = name.removeprefix(f"{adapter.name}_")
        if name not in known:
            raise UsageError("--option", "$", f"{word!r} is not an option of {adapter.name}"
                             f"{suggestion_text(name, known)} (options: {', '.join(known)})")
        names.add(name)
    return names


def cmd_permissions(args: argparse.Namespace) -> int:
    from pathlib import Path

    from auditor._provider_flags import chosen_providers
    from auditor.checks import compile_check, load_checks
    from auditor.exit_codes import EXIT_OK
    from auditor.providers.base import ProviderRegistry

    registry = ProviderRegistry.from_entry_points()
    provider = chosen_providers([args.provider], registry)[0]
    typed = [v.strip() for item in args.checks or () for v in item.split(",") if v.strip()]
    if args.checks is not None and not typed:
        raise UsageError("--checks", "$", "no value given")
    checks = _select(load_checks([Path(d) for d in args.checks_dir or []]), typed)
    adapter = registry.get(provider)
    given = given_option_names(adapter, getattr(args, "option", None) or [])
    policy = derive_policy(adapter, [compile_check(c) for c in checks], given,
                           tags=bool(getattr(args, "tags", False)))
    if args.format == "text":
        print(render_text(policy))
    else:
        print(json.dumps(policy_document(policy), indent=2))
    return EXIT_OK
