"""Ctrl-C and SIGTERM, handled alike by the command line.

Python turns SIGINT into ``KeyboardInterrupt``; SIGTERM's default action ends
the process at once, with no chance to keep what finished or to remove a
temporary file. ``install`` makes SIGTERM raise ``KeyboardInterrupt`` too, so
every place that keeps its work on Ctrl-C (a probe's figures so far, a sweep's
finished runs, a download's temporary file removed, an atomic write undone)
does the same on SIGTERM. The exit status then says which signal it was:
128 + its number, as a shell reports a process a signal ended (130 for SIGINT,
143 for SIGTERM).

A second SIGTERM while the first is being handled is noted, not raised: the
process is already stopping, and raising again inside the clean-up would
leave the very temporary file the first one is removing (SIGKILL is there
for a process that does not stop).

This module imports nothing heavy: ``archscope.__main__`` installs the
handler before it imports the CLI (and with it typer, rich and, for most
commands, torch), so a signal while those load is a quiet exit too.
``loading`` covers the one place Python itself swallows the interrupt: a
``KeyboardInterrupt`` raised while importlib runs a clean-up callback (its
module locks are released from a weakref callback) is printed as "Exception
ignored in ..." and the import goes on, so the command would run to the end
and exit 0 as if no signal had come. While the modules load, every signal is
noted, and the entry point stops after the import if one came.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_received: list[int] = []  # the signals that stopped this process, first first


def _on_signal(signum: int, frame: object) -> None:
    first = not _received
    _received.append(signum)
    if first:
        raise KeyboardInterrupt


def install() -> None:
    """Make SIGTERM raise ``KeyboardInterrupt`` in the main thread, unless someone else already
    handles it (or it is ignored: a ``nohup``-like parent's choice is kept)."""
    if threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_signal)


def status() -> int:
    """The exit status of a command a signal stopped: 128 + the first signal (SIGINT unless SIGTERM
    came): 130 or 143."""
    return 128 + (_received[0] if _received else signal.SIGINT)


def terminated() -> bool:
    """Whether SIGTERM came."""
    return signal.SIGTERM in _received


def received() -> bool:
    """Whether a signal that stops the process came (noted by the handlers installed here)."""
    return bool(_received)


@contextmanager
def loading() -> Iterator[None]:
    """While the modules load: note SIGINT as well as SIGTERM, and keep quiet about an interrupt
    Python could not raise (an "unraisable" ``KeyboardInterrupt`` inside a clean-up callback);
    the caller checks ``received()`` afterwards. Both are put back as they were on the way out."""
    main = threading.current_thread() is threading.main_thread()
    sigint = signal.getsignal(signal.SIGINT) if main else None
    if sigint is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_signal)
    hook = sys.unraisablehook

    def quiet(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            hook(unraisable)

    sys.unraisablehook = quiet
    try:
        yield
    finally:
        sys.unraisablehook = hook
        if sigint is signal.default_int_handler:
            signal.signal(signal.SIGINT, sigint)
