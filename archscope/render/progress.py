"""Progress on stderr.

- ``delayed_progress``: for work that is usually quick but can be long (``diff`` of two networks thousands of
  layers deep): nothing is drawn until the work has run ``delay`` seconds, so a quick command prints no bar.
- ``RunProgress``: for runs that take minutes (``probe``, a recipe, ``sweep``, ``report --all``): a bar with
  the time left on a terminal, and off a terminal (a log file, ``nohup``) a line now and then, so a long run is
  never silent. The time left is the rate so far: the seconds since the first report over the units done since
  it, times the units left (so a probe's start-up, before its first window, does not count).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

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


def left_text(seconds: float | None) -> str:
    """``12 s left``, ``about 3 min left``, ``about 2.5 h left`` ("" when not known yet)."""
    if seconds is None:
        return ""
    if seconds < 90:
        return f"{max(1, round(seconds))} s left"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60)} min left"
    return f"about {seconds / 3600:.1f} h left"


class Eta:
    """Seconds left at the rate so far, counted from the first report."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.first: tuple[float, int] | None = None

    def reset(self) -> None:
        self.first = None

    def left(self, done: int, total: int | None) -> float | None:
        now = self.clock()
        if self.first is None:
            self.first = (now, done)
            return None
        t0, d0 = self.first
        if not total or done <= d0:
            return None
        return (now - t0) / (done - d0) * max(0, total - done)


class RunProgress:
    """Reports of a long run, to ``bar`` (``archscope.cli_options.Bar``: it needs the fields ``status`` and
    ``left``) on a terminal, and off one to ``log`` (stderr): a line at the first report, then at each tenth
    of the total (``lines="tenths"``), or at each unit done (``lines="each"``: a sweep's runs). ``after``: what
    the status says once every unit is done (a probe evaluates and checks after its last step)."""

    def __init__(self, bar: Any, lines: str = "tenths", log: Callable[[str], None] | None = None,
                 terminal: bool | None = None, clock: Callable[[], float] = time.monotonic, after: str = "") -> None:
        self.bar, self.lines, self.eta, self.after = bar, lines, Eta(clock), after
        self.log = log or (lambda text: print(text, file=sys.stderr, flush=True))
        self.terminal = sys.stderr.isatty() if terminal is None else terminal
        self.description = ""
        self.logged: int | None = None
        self.started = 0

    def start(self, description: str) -> None:
        """A new unit of work (a model): the bar starts again, and so does its time left."""
        self.description = description
        self.eta.reset()
        self.logged = None
        self.bar.update(description=description, completed=0, total=None, status="", left="")

    def begin(self, description: str, total: int) -> None:
        """One more of ``total`` units starts (``report``'s pages): the units before it are done."""
        self.started += 1
        self.update(self.started - 1, total, description=description)

    def update(self, done: int, total: int | None, status: str = "", description: str | None = None) -> None:
        if description is not None and description != self.description:
            self.description = description
        left = left_text(self.eta.left(done, total))
        if total and done >= total and self.after:  # what follows the counted units (a probe's checks)
            status, left = f"{status}; {self.after}" if status else self.after, ""
        self.bar.update(description=self.description, completed=done, total=total, status=status, left=left)
        if self.terminal or not total:
            return
        mark = done if self.lines == "each" else done * 10 // total
        if self.logged is None or mark > self.logged:
            self.logged = mark
            self.log(f"[{done:,}/{total:,}] {self.description}" + (f": {status}" if status else "")
                     + (f"; {left}" if left else ""))


__all__ = ["Eta", "Report", "RunProgress", "delayed_progress", "left_text"]
