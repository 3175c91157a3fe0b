"""Ablation sweeps: one probe run per setting and repeat, aggregated.

The planner and the aggregation are pure functions of plain data, so they are
tested without training anything; ``run_sweep`` is the loop that calls the
probe. By default independent factors are varied one at a time around the base
setting (the one-factor ablation of article 002, which changes lr, batch size,
activation, pooling and kernel size separately from its defaults), or as a
full grid with ``grid=True``.

Repeat ``r`` of every setting uses seed ``seed + r``: different seeds per
repeat, the same seeds across settings (common random numbers, so the
comparison between settings is not blurred by initialisation luck).

The runs are independent, so ``run_sweep`` hands them to a backend
(``archscope.probe.parallel``: this process, N local processes, or Ray) and
puts the results back in plan order: the table does not depend on where or
in which order the runs ran. What a run computes does depend on its CPU
thread count (float sums are split across threads), so a sweep gives every
run the same ``threads`` (one unless the config says otherwise), whatever
the backend.

The loss and train-accuracy columns are the quantities the runs can be
compared with: runs of whole epochs report the last epoch's running means in
training mode (what d2l's ``train_ch6`` prints as "train loss" and "train
acc", and article 002's tables copy), runs of a number of steps the mean loss
of the last 10-step window and the eval-mode accuracy on the training split.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from archscope.errors import ArchscopeError
from archscope.probe.config import SWEEPABLE as TRAINING_KEYS  # the config's fields a sweep may vary

METRICS = ("final_loss", "train_accuracy", "test_accuracy")  # runs of a number of steps
EPOCH_METRICS = ("epoch_loss", "epoch_accuracy", "test_accuracy")  # runs of whole epochs (d2l's figures)
METRIC_LABELS = {"final_loss": "final loss, last 10 steps", "train_accuracy": "train accuracy, eval mode",
                 "epoch_loss": "train loss, last epoch", "epoch_accuracy": "train accuracy, last epoch",
                 "test_accuracy": "test accuracy"}
METRIC_TEXT = {
    "final_loss": "final loss is the mean training loss over the last 10 steps",
    "train_accuracy": "train accuracy is measured in eval mode on the whole training split after training",
    "epoch_loss": "train loss is the running mean of the training loss over the last epoch, in training mode "
                  "(d2l's \"train loss\")",
    "epoch_accuracy": "train accuracy is the running accuracy over the last epoch, in training mode (d2l's "
                      "\"train acc\")",
    "test_accuracy": "test accuracy is measured in eval mode on the whole test split after training",
}


def metrics_for(cfg) -> tuple:
    """The three columns for runs of ``cfg``: whole epochs report the last
    epoch's running means (d2l's), a number of steps the last window's loss and,
    when the training split is evaluated, the eval-mode train accuracy."""
    if cfg.epochs is None:
        return METRICS
    return ("epoch_loss", "train_accuracy" if cfg.eval_train else "epoch_accuracy", "test_accuracy")


def _coerce(text: str):
    """'0.5' -> 0.5, '8' -> 8, 'none' -> None, 'true' -> True, else the string."""
    t = text.strip()
    low = t.lower()
    if low in ("none", "null"):
        return None
    if low in ("true", "false"):
        return low == "true"
    if re.fullmatch(r"[+-]?\d+", t):
        return int(t)
    try:
        return float(t)
    except ValueError:
        return t


def parse_vary(spec: str) -> tuple[str, list]:
    """'lr=0.1,0.5' -> ('lr', [0.1, 0.5])."""
    key, sep, values = spec.partition("=")
    key = key.strip().replace("-", "_")
    if not sep or not key or not values.strip():
        raise ArchscopeError(f"`vary` needs KEY=V1,V2,...; got {spec!r}")
    vals = [_coerce(v) for v in values.split(",") if v.strip() != ""]
    if not vals:
        raise ArchscopeError(f"`vary` {key}: no values given")
    if len(set(map(repr, vals))) != len(vals):
        raise ArchscopeError(f"`vary` {key}: a value is repeated in {values!r}")
    return key, vals


def check_factors(factors: dict[str, list], knobs: dict, model: str) -> dict[str, list]:
    """Validate the keys (a training setting or one of the model's knobs) and
    the types of training values; return the factors with floats for float
    settings. Knob values are checked by the model's builder."""
    out = {}
    for key, values in factors.items():
        if key in TRAINING_KEYS:
            typ = TRAINING_KEYS[key]
            checked: list[float | int | str] = []  # of one type, ``typ``: float, int or str by key
            for v in values:
                if typ is float and isinstance(v, (int, float)) and not isinstance(v, bool):
                    checked.append(float(v))
                elif typ is int and isinstance(v, int) and not isinstance(v, bool):
                    checked.append(v)
                elif typ is str and isinstance(v, str):
                    checked.append(v)
                else:
                    raise ArchscopeError(f"`vary` {key}: {v!r} is not a valid {typ.__name__}")
            out[key] = checked
        elif key in knobs:
            out[key] = list(values)
        else:
            valid = sorted(TRAINING_KEYS) + sorted(knobs)
            raise ArchscopeError(f"{model} has no setting or knob {key!r}; valid: {', '.join(valid)}")
    if "steps" in out and "epochs" in out:
        raise ArchscopeError("vary steps or epochs, not both")
    return out


def plan(factors: dict[str, list], base: dict, grid: bool = False) -> list[dict]:
    """The settings to run, each a dict of the varied keys' values.

    One-factor (default): every value of each factor with every other factor
    at its ``base`` value. With two or more factors the base setting itself
    comes first (the reference every factor's curve passes through), and a
    setting equal to it appears once. Grid:
    the Cartesian product of all factors, in the order given.
    """
    keys = list(factors)
    if grid:
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(factors[k] for k in keys))]
    missing = [k for k in keys if k not in base]
    if len(keys) > 1 and missing:
        raise ArchscopeError(f"no base value for {', '.join(missing)}: give it, or use `grid`")
    settings, seen = [], set()
    if len(keys) > 1:
        settings.append({k: base[k] for k in keys})
        seen.add(repr(sorted(settings[0].items())))
    for key in keys:
        for v in factors[key]:
            s = {k: (v if k == key else base[k]) for k in keys} if len(keys) > 1 else {key: v}
            ident = repr(sorted(s.items()))
            if ident not in seen:
                seen.add(ident)
                settings.append(s)
    return settings


def label(setting: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in setting.items())


@dataclass
class Run:
    setting: dict
    repeat: int
    seed: int
    ok: bool
    final_loss: float | None = None
    train_accuracy: float | None = None
    test_accuracy: float | None = None
    seconds: float | None = None
    error: str | None = None  # why it failed (non-finite loss, out of memory, a bad knob value)
    epoch_loss: float | None = None  # the last epoch's running mean loss in training mode (d2l's "train loss")
    epoch_accuracy: float | None = None  # and its running accuracy (d2l's "train acc")
    examples_per_s: float | None = None  # images trained on / training-loop seconds
    # runs of whole epochs: d2l's train_ch6 figures after every epoch (archscope.probe.train.ProbeResult.history)
    history: list = field(default_factory=list)
    step_seconds: float | None = None  # wall seconds of one training step (of the whole group on a grouped path)
    path: str | None = None  # the training path (archscope.probe.paths): plain, grouped, grouped-compiled
    threads: int | None = None  # CPU threads the run had
    group: list = field(default_factory=list)  # the seeds trained at once with it (grouped paths)
    machine: dict = field(default_factory=dict)  # CPU model and cores, GPU (archscope.probe.device.machine)
    train_seconds: float | None = None  # the training loop's wall time (the per-epoch evaluations apart)


@dataclass
class Row:
    setting: dict
    runs: int
    failed: int
    mean: dict = field(default_factory=dict)  # metric -> mean over successful runs (None when none succeeded)
    std: dict = field(default_factory=dict)  # metric -> sample std (n - 1); None with fewer than two runs
    best: bool = False
    errors: list = field(default_factory=list)


def aggregate(runs: list[Run], settings: list[dict] | None = None, metrics: tuple = METRICS) -> list[Row]:
    """Mean and sample standard deviation of each of ``metrics`` (Run
    fields, the loss first) per setting, in plan order; the best setting is
    the highest mean test accuracy, ties to the lower loss."""
    order = settings if settings is not None else []
    if settings is None:
        for r in runs:
            if r.setting not in order:
                order.append(r.setting)
    rows = []
    for s in order:
        mine = [r for r in runs if r.setting == s]
        ok = [r for r in mine if r.ok]
        row = Row(setting=s, runs=len(mine), failed=len(mine) - len(ok),
                  errors=sorted({r.error for r in mine if r.error}))
        for m in metrics:
            vals = [getattr(r, m) for r in ok if getattr(r, m) is not None and math.isfinite(getattr(r, m))]
            row.mean[m] = statistics.fmean(vals) if vals else None
            row.std[m] = statistics.stdev(vals) if len(vals) >= 2 else None
        rows.append(row)
    scored = [r for r in rows if r.mean.get("test_accuracy") is not None]
    if scored:
        best = max(scored, key=lambda r: (r.mean["test_accuracy"], -(r.mean[metrics[0]] or math.inf)))
        best.best = True
    return rows


@dataclass
class SweepResult:
    model: str
    factors: dict
    base: dict
    grid: bool
    repeats: int
    settings: dict  # the probe settings shared by every run
    seed: int = 0  # repeat r runs with seed + r
    runs: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    interrupted: bool = False
    chance: float | None = None  # the data set's chance accuracy
    first_run: dict = field(default_factory=dict)  # the probe's resolved settings of the first run (steps etc.)
    device: str = ""
    torch: str = ""
    data: dict = field(default_factory=dict)  # where the data set was found and how it was verified
    metrics: list = field(default_factory=lambda: list(METRICS))  # the Run fields of the three columns
    backend: str = "serial"  # where the runs ran (the figures do not depend on it)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> SweepResult:
        """Back from ``to_dict`` (a sweep.json), e.g. to render it again."""
        d = dict(d)
        d["runs"] = [Run(**r) for r in d.get("runs", [])]
        d["rows"] = [Row(**r) for r in d.get("rows", [])]
        return cls(**d)


@dataclass
class Outcome:
    """What one run hands back to the sweep: its record and, from a run that
    reached the training, where it ran and on which data."""

    run: Run
    device: str | None = None
    chance: float | None = None
    data: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)  # the probe's resolved settings (steps, threads, ...)


def _stderr_notice(text: str) -> None:
    import sys

    print(f"archscope: {text}", file=sys.stderr, flush=True)


def one_run(cfg, setting: dict, repeat: int, notice=None) -> Outcome:
    """One run of a sweep (``cfg`` has the setting and the seed applied), in
    whichever process the backend runs it. A run's failure is recorded, not
    raised; Ctrl-C inside it raises KeyboardInterrupt (the sweep stops)."""
    import time

    from archscope.probe import train as train_mod  # looked up per call (the tests replace train.run)

    t0 = time.perf_counter()
    out = Outcome(Run(setting, repeat, cfg.seed, False))
    try:
        p = train_mod.run(cfg, notice=notice)
    except ArchscopeError as e:  # e.g. a kernel size that leaves no spatial extent
        out.run.error = str(e)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as e:  # an unexpected failure is this run's, not the sweep's
        out.run.error = f"{type(e).__name__}: {e}"
    else:
        if p.interrupted:
            raise KeyboardInterrupt
        out.device, out.chance, out.data, out.settings = p.device, p.chance, dict(p.data), _plain(dict(p.settings))
        # a run retried at half the batch after running out of memory is another setting: failed
        ok = p.stopped is None and p.test_accuracy is not None and p.retried_from_batch is None
        out.run = Run(setting, repeat, cfg.seed, ok, p.final_loss, p.train_accuracy, p.test_accuracy,
                      error=p.stopped, epoch_loss=p.last_epoch_loss, epoch_accuracy=p.last_epoch_accuracy,
                      # the sweep's examples/s: every image of the training loop over its wall time (d2l's figure)
                      examples_per_s=p.images_seen / p.train_seconds if p.train_seconds else None,
                      history=list(p.history), step_seconds=p.step_seconds,
                      path=p.path, threads=p.settings.get("threads"), group=[cfg.seed], machine=dict(p.machine),
                      train_seconds=p.train_seconds)
        if p.retried_from_batch is not None:
            out.run.error = f"out of memory at batch size {p.retried_from_batch} (its retry at half the " \
                            "batch is another setting)"
    out.run.seconds = time.perf_counter() - t0
    return out


def one_group(cfgs, keys, path: str, notice=None) -> list:
    """The runs ``cfgs`` (one setting, several seeds; ``keys[i]`` = (setting,
    repeat)) trained at once on a grouped path (``archscope.probe.grouped``):
    one Outcome per seed, as ``one_run`` gives. A failure of the group is
    every seed's."""
    import time

    from archscope.probe import grouped

    t0 = time.perf_counter()
    try:
        g = grouped.train_group(cfgs, compiled=path == "grouped-compiled", notice=notice)
    except ArchscopeError as e:
        return [Outcome(Run(s, r, c.seed, False, error=str(e))) for c, (s, r) in zip(cfgs, keys, strict=True)]
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as e:
        return [Outcome(Run(s, r, c.seed, False, error=f"{type(e).__name__}: {e}"))
                for c, (s, r) in zip(cfgs, keys, strict=True)]
    seconds = time.perf_counter() - t0
    seeds = [c.seed for c in cfgs]
    from archscope.probe.device import machine, resolve_device

    where = machine(resolve_device(cfgs[0].device))
    outs = []
    for c, (s, r), sr in zip(cfgs, keys, g.seeds, strict=True):  # one SeedResult a config
        ok = sr.stopped is None and sr.test_accuracy is not None
        last = sr.history[-1] if sr.history else {}
        run = Run(s, r, c.seed, ok, sr.final_loss, None, sr.test_accuracy, seconds, sr.stopped,
                  epoch_loss=last.get("train_loss"), epoch_accuracy=last.get("train_accuracy"),
                  examples_per_s=g.examples_per_s / len(cfgs) if g.examples_per_s else None,
                  history=list(sr.history), step_seconds=g.step_seconds, path=path,
                  threads=g.settings.get("threads"), group=seeds, machine=where, train_seconds=g.train_seconds)
        outs.append(Outcome(run, g.device, g.chance, dict(g.data), _plain(dict(g.settings))))
    return outs


def _task(kind: str, payload: tuple, notice=None):
    """A backend's unit of work: one run (``one_run``) or one group of seeds
    (``one_group``, a list of outcomes). The payload is unpacked by name: a
    payload of the wrong length fails here rather than passing its extra item
    as ``notice``."""
    if kind == "group":
        cfgs, keys, path = payload
        return one_group(cfgs, keys, path, notice=notice)
    cfg, setting, repeat = payload
    return one_run(cfg, setting, repeat, notice=notice)


def plan_tasks(configs: list, notice=None, workers: int = 1) -> tuple[list, list]:
    """How ``configs`` run: a list of tasks, each (path, [config indices]),
    and each config's predicted seconds (None when not timed). The configs
    that differ only in their seed form a setting; each setting's path is
    chosen by ``archscope.probe.paths.choose`` from timings taken here, and
    a grouped path's seeds go in tasks of up to its group size; with
    ``workers`` running at once, a grouped task is split in two where that
    shortens the plan (``_share_out``). The tasks come longest first."""
    from dataclasses import replace as _replace

    from archscope.probe import paths

    settings: dict = {}
    for i, c in enumerate(configs):
        settings.setdefault(repr(_replace(c, seed=0)), []).append(i)
    tasks: list[tuple[str, list[int]]] = []
    costs: list[float | None] = [None] * len(configs)
    for idx in settings.values():
        choice = paths.choose(configs[idx[0]], len(idx), notice=notice)
        for i in idx:
            costs[i] = choice.seconds_per_seed
        if choice.path == "plain":
            tasks.extend(("plain", [i]) for i in idx)
        else:
            # as even as possible: 10 seeds in groups of at most 10 is one task, 12 is two of 6
            n = math.ceil(len(idx) / choice.group)
            size = math.ceil(len(idx) / n)
            tasks.extend((choice.path, idx[k:k + size]) for k in range(0, len(idx), size))
    _share_out(tasks, costs, workers)
    # the longest first (where timed): N workers then finish together rather than one ending alone on the
    # longest run (the results go back in plan order whatever order the runs take)
    tasks.sort(key=lambda t: -sum(costs[i] or 0.0 for i in t[1]))
    return tasks, costs


def makespan(tasks: list, cost, workers: int) -> float:
    """The plan's wall time with the tasks placed longest first onto the least loaded worker."""
    loads = [0.0] * workers
    for t in sorted(tasks, key=lambda t: -cost(t)):
        loads[loads.index(min(loads))] += cost(t)
    return max(loads)


def _share_out(tasks: list, costs: list, workers: int) -> None:
    """Split, in place, the longest grouped task in two as long as that shortens the plan's wall time on
    ``workers``: one setting's seeds trained together on one worker left the others idle (measured: the 2
    seeds of a 100-epoch run as one task of 30 min on one core of two, the other core idle throughout).
    A split that only moves the idle time elsewhere is not made (three tasks of 2 seeds on 4 workers stay
    grouped). Where any run is untimed, each seed counts alike."""
    timed = all(c is not None for c in costs)

    def cost(task) -> float:
        return sum((costs[i] if timed else 1.0) for i in task[1])

    while workers > 1:
        grouped = [j for j, (path, idx) in enumerate(tasks) if path != "plain" and len(idx) > 1]
        if not grouped:
            return
        k = max(grouped, key=lambda j: cost(tasks[j]))
        path, idx = tasks[k]
        half = math.ceil(len(idx) / 2)
        trial = tasks[:k] + [(path, idx[:half]), (path, idx[half:])] + tasks[k + 1:]
        if makespan(trial, cost, workers) >= makespan(tasks, cost, workers):
            return
        tasks[:] = trial


def run_planned(configs: list, keys: list[tuple], backend=None, *, on_start=None, on_outcome=None,
                notice=None, on_plan=None) -> tuple[list, bool]:
    """Run ``configs`` (``keys[i]`` = (setting, repeat) of ``configs[i]``) on
    ``backend`` (default: this process, one after another); the outcomes in
    plan order (None where a run did not finish) and whether Ctrl-C stopped
    it. Seeds of one setting may train together on a grouped path
    (``plan_tasks``); whatever the path, ``on_start(i)`` is called as run i
    starts (serial and local backends), ``on_outcome(i, outcome)`` as it
    ends, in whatever order the runs end, and ``on_plan(tasks, costs)``
    once the paths are chosen (each config's predicted seconds)."""
    from archscope.probe.device import resolve_device
    from archscope.probe.parallel import Backend, run_tasks

    backend = backend or Backend()
    outcomes: list = [None] * len(configs)
    gpu = bool(configs) and resolve_device(configs[0].device).type == "cuda"
    threads = max((c.threads or 1) for c in configs) if configs else 1
    tasks, costs = plan_tasks(configs, notice=notice, workers=1 if backend.serial else backend.jobs or 1)
    if on_plan:
        on_plan(tasks, costs)

    def finished(t, value, error):
        path, idx = tasks[t]
        values = value if path != "plain" and error is None else [value] * len(idx)
        for i, v in zip(idx, values, strict=True):  # a group's outcomes: one a config
            if error is not None:  # the backend's failure (a worker that died), not the run's own
                s, r = keys[i]
                v = Outcome(Run(s, r, configs[i].seed, False, error=error, path=path))
            outcomes[i] = v
            if on_outcome:
                on_outcome(i, v)

    def started(t):
        if on_start:
            for i in tasks[t][1]:
                on_start(i)

    args: list[tuple[Any, ...]] = []
    for path, idx in tasks:
        payload = (configs[idx[0]], *keys[idx[0]]) if path == "plain" else \
            ([configs[i] for i in idx], [keys[i] for i in idx], path)
        args.append(("plain" if path == "plain" else "group", payload))
    fn: Callable[..., Any]
    if backend.serial:
        fn = functools.partial(_task, notice=notice)
    else:
        fn, args = _task, [(*a, _stderr_notice) for a in args]
    interrupted = run_tasks(fn, args, backend, threads=threads, gpu=gpu, on_start=started, on_done=finished,
                            notice=notice)
    return outcomes, interrupted


def run_sweep(model, factors: dict[str, list], *, grid: bool = False, repeats: int = 3, seed: int = 0,
              base: dict | None = None, probe_kwargs: dict | None = None, settings: list[dict] | None = None,
              on_run=None, notice=None, backend=None) -> SweepResult:
    """Run the plan. ``model`` is a zoo name (the fixed settings then come
    from ``probe_kwargs``, ``TrainConfig`` fields) or a whole ``TrainConfig``;
    a varied key replaces a config field (training settings) or goes to the
    builder (knobs). ``base`` gives the varied keys' base values (default: the
    config's, else the probe's defaults). ``settings`` replaces the plan with
    an explicit list (a recipe that compares whole settings). ``backend``
    (``archscope.probe.parallel.Backend``): where the runs go; default this
    process, one after another.

    Every run is recorded, failed ones with their reason, and the sweep goes
    on; Ctrl-C stops it and keeps the runs that finished."""
    import torch

    from archscope.probe.config import TrainConfig, with_setting
    from archscope.probe.device import resolve_device
    from archscope.probe.train import training_defaults
    from archscope.zoo import model_info

    if not isinstance(repeats, int) or isinstance(repeats, bool) or repeats < 1:
        raise ArchscopeError(f"`repeats` must be a positive integer, got {repeats!r}")
    if isinstance(model, TrainConfig):
        cfg = model
    else:
        kw = {k: v for k, v in (probe_kwargs or {}).items() if k != "on_window"}
        kw["overrides"] = dict(kw.get("overrides") or {})
        if "input_shape" in kw and kw["input_shape"] is not None:
            kw["input_shape"] = tuple(kw["input_shape"])
        cfg = TrainConfig(model=model, **kw)
    cfg.validate()
    if backend is not None:
        backend.validate()
    info = model_info(cfg.model)
    # one thread a run unless told otherwise: the same for every run and every backend (see the module docstring)
    cfg = replace(cfg, model=info.name, threads=cfg.threads or 1)
    factors = check_factors(factors, info.knobs(), info.name)
    base = dict(base or {})
    defaults = training_defaults(info, resolve_device(cfg.device), cfg.optimizer)
    for k in factors:  # a factor's base value: given, else the fixed setting, else the default
        if k in base:
            continue
        if k in info.knobs():
            base[k] = cfg.overrides.get(k, info.knobs()[k])
        elif getattr(cfg, k, None) is not None:
            base[k] = getattr(cfg, k)
        elif k in defaults:
            base[k] = defaults[k]
    if settings is None:
        settings = plan(factors, base, grid)
    for s in settings:  # every setting a valid config before the first run
        with_setting(cfg, s).validate()
    if cfg.dataset != "synthetic":
        # fail before the first run, naming the missing files, rather than once per run
        from archscope.datasets import locate

        locate(cfg.dataset, cfg.data_dir, download=cfg.download, notice=notice)
    configs, keys = [], []
    for s in settings:
        for r in range(repeats):
            configs.append(replace(with_setting(cfg, s), seed=seed + r, overfit_check=False))
            keys.append((s, r))
    metrics = _columns(configs)
    result = SweepResult(model=info.name, factors=factors, base={k: base.get(k) for k in factors}, grid=grid,
                         repeats=repeats, settings=_plain(cfg.settings()), seed=seed, torch=torch.__version__,
                         metrics=list(metrics), backend=(backend.describe() if backend is not None else "serial"))
    done = [0]

    def started(i):
        if on_run:
            on_run(done[0], len(configs), *keys[i])

    def ended(i, outcome):
        done[0] += 1
        if on_run:
            on_run(done[0], len(configs), *keys[i])

    outcomes, result.interrupted = run_planned(configs, keys, backend, on_start=started, on_outcome=ended,
                                               notice=notice)
    finished = [o for o in outcomes if o is not None]
    for o in finished:  # where the runs ran: the first, in plan order, that reached the training
        if o.device is not None:
            result.device, result.chance, result.data, result.first_run = o.device, o.chance, o.data, o.settings
            break
    result.runs = [o.run for o in finished]
    if on_run:
        on_run(len(finished), len(configs), None, None)
    result.rows = aggregate(result.runs, settings, metrics)
    return result


def _columns(configs) -> tuple:
    """The sweep's columns: d2l's epoch figures when every run is whole
    epochs, else the step figures (one kind of figure per column)."""
    kinds = {metrics_for(c) for c in configs}
    return kinds.pop() if len(kinds) == 1 else METRICS


def _plain(d: dict) -> dict:
    """JSON-ready: tuples as lists."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


# The article's ablations are experiments: archscope.probe.experiments.EXPERIMENTS
# (``archscope sweep --recipe ID`` runs one).
