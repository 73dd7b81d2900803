"""Which projects a multi-project scan covers: the scope options, read and checked without
any google import (``auditor --help`` and the option checks stay fast).

- ``all_projects``: every ACTIVE project the credentials can see (projects.search, no query).
- ``organization_id`` / ``folder``: the ACTIVE projects anywhere under that organization or
  folder (the folder tree is walked: a search by ``parent:`` gives direct children only).
- ``project`` given as well: those projects are scanned too.
- ``exclude_project``: shell-style globs (``*``, ``?``, ``[...]``, as fnmatch) matched
  against the project id and the project number. Project ids hold only lowercase letters,
  digits, hyphens (and a domain's dots and colon), so a glob character is never part of an
  id: ``acme-sandbox-*`` cannot be read two ways.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from auditor.errors import ProviderError
from auditor.providers._option_rules import OptionRuleError, first_given
from auditor.providers.gcp._name import PROVIDER

_NUMERIC = re.compile(r"\d{1,32}")
_GLOB = re.compile(r"[a-z0-9.:\-*?\[\]!]+")
SCOPE_OPTIONS = ("all_projects", "organization_id", "folder")
# The endpoint overrides whose calls go unauthenticated (each option also reads its env).
OTHER_ENDPOINTS = ("gcs_endpoint", "gcp_kms_endpoint", "gcp_orgpolicy_endpoint",
                   "gcp_compute_endpoint", "gcp_sqladmin_endpoint", "gcp_filestore_endpoint")
LISTING_ENDPOINT = "gcp_resourcemanager_endpoint"


def _resource_id(kind: str, value: str) -> str:
    """``123``, ``organizations/123`` (or ``folders/123``) -> ``123``; else ValueError."""
    text = value.strip()
    prefix = f"{kind}s/"
    text = text[len(prefix):] if text.startswith(prefix) else text
    if not _NUMERIC.fullmatch(text):
        raise ValueError(f"not a Google Cloud {kind} id {value!r}: a number, optionally "
                         f"written {prefix}NUMBER")
    return text


def organization_id(value: str) -> str:
    """The numeric organization id of ``value`` (an option check)."""
    return _resource_id("organization", value)


def folder_id(value: str) -> str:
    """The numeric folder id of ``value`` (an option check)."""
    return _resource_id("folder", value)


def exclude_pattern(value: str) -> str:
    """A project id, number or glob of them (an option check)."""
    text = value.strip()
    if not _GLOB.fullmatch(text):
        raise ValueError(f"not a project id, number or glob {value!r}: lowercase letters, "
                         "digits, hyphens and the glob characters * ? [ ] !")
    return text


def _values(value: Any) -> list[str]:
    """A repeatable option's values (a string, or a list; comma-separated parts split)."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


@dataclass(frozen=True, slots=True)
class Scope:
    all_projects: bool = False
    organization: str | None = None  # numeric id
    folders: tuple[str, ...] = ()  # numeric ids
    projects: tuple[str, ...] = ()  # explicit --project values
    excludes: tuple[str, ...] = ()

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Scope:
        org = options.get("organization_id")
        return cls(all_projects=options.get("all_projects") is True,
                   organization=organization_id(str(org)) if org else None,
                   folders=tuple(dict.fromkeys(folder_id(f)
                                               for f in _values(options.get("folder")))),
                   projects=tuple(dict.fromkeys(_values(options.get("project")))),
                   excludes=tuple(exclude_pattern(p)
                                  for p in _values(options.get("exclude_project"))))

    @property
    def multi(self) -> bool:
        """True when the scan covers a listed set of projects (the accounts hook answers)."""
        return self.all_projects or self.organization is not None or bool(self.folders)

    @property
    def containers(self) -> list[str]:
        """The organization and folders named, as Resource Manager parents."""
        named = [f"organizations/{self.organization}"] if self.organization else []
        return named + [f"folders/{f}" for f in self.folders]

    def describe(self) -> str:
        if self.all_projects:
            return "visible to the credentials"
        return "under " + ", ".join(self.containers)

    def excluded(self, project_id: str, number: str = "") -> bool:
        return any(fnmatchcase(project_id, p) or (number and fnmatchcase(number, p))
                   for p in self.excludes)


def scope_of(options: Mapping[str, Any]) -> Scope:
    """The request's scope; a value that bypassed the flag checks (a config file, a caller of
    the API) and is not valid fails the provider with the reason, before any call."""
    try:
        return Scope.from_options(options)
    except ValueError as exc:
        raise ProviderError(PROVIDER, f"project scope: {exc}") from exc


def gcp_flag(option: str) -> str:
    """The option's flag (auditor.providers.base.option_flag, without the import)."""
    name = option if option.startswith(PROVIDER + "_") else f"{PROVIDER}_{option}"
    return "--" + name.replace("_", "-")


def check_scope_options(options: Mapping[str, Any]) -> None:
    """The scope rules that the option values alone decide (the ``check_options`` hook):

    - a scope option with the other endpoints overridden (anonymous calls) and no Resource
      Manager endpoint: the listing could only ask the real Resource Manager anonymously;
    - a plain scan whose every ``--gcp-project`` is excluded: nothing would be left to scan.
    """
    try:
        scope = Scope.from_options(options)
    except ValueError as exc:  # a value that bypassed its own check (an API caller)
        raise ValueError(f"project scope: {exc}") from exc
    if scope.multi:
        overridden = first_given(options, OTHER_ENDPOINTS)
        if overridden and not options.get(LISTING_ENDPOINT):
            raise OptionRuleError(first_given(options, SCOPE_OPTIONS) or "all_projects",
                                  f"needs {gcp_flag(LISTING_ENDPOINT)} when "
                                  f"{gcp_flag(overridden)} is given (the other "
                                  "calls go unauthenticated: the real Resource Manager would "
                                  "refuse the project listing)")
        return
    if scope.projects and scope.excludes and all(scope.excluded(p) for p in scope.projects):
        raise OptionRuleError("exclude_project", f"excludes every --gcp-project given "
                                                 f"({', '.join(scope.projects)}): nothing "
                                                 "left to scan")
