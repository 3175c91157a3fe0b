"""Independent runs side by side: in this process, in N local worker
processes, or as Ray tasks on a Ray instance or cluster.

A sweep's runs (and ``claims --train``'s) are independent: each is one
``TrainConfig`` with its seed, and its figures depend on nothing else, so
they may run in any order and anywhere; the caller puts the results back in
plan order. Every backend behaves the same way:

- results are reported as they finish (``on_done(index, value, error)``);
- a run that fails (an exception in it, a worker process that dies, a Ray
  task that is lost) is reported with its reason and the others go on;
- Ctrl-C (a KeyboardInterrupt here) cancels what has not started, stops
  what is running and returns, keeping what finished.

Backends:

- ``serial`` (``jobs`` 1): one after another in this process.
- ``local`` (``jobs`` N > 1): N worker processes (``spawn``: no state
  inherited from a parent that has already started torch's threads). A CPU
  run takes its ``TrainConfig.threads`` cores as slots
  (``archscope.probe.cpus``), so the workers never share a core; a CUDA
  worker sees one GPU (``CUDA_VISIBLE_DEVICES``), so N is capped at the
  GPUs there are.
- ``ray``: each run one Ray task declaring its resources (``num_cpus`` its
  threads, ``num_gpus=1`` for a CUDA run), gathered with ``ray.wait`` as
  they finish; a local Ray started for the call, or the cluster at
  ``address``. Ray is optional (``pip install 'archscope[ray]'``).

The local pool is a few lines over ``multiprocessing`` rather than
``concurrent.futures.ProcessPoolExecutor`` because the executor cannot say
which run a dead worker was running (it fails every pending run with
``BrokenProcessPool``) and, on Python 3.11, cannot stop a running task on
Ctrl-C; here each worker runs one task at a time through its own pipe.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections import deque
from dataclasses import dataclass
from enum import Enum

from archscope.errors import ArchscopeError


class BackendKind(str, Enum):
    LOCAL = "local"  # this process (jobs 1) or local worker processes
    RAY = "ray"  # Ray tasks: a local Ray instance, or a cluster by address


BACKENDS = tuple(k.value for k in BackendKind)
RAY_HINT = "pip install 'archscope[ray]'"


@dataclass(frozen=True)
class Backend:
    """Where runs go: ``kind`` local (``jobs`` 1: this process) or ray;
    ``jobs`` runs at a time (for Ray: None lets its scheduler start as many
    as the cluster's resources allow); ``address`` an existing Ray cluster."""

    kind: str = "local"
    jobs: int | None = None
    address: str | None = None

    def validate(self) -> Backend:
        if isinstance(self.kind, Enum):
            object.__setattr__(self, "kind", self.kind.value)
        if self.kind not in BACKENDS:
            raise ArchscopeError(f"`backend` must be one of {', '.join(BACKENDS)}, got {self.kind!r}")
        if self.jobs is not None and (not isinstance(self.jobs, int) or isinstance(self.jobs, bool)
                                      or not 1 <= self.jobs <= 4096):
            raise ArchscopeError(f"`jobs` must be a positive integer, got {self.jobs!r}")
        if self.address is not None and self.kind != "ray":
            raise ArchscopeError("`address` names a Ray cluster: it goes with `backend` ray")
        return self

    @property
    def serial(self) -> bool:
        return self.kind == "local" and (self.jobs or 1) == 1

    def describe(self) -> str:
        if self.serial:
            return "serial"
        if self.kind == "local":
            return f"{self.jobs} local processes"
        return "ray" + (f" at {self.address}" if self.address else " (local)") + \
            (f", {self.jobs} at a time" if self.jobs else "")


def _error_text(e: BaseException) -> str:
    from archscope.errors import ArchscopeError as _AE

    text = (str(e).strip().splitlines() or [""])[0]
    return text if isinstance(e, _AE) else f"{type(e).__name__}: {text}"


def run_tasks(fn, args: list[tuple], backend: Backend, *, threads: int = 1, gpu: bool = False,
              on_start=None, on_done=None, notice=None) -> bool:
    """Call ``fn(*a)`` for each ``a`` in ``args`` on ``backend``;
    ``on_start(i)`` when run i starts (serial and local), ``on_done(i,
    value, error)`` when it ends (``error`` a one-line reason, ``value`` None,
    when it failed). ``threads``: the cores each run takes (a CPU run's
    ``TrainConfig.threads``); ``gpu``: the runs are CUDA runs. Returns
    whether it was interrupted. ``fn`` must be importable by name (a
    module-level function) for the process and Ray backends."""
    backend.validate()
    if not args:
        return False
    if backend.kind == "ray":
        return _run_ray(fn, args, backend, threads, gpu, on_done, notice)
    if backend.serial:
        return _run_serial(fn, args, on_start, on_done)
    return _run_local(fn, args, backend.jobs, threads, gpu, on_start, on_done, notice)


# ---- this process -------------------------------------------------------------------------

def _run_serial(fn, args, on_start, on_done) -> bool:
    try:
        for i, a in enumerate(args):
            if on_start:
                on_start(i)
            try:
                value = fn(*a)
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as e:
                on_done(i, None, _error_text(e)) if on_done else None
            else:
                on_done(i, value, None) if on_done else None
    except KeyboardInterrupt:
        return True
    return False


# ---- local worker processes -----------------------------------------------------------------

def _watch_parent(parent: int) -> None:
    """End this worker if the process that started it is gone (killed
    without a chance to stop its workers): a worker's run never outlives
    the sweep it belongs to."""
    import time

    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _worker(conn, env: dict, parent: int) -> None:
    """A worker's loop: one (index, fn, args) at a time from its pipe, its
    (index, value, error) back; None or a closed pipe ends it."""
    os.environ.update(env)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the workers itself
    _watch_parent(parent)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        i, fn, a = task
        out: tuple[int, object, str | None]  # (task index, result, error text)
        try:
            out = (i, fn(*a), None)
        except BaseException as e:  # the run's failure, reported; the worker goes on
            out = (i, None, _error_text(e))
        try:
            conn.send(out)
        except Exception as e:  # a value that cannot be pickled
            conn.send((i, None, f"its result could not be sent back: {_error_text(e)}"))


def _gpu_ids() -> list[str]:
    """The GPUs a worker may be given: CUDA_VISIBLE_DEVICES's list when set
    (so a worker's one GPU is one the user allowed), else 0..count-1."""
    import torch

    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [v.strip() for v in visible.split(",") if v.strip()]
    return [str(i) for i in range(torch.cuda.device_count())]


def _worker_slots(jobs: int, threads: int, gpu: bool, notice) -> list[dict]:
    """The environment of each worker: on CUDA one GPU each (at most one
    worker a GPU); on the CPU at most one worker per ``threads`` cores (more
    would only wait for a core)."""
    from archscope.probe.cpus import available_cores

    if gpu:
        ids = _gpu_ids()
        if not ids:
            raise ArchscopeError("`jobs` with CUDA runs: no GPU is visible")
        if jobs > len(ids) and notice:
            notice(f"`jobs` {jobs}: {len(ids)} GPU(s), one a worker: {len(ids)} at a time")
        return [{"CUDA_VISIBLE_DEVICES": g} for g in ids[:jobs]]
    cores = len(available_cores())
    fit = max(1, cores // max(1, threads))
    if jobs > fit and notice:
        notice(f"`jobs` {jobs}: {cores} CPU core(s) at {threads} thread(s) a run: {fit} at a time")
    return [{} for _ in range(min(jobs, fit))]


def _died(proc) -> str:
    code = proc.exitcode
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"its worker process was killed by {signal.Signals(-code).name}"
    return f"its worker process died (exit status {code})"


def _run_local(fn, args, jobs, threads, gpu, on_start, on_done, notice) -> bool:
    import multiprocessing as mp
    from multiprocessing.connection import wait

    ctx = mp.get_context("spawn")
    slots = _worker_slots(jobs, threads, gpu, notice)
    workers: dict[int, tuple] = {}  # slot -> (process, pipe)
    busy: dict[int, int] = {}  # slot -> the task index it runs

    def start(slot):
        here, there = ctx.Pipe()
        # not daemonic: a run may start processes of its own (torch.compile's compile workers); the workers
        # are stopped below however this ends, and stop themselves if this process is killed (_watch_parent)
        p = ctx.Process(target=_worker, args=(there, slots[slot], os.getpid()), daemon=False,
                        name=f"archscope-worker-{slot}")
        p.start()
        there.close()
        workers[slot] = (p, here)

    pending = deque(range(len(args)))
    interrupted = False
    try:
        for slot in range(len(slots)):
            start(slot)
        while pending or busy:
            for slot in list(workers):
                if slot not in busy and pending:
                    i = pending.popleft()
                    try:
                        workers[slot][1].send((i, fn, args[i]))
                    except OSError:  # the idle worker died: a fresh one takes the run
                        workers[slot][0].join(1)
                        workers[slot][1].close()
                        start(slot)
                        workers[slot][1].send((i, fn, args[i]))
                    busy[slot] = i
                    if on_start:
                        on_start(i)
            ready = set(wait([w[1] for s, w in workers.items() if s in busy]
                             + [w[0].sentinel for s, w in workers.items() if s in busy]))
            for slot in list(busy):
                p, conn = workers[slot]
                if conn in ready:
                    try:
                        i, value, error = conn.recv()
                    except (EOFError, OSError):
                        ready.add(p.sentinel)  # the pipe closed: the process is gone
                    else:
                        del busy[slot]
                        if on_done:
                            on_done(i, value, error)
                        continue
                if p.sentinel in ready:
                    p.join(1)
                    i = busy.pop(slot)
                    if on_done:
                        on_done(i, None, _died(p))
                    conn.close()
                    start(slot)  # a fresh worker in its place
    except KeyboardInterrupt:
        interrupted = True
    finally:
        for slot, (p, conn) in workers.items():
            if slot in busy or interrupted:
                p.kill()  # a run still going is not kept: stop it now
            else:
                with contextlib.suppress(OSError, ValueError):
                    conn.send(None)
        for p, conn in workers.values():
            p.join(5)
            if p.is_alive():
                p.kill()
                p.join(1)
            conn.close()
    return interrupted


# ---- Ray ----------------------------------------------------------------------------------

def _ray_call(threads: int, fn, a):
    """A Ray task's body: the run with the threads it declared (``num_cpus``;
    Ray pins none of them itself) and, on a GPU task, the GPU Ray gave it
    (Ray sets ``CUDA_VISIBLE_DEVICES``)."""
    os.environ["ARCHSCOPE_THREADS"] = str(threads)
    return fn(*a)


def _ray():
    try:
        import ray
    except ImportError:
        raise ArchscopeError(f"`backend` ray needs Ray, which is not installed: {RAY_HINT}") from None
    return ray


def _ray_error(e: BaseException) -> str:
    cause = getattr(e, "cause", None)
    if isinstance(cause, BaseException) and not isinstance(cause, type(e)):
        return _error_text(cause)
    name = type(e).__name__
    text = (str(e).strip().splitlines() or [""])[0]
    return f"{name}: {text}"


def check_reachable(address: str | None, timeout: float = 5.0) -> None:
    """A HOST:PORT (or ray://HOST:PORT) that nothing answers at is an error
    now: Ray itself retries such an address for many minutes."""
    import socket

    if address in (None, "auto", "local"):
        return
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    if not port.isdigit():
        return  # not HOST:PORT: Ray says what it makes of it
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout).close()
    except OSError as e:
        raise ArchscopeError(f"`address` {address}: nothing answers at {host or '127.0.0.1'}:{port} "
                             f"({e.strerror or e})") from None


def _run_ray(fn, args, backend: Backend, threads: int, gpu: bool, on_done, notice) -> bool:
    ray = _ray()
    started = False
    if not ray.is_initialized():
        import logging

        check_reachable(backend.address)

        try:
            ray.init(address=backend.address, include_dashboard=False, logging_level=logging.ERROR,
                     configure_logging=True)
        except ConnectionError as e:
            raise ArchscopeError(f"`address` {backend.address}: cannot connect to a Ray cluster ({e})") from None
        started = True
    try:
        task = ray.remote(_ray_call).options(num_cpus=threads, num_gpus=1 if gpu else 0, max_retries=0)
        limit = backend.jobs or len(args)
        queue = deque(range(len(args)))
        running: dict = {}  # object ref -> task index
        interrupted = False
        try:
            while queue or running:
                while queue and len(running) < limit:
                    i = queue.popleft()
                    running[task.remote(threads, fn, args[i])] = i
                done, _ = ray.wait(list(running), num_returns=1)
                for ref in done:
                    i = running.pop(ref)
                    try:
                        value = ray.get(ref)
                    except ray.exceptions.RayError as e:
                        on_done(i, None, _ray_error(e)) if on_done else None
                    else:
                        on_done(i, value, None) if on_done else None
        except KeyboardInterrupt:
            interrupted = True
            for ref in running:  # queued ones never start; running ones are stopped
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)
        return interrupted
    finally:
        if started:
            ray.shutdown()


__all__ = ["Backend", "BackendKind", "BACKENDS", "run_tasks", "RAY_HINT"]
