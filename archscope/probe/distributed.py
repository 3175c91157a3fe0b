"""Data-parallel probe runs: ``archscope probe MODEL --nproc-per-node N``.

N processes train one model with ``DistributedDataParallel``. On one machine
archscope starts them with torch.distributed's elastic launcher
(``torch.distributed.launcher.api.elastic_launch``, the API ``torchrun`` is
built on, with ``torchrun --standalone``'s rendezvous: c10d on a free local
port). On a cluster, ``torchrun`` itself starts them on every node with its
own rendezvous options (``torchrun --nnodes 2 --nproc-per-node 8
--rdzv-backend c10d --rdzv-endpoint HOST:PORT --rdzv-id JOB -m archscope
probe MODEL``): a process torchrun started is a rank already, which
archscope reads from the environment torchrun sets (``in_torchrun``).

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
  every rank holds the same weights), images/s summed over the ranks, each
  rank's peak memory (the highest in the table), MFU of the summed FLOP/s
  against the ranks' summed peaks.
- Stopping: a rank that meets a non-finite loss or a Ctrl-C (SIGINT or
  SIGTERM sets a flag, it does not raise) says so in one all-reduce at the
  end of each 10-step window, and every rank stops at that window: a rank
  that stopped alone would leave the others waiting in the next all-reduce.
  Rank 0 then writes what finished, as the one-process probe does.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import torch

from archscope.errors import ArchscopeError

_STOP = threading.Event()  # set by SIGINT / SIGTERM in a rank: stop at the next window's end


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

    def device(self, device: str) -> torch.device:
        from archscope.probe.device import resolve_device

        dev = resolve_device(device)
        return torch.device("cuda", self.local_rank) if dev.type == "cuda" else dev

    def wrap(self, model):
        from torch.nn.parallel import DistributedDataParallel

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


def _env_int(name: str, default: int) -> int:
    v = os.environ.get(name, "")
    return int(v) if v.isdigit() else default


def thread_share(local_world: int, cores: int) -> int:
    """Threads for each of ``local_world`` ranks on ``cores`` cores (at least
    one; ``ARCHSCOPE_THREADS`` caps it)."""
    share = max(1, cores // max(1, local_world))
    cap = os.environ.get("ARCHSCOPE_THREADS", "")
    return min(share, int(cap)) if cap.isdigit() and int(cap) > 0 else share


def _join(device: str) -> Ranks:
    """Join the group torchrun's environment describes (``env://``)."""
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
    os.environ["ARCHSCOPE_THREADS"] = str(thread_share(local_world, len(available_cores())))
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: _STOP.set())
    if cuda:
        torch.cuda.set_device(local_rank)
    backend = "nccl" if cuda else "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend)
    return Ranks(rank, world, local_rank, local_world, backend,
                 torch.device("cuda", local_rank) if cuda else torch.device("cpu"))


def _summary(r, rank: int) -> dict:
    """What rank 0 needs from every rank (plain data, gathered)."""
    return {"rank": rank, "device": r.device, "steps": r.steps, "images_seen": r.images_seen,
            "images_per_s": r.images_per_s, "examples_per_s": r.examples_per_s, "steps_per_s": r.steps_per_s,
            "train_seconds": r.train_seconds, "peak_memory_bytes": r.peak_memory_bytes,
            "peak_flops_measured": r.peak_flops_measured, "stopped": r.stopped}


def merge(lead, summaries: list[dict], backend: str):
    """One result from rank 0's and every rank's summary: rank 0's checks and
    accuracies; images/s, examples/s and images seen summed; steps/s the
    slowest rank's (each step ends in an all-reduce, so the ranks step
    together); peak memory the highest rank's (each rank holds one batch, as
    the estimate assumes); FLOP/s from archscope's per-image count times the
    summed images/s, against the ranks' summed measured matmul peaks and,
    on GPUs (one a rank), the data sheet's peak times the ranks."""
    from archscope.probe.device import mfu

    world = len(summaries)
    r = replace(lead, notes=list(lead.notes), settings=dict(lead.settings))

    def total(key):
        vals = [s.get(key) for s in summaries]
        return sum(vals) if vals and all(v is not None for v in vals) else None

    r.world_size, r.ranks = world, [dict(s) for s in summaries]
    r.images_per_s, r.examples_per_s = total("images_per_s"), total("examples_per_s")
    r.images_seen = total("images_seen") or 0
    rates = [s["steps_per_s"] for s in summaries if s.get("steps_per_s")]
    r.steps_per_s = min(rates) if len(rates) == world else None
    peaks = [s["peak_memory_bytes"] for s in summaries if s.get("peak_memory_bytes")]
    r.peak_memory_bytes = max(peaks) if peaks else None
    r.memory_ratio = (r.peak_memory_bytes / r.estimated_train_memory_bytes
                      if r.peak_memory_bytes and r.estimated_train_memory_bytes else None)
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
                   f"{batch * world if batch else '?'} a step; images/s summed over the ranks; checks and "
                   f"accuracies from rank 0; peak memory per rank (MiB): {per_rank}")
    return r


def rank_probe(cfg, *, save=None, on_window=None, notice=None):
    """This process's part of a data-parallel probe run (it must be a rank:
    started by ``probe_distributed`` or by torchrun). Returns the merged
    result on rank 0, None on the others."""
    import torch.distributed as dist

    from archscope.probe.train import run

    ranks = _join(cfg.device)
    try:
        r = run(cfg, save=save if ranks.rank == 0 else None, on_window=on_window if ranks.rank == 0 else None,
                notice=notice, _retry=False, ranks=ranks)
        summaries = [None] * ranks.world
        dist.all_gather_object(summaries, _summary(r, ranks.rank))
        if ranks.rank != 0:
            return None
        merged = merge(r, summaries, ranks.backend)
        if _STOP.is_set() and not merged.interrupted:  # Ctrl-C after the last window: every figure is measured
            merged.interrupted = True
            merged.notes.append("interrupted after the training: every figure above was measured")
        return merged
    finally:
        with contextlib.suppress(Exception):
            dist.destroy_process_group()


# ---- one machine: the elastic launcher -------------------------------------------------------

def _write_json(path: Path, data) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(data, default=str))
    os.replace(tmp, path)


def _rank_main(cfg, folder: str, save):
    """The elastic launcher's entry point, in each rank: run, and let rank 0
    write the result (or any rank its error) into ``folder``, which the
    launching process reads however the launch ended."""
    import sys

    sys.stdout = sys.stderr  # the launching process's stdout carries the result (-f json)
    out = Path(folder)
    last = [0.0]

    def progress(done, total, loss, ips):  # rank 0's windows, for the launcher's progress bar
        now = time.monotonic()
        if now - last[0] >= 0.3 or done == total:
            last[0] = now
            _write_json(out / "progress.json", [done, total, loss, ips])

    def notice(text):
        print(f"archscope: rank {os.environ.get('RANK', '?')}: {text}", file=sys.stderr, flush=True)

    try:
        r = rank_probe(cfg, save=save, on_window=progress, notice=notice)
    except BaseException as e:
        _write_json(out / f"error-{os.environ.get('RANK', '0')}.json",
                    {"type": type(e).__name__, "archscope": isinstance(e, ArchscopeError),
                     "message": (str(e).strip().splitlines() or [""])[0]})
        raise
    if r is not None:
        _write_json(out / "result.json", r.to_dict())
    if _STOP.is_set():
        # the launcher stopping after a signal no longer reads a rank's return value, and a rank that returns
        # waits for it to (up to the launcher's 30-second shutdown timeout): the result is written, so leave now
        sys.stderr.flush()
        os._exit(0)


def result_from_dict(d: dict):
    from archscope.probe.train import Check, ProbeResult

    names = {f.name for f in fields(ProbeResult)}
    kw = {k: v for k, v in d.items() if k in names}
    kw["checks"] = [Check(**c) for c in d.get("checks", [])]
    return ProbeResult(**kw)


def _read(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def _launcher_quiet():
    """The elastic agent logs each stage at WARNING (no run id given,
    closing processes after a signal); archscope says what matters itself.
    It also installs its own SIGINT/SIGTERM/SIGHUP/SIGQUIT handlers and an
    environment variable; both are put back afterwards."""
    # torch's elastic loggers each set their own level, so each is quietened, not their parent
    logs = [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)
            if n.startswith(("torch.distributed", "torch.multiprocessing"))]
    levels = [log.level for log in logs]
    if not os.environ.get("ARCHSCOPE_DEBUG"):  # a failed rank is reported by archscope, in one line
        for log in logs:
            log.setLevel(logging.CRITICAL)
    sigs = [s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None),
                        getattr(signal, "SIGQUIT", None)) if s is not None]
    handlers = {s: signal.getsignal(s) for s in sigs}
    env = os.environ.get("TORCHELASTIC_SIGNALS_TO_HANDLE")
    try:
        yield
    finally:
        for log, level in zip(logs, levels):
            log.setLevel(level)
        for s, h in handlers.items():
            with contextlib.suppress(ValueError, TypeError, OSError):
                signal.signal(s, h)
        if env is None:
            os.environ.pop("TORCHELASTIC_SIGNALS_TO_HANDLE", None)
        else:
            os.environ["TORCHELASTIC_SIGNALS_TO_HANDLE"] = env


def probe_distributed(cfg, nproc: int, *, save=None, on_window=None, notice=None):
    """``cfg`` trained by ``nproc`` data-parallel processes on this machine
    (see the module docstring); one merged ``ProbeResult``. Ctrl-C keeps what
    finished (the result says so); a rank that fails is one error naming it."""
    from torch.distributed.elastic.multiprocessing import DefaultLogsSpecs, SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    from archscope.probe.cpus import available_cores
    from archscope.probe.device import resolve_device
    from archscope.zoo import model_info

    if not isinstance(nproc, int) or isinstance(nproc, bool) or nproc < 1:
        raise ArchscopeError(f"`nproc_per_node` must be a positive integer, got {nproc!r}")
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
    with tempfile.TemporaryDirectory(prefix="archscope-ddp-") as tmp:
        folder = Path(tmp)
        config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=nproc, run_id=f"archscope-{uuid.uuid4().hex}",
                              rdzv_backend="c10d", rdzv_endpoint="localhost:0", max_restarts=0, start_method="spawn",
                              logs_specs=DefaultLogsSpecs(log_dir=str(folder / "logs")), monitor_interval=0.1)
        done = threading.Event()

        def poll():  # rank 0's progress, shown by the caller
            seen = None
            while not done.wait(0.25):
                p = _read(folder / "progress.json")
                if p and p != seen and on_window:
                    seen = p
                    on_window(*p)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        interrupted, failure = False, None
        try:
            with _launcher_quiet():
                elastic_launch(config, _rank_main)(cfg, str(folder), save)
        except (SignalException, KeyboardInterrupt):
            interrupted = True
        except ChildFailedError as e:
            failure = e
        finally:
            done.set()
            poller.join(2)
        data = _read(folder / "result.json")
        if data is None:
            if interrupted:
                raise KeyboardInterrupt
            errors = sorted((int(f.stem.split("-")[1]), _read(f)) for f in folder.glob("error-*.json"))
            for rank, e in errors:  # the lowest rank's error (every rank usually fails alike)
                if e:
                    text = f"rank {rank} of {nproc}: {e['message']}"
                    if e["archscope"] or e["type"] in ("OutOfMemoryError", "MemoryError"):
                        raise ArchscopeError(text)
                    raise RuntimeError(f"{e['type']}: {text}")
            why = (str(failure).strip().splitlines() or ["no rank reported"])[0] if failure else "no rank reported"
            raise RuntimeError(f"the data-parallel run ended without a result: {why}")
    result = result_from_dict(data)
    if interrupted and not result.interrupted:
        result.interrupted = True
        result.stopped = result.stopped or "interrupted"
    return result


__all__ = ["probe_distributed", "rank_probe", "in_torchrun", "merge", "thread_share", "Ranks"]
