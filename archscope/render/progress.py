"""Progress on stderr for work that is usually quick but can be long (``diff`` of two networks thousands of
layers deep): nothing is drawn until the work has run ``delay`` seconds, so a quick command prints no bar."""

from __future__ import annotations

import contextlib
import threading
from typing import Callable, Iterator

Report = Callable[[str, int, int], None]  # (what is being done, done, total)


@contextlib.contextmanager
def delayed_progress(label: str, delay: float = 2.0, console=None) -> Iterator[Report]:
    """A ``report(step, done, total)`` callback for a library function (the library itself never prints).
    Once the work has run ``delay`` seconds, a transient rich progress bar on stderr (or ``console``) shows
    the latest report, and follows the reports after it; it is gone when the work ends."""
    lock = threading.Lock()
    state: dict = {"last": (label, 0, 1), "bar": None, "closed": False}

    def show() -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with lock:
            if state["closed"]:
                return
            step, done, total = state["last"]
            bar = Progress(TextColumn(f"{label}: {{task.description}}"), BarColumn(),
                           TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), transient=True,
                           console=console or Console(stderr=True))
            state["task"] = bar.add_task(step, total=total, completed=done)
            bar.start()
            state["bar"] = bar

    def report(step: str, done: int, total: int) -> None:
        with lock:
            state["last"] = (step, done, total)
            if state["bar"] is not None:
                state["bar"].update(state["task"], description=step, completed=done, total=total)

    timer = threading.Timer(delay, show)
    timer.daemon = True
    timer.start()
    try:
        yield report
    finally:
        timer.cancel()
        with lock:
            state["closed"] = True
            if state["bar"] is not None:
                state["bar"].stop()


__all__ = ["Report", "delayed_progress"]
