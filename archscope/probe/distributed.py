"""Data-parallel probe runs: ``archscope probe MODEL --nproc-per-node N``.

N processes train one model with ``DistributedDataParallel``. On one machine
archscope starts them itself (``probe_distributed``): torch's
``torch.multiprocessing.start_processes`` spawns them, and the launching
process serves the rendezvous store (a ``TCPStore`` on a free local port),
as torchrun's agent does for its ranks. It then watches them, so that it
always knows which rank ended and how (an exit status, a signal, stopped).
On a cluster, ``torchrun`` itself starts them on every node with its own
rendezvous options (``torchrun --nnodes 2 --nproc-per-node 8 --rdzv-backend
c10d --rdzv-endpoint HOST:PORT --rdzv-id JOB -m archscope probe MODEL``): a
process torchrun started is a rank already, which archscope reads from the
environment torchrun sets (``in_torchrun``).

- Backends: NCCL between GPUs (rank r on ``cuda:LOCAL_RANK``), gloo on the
  CPU, where each rank takes its share of the cores as slots
  (``archscope.probe.cpus``: cores // ranks on this node), so the ranks never
  share a core.
- Data: every rank draws the same permutation of each epoch (the same seed)
  and takes its ``DistributedSampler`` shard of it
  (``archscope.probe.train.batches``); the batch size is per rank, as in
  torchrun scripts, so one step trains ``world x batch`` images.
- The result is one ``ProbeResult``: the checks and accuracies of rank 0
  (evaluated there alone, on the whole splits: after the gradient all-reduce
  every rank holds the same weights), images/s every rank's timed images over
  the slowest rank's timed seconds, each
  rank's peak memory (the highest in the table), MFU of the summed FLOP/s
  against the ranks' summed peaks. The other ranks hand their figures to
  rank 0 through the rendezvous store and leave: none waits in a collective
  while rank 0 evaluates alone.
- Stopping: a rank that meets a non-finite loss or a Ctrl-C (SIGINT or
  SIGTERM sets a flag, it does not raise) says so in one all-reduce at the
  end of each 10-step window, and every rank stops at that window: a rank
  that stopped alone would leave the others waiting in the next all-reduce.
  Rank 0 then writes what finished, as the one-process probe does.
- Meeting: before the training the ranks wait for each other in the
  rendezvous store, not in a collective, and for as long as it takes (up to
  an hour): one may be waiting for a free CPU core (``archscope.probe.cpus``)
  or for a download. A rank that stops or fails before then tells the others
  there, and they stop too.
- A rank that dies (SIGKILL, a crash) or stops answering (SIGSTOP, a hang):
  the others' next collective fails, at once when the dead rank's sockets
  close, else after the collective timeout (``ARCHSCOPE_COLLECTIVE_TIMEOUT``
  seconds, default 600, torch's own default for NCCL; from the first step on
  the ranks step together, so a collective waits for one step of the slowest
  rank). Each survivor keeps what it finished (the result says it lost
  contact), and the launching process names the rank and how it ended in one
  error, keeping the lowest surviving rank's result. It also kills a rank
  that has been stopped for longer than the timeout, whatever it was doing.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import os
import re
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from archscope.errors import ArchscopeError

if TYPE_CHECKING:  # torch.distributed is imported where it is used
    from torch.distributed import Store

_STOP = threading.Event()  # set by SIGINT / SIGTERM in a rank: stop at the next window's end

TIMEOUT_ENV = "ARCHSCOPE_COLLECTIVE_TIMEOUT"
DEFAULT_TIMEOUT_S = 600.0  # torch's default for NCCL (ProcessGroupNCCL.hpp, kProcessGroupNCCLDefaultTimeout)
MEET_S = 3600.0  # the longest the ranks wait for each other before the training (see the module docstring)

# how a collective says that a peer is gone or silent: torch raises gloo's errors (the sockets closed: 'Read
# error ... Connection reset by peer'; silence: 'Timed out waiting 5000ms for recv') as RuntimeErrors naming
# gloo's source file, NCCL's as torch.distributed.DistError (a RuntimeError)
_LOST = re.compile(r"gloo|nccl", re.IGNORECASE)


def _key(name: str) -> str:
    """A key of archscope's in the rendezvous store (per torchrun restart: its store outlives one)."""
    return f"archscope/{os.environ.get('TORCHELASTIC_RESTART_COUNT', '0')}/{name}"


def _summary_key(rank: int) -> str:
    """Where a rank leaves its figures in the rendezvous store."""
    return _key(f"summary/{rank}")


_STOP_KEY = "stop"  # set in the store when a rank stops before the training ("interrupted") or is gone (why)


class PeerGone(RuntimeError):
    """Another rank is gone or failed, as the rendezvous store says."""


def collective_timeout(value=None) -> float:
    """Seconds a collective waits for the other ranks: ``value``, else
    ``ARCHSCOPE_COLLECTIVE_TIMEOUT``, else 600."""
    raw = value if value is not None else os.environ.get(TIMEOUT_ENV) or None
    if raw is None:
        return DEFAULT_TIMEOUT_S
    try:
        t = float(raw)
    except (TypeError, ValueError):
        t = math.nan
    if not math.isfinite(t) or t <= 0:
        where = "the collective timeout" if value is not None else TIMEOUT_ENV
        raise ArchscopeError(f"{where} must be a positive number of seconds, got {raw!r}")
    return t


def lost_peer(e: BaseException) -> str | None:
    """Why ``e`` means that another rank is gone or silent (a short reason),
    or None when it is this rank's own error."""
    import torch.distributed as dist

    dist_error = getattr(dist, "DistError", None)
    if isinstance(e, PeerGone):
        return f"lost contact with another rank ({e})"
    if isinstance(e, torch.cuda.OutOfMemoryError) or not isinstance(e, RuntimeError):
        return None
    text = str(e).strip()
    if not (dist_error is not None and isinstance(e, dist_error)) and not _LOST.search(text):
        return None
    first = re.sub(r"^\[[^\]]*\]\s*", "", text.splitlines()[0] if text else type(e).__name__)  # gloo's [file:line]
    first = first.split(". This is typically")[0].rstrip(".")
    return f"lost contact with another rank ({first[:160]})"


def in_torchrun() -> bool:
    """Whether this process is a rank that ``torchrun`` started (its agent
    sets ``TORCHELASTIC_RUN_ID`` and the rank variables)."""
    return "TORCHELASTIC_RUN_ID" in os.environ and "LOCAL_RANK" in os.environ and "WORLD_SIZE" in os.environ


@dataclass
class Ranks:
    """This process's place in the group, and the few collectives the
    training loop needs (``archscope.probe.train.run(ranks=...)``)."""

    rank: int
    world: int
    local_rank: int
    local_world: int
    backend: str
    comm_device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    store: Store | None = None  # the rendezvous store: the ranks' figures go to rank 0 through it
    timeout: float = DEFAULT_TIMEOUT_S

    def device(self, device: str) -> torch.device:
        from archscope.probe.device import resolve_device

        dev = resolve_device(device)
        return torch.device("cuda", self.local_rank) if dev.type == "cuda" else dev

    def wrap(self, model):
        from torch.nn.parallel import DistributedDataParallel

        self.meet()
        dev = next(model.parameters()).device
        return DistributedDataParallel(model, device_ids=[dev.index] if dev.type == "cuda" else None)

    def any_of(self, *flags: bool) -> tuple:
        """Each flag OR-ed over the ranks (one small all-reduce)."""
        import torch.distributed as dist

        t = torch.tensor([int(bool(f)) for f in flags], device=self.comm_device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return tuple(bool(v) for v in t.tolist())

    @staticmethod
    def stop_requested() -> bool:
        return _STOP.is_set()

    def tell(self, why: str) -> None:
        """Tell the ranks still meeting that this run stops ("interrupted") or why it cannot go on."""
        if self.store is not None:
            with contextlib.suppress(Exception):
                if not self.store.check([_key(_STOP_KEY)]):
                    self.store.set(_key(_STOP_KEY), why)

    def meet(self) -> None:
        """Wait until every rank has reached the training, in the store (not
        a collective: no collective timeout; see the module docstring). A
        Ctrl-C meanwhile, here or on another rank, stops them all; a rank
        gone or failed (said in the store) ends the wait as a lost peer."""
        if self.store is None:
            return
        key = _key("meet")
        self.store.add(key, 1)
        end = time.monotonic() + max(MEET_S, self.timeout)
        while True:
            if _STOP.is_set():
                self.tell("interrupted")
                raise KeyboardInterrupt
            if self.store.check([_key(_STOP_KEY)]):
                why = self.store.get(_key(_STOP_KEY)).decode(errors="replace")
                if why == "interrupted":
                    raise KeyboardInterrupt
                raise PeerGone(why)
            if int(self.store.add(key, 0)) >= self.world:
                return
            if time.monotonic() > end:
                raise PeerGone(f"not every rank reached the training within {max(MEET_S, self.timeout):g} s")
            time.sleep(0.05)

    @staticmethod
    def lost(e: BaseException) -> str | None:
        """Why ``e`` means another rank is gone (``lost_peer``), else None:
        the training loop then keeps what this rank finished."""
        return lost_peer(e)


def _env_int(name: str, default: int) -> int:
    v = os.environ.get(name, "")
    return int(v) if v.isdigit() else default


def thread_share(local_world: int, cores: int) -> int:
    """Threads for each of ``local_world`` ranks on ``cores`` cores (at least
    one; ``ARCHSCOPE_THREADS`` caps it)."""
    share = max(1, cores // max(1, local_world))
    cap = os.environ.get("ARCHSCOPE_THREADS", "")
    return min(share, int(cap)) if cap.isdigit() and int(cap) > 0 else share


def _on_stop_signal(*_):
    _STOP.set()


def _join(device: str, timeout: float | None = None) -> Ranks:
    """Join the group torchrun's environment (or ``probe_distributed``'s)
    describes (``env://``), with the collective timeout."""
    import torch.distributed as dist

    from archscope.probe.cpus import available_cores
    from archscope.probe.device import resolve_device

    rank, world = _env_int("RANK", 0), _env_int("WORLD_SIZE", 1)
    local_rank, local_world = _env_int("LOCAL_RANK", 0), _env_int("LOCAL_WORLD_SIZE", 1)
    cuda = resolve_device(device).type == "cuda"
    if not cuda and local_world > len(available_cores()):
        # a rank waiting for a core while the others wait for it in a collective would never start
        raise ArchscopeError(f"{local_world} ranks on this node but only {len(available_cores())} CPU cores: "
                             "each CPU rank needs a core of its own")
    if cuda and local_rank >= torch.cuda.device_count():
        raise ArchscopeError(f"rank {rank} wants cuda:{local_rank}; this node has {torch.cuda.device_count()} GPU(s)")
    seconds = collective_timeout(timeout)
    os.environ["ARCHSCOPE_THREADS"] = str(thread_share(local_world, len(available_cores())))
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _on_stop_signal)
    if cuda:
        torch.cuda.set_device(local_rank)
    backend = "nccl" if cuda else "gloo"
    store = None
    if not dist.is_initialized():
        limit = datetime.timedelta(seconds=seconds)
        store, rank, world = next(dist.rendezvous("env://", timeout=limit))
        dist.init_process_group(backend, store=store, rank=rank, world_size=world, timeout=limit)
    return Ranks(rank, world, local_rank, local_world, backend,
                 torch.device("cuda", local_rank) if cuda else torch.device("cpu"), store, seconds)


def _summary(r, rank: int) -> dict:
    """What rank 0 needs from every rank (plain data, gathered)."""
    return {"rank": rank, "device": r.device, "steps": r.steps, "images_seen": r.images_seen,
            "images_per_s": r.images_per_s, "timed": dict(r.timed), "train_seconds": r.train_seconds,
            "peak_memory_bytes": r.peak_memory_bytes, "peak_flops_measured": r.peak_flops_measured,
            "stopped": r.stopped}


def merge(lead, summaries: list[dict], backend: str, world: int | None = None):
    """One result from rank 0's and every rank's summary: rank 0's checks and
    accuracies; images seen summed; the throughput the timed images of every
    rank over the slowest rank's timed seconds (each step ends in an
    all-reduce, so the ranks step together: the job trained that many images
    in that time); peak memory the highest rank's (each rank holds one batch,
    as the estimate assumes); FLOP/s from archscope's per-image count times
    that throughput, against the ranks' summed measured matmul peaks and,
    on GPUs (one a rank), the data sheet's peak times the ranks. A rank that
    sent nothing is ``{"rank": r, "lost": True}``: every sum is then None."""
    from archscope.probe.device import mfu

    world = world or len(summaries)
    r = replace(lead, notes=list(lead.notes), settings=dict(lead.settings))

    def total(key):
        vals = [s.get(key) for s in summaries]
        return sum(vals) if vals and all(v is not None for v in vals) else None

    r.world_size, r.ranks = world, [dict(s) for s in summaries]
    if len(summaries) < world:
        summaries = summaries + [{"lost": True}] * (world - len(summaries))
    # images seen: at least those of the ranks that reported (a rank that sent nothing saw some too)
    r.images_seen = sum(s.get("images_seen") or 0 for s in summaries)
    timed = [s.get("timed") or {} for s in summaries]
    if all(t.get("seconds") for t in timed):
        r.timed = {"images": sum(t["images"] for t in timed), "seconds": max(t["seconds"] for t in timed),
                   "steps": min(t["steps"] for t in timed)}
        r.images_per_s = r.timed["images"] / r.timed["seconds"]
    else:
        r.timed, r.images_per_s = {}, None
    peaks = [s["peak_memory_bytes"] for s in summaries if s.get("peak_memory_bytes")]
    r.peak_memory_bytes = max(peaks) if peaks else None
    r.memory_ratio = (r.peak_memory_bytes / r.estimated_train_memory_bytes  # CUDA only: see train.CPU_MEMORY
                      if r.peak_memory_bytes and r.estimated_train_memory_bytes and lead.device_type == "cuda"
                      else None)
    batch = r.settings.get("batch_size")
    r.achieved_flops_per_s = (r.train_flops_per_step / batch * r.images_per_s
                              if r.train_flops_per_step and batch and r.images_per_s else None)
    r.peak_flops_measured = total("peak_flops_measured")
    r.peak_flops_known = lead.peak_flops_known * world if lead.peak_flops_known and lead.device_type == "cuda" \
        else None
    r.mfu_known = mfu(r.achieved_flops_per_s, r.peak_flops_known) if r.achieved_flops_per_s else None
    r.mfu_measured = mfu(r.achieved_flops_per_s, r.peak_flops_measured) if r.achieved_flops_per_s else None
    r.settings["world_size"] = world
    per_rank = ", ".join("-" if not s.get("peak_memory_bytes") else f"{s['peak_memory_bytes'] / 2 ** 20:,.0f}"
                         for s in summaries)
    r.notes.append(f"DistributedDataParallel over {world} ranks ({backend}): batch {batch} per rank, "
                   f"{batch * world if batch else '?'} a step; images/s: every rank's images over the slowest rank's "
                   f"time; checks and "
                   f"accuracies from rank 0; peak memory per rank (MiB): {per_rank}")
    return r


def _gather(ranks: Ranks, mine: dict, lost: bool) -> list[dict]:
    """Every rank's summary on rank 0 (the others send theirs and get []).
    Through the rendezvous store, so that no rank waits in a collective while
    rank 0 evaluates; a rank whose summary does not come is listed as lost."""
    import torch.distributed as dist

    if ranks.store is None:  # a group someone else set up: the collective way
        summaries: list[Any] = [None] * ranks.world  # all_gather_object fills in every rank's dict
        dist.all_gather_object(summaries, mine)
        return summaries if ranks.rank == 0 else []
    if ranks.rank != 0:
        with contextlib.suppress(Exception):  # rank 0 gone too: nobody to tell
            ranks.store.set(_summary_key(ranks.rank), json.dumps(mine, default=str))
        return []
    out = [mine]
    for q in range(1, ranks.world):
        key = _summary_key(q)
        try:
            if lost:  # a rank is gone: take what is there, wait for nothing
                got = ranks.store.check([key])
            else:
                ranks.store.wait([key], datetime.timedelta(seconds=ranks.timeout))
                got = True
            out.append(json.loads(ranks.store.get(key)) if got else {"rank": q, "lost": True})
        except Exception:  # the store's wait timed out, or the store is gone
            out.append({"rank": q, "lost": True})
    return out


def rank_probe(cfg, *, save=None, on_window=None, notice=None, keep_partial: bool = False, timeout=None):
    """This process's part of a data-parallel probe run (it must be a rank:
    started by ``probe_distributed`` or by torchrun). Returns the merged
    result on rank 0, None on the others (with ``keep_partial``: a rank
    other than 0 that lost contact returns its own result, which
    ``probe_distributed`` keeps when rank 0 is gone)."""
    import torch.distributed as dist

    from archscope.probe.train import run

    ranks = _join(cfg.device, timeout)
    try:
        try:
            r = run(cfg, save=save if ranks.rank == 0 else None, on_window=on_window if ranks.rank == 0 else None,
                    notice=notice, _retry=False, ranks=ranks)
        except BaseException as e:  # noqa: B036 (the ranks still meeting must not wait for this one)
            ranks.tell(f"rank {ranks.rank} failed: {type(e).__name__}")
            raise
        if r.interrupted:  # stopped before the training, perhaps: the others must not wait for it to come
            ranks.tell("interrupted")
        lost = bool(r.stopped and r.stopped.startswith("lost contact"))
        summaries = _gather(ranks, _summary(r, ranks.rank), lost)
        if ranks.rank != 0:
            if lost and keep_partial:
                return merge(r, [_summary(r, ranks.rank)] + [{"rank": q, "lost": True} for q in range(ranks.world)
                                                            if q != ranks.rank], ranks.backend, world=ranks.world)
            return None
        merged = merge(r, summaries, ranks.backend, world=ranks.world)
        missing = [s["rank"] for s in summaries if s.get("lost")]
        if missing:
            merged.interrupted = True
            merged.notes.append(f"rank(s) {', '.join(map(str, missing))} sent no figures: the sums over the ranks "
                                "are left out")
        if _STOP.is_set() and not merged.interrupted:  # Ctrl-C after the last window: every figure is measured
            merged.interrupted = True
            merged.notes.append("interrupted after the training: every figure above was measured")
        return merged
    finally:
        with contextlib.suppress(Exception):
            dist.destroy_process_group()


# ---- one machine: archscope starts the ranks and watches them -------------------------------------

class RanksLost(ArchscopeError):
    """A rank of the run died or stopped answering. The message (one line)
    names it and how it ended; ``result`` is what the lowest surviving rank
    finished (None when none had anything), for the caller to keep."""

    def __init__(self, message: str, result=None):
        super().__init__(message)
        self.result = result


def _write_json(path: Path, data) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(data, default=str))
    os.replace(tmp, path)


def _rank_entry(local_rank: int, cfg, folder: str, save, world: int, port: int, timeout: float) -> None:
    """Each spawned rank's entry point (``torch.multiprocessing`` passes the index)."""
    for sig in (signal.SIGINT, signal.SIGTERM):  # first of all: from here on a signal stops it at a window's end
        signal.signal(sig, _on_stop_signal)
    # env://, as torchrun sets it; the launching process serves the store (torchrun's "agent store")
    os.environ.update({"RANK": str(local_rank), "LOCAL_RANK": str(local_rank), "WORLD_SIZE": str(world),
                       "LOCAL_WORLD_SIZE": str(world), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
                       "TORCHELASTIC_USE_AGENT_STORE": "True"})
    _rank_main(cfg, folder, save, timeout)


def _rank_main(cfg, folder: str, save, timeout: float) -> None:
    """Run this rank and leave what it has in ``folder``: the merged result
    (rank 0), its own partial result (a rank that lost contact), or its error;
    then exit at once (status 0, or 1 after an error), so that the
    launching process reads the ending from the exit status."""
    import sys

    sys.stdout = sys.stderr  # the launching process's stdout carries the result (-f json)
    out = Path(folder)
    rank = os.environ.get("RANK", "0")
    last = [0.0]

    def progress(done, total, loss, ips):  # rank 0's windows, for the launcher's progress bar
        now = time.monotonic()
        if now - last[0] >= 0.3 or done == total:
            last[0] = now
            _write_json(out / "progress.json", [done, total, loss, ips])

    def notice(text):
        print(f"archscope: rank {rank}: {text}", file=sys.stderr, flush=True)

    code = 0
    try:
        r = rank_probe(cfg, save=save, on_window=progress, notice=notice, keep_partial=True, timeout=timeout)
        if r is not None:
            _write_json(out / ("result.json" if rank == "0" else f"partial-{rank}.json"), r.to_dict())
    except BaseException as e:  # noqa: B036 (any ending is reported to the launching process)
        code = 1
        with contextlib.suppress(Exception):
            _write_json(out / f"error-{rank}.json",
                        {"type": type(e).__name__, "archscope": isinstance(e, ArchscopeError),
                         "lost": lost_peer(e) if isinstance(e, Exception) else None,
                         "message": (str(e).strip().splitlines() or [""])[0]})
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    os._exit(code)  # not the interpreter's teardown: gloo's threads may wait on a peer that is gone


def result_from_dict(d: dict):
    from archscope.probe.train import Check, ProbeResult

    names = {f.name for f in fields(ProbeResult)}
    kw = {k: v for k, v in d.items() if k in names}
    kw["checks"] = [Check(**c) for c in d.get("checks", [])]
    # to_dict states the throughput with its definition; the counts behind it are the result's `timed`
    kw["timed"] = {k: v for k, v in (d.get("throughput") or {}).items() if k in ("images", "seconds", "steps")}
    return ProbeResult(**kw)


def _read(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _state(pid: int) -> str | None:
    """The process's state letter from /proc (Linux): 'T' is stopped by a signal."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _how(exitcode: int) -> str:
    if exitcode < 0:
        try:
            return f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with status {exitcode}"


@contextlib.contextmanager
def _sigterm_interrupts():
    """SIGTERM to the launching process acts as Ctrl-C does (the ranks are
    stopped and what finished is kept) instead of ending it with the ranks
    left running; put back afterwards."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


class _Watch:
    """The launching process's view of its ranks: how each ended, and when to
    stop waiting for them."""

    GRACE_S = 10.0  # for ranks still alive once the result is written (they only have to exit)

    def __init__(self, processes, folder: Path, store, timeout: float, notice):
        self.procs, self.folder, self.store, self.timeout = processes, folder, store, timeout
        self.notice = notice or (lambda text: None)
        self.world = len(processes)
        self.ended: dict[int, str] = {}  # rank -> how it ended, where that was not its own choice
        self.stopped_since: dict[int, float] = {}
        self.deadline: float | None = None
        self.interrupts = 0
        self.pending: tuple | None = None  # (when, text): a notice said only if the wait goes on

    def alive(self) -> list[int]:
        return [i for i, p in enumerate(self.procs) if p.exitcode is None]

    def delivered(self, i: int) -> bool:
        """Whether rank ``i`` had handed over what it finished (its later end does not matter)."""
        if (self.folder / ("result.json" if i == 0 else f"partial-{i}.json")).exists():
            return True
        try:
            return i > 0 and bool(self.store.check([_summary_key(i)]))
        except Exception:
            return False

    def _tell(self, why: str) -> None:
        """Tell the ranks that may be meeting before the training (``Ranks.meet``)."""
        with contextlib.suppress(Exception):
            if not self.store.check([_key(_STOP_KEY)]):
                self.store.set(_key(_STOP_KEY), why)

    def _kill(self, i: int, how: str | None) -> None:
        with contextlib.suppress(OSError):
            os.kill(self.procs[i].pid, signal.SIGKILL)
        if how and i not in self.ended and not self.delivered(i):
            self.ended[i] = how
            self._tell(f"rank {i} of {self.world} {how}")

    def _wait_at_most(self, seconds: float) -> None:
        now = time.monotonic()
        self.deadline = now + seconds if self.deadline is None else min(self.deadline, now + seconds)

    def step(self) -> None:
        """One look at the ranks (called about 4 times a second)."""
        import multiprocessing.connection

        alive = self.alive()
        multiprocessing.connection.wait([self.procs[i].sentinel for i in alive], timeout=0.25)
        for i, p in enumerate(self.procs):
            if p.exitcode not in (None, 0) and i not in self.ended and not self.delivered(i):
                self.ended[i] = _how(p.exitcode)
                self._tell(f"rank {i} of {self.world} {self.ended[i]}")
                if self.interrupts == 0 and self.pending is None:
                    self.pending = (time.monotonic() + 2, f"rank {i} of {self.world} {self.ended[i]}; the others "
                                    f"stop within {self.timeout:g} s (Ctrl-C stops them at once)")
                self._wait_at_most(self.timeout + self.GRACE_S)  # a survivor's collective fails by then
        if self.pending and time.monotonic() > self.pending[0]:  # said only when the others take a while
            self.notice(self.pending[1])
            self.pending = (math.inf, "")
        alive = self.alive()
        now = time.monotonic()
        stopped = [i for i in alive if _state(self.procs[i].pid) == "T"]
        for i in list(self.stopped_since):
            if i not in stopped:  # continued (SIGCONT)
                del self.stopped_since[i]
        for i in stopped:
            if i not in self.stopped_since:
                self.stopped_since[i] = now
                self.notice(f"rank {i} of {self.world} is stopped (SIGSTOP): the other ranks wait for it up to "
                            f"{self.timeout:g} s ({TIMEOUT_ENV}), then stop")
        # stopped for longer than a collective waits, or every other rank has ended (their collectives timed
        # out): nothing is left that would wake it
        for i in stopped:
            if now - self.stopped_since[i] > self.timeout or len(stopped) == len(alive) < self.world:
                self._kill(i, f"was stopped (SIGSTOP) and did not answer for {self.timeout:g} s (the collective "
                              f"timeout, {TIMEOUT_ENV}); killed")
        if alive and (self.folder / "result.json").exists():
            self._wait_at_most(self.GRACE_S)  # the result is written: the others have only to exit
        if self.deadline is not None and time.monotonic() > self.deadline:
            for i in self.alive():
                self._kill(i, f"did not stop within {self.timeout:g} s of the others; killed")

    def interrupt(self) -> None:
        """Ctrl-C (or SIGTERM) in the launching process: the first stops the
        ranks at their window's end, a second kills them."""
        self.interrupts += 1
        if self.interrupts > 1:
            for i in self.alive():
                self._kill(i, None)
            return
        self.notice("stopping the ranks at the end of their current 10-step window (Ctrl-C again stops them "
                    "at once, keeping nothing)")
        self._tell("interrupted")  # the ranks still meeting before the training stop there
        for i in self.alive():
            if _state(self.procs[i].pid) == "T":  # a stopped rank cannot stop itself: the others' wait ends now
                self._kill(i, "was stopped (SIGSTOP); killed on Ctrl-C")
            else:
                with contextlib.suppress(OSError):
                    os.kill(self.procs[i].pid, signal.SIGTERM)  # sets its stop flag (a terminal's Ctrl-C did too)
        self._wait_at_most(self.timeout + self.GRACE_S)

    def run(self) -> None:
        while self.alive():
            try:
                self.step()
            except KeyboardInterrupt:
                self.interrupt()
        for p in self.procs:
            p.join()


def _outcome(watch: _Watch, folder: Path, nproc: int):
    """The merged result, or the one error that says how the run ended."""
    data = _read(folder / "result.json")
    kept_from = 0
    if data is None:  # rank 0 is gone: the lowest surviving rank's own figures
        partials = sorted((int(f.stem.split("-")[1]), f) for f in folder.glob("partial-*.json"))
        for rank, f in partials:
            data, kept_from = _read(f), rank
            if data is not None:
                break
    result = result_from_dict(data) if data is not None else None
    errors = sorted((int(f.stem.split("-")[1]), _read(f)) for f in folder.glob("error-*.json"))
    if watch.interrupts:
        if result is None:
            raise KeyboardInterrupt
        if not result.interrupted:
            result.interrupted = True
            result.stopped = result.stopped or "interrupted"
        return result
    for rank, e in errors:  # a rank's own error (every rank usually fails alike): the lowest rank's
        if e and not e.get("lost") and e.get("type") != "KeyboardInterrupt":
            text = f"rank {rank} of {nproc}: {e['message']}"
            if e["archscope"] or e["type"] in ("OutOfMemoryError", "MemoryError"):
                raise ArchscopeError(text)
            raise RuntimeError(f"{e['type']}: {text}")
    culprits = {r: how for r, how in sorted(watch.ended.items()) if not _read(folder / f"error-{r}.json")}
    if culprits:
        what = "; ".join(f"rank {r} of {nproc} {how}" for r, how in culprits.items())
        if result is None:
            raise RanksLost(f"{what}; no rank had finished anything to keep")
        steps = result.settings.get("steps")
        kept = f"rank {kept_from}'s figures up to step {result.steps}" + (f" of {steps}" if steps else "")
        result.notes.append(f"rank {kept_from}: {result.stopped}" if result.stopped else f"rank {kept_from}: ended")
        result.stopped = what
        result.interrupted = True
        raise RanksLost(f"{what}; kept {kept}", result)
    if result is not None:
        return result
    lost = [(r, e) for r, e in errors if e and e.get("lost")]
    if lost:
        raise RanksLost(f"the data-parallel run ended without a result: rank {lost[0][0]} of {nproc} "
                        f"{lost[0][1]['lost']}")
    raise RuntimeError("the data-parallel run ended without a result: no rank reported")


def probe_distributed(cfg, nproc: int, *, save=None, on_window=None, notice=None, timeout=None):
    """``cfg`` trained by ``nproc`` data-parallel processes on this machine
    (see the module docstring); one merged ``ProbeResult``. Ctrl-C keeps what
    finished (the result says so); a rank that fails is one error naming it;
    a rank that dies or stops answering is a ``RanksLost`` naming it and how,
    holding what the others finished. ``timeout``: seconds a collective waits
    (default ``ARCHSCOPE_COLLECTIVE_TIMEOUT``, else 300)."""
    import torch.distributed as dist
    import torch.multiprocessing as tmp_mp

    from archscope.probe.cpus import available_cores
    from archscope.probe.device import resolve_device
    from archscope.zoo import model_info

    if not isinstance(nproc, int) or isinstance(nproc, bool) or nproc < 1:
        raise ArchscopeError(f"`nproc_per_node` must be a positive integer, got {nproc!r}")
    seconds = collective_timeout(timeout)
    cfg.validate()
    if cfg.detail:
        raise ArchscopeError("`detail` times one process's step; it does not go with `nproc_per_node`")
    cfg = replace(cfg, model=model_info(cfg.model).name)
    dev = resolve_device(cfg.device)
    if dev.type == "cuda" and nproc > torch.cuda.device_count():
        raise ArchscopeError(f"`nproc_per_node` {nproc}: this machine has {torch.cuda.device_count()} GPU(s), "
                             "one a rank")
    cores = len(available_cores())
    if dev.type == "cpu" and nproc > cores:
        raise ArchscopeError(f"`nproc_per_node` {nproc}: this machine has {cores} CPU core(s) and each CPU rank "
                             "needs one of its own")
    with tempfile.TemporaryDirectory(prefix="archscope-ddp-") as tmp, _sigterm_interrupts():
        folder = Path(tmp)
        store = dist.TCPStore("127.0.0.1", 0, is_master=True, wait_for_workers=False,
                              timeout=datetime.timedelta(seconds=seconds))
        done = threading.Event()

        def poll():  # rank 0's progress, shown by the caller
            seen = None
            while not done.wait(0.25):
                p = _read(folder / "progress.json")
                if p and p != seen and on_window:
                    seen = p
                    on_window(*p)

        poller = threading.Thread(target=poll, daemon=True)
        watch = None
        try:
            ctx = tmp_mp.start_processes(_rank_entry, args=(cfg, str(folder), save, nproc, store.port, seconds),
                                         nprocs=nproc, join=False, start_method="spawn")
            watch = _Watch(ctx.processes, folder, store, seconds, notice)
            poller.start()
            watch.run()
        except KeyboardInterrupt:  # while the ranks were being started
            if watch is None:
                raise
            watch.interrupt()
            watch.run()
        finally:
            done.set()
            if poller.is_alive():
                poller.join(2)
            if watch is not None:  # never leave a rank behind
                for i in watch.alive():
                    watch._kill(i, None)
                for p in watch.procs:
                    p.join(5)
        return _outcome(watch, folder, nproc)


__all__ = ["probe_distributed", "rank_probe", "in_torchrun", "merge", "thread_share", "Ranks", "RanksLost",
           "collective_timeout"]
