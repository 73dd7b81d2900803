"""Run in each worker process of a local cluster the Dask executor starts (a Dask preload).

A terminal's Ctrl-C reaches every process of its foreground group, the local cluster's
worker processes too: they would each print a KeyboardInterrupt traceback as they die. Ctrl-C
is the coordinator's to handle (it cancels the tasks and closes the cluster, which stops these
processes), so a worker process ignores SIGINT. Workers of a scheduler the user runs are not
touched: this module is a preload of the executor's own local cluster only.
"""

from __future__ import annotations

import signal
import threading
from typing import Any


def ignore_interrupts() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def dask_setup(worker: Any = None) -> None:
    """Dask calls this in the worker process once the module is imported."""
    ignore_interrupts()


ignore_interrupts()  # at import already: the earliest moment in the worker process
