"""Which provider data files, and which whole adapters, already passed validation: a cache.

Validating an adapter (its five data files against their JSON Schemas, its exposure profile
against the fact catalog) costs most of ``auditor scan --help`` and of every scan's set-up,
and its outcome depends only on content. So each outcome that passed is remembered as a
digest in ``$XDG_CACHE_HOME/safeguard-auditor/provider-data.json`` (the folder of
auditor.checks_cache, switched off with it: ``AUDITOR_CHECKS_CACHE=off``), under a key that
hashes everything else validation depends on: the tool and Python versions, where the
validating libraries are installed (and when written), every schema, and the modules that
validate. A data file's digest hashes its schema name and its bytes; an adapter's hashes its
name, its class, the source of the class's module, and every data file it ships or lacks.

Only what passed is written, so a broken plugin or file is refused with its error each time
it is used; a changed file, schema, library or module is a miss; an unreadable, corrupt or
foreign cache file is a miss; nothing here can make validation pass.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from auditor import __version__, checks_cache

FORMAT = 2  # bump when the cache file's shape changes
FILE_NAME = "provider-data.json"
MAX_ENTRIES = 256  # digests kept per key (oldest dropped)
MAX_KEYS = 8  # keys kept (oldest dropped): installs or checkouts sharing the folder
_PACKAGE = Path(__file__).resolve().parent
# The modules whose code decides whether a data file or an adapter is valid.
_CODE = ("provider_data.py", "provider_data_cache.py", "providers/base.py", "schema.py",
         "model.py", "_data_dirs.py")

# What was read from the file, once per process and cache file: (file, key) -> digests in
# the order they were recorded.
_known: dict[tuple[Path, str], dict[str, None]] = {}
_key: str | None = None


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _global_key() -> str | None:
    """The hash of what every outcome depends on besides the files themselves."""
    global _key
    if _key is None:
        from auditor._data_dirs import data_dir

        digest = hashlib.sha256()
        try:
            for part in (f"format={FORMAT}", f"auditor={__version__}",
                         f"python={sys.version}", *checks_cache.library_stamps()):
                digest.update(part.encode() + b"\0")
            paths = sorted(data_dir("schemas").glob("*.json"))
            paths += [_PACKAGE / module for module in _CODE]
            for path in paths:
                digest.update(f"{path}\0{_sha(path.read_bytes())}\0".encode())
        except (ImportError, OSError, ValueError):
            return None
        _key = digest.hexdigest()
    return _key


def file_digest(schema: str, content: bytes) -> str:
    """The digest of one data file's outcome: its schema and its bytes."""
    return "file:" + _sha(schema.encode() + b"\0" + content)


def adapter_digest(adapter: Any, name: str, files: Iterable[Path]) -> str | None:
    """The digest of one adapter's outcome; None when a part cannot be read (no cache)."""
    cls = type(adapter) if not isinstance(adapter, type) else adapter
    digest = hashlib.sha256(f"{name}\0{cls.__module__}.{cls.__qualname__}\0".encode())
    try:
        module = getattr(sys.modules.get(cls.__module__), "__file__", None)
        if module:
            digest.update(_sha(Path(module).read_bytes()).encode())
        for path in files:
            content = path.read_bytes() if path.is_file() else b"\0absent"
            digest.update(f"\0{path}\0{_sha(content)}".encode())
    except OSError:
        return None
    return "adapter:" + digest.hexdigest()


def _document(path: Path) -> dict[str, list[str]]:
    """The file's key -> digests, oldest key first; {} when unreadable or foreign."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    keys = document.get("keys") if isinstance(document, dict) \
        and document.get("format") == FORMAT else None
    if not isinstance(keys, dict):
        return {}
    return {k: [e for e in v if isinstance(e, str)] for k, v in keys.items()
            if isinstance(k, str) and isinstance(v, list)}


def _read(path: Path, wanted: str) -> dict[str, None]:
    if (path, wanted) not in _known:
        _known[(path, wanted)] = dict.fromkeys(_document(path).get(wanted, []))
    return _known[(path, wanted)]


def passed(digest: str | None) -> bool:
    """True when this outcome passed validation before (and the cache is on)."""
    path, wanted = checks_cache.cache_file(FILE_NAME), _global_key()
    return None not in (digest, path, wanted) and digest in _read(path, wanted)


def remember(digest: str | None) -> bool:
    """Record that this outcome passed; False when not recorded (off, unwritable).

    The file keeps the digests of the last MAX_KEYS keys, so that two installs (or two
    checkouts) sharing a cache folder do not replace each other's at every run."""
    path, wanted = checks_cache.cache_file(FILE_NAME), _global_key()
    if digest is None or path is None or wanted is None:
        return False
    known = _read(path, wanted)
    if digest in known:
        return True
    known[digest] = None
    keys = _document(path)  # read again: another process may have added some
    mine = dict.fromkeys([*keys.pop(wanted, []), *known])
    keys[wanted] = list(mine)[-MAX_ENTRIES:]  # this key is now the newest
    kept = dict(list(keys.items())[-MAX_KEYS:])
    return checks_cache.replace_file(path, json.dumps({"format": FORMAT, "keys": kept}))


def forget() -> None:
    """Drop what this process read (tests change the cache folder or files under it)."""
    global _key
    _known.clear()
    _key = None


__all__ = ["FILE_NAME", "adapter_digest", "file_digest", "forget", "passed", "remember"]
