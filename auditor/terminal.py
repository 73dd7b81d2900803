"""What the terminal gets: whether to colour, and a stdout that a closed pipe cannot break.

Import-light (os and sys only): cli.py installs the pipe guard before any command runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TextIO


def _set(name: str) -> bool:
    """An environment switch is on when present and not empty (the NO_COLOR convention)."""
    return bool(os.environ.get(name))


def use_color(no_color_flag: bool, stream: IO[str] | None = None) -> bool:
    """Colour when the stream is a terminal, unless --no-color or NO_COLOR says not to;
    FORCE_COLOR asks for it on a pipe too (a CI log that renders ANSI). NO_COLOR wins."""
    if no_color_flag or _set("NO_COLOR"):
        return False
    if _set("FORCE_COLOR"):
        return True
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


class _PipeGuard:
    """A text stream that, once its reader has gone (``auditor scan | head``), sends the rest
    to /dev/null instead of raising: the command still finishes its work (files, history)
    and exits with its own code, and nothing is printed about a pipe nobody reads.

    The descriptor itself is pointed at /dev/null, as Python's documentation on SIGPIPE
    advises, so the interpreter's last flush at exit cannot fail either.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.closed_by_reader = False

    def _to_devnull(self) -> None:
        self.closed_by_reader = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
        finally:
            os.close(devnull)

    def write(self, text: str) -> int:
        if self.closed_by_reader:
            return len(text)
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._to_devnull()
            return len(text)

    def flush(self) -> None:
        if self.closed_by_reader:
            return
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_devnull()

    def __getattr__(self, name: str):  # isatty, fileno, encoding...: the stream's own
        return getattr(self._stream, name)


@contextmanager
def guarded_stdout() -> Iterator[None]:
    """sys.stdout guarded for the length of a command (a stream without a descriptor, such
    as a test's capture, is left as it is)."""
    original = sys.stdout
    try:
        original.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stdout = _PipeGuard(original)  # type: ignore[assignment]
    try:
        yield
    finally:
        try:
            sys.stdout.flush()
        finally:
            sys.stdout = original
