"""``auditor init [FILE|-] [--force]``: write a commented example auditor.toml that validates.

The general part is a template shipped in the package (auditor/data/auditor.example.toml);
the provider tables are generated from the registry, so a provider plugin's options (and an
option added to a built-in adapter) appear without editing the template.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from string import Template
from typing import Any

from auditor.defaults import DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_ACCOUNTS, DEFAULT_MAX_WORKERS
from auditor.errors import UsageError
from auditor.exit_codes import EXIT_OK

TEMPLATE = Path(__file__).resolve().parent / "data" / "auditor.example.toml"


def _placeholder(option: Any) -> str:
    """An example value of the option's TOML type, named by its metavar."""
    if option.flag:
        return "true"
    value = json.dumps(option.metavar)  # a TOML basic string is a JSON string
    return f"[{value}]" if option.multiple else value


def provider_tables(registry: Any) -> str:
    """One table per registered provider, every option commented out above its help."""
    from auditor.providers.base import option_flag

    blocks = []
    for name in registry.names():
        adapter = registry.get(name)
        lines = [f"[{name}]  # {adapter.title}"]
        for opt in adapter.options:
            lines.append(f"# {opt.help} ({option_flag(name, opt)}"
                         + (f"; env {opt.env})" if opt.env else ")"))
            lines.append(f"# {opt.name} = {_placeholder(opt)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def example_config(registry: Any = None) -> str:
    """The text `auditor init` writes."""
    from auditor.providers.base import ProviderRegistry

    registry = registry if registry is not None else ProviderRegistry.from_entry_points()
    template = Template(TEMPLATE.read_text(encoding="utf-8"))
    return template.substitute(max_workers=DEFAULT_MAX_WORKERS,
                               max_accounts=DEFAULT_MAX_ACCOUNTS,
                               timeout=f"{DEFAULT_CALL_TIMEOUT:g}",
                               provider_tables=provider_tables(registry))


def cmd_init(args: argparse.Namespace) -> int:
    from auditor.documents import write_atomic

    text = example_config()
    if args.path == "-":
        sys.stdout.write(text)
        return EXIT_OK
    path = Path(args.path)
    if path.is_dir():
        raise UsageError(str(path), "$", "is a directory, not a file")
    if path.exists() and not args.force:
        raise UsageError(str(path), "$", "already exists; give --force to overwrite it")
    write_atomic(path, text)
    print(f"wrote {path}: edit it, then run `auditor scan --config {path}`")
    return EXIT_OK
