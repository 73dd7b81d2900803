"""A value computed once, whichever of the collector's threads asks first."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Once:
    """Compute a value once, whichever thread asks first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = False
        self._value: Any = None

    def get(self, compute: Callable[[], T]) -> T:
        with self._lock:
            if not self._done:
                self._value = compute()
                self._done = True
            return self._value
