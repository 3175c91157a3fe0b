"""The probe: a training run that validates a model end to end and measures
its cost against archscope's own predictions.

Checks (each pass/fail): the loss stays finite; it falls (first window against
last); held-out accuracy beats chance by a clear margin; one fixed batch can be
overfitted from scratch (the classic sanity check); outputs have the right
shape; a failed check says what to try, computed from the run (``Check.hint``).
Measurements: one throughput, ``images_per_s`` (``THROUGHPUT`` says what it
counts), and apart from it the run's wall times (``wall_seconds``,
``train_seconds``, ``eval_seconds``); peak memory (on CUDA compared with the
analysis's training-memory estimate; on the CPU the RSS growth, which is not
comparable with it: see ``CPU_MEMORY``; the data set's own memory reported
apart); achieved FLOP/s from archscope's FLOP count and MFU against the
device's peak.

One run is one ``TrainConfig`` (``archscope.probe.config``) and every
training step is ``archscope.probe.step.train_step``. Epochs are what a
PyTorch ``DataLoader(shuffle=True)`` gives: a fresh permutation each epoch and
the last, smaller batch kept (d2l's ``load_data_fashion_mnist``: 235 batches
of at most 256 per epoch). Beside the eval-mode accuracies, every epoch's
running mean loss and accuracy in training mode are kept: what d2l's
``train_ch6`` prints as "train loss" and "train acc".

Ctrl-C anywhere in a run keeps what finished: the result says in which stage
it was interrupted (``interrupted`` is set, ``status`` is INTERRUPTED, and a
check the run stopped before it could pass is "interrupted", not failed) and
holds every figure measured before it.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import asdict, dataclass, field, fields, replace

import torch

from archscope.errors import ArchscopeError
from archscope.probe import data as datasets
from archscope.probe.config import TrainConfig
from archscope.probe.device import device_name, known_peak, measured_matmul_peak, mfu, resolve_device
from archscope.probe.step import Amp, init_weights, logits_of, make_optimizer, train_step

WINDOW = 10  # steps per timing window

# The probe's one throughput, as its JSON states it beside the figure.
THROUGHPUT = ("images per second of training steps: the images the steps after the warm-up trained on, over the "
              "wall time those steps took (forward, backward, optimizer step and each batch's indexing on the device; "
              "10-step windows, the warm-up's excluded); loading the data, the per-epoch evaluations and the checks "
              "are not in it: their time is in wall_seconds")
# Why the CPU's memory figure is not set against the estimate (the table shows no ratio on the CPU).
CPU_MEMORY_WHY = ("RSS counts the allocator's cached pages, libraries' workspaces and thread stacks, and misses memory "
                  "freed and reused between ops (on CUDA the allocator's peak counts tensors and is compared)")
CPU_MEMORY = "not comparable with archscope's estimate of the training tensors, so no ratio is given: " + CPU_MEMORY_WHY


@dataclass
class Check:
    name: str
    passed: bool
    detail: str
    hint: str | None = None  # what to try, when it failed (computed from the run)
    status: str = ""  # "pass", "fail", or "interrupted" (the run stopped before this check could pass)

    def __post_init__(self):
        self.status = self.status or ("pass" if self.passed else "fail")


@dataclass
class ProbeResult:
    model: str
    device: str
    device_type: str
    torch: str
    settings: dict
    steps: int
    checks: list = field(default_factory=list)
    losses: list = field(default_factory=list)  # per window means
    final_loss: float | None = None  # mean training loss over the last window
    train_accuracy: float | None = None  # eval-mode accuracy on the training split
    test_accuracy: float | None = None
    chance: float | None = None
    num_classes: int | None = None
    epoch_losses: list = field(default_factory=list)  # running mean training loss of each whole epoch (train mode)
    epoch_accuracies: list = field(default_factory=list)  # running training accuracy of each whole epoch
    # runs of whole epochs: after every epoch, d2l's train_ch6 figures (article 002, lines 400-415): that epoch's
    # running train loss and accuracy (training mode) and the test accuracy (eval mode, the whole test split)
    history: list = field(default_factory=list)  # {"epoch", "train_loss", "train_accuracy", "test_accuracy"}
    step_losses: list = field(default_factory=list)  # the first `trace_steps` steps' losses (run(trace_steps=N))
    step_seconds: float | None = None  # wall seconds a training step, the training loop's mean
    eval_seconds: float = 0.0  # the per-epoch evaluations (not in train_seconds)
    wall_seconds: float | None = None  # the whole run: analysis, data, training, evaluations, checks
    path: str = "plain"  # which training path ran it (archscope.probe.paths)
    machine: dict = field(default_factory=dict)  # CPU model, cores, GPU (archscope.probe.device.machine)
    images_seen: int = 0
    train_seconds: float | None = None  # wall time of the training loop alone (warm-up included)
    # the one throughput (THROUGHPUT): timed["images"] / timed["seconds"], over timed["steps"] steps
    images_per_s: float | None = None
    timed: dict = field(default_factory=dict)
    time_split_s: dict | None = None
    peak_memory_bytes: int | None = None
    memory_kind: str = ""
    estimated_train_memory_bytes: int | None = None
    memory_ratio: float | None = None
    data_memory_bytes: int | None = None  # the data set's tensors (both splits), apart from the training memory
    data: dict = field(default_factory=dict)  # where the data came from and how it was verified
    train_flops_per_step: int | None = None
    achieved_flops_per_s: float | None = None
    peak_flops_known: float | None = None
    peak_flops_measured: float | None = None
    mfu_known: float | None = None
    mfu_measured: float | None = None
    stopped: str | None = None  # why the run ended early (NaN, interrupted, OOM)
    interrupted: bool = False
    retried_from_batch: int | None = None  # the batch size that ran out of memory before this run's
    notes: list = field(default_factory=list)
    world_size: int = 1  # data-parallel ranks (`probe --nproc-per-node`): images/s is their sum, batch is per rank
    ranks: list = field(default_factory=list)  # with world_size > 1: each rank's device, images/s and peak memory

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks) and not self.stopped

    @property
    def status(self) -> str:
        """PASS, FAIL, or INTERRUPTED (Ctrl-C, SIGTERM, a lost rank: what finished is kept, nothing judged failed)."""
        return "INTERRUPTED" if self.interrupted else "PASS" if self.passed else "FAIL"

    @property
    def last_epoch_loss(self) -> float | None:
        return self.epoch_losses[-1] if self.epoch_losses else None

    @property
    def last_epoch_accuracy(self) -> float | None:
        return self.epoch_accuracies[-1] if self.epoch_accuracies else None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["passed"] = self.passed
        d["status"] = self.status
        d["throughput"] = {"images_per_s": self.images_per_s, **self.timed, "definition": THROUGHPUT}
        del d["timed"]
        if self.device_type == "cpu" and self.memory_kind:
            d["memory_note"] = CPU_MEMORY
        return d


# ---- memory on the CPU ------------------------------------------------------------

def _reset_peak_rss() -> bool:
    """Linux: writing 5 to /proc/self/clear_refs resets the peak RSS (VmHWM),
    so the peak measured after it is the training's, not the data loading's."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _status_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def clear_margin(chance: float) -> float:
    """The accuracy that counts as learning: twice chance and 0.2 above it."""
    return max(2 * chance, chance + 0.2)


def training_defaults(info, dev, optimizer: str = "adam") -> dict:
    """What the probe uses for a setting the caller leaves out (the sweep's
    base values)."""
    c = TrainConfig(info.name, optimizer=optimizer).resolve(info, dev)
    return {"optimizer": c.optimizer, "weight_decay": c.weight_decay, "momentum": c.momentum, "lr": c.lr,
            "batch_size": c.batch_size, "steps": c.steps, "init": c.init, "scaling": c.scaling}


# ---- batches ---------------------------------------------------------------------

def batches(n: int, batch_size: int, generator, rank: int = 0, world: int = 1):
    """Indices of an endless run of epochs: a fresh permutation each epoch,
    the last partial batch kept (``DataLoader(shuffle=True)``). Yields
    (epoch, last_batch_of_epoch, indices).

    With ``world`` > 1 (data-parallel ranks, all drawing the same
    permutation from the same seed) rank ``rank`` takes every ``world``-th
    index of it, padded with its first indices to a multiple of ``world``:
    what ``DistributedSampler(shuffle=True, drop_last=False)`` gives, so
    every rank takes the same number of steps per epoch."""
    epoch = 0
    while True:
        order = torch.randperm(n, generator=generator)
        if world > 1:
            per_rank = math.ceil(n / world)
            order = torch.cat([order, order[:per_rank * world - n]])[rank::world]
        m = len(order)
        for i in range(0, m, batch_size):
            yield epoch, i + batch_size >= m, order[i:i + batch_size]
        epoch += 1


# ---- the run -----------------------------------------------------------------------

_PROBE_KEYS = {f.name for f in fields(TrainConfig)} - {"model", "input_shape"}


def probe(name: str, *, input_shape=None, save=None, on_window=None, notice=None, **settings) -> ProbeResult:
    """Train ``name`` briefly; see the module docstring. Keyword arguments are
    ``TrainConfig`` fields; ``save`` writes the trained weights there
    (``.safetensors``, or a ``torch.save`` state dict)."""
    unknown = set(settings) - _PROBE_KEYS
    if unknown:
        raise TypeError(f"probe() got unexpected settings {sorted(unknown)}")
    settings["overrides"] = dict(settings.get("overrides") or {})
    cfg = TrainConfig(model=name, input_shape=tuple(input_shape) if input_shape else None, **settings)
    return run(cfg, save=save, on_window=on_window, notice=notice)


def run(cfg: TrainConfig, *, save=None, on_window=None, notice=None, _retry: bool = True,
        ranks=None, trace_steps: int = 0) -> ProbeResult:
    """One probe run of ``cfg`` (``trace_steps``: keep the first N steps'
    losses, for comparing training paths). ``ranks`` (``archscope.probe.distributed``)
    makes it one rank of a data-parallel run: the model wrapped in
    DistributedDataParallel, each rank its shard of every epoch, the ranks
    stopping together (NaN, Ctrl-C) at a window's end, and the evaluation,
    the overfit check and the saving done on rank 0 alone."""
    from archscope.analysis import analyze
    from archscope.probe.device import machine
    from archscope.zoo import get_model, model_info

    cfg.validate()
    dev = ranks.device(cfg.device) if ranks is not None else resolve_device(cfg.device)
    lead = ranks is None or ranks.rank == 0  # the rank that evaluates, checks and saves
    info = model_info(cfg.model)
    name = info.name
    cfg = replace(cfg, model=name).resolve(info, dev)
    # resolve() fills in every default but `steps` (None for a run of epochs) and `momentum` (SGD only)
    assert cfg.input_shape is not None and cfg.batch_size is not None and cfg.precision is not None
    shape = cfg.input_shape
    result = ProbeResult(model=name, device=device_name(dev), device_type=dev.type, torch=torch.__version__,
                         settings=cfg.settings(), steps=0, machine=machine(dev))
    stage = "the analysis"
    loop: _Loop | None = None
    # None until built; set to None again before an out-of-memory retry, to free what they hold
    model: torch.nn.Module | None = None
    train: datasets.Split | None = None
    test: datasets.Split | None = None
    slots = contextlib.ExitStack()
    t_run = time.perf_counter()
    try:
        if dev.type == "cpu":  # threads = the cores no other archscope run holds (archscope.probe.cpus)
            from archscope.probe.cpus import reserved_cores

            cores = slots.enter_context(reserved_cores(cfg.threads, on_wait=notice, threads=cfg.threads))
            result.settings["threads"] = torch.get_num_threads()
            result.device = device_name(dev)  # with the threads it runs on
            result.notes.append(f"CPU threads: {torch.get_num_threads()} (cores {', '.join(map(str, cores))})")
        # The analysis validates the model at this input (a clear error naming the
        # layer if it does not fit) and gives the FLOPs and memory to compare with.
        a = analyze(get_model(name, device="meta", **cfg.overrides) if cfg.overrides else name, shape,
                    batch=cfg.batch_size)
        result.estimated_train_memory_bytes = (a.totals.train_memory_bytes if cfg.optimizer == "sgd"
                                               else a.totals.train_memory_adam_bytes)
        result.train_flops_per_step = a.totals.train_flops

        stage = "building the model"
        torch.manual_seed(cfg.seed)
        model = get_model(name, **cfg.overrides)
        init_weights(model, cfg.init)
        model = model.to(dev)
        num_classes = result.num_classes = logits_of(model.eval()(torch.zeros(1, *shape, device=dev))).shape[-1]

        stage = "loading the data"
        provenance: dict = {}
        train, test, classes = datasets.load(cfg.dataset, shape, data_dir=cfg.data_dir, seed=cfg.seed, device=dev,
                                             classes=min(datasets.SYNTHETIC_CLASSES, num_classes),
                                             n_train=max(2048, 4 * cfg.batch_size), n_test=512, scaling=cfg.scaling,
                                             download=cfg.download, notice=notice, provenance=provenance)
        result.data = provenance
        result.data_memory_bytes = sum(t.numel() * t.element_size() for t in (train.x, train.y, test.x, test.y))
        if classes > num_classes:
            raise ArchscopeError(f"{name} has {num_classes} outputs; {cfg.dataset} has {classes} classes")
        result.chance = 1 / classes
        n_train = len(train.y)
        if cfg.batch_size > n_train:
            result.notes.append(f"batch size {cfg.batch_size} is more than the {n_train} training images: each step "
                                f"sees {n_train}")
        world = ranks.world if ranks is not None else 1
        steps_per_epoch = math.ceil(math.ceil(n_train / world) / cfg.batch_size)
        steps = cfg.epochs * steps_per_epoch if cfg.epochs is not None else cfg.steps
        result.settings["steps"] = steps

        stage = "training"
        loop = _Loop(amp=Amp.for_precision(dev.type, cfg.precision))
        _train(cfg, model, train, dev, steps, result, loop, on_window, ranks,
               test=test if lead and cfg.epochs is not None else None, trace_steps=trace_steps)
        finished = result.stopped is None
        amp, run_model = loop.amp, loop.eval_model

        # accuracy on the training split (eval mode, so batch-norm uses its running
        # statistics, as at test time) and on the held-out split
        if finished and lead:
            stage = "the evaluation"
            # a run of whole epochs evaluated the test split after its last epoch: the same figure
            result.test_accuracy = result.history[-1]["test_accuracy"] if len(result.history) == cfg.epochs else \
                evaluate(run_model, test, cfg.batch_size, dev, amp, cfg.channels_last)
            if cfg.eval_train:
                result.train_accuracy = evaluate(run_model, train, cfg.batch_size, dev, amp, cfg.channels_last)
        if save is not None and finished and lead:
            from archscope.probe.weights import save_weights

            stage = "saving the weights"
            save_weights(model, save, {"model": name, "overrides": cfg.overrides, "input": list(shape),
                                       "dataset": cfg.dataset, "steps": result.steps, "seed": cfg.seed,
                                       "test_accuracy": result.test_accuracy})
            result.notes.append(f"weights saved to {save}")

        if cfg.detail and finished:  # after the evaluation and the saving: its ten extra steps change neither
            stage = "the detailed timing"
            result.time_split_s = _time_split(run_model, loop.opt, train, cfg, dev, amp)

        stage = "measuring the device's peak"
        result.peak_flops_known = known_peak(result.device, cfg.precision)
        if result.achieved_flops_per_s:
            result.peak_flops_measured = measured_matmul_peak(dev, cfg.precision)
            result.mfu_known = mfu(result.achieved_flops_per_s, result.peak_flops_known)
            result.mfu_measured = mfu(result.achieved_flops_per_s, result.peak_flops_measured)

        stage = "the checks"
        _basic_checks(result, loop, cfg)
        if cfg.overfit_check and finished and lead:
            stage = "the one-batch overfit check"
            result.checks.append(_overfit_one_batch(cfg, train, dev, amp, dict(info.probe).get("overfit_steps", 100)))
    except KeyboardInterrupt:
        result.interrupted = True
        result.stopped = f"interrupted during {stage}" + (f" at step {result.steps}" if stage == "training" else "")
        if not result.checks and result.chance is not None:
            _basic_checks(result, loop, cfg)
    except torch.cuda.OutOfMemoryError:
        if ranks is not None:  # the other ranks wait in a collective for this one: end the whole run
            raise
        result.stopped = f"out of memory at batch size {cfg.batch_size}"
        _basic_checks(result, loop, cfg)
    except Exception as e:  # a data-parallel rank whose peer died or went silent: keep what it finished
        lost = ranks.lost(e) if ranks is not None else None
        if not lost:
            raise
        result.interrupted = True
        result.stopped = f"{lost} during {stage}" + (f" at step {result.steps}" if stage == "training" else "")
        if not result.checks and result.chance is not None:
            _basic_checks(result, loop, cfg)
    finally:
        slots.close()
        result.wall_seconds = time.perf_counter() - t_run
    if result.interrupted:  # nothing failed: the run stopped before these checks could pass
        for c in result.checks:
            if not c.passed:
                c.status, c.hint = "interrupted", None
    if result.stopped and result.stopped.startswith("out of memory") and _retry and cfg.batch_size > 1:
        # retried outside the except block, once this run's model, data and traceback are gone,
        # so that the memory they held is free for the retry
        import gc

        loop = model = train = test = None  # noqa: F841
        gc.collect()
        if dev.type == "cuda":
            torch.cuda.empty_cache()
        r = run(replace(cfg, batch_size=cfg.batch_size // 2), save=save, on_window=on_window, notice=notice,
                _retry=False)
        r.retried_from_batch = cfg.batch_size
        r.notes.append(f"out of memory at batch size {cfg.batch_size}; retried at {cfg.batch_size // 2}")
        return r
    return result


@dataclass
class _Loop:
    """What the training loop hands to the stages after it."""

    amp: Amp
    run_model: object = None  # the model as trained (compiled, channels-last, DDP-wrapped)
    eval_model: object = None  # the model the evaluation runs: run_model, or the module inside DDP
    opt: object = None
    logits_shape: tuple | None = None  # of the first step's output
    batch: int | None = None  # that step's batch


def _train(cfg, model, train, dev, steps, result, loop: _Loop, on_window, ranks=None, test=None,
           trace_steps: int = 0):
    """The training loop; fills ``result``'s losses, timing and memory. A
    KeyboardInterrupt propagates after the figures so far are recorded.
    With ``test``, the test split is evaluated after every epoch (d2l's
    ``train_ch6``) into ``result.history``; that time is left out of the
    training loop's."""
    if cfg.channels_last:
        model = model.to(memory_format=torch.channels_last)
    if ranks is not None:
        # rank 0 evaluates alone: through the module itself, since DDP's forward may talk to the other ranks
        loop.eval_model = torch.compile(model) if cfg.compile else model
        wrapped = ranks.wrap(model)
        run_model = loop.run_model = torch.compile(wrapped) if cfg.compile else wrapped
    else:
        run_model = loop.run_model = loop.eval_model = torch.compile(model) if cfg.compile else model
    opt = loop.opt = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr, cfg.momentum, cfg.weight_decay)
    amp = loop.amp
    warmup = min(10, max(1, steps // 10))  # steps excluded from the timing (first calls, allocator, compile)
    g = torch.Generator(device="cpu").manual_seed(cfg.seed)
    rss_before: int | None  # None: the CPU's peak RSS could not be reset
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
        rss_before = torch.cuda.memory_allocated(dev)  # weights and the data set on the device: not the training's
    else:
        reset = _reset_peak_rss()
        rss_before = (_status_kb("VmRSS") or 0) if reset else None
    window_losses = []
    timed_steps, timed_images, timed_seconds = 0, 0, 0.0  # the windows after the warm-up (THROUGHPUT)
    last_good = None
    # running sums of the current epoch, on the device (no sync per step)
    loss_sum = torch.zeros((), device=dev)
    correct = torch.zeros((), dtype=torch.int64, device=dev)
    seen_in_epoch = 0
    model.train()
    t_start = t_window = time.perf_counter()
    losses_in_window, images_in_window = [], 0
    try:
        it = batches(len(train.y), cfg.batch_size, g, *((ranks.rank, ranks.world) if ranks is not None else ()))
        for step in range(steps):
            epoch, last_of_epoch, idx = next(it)
            idx = idx.to(dev)
            xb, yb = train.x.index_select(0, idx), train.y.index_select(0, idx)
            if cfg.channels_last:
                xb = xb.contiguous(memory_format=torch.channels_last)
            loss, logits = train_step(run_model, opt, xb, yb, amp)
            if loop.logits_shape is None:
                loop.logits_shape, loop.batch = tuple(logits.shape), len(yb)
            n = len(yb)
            loss_sum += loss.float() * n
            correct += (logits.argmax(-1) == yb).sum()
            seen_in_epoch += n
            images_in_window += n
            losses_in_window.append(loss)
            result.steps = step + 1
            result.images_seen += n
            if step < trace_steps:
                result.step_losses.append(float(loss))
            if last_of_epoch:
                result.epoch_losses.append(float(loss_sum) / seen_in_epoch)
                result.epoch_accuracies.append(int(correct) / seen_in_epoch)
                if test is not None and torch.isfinite(loss_sum):
                    te = time.perf_counter()
                    acc = evaluate(loop.eval_model, test, cfg.batch_size, dev, amp, cfg.channels_last)
                    result.history.append({"epoch": epoch + 1, "train_loss": result.epoch_losses[-1],
                                           "train_accuracy": result.epoch_accuracies[-1], "test_accuracy": acc})
                    spent = time.perf_counter() - te
                    result.eval_seconds += spent
                    t_window += spent  # the evaluation is not training time
                    t_start += spent
                loss_sum.zero_()
                correct.zero_()
                seen_in_epoch = 0
            if (step + 1) % WINDOW == 0 or step + 1 == steps:
                _sync(dev)  # once per window, never inside it
                vals = torch.stack(losses_in_window).float().cpu()
                if ranks is not None:  # every rank stops at the same window, or the others would wait for it
                    diverged, stop = ranks.any_of(not bool(torch.isfinite(vals).all()), ranks.stop_requested())
                    if stop:
                        raise KeyboardInterrupt
                    if diverged and torch.isfinite(vals).all():
                        result.stopped = f"non-finite loss on another rank by step {step + 1}"
                        break
                if not torch.isfinite(vals).all():
                    i = int((~torch.isfinite(vals)).nonzero()[0])
                    good = float(vals[i - 1]) if i > 0 else last_good
                    result.stopped = (f"non-finite loss at step {step + 2 - len(vals) + i} (last good loss "
                                      f"{'none: it diverged at once' if good is None else f'{good:.4g}'})")
                    break
                last_good = float(vals[-1])
                window_losses.append(float(vals.mean()))
                now = time.perf_counter()
                if step + 1 - WINDOW >= warmup and len(vals) == WINDOW:  # windows holding no warm-up step
                    timed_steps += WINDOW
                    timed_images += images_in_window
                    timed_seconds += now - t_window
                t_window = now
                losses_in_window, images_in_window = [], 0
                if on_window:
                    on_window(result.steps, steps, last_good, timed_images / timed_seconds if timed_seconds else None)
    finally:
        _sync(dev)
        result.train_seconds = time.perf_counter() - t_start
        if result.steps:
            result.step_seconds = result.train_seconds / result.steps
        result.losses = window_losses
        result.final_loss = window_losses[-1] if window_losses else None
        if timed_seconds > 0:
            result.timed = {"images": timed_images, "seconds": timed_seconds, "steps": timed_steps}
            result.images_per_s = timed_images / timed_seconds
            if result.train_flops_per_step:
                # the analysis counts FLOPs for a full batch; scale to the images a step really saw
                per_image = result.train_flops_per_step / cfg.batch_size
                result.achieved_flops_per_s = per_image * result.images_per_s
        if rss_before is None:  # the CPU's peak RSS could not be reset (not Linux): no figure
            pass
        elif dev.type == "cuda":
            result.peak_memory_bytes = max(0, torch.cuda.max_memory_allocated(dev) - rss_before)
            result.memory_kind = "CUDA allocator peak over the training loop, less what was allocated before it"
        else:
            peak = _status_kb("VmHWM")
            result.peak_memory_bytes = max(0, (peak or 0) - rss_before)
            result.memory_kind = "CPU peak RSS growth over the training loop (the data set is loaded before it)"
        if dev.type == "cuda" and result.peak_memory_bytes and result.estimated_train_memory_bytes:
            result.memory_ratio = result.peak_memory_bytes / result.estimated_train_memory_bytes


def nice_ceil(n: float) -> int:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 times a power of ten that is at least ``n`` (a step count a
    person would type)."""
    n = max(1.0, n)
    mag = 10 ** math.floor(math.log10(n))
    return math.ceil(next(m * mag for m in (1, 1.5, 2, 3, 4, 5, 6, 8, 10) if m * mag >= n - 1e-9) - 1e-9)


def _lower_lr(cfg) -> str:
    return f"a lower --lr (this run's {cfg.lr:g}; e.g. {cfg.lr / 10:g})" if cfg is not None and cfg.lr else \
        "a lower --lr"


def _longer(cfg, result, factor: float) -> str:
    """--steps (or --epochs, for a run of whole epochs) ``factor`` times this run's, rounded up to a number a
    person would type."""
    if cfg is not None and cfg.epochs is not None:
        return f"--epochs {nice_ceil(cfg.epochs * factor)}"
    return f"--steps {nice_ceil(result.steps * factor)}"


def accuracy_hint(result: ProbeResult, need: float, cfg=None) -> str | None:
    """What to try when the held-out accuracy misses the margin, from the run: where it rose above chance,
    the run length at which the gain would reach the margin at this run's rate (learning slows as it goes,
    so this is at least what is needed); where it did not, a lower learning rate if the loss did not fall,
    else a much longer run."""
    acc, chance, steps = result.test_accuracy, result.chance, result.steps
    if acc is None or chance is None or not steps:
        return None
    wl = result.losses
    if acc > chance:
        factor = (need - chance) / (acc - chance)
        return (f"train longer: {_longer(cfg, result, factor)} or more (this run gained {acc - chance:.3f} over "
                f"chance in {steps:,} steps; the margin needs {need - chance:.3f}, and learning slows as it goes)")
    if len(wl) >= 2 and wl[-1] < wl[0]:
        return f"no gain over chance yet though the loss fell: train much longer ({_longer(cfg, result, 10)})"
    return f"the loss did not fall: try {_lower_lr(cfg)}"


def _basic_checks(result: ProbeResult, loop: _Loop | None, cfg=None) -> None:
    c = result.checks
    finite = result.stopped is None or "non-finite" not in result.stopped
    precision = getattr(cfg, "precision", None)
    c.append(Check("loss finite", finite, result.stopped or "every step",
                   None if finite else f"try {_lower_lr(cfg)}" + (" or --precision fp32" if precision not in
                                                                  (None, "fp32") else "")))
    wl = result.losses
    if len(wl) >= 2:
        c.append(Check("loss falls", wl[-1] < wl[0], f"{wl[0]:.3f} -> {wl[-1]:.3f} (first vs last window)",
                       None if wl[-1] < wl[0] else f"try {_lower_lr(cfg)}"))
    else:  # the loss is compared between windows of WINDOW steps, the first one after the warm-up
        c.append(Check("loss falls", False, "fewer than two windows",
                       f"train longer: --steps {2 * WINDOW} or more"))
    chance, acc = result.chance, result.test_accuracy
    if acc is None or chance is None:  # a test accuracy comes after the data, hence the chance, is known
        c.append(Check("held-out accuracy above chance", False, "not measured", None))
    else:
        need = clear_margin(chance)
        ok = acc >= need
        c.append(Check("held-out accuracy above chance", ok, f"{acc:.3f} vs chance {chance:.3f} (needs >= {need:.3f})",
                       None if ok or not finite else accuracy_hint(result, need, cfg)))
    shape = loop.logits_shape if loop is not None else None
    batch = loop.batch if loop is not None else None
    ok = shape is not None and len(shape) == 2 and shape[0] == batch and shape[1] == result.num_classes
    c.append(Check("outputs have the right shape", ok, f"(batch, {result.num_classes})" if shape is None or ok
                   else f"{shape} for a batch of {batch}, expected ({batch}, {result.num_classes})",
                   None if ok or shape is None else "the model must return logits of shape (batch, classes)"))


def evaluate(model, split, batch_size, dev, amp: Amp, channels_last) -> float:
    was = model.training
    model.eval()
    correct = torch.zeros((), dtype=torch.int64, device=split.y.device)
    with torch.no_grad(), amp.autocast():
        for i in range(0, len(split.y), batch_size):
            xb = split.x[i:i + batch_size]
            if channels_last:
                xb = xb.contiguous(memory_format=torch.channels_last)
            correct += (logits_of(model(xb)).argmax(-1) == split.y[i:i + batch_size]).sum()
    model.train(was)
    return int(correct) / len(split.y)


def _overfit_one_batch(cfg: TrainConfig, train, dev, amp: Amp, steps: int = 100) -> Check:
    """From scratch, one fixed batch of 16 images: a model that can learn at
    all drives its training loss on it far down (to under half)."""
    from archscope.zoo import get_model

    assert cfg.lr is not None, "a resolved config (TrainConfig.resolve)"
    torch.manual_seed(cfg.seed)
    model = get_model(cfg.model, **cfg.overrides)
    init_weights(model, cfg.init)
    model = model.to(dev).train()
    opt = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr, cfg.momentum, cfg.weight_decay)
    n = min(16, len(train.y))
    xb, yb = train.x[:n], train.y[:n]
    first = last = None
    for _ in range(steps):
        loss, _ = train_step(model, opt, xb, yb, amp)
        v = float(loss)
        first = v if first is None else first
        last = v
        if not math.isfinite(v):
            break
    assert first is not None and last is not None, "`steps` >= 1 (every model's overfit_steps is)"
    ok = math.isfinite(last) and last < 0.5 * first
    return Check("overfits one fixed batch", ok, f"loss {first:.3f} -> {last:.3f} in {steps} steps on {n} images "
                                                  "(needs to halve)",
                 None if ok else f"try {_lower_lr(cfg)}" if not last < first else
                 f"the loss fell, not by half: try another --lr (this run's {cfg.lr:g})")


def _time_split(model, opt, train, cfg: TrainConfig, dev, amp: Amp) -> dict:
    """Ten extra steps of the run's own ``train_step`` (taken after the run's
    figures are measured), synchronised between phases (so slower than the
    timed run): seconds per step in data, forward+backward and optimizer."""
    assert cfg.batch_size is not None, "a resolved config (TrainConfig.resolve)"
    out = {"data": 0.0, "forward_backward": 0.0, "optimizer": 0.0}
    it = batches(len(train.y), cfg.batch_size, torch.Generator().manual_seed(cfg.seed + 1))
    marks = {}

    def after_backward():
        _sync(dev)
        marks["t2"] = time.perf_counter()

    for _ in range(10):
        t0 = time.perf_counter()
        idx = next(it)[2].to(dev)
        xb, yb = train.x.index_select(0, idx), train.y.index_select(0, idx)
        if cfg.channels_last:
            xb = xb.contiguous(memory_format=torch.channels_last)
        _sync(dev)
        t1 = time.perf_counter()
        train_step(model, opt, xb, yb, amp, after_backward=after_backward)
        _sync(dev)
        t3 = time.perf_counter()
        out["data"] += (t1 - t0) / 10
        out["forward_backward"] += (marks["t2"] - t1) / 10
        out["optimizer"] += (t3 - marks["t2"]) / 10
    return out


__all__ = ["probe", "run", "ProbeResult", "Check", "evaluate", "clear_margin", "training_defaults", "batches",
           "accuracy_hint", "nice_ceil", "THROUGHPUT", "CPU_MEMORY", "CPU_MEMORY_WHY"]
