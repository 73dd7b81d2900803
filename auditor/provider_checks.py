"""What a provider ships for the checks: its remediation text and benchmark ids (checks.yaml).

A check file (checks/<id>.yaml) may carry a provider's ``remediation`` and ``frameworks``
itself; a provider may instead ship them in its data folder as ``checks.yaml``
(schemas/provider_checks.schema.json), so that adding a provider edits no check file. Both
places are merged into the check; a provider entry defined in both, or an entry for a check
id that no loaded check has, is refused with one line naming the file, JSON path and reason.
The files are found through the ``auditor.providers`` entry points (never by importing a
provider package).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from auditor.errors import CheckDefinitionError
from auditor.provider_data import load_data_file, registered_data_files

FILE = "checks.yaml"

Remediation = dict[str, str | dict[str, str]]  # provider -> text, or kind -> text
# provider -> framework name -> control ids, or kind -> control ids
Frameworks = dict[str, dict[str, list[str] | dict[str, list[str]]]]


class CheckData(Protocol):
    """The parts of a check (auditor.checks.Check) that providers may add to."""

    @property
    def id(self) -> str: ...
    @property
    def kinds(self) -> tuple[str, ...]: ...
    @property
    def resource(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def remediation(self) -> Remediation: ...
    @property
    def frameworks(self) -> Frameworks: ...
    def remediation_for(self, provider: str, kind: str) -> str: ...


def registered_files() -> dict[str, Path]:
    """provider -> its checks.yaml, for every entry-point adapter that ships one."""
    return {name: path for name, path in registered_data_files(FILE).items() if path.is_file()}


def merged(checks: Mapping[str, CheckData], files: Mapping[str, Path]
           ) -> dict[str, tuple[Remediation, Frameworks]]:
    """check id -> its remediation and frameworks with the providers' entries merged in, for
    every check that some provider's file names (the others are unchanged)."""
    out: dict[str, tuple[Remediation, Frameworks]] = {}
    for provider, path in sorted(files.items()):
        document: dict[str, Any] = load_data_file(path)
        for check_id, entry in document["checks"].items():
            where = f"$.checks.{check_id}"
            if check_id not in checks:
                raise CheckDefinitionError(str(path), where, f"no check has id {check_id!r} "
                                           f"(provider {provider!r})")
            check = checks[check_id]
            remediation, frameworks = out.get(check_id, (dict(check.remediation),
                                                         dict(check.frameworks)))
            for key, target in (("remediation", remediation), ("frameworks", frameworks)):
                if key not in entry:
                    continue
                if provider in target:
                    raise CheckDefinitionError(str(path), f"{where}.{key}",
                                               f"{key} for {provider!r} is also in "
                                               f"{check.source}: define it in one place")
                target[provider] = entry[key]
            lint_kind_keys(check, entry.get("remediation"), entry.get("frameworks"), str(path),
                           (f"{where}.remediation", f"{where}.frameworks"))
            out[check_id] = (remediation, frameworks)
    return out


def missing_remediation(checks: Iterable[CheckData], providers: Iterable[str]) -> list[str]:
    """``check-id: provider`` for every check without remediation text for a provider, or
    ``check-id: provider: kind`` for each kind that lacks it when only some do."""
    out = []
    for check in checks:
        for provider in sorted(providers):
            kinds = [k for k in check.kinds if not check.remediation_for(provider, k)]
            if kinds == list(check.kinds):
                out.append(f"{check.id}: {provider}")
            else:
                out += [f"{check.id}: {provider}: {kind}" for kind in kinds]
    return out


def lint_kind_keys(check: CheckData, remediation: Any, frameworks: Mapping[str, Any] | None,
                   source: str, where: tuple[str, str]) -> None:
    """One provider's entry for ``check`` (``where``: the JSON paths of its remediation and of
    its frameworks): per-kind remediation and framework ids name only kinds of the check, and
    per-kind remediation covers every kind of it (a finding must never lack its text)."""
    from auditor.schema import path_step

    if isinstance(remediation, dict):
        _known_kinds(check, remediation, source, where[0])
        for kind in sorted(set(check.kinds) - set(remediation)):
            raise CheckDefinitionError(source, where[0], f"no text for {kind}, "
                                       f"a kind of {check.id}: give one per kind or one for all")
    for name, ids in (frameworks or {}).items():
        if isinstance(ids, dict):
            _known_kinds(check, ids, source, where[1] + path_step(name))


def _known_kinds(check: CheckData, per_kind: Mapping[str, Any], source: str, where: str) -> None:
    for kind in per_kind:
        if kind not in check.kinds:
            raise CheckDefinitionError(source, f"{where}.{kind}", f"{kind} is not a kind of "
                                       f"{check.id} ({check.resource})")
