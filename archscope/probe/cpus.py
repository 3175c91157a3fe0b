"""CPU threads for training that do not fight other archscope processes.

Two torch processes on two cores, each with torch's default of one thread
per core, slow each other several-fold (measured: a 31 s probe took 464 s
beside another; shared/PERF-NOTES.md). So a CPU training run takes cores as
*slots*: one lock file per core the process may use (``sched_getaffinity``),
held with ``flock`` for the run; the run then pins itself to the cores it
holds and uses that many threads. A second archscope process gets the cores
the first did not take; when every core is held it waits for one (a sweep
releases its cores between runs, so two sweeps side by side settle on a core
each), polling every core, so it takes whichever comes free first. The locks
are released by the kernel when the process exits, however it exits.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from pathlib import Path


def _lock_dir() -> Path:
    d = Path(os.environ.get("ARCHSCOPE_LOCK_DIR") or Path(tempfile.gettempdir()) / f"archscope-cpus-{os.getuid()}")
    d.mkdir(parents=True, exist_ok=True)
    return d


def available_cores() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return list(range(os.cpu_count() or 1))


def _can_lock(d: Path, core: int) -> bool:
    """Whether the lock files can be opened at all (a folder that cannot be written: no slots, no wait)."""
    try:
        open(d / f"core-{core}.lock", "a+").close()
        return True
    except OSError:
        return False


def _try_lock(d: Path, core: int):
    """The core's lock file, held, if no other process holds it; else None."""
    try:
        f = open(d / f"core-{core}.lock", "a+")
    except OSError:
        return None
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return None
    return f


@contextlib.contextmanager
def reserved_cores(want: int | None = None, on_wait=None, threads: int | None = None):
    """Hold up to ``want`` free cores (default: ``ARCHSCOPE_THREADS``, else
    all this process may use) for the block; yields the cores held. Sets torch's intra-op threads to their
    number (or to ``threads`` when given: a run whose figures must not depend on how many cores were free)
    and the process's affinity to them; both are restored after.
    When none is free it waits for the first core (``on_wait(text)`` is told)."""
    import torch

    cores = available_cores()
    if want is None and os.environ.get("ARCHSCOPE_THREADS", "").isdigit():
        want = int(os.environ["ARCHSCOPE_THREADS"])
    want = len(cores) if want is None else max(1, min(want, len(cores)))
    held: list[int] = []  # the cores this process holds a lock on
    files: list = []  # their open lock files: closing one releases its core
    try:
        try:
            d = _lock_dir()
        except OSError:
            d = None

        def take_free(candidates):
            for c in candidates:
                if len(held) == want:
                    break
                f = _try_lock(d, c)
                if f is not None:
                    files.append(f)
                    held.append(c)

        if d is not None:
            take_free(cores)
        if not held and d is not None and _can_lock(d, cores[0]):
            if on_wait:
                on_wait("every CPU core is held by another archscope run; waiting for one")
            # Poll every core rather than block on one: a process blocked on one core's lock deadlocks when
            # that core's holder waits for this process (the ranks of a distributed CPU probe: rank 0 held
            # core 0 and waited for rank 1 at the rendezvous, while rank 1, finding core 1 taken by another
            # run, blocked on core 0; core 1 came free and nobody took it). time.sleep: Ctrl-C ends the wait.
            delay = 0.02
            while not held:
                time.sleep(delay)
                delay = min(2 * delay, 0.25)
                take_free(cores)
            if len(held) < want:  # cores released one after another by one holder: take those that follow
                time.sleep(0.02)
                take_free(cores)
        use = held if held else cores[:want]
        before_threads = torch.get_num_threads()
        before_affinity = set(cores)
        with contextlib.suppress(AttributeError, OSError):  # first, so the threads torch starts inherit it
            os.sched_setaffinity(0, set(use))
        torch.set_num_threads(threads or len(use))
        try:
            yield use
        finally:
            torch.set_num_threads(before_threads)
            with contextlib.suppress(AttributeError, OSError):
                os.sched_setaffinity(0, before_affinity)
    finally:
        # last core first (a waiter polling in between finds the later cores free with the first)
        for f in reversed(files):
            with contextlib.suppress(OSError):
                fcntl.flock(f, fcntl.LOCK_UN)
            f.close()
