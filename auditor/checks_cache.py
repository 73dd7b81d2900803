"""The shipped checks, validated once per content: a cache file under the XDG cache folder.

``auditor.checks.load_checks`` without user directories keeps the checks it validated in
``$XDG_CACHE_HOME/safeguard-auditor/checks.json`` (default ``~/.cache``), under a key that
hashes everything the outcome depends on: the tool and Python versions; where PyYAML,
jsonschema, referencing and jsonschema_rs are installed and when their files were written;
the content of every shipped check file, of every schema, of every provider's checks.yaml and
of the modules that parse, lint and merge them, each with its path. Any change to one is a
miss: the checks are read and validated again, as without a cache, and the file is
replaced. A user's ``--checks-dir`` is never cached.

The cache decides nothing: a miss, an unreadable, corrupt or foreign file, or a folder that
cannot be written only means validating again; only checks that passed validation are
written, and only when JSON keeps them exactly (no date, no integer key, no float that
reads back as an int). Set ``AUDITOR_CHECKS_CACHE=off`` to never read or write it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from auditor import __version__

FORMAT = 1  # bump when the cached entry's shape changes
ENV_SWITCH = "AUDITOR_CHECKS_CACHE"
FILE_NAME = "checks.json"
_PACKAGE = Path(__file__).resolve().parent
# The modules whose code decides whether a check is valid and what it becomes.
_CODE = ("checks.py", "_check_schemas.py", "checks_cache.py", "schema.py", "documents.py",
         "provider_checks.py", "provider_data.py", "model.py", "_data_dirs.py")
_LIBRARIES = ("yaml", "jsonschema", "referencing", "jsonschema_rs")


def cache_file(name: str = FILE_NAME) -> Path | None:
    """Where the cache ``name`` lives (the validated checks by default, or another file of
    this folder); None when switched off or no cache folder can be named."""
    if os.environ.get(ENV_SWITCH, "").strip().lower() in ("off", "0", "no", "false"):
        return None
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG rule: a relative value is ignored
        try:
            base = os.path.join(os.path.expanduser("~"), ".cache")
        except RuntimeError:
            return None
        if not os.path.isabs(base):
            return None
    return Path(base) / "safeguard-auditor" / name


def library_stamps() -> list[str]:
    """Where each validating library is installed and when its files were written (an upgrade
    rewrites them); found without importing it (importlib.metadata's version() is slow)."""
    from importlib.util import find_spec

    found = []
    for name in _LIBRARIES:
        spec = find_spec(name)
        origin = spec.origin if spec is not None else None
        stamp = os.stat(origin).st_mtime_ns if origin else "?"
        found.append(f"{name}={origin}@{stamp}")
    return found


def key(check_files: Iterable[Path], provider_files: Mapping[str, Path]) -> str | None:
    """The hash of every input of the shipped checks; None if one cannot be read (no cache)."""
    from auditor._data_dirs import data_dir

    digest = hashlib.sha256()
    try:
        for part in (f"format={FORMAT}", f"auditor={__version__}", f"python={sys.version}",
                     *library_stamps()):
            digest.update(part.encode() + b"\0")
        schemas = sorted(data_dir("schemas").glob("*.json"))
        named = [("check", p) for p in check_files]
        named += [("schema", p) for p in schemas]
        named += [(f"provider:{name}", Path(p)) for name, p in sorted(provider_files.items())]
        named += [("code", _PACKAGE / module) for module in _CODE]
        for what, path in named:
            digest.update(f"{what}:{path}".encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    except (ImportError, OSError, ValueError):
        return None
    return digest.hexdigest()


def read(wanted: str) -> list[dict[str, Any]] | None:
    """The cached check entries under ``wanted``, or None (a miss, whatever the reason)."""
    path = cache_file()
    if path is None:
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("key") != wanted:
        return None
    entries = document.get("checks")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return None
    return entries


def write(wanted: str, entries: list[dict[str, Any]]) -> bool:
    """Store ``entries`` (validated checks) under ``wanted``; False when not stored."""
    path = cache_file()
    if path is None:
        return False
    document = {"key": wanted, "checks": entries}
    try:
        text = json.dumps(document, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return False
    if not identical(json.loads(text), document):  # JSON would not give them back as they are
        return False
    return replace_file(path, text)


def replace_file(path: Path, text: str) -> bool:
    """Write ``text`` as ``path`` whole (a reader sees the old file or the new one), in a
    private folder; False when it cannot be written."""
    try:
        import tempfile

        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)  # atomic: a reader sees the old file or the new one
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        return False
    return True


def identical(a: Any, b: Any) -> bool:
    """Equal with the same types all the way down (``1``, ``1.0`` and ``True`` differ)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(identical(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b, strict=True))
    return a == b


__all__ = ["ENV_SWITCH", "cache_file", "identical", "key", "library_stamps", "read",
           "replace_file", "write"]
