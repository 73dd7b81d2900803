"""Where the history database lives: the flag, else the config, else the XDG data folder."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

APP_DIR = "safeguard-auditor"
DB_NAME = "history.sqlite"


def data_home() -> Path:
    """$XDG_DATA_HOME, else ~/.local/share (the XDG base directory spec: a relative value
    is invalid and ignored)."""
    raw = os.environ.get("XDG_DATA_HOME", "")
    if raw and Path(raw).is_absolute():
        return Path(raw)
    return Path.home() / ".local" / "share"


def history_path(config: Mapping[str, Any], flag: str | None) -> Path:
    """--history-db, else config ``[history] path`` (already resolved against the config
    file's folder by the caller), else $XDG_DATA_HOME/safeguard-auditor/history.sqlite."""
    if flag:
        return Path(flag).expanduser()
    configured = (config.get("history") or {}).get("path")
    if configured:
        return Path(configured).expanduser()
    return data_home() / APP_DIR / DB_NAME


def configured_history_path(config: Mapping[str, Any], config_file: str | None,
                            flag: str | None) -> Path:
    """history_path, with a relative config ``path`` taken against the config file's folder
    (a path the settings loader resolved already is absolute and stays as it is)."""
    path = history_path(config, flag)
    if not flag and config_file and (config.get("history") or {}).get("path") \
            and not path.is_absolute():
        path = Path(config_file).resolve().parent / path
    return path
