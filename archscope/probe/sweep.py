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
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from dataclasses import asdict, dataclass, field, replace

from archscope.errors import ArchscopeError

from archscope.probe.config import SWEEPABLE as TRAINING_KEYS  # the config's fields a sweep may vary

METRICS = ("final_loss", "train_accuracy", "test_accuracy")
METRIC_LABELS = {"final_loss": "final loss", "train_accuracy": "train accuracy", "test_accuracy": "test accuracy"}


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
        raise ArchscopeError(f"--vary needs KEY=V1,V2,...; got {spec!r}")
    vals = [_coerce(v) for v in values.split(",") if v.strip() != ""]
    if not vals:
        raise ArchscopeError(f"--vary {key}: no values given")
    if len(set(map(repr, vals))) != len(vals):
        raise ArchscopeError(f"--vary {key}: a value is repeated in {values!r}")
    return key, vals


def check_factors(factors: dict[str, list], knobs: dict, model: str) -> dict[str, list]:
    """Validate the keys (a training setting or one of the model's knobs) and
    the types of training values; return the factors with floats for float
    settings. Knob values are checked by the model's builder."""
    out = {}
    for key, values in factors.items():
        if key in TRAINING_KEYS:
            typ = TRAINING_KEYS[key]
            checked = []
            for v in values:
                if typ is float and isinstance(v, (int, float)) and not isinstance(v, bool):
                    checked.append(float(v))
                elif typ is int and isinstance(v, int) and not isinstance(v, bool):
                    checked.append(v)
                elif typ is str and isinstance(v, str):
                    checked.append(v)
                else:
                    raise ArchscopeError(f"--vary {key}: {v!r} is not a valid {typ.__name__}")
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
        return [dict(zip(keys, combo)) for combo in itertools.product(*(factors[k] for k in keys))]
    missing = [k for k in keys if k not in base]
    if len(keys) > 1 and missing:
        raise ArchscopeError(f"no base value for {', '.join(missing)}: give it, or use --grid")
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


@dataclass
class Row:
    setting: dict
    runs: int
    failed: int
    mean: dict = field(default_factory=dict)  # metric -> mean over successful runs (None when none succeeded)
    std: dict = field(default_factory=dict)  # metric -> sample std (n - 1); None with fewer than two runs
    best: bool = False
    errors: list = field(default_factory=list)


def aggregate(runs: list[Run], settings: list[dict] | None = None) -> list[Row]:
    """Mean and sample standard deviation per setting (in plan order); the
    best setting is the highest mean test accuracy, ties to the lower loss."""
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
        for m in METRICS:
            vals = [getattr(r, m) for r in ok if getattr(r, m) is not None and math.isfinite(getattr(r, m))]
            row.mean[m] = statistics.fmean(vals) if vals else None
            row.std[m] = statistics.stdev(vals) if len(vals) >= 2 else None
        rows.append(row)
    scored = [r for r in rows if r.mean.get("test_accuracy") is not None]
    if scored:
        best = max(scored, key=lambda r: (r.mean["test_accuracy"], -(r.mean["final_loss"] or math.inf)))
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

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "SweepResult":
        """Back from ``to_dict`` (a sweep.json), e.g. to render it again."""
        d = dict(d)
        d["runs"] = [Run(**r) for r in d.get("runs", [])]
        d["rows"] = [Row(**r) for r in d.get("rows", [])]
        return cls(**d)


def run_sweep(model, factors: dict[str, list], *, grid: bool = False, repeats: int = 3, seed: int = 0,
              base: dict | None = None, probe_kwargs: dict | None = None, settings: list[dict] | None = None,
              on_run=None, notice=None) -> SweepResult:
    """Run the plan. ``model`` is a zoo name (the fixed settings then come
    from ``probe_kwargs``, ``TrainConfig`` fields) or a whole ``TrainConfig``;
    a varied key replaces a config field (training settings) or goes to the
    builder (knobs). ``base`` gives the varied keys' base values (default: the
    config's, else the probe's defaults). ``settings`` replaces the plan with
    an explicit list (a recipe that compares whole settings).

    Every run is recorded, failed ones with their reason, and the sweep goes
    on; Ctrl-C stops it and keeps the runs that finished."""
    import time

    import torch

    from archscope.probe.config import TrainConfig, with_setting
    from archscope.probe.device import resolve_device
    from archscope.probe.train import run, training_defaults
    from archscope.zoo import model_info

    if not isinstance(repeats, int) or isinstance(repeats, bool) or repeats < 1:
        raise ArchscopeError(f"--repeats must be a positive integer, got {repeats!r}")
    if isinstance(model, TrainConfig):
        cfg = model
    else:
        kw = {k: v for k, v in (probe_kwargs or {}).items() if k != "on_window"}
        kw["overrides"] = dict(kw.get("overrides") or {})
        if "input_shape" in kw and kw["input_shape"] is not None:
            kw["input_shape"] = tuple(kw["input_shape"])
        cfg = TrainConfig(model=model, **kw)
    cfg.validate()
    info = model_info(cfg.model)
    cfg = replace(cfg, model=info.name)
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
    result = SweepResult(model=info.name, factors=factors, base={k: base.get(k) for k in factors}, grid=grid,
                         repeats=repeats, settings=_plain(cfg.settings()), seed=seed, torch=torch.__version__)
    total = len(settings) * repeats
    done = 0
    try:
        for s in settings:
            for r in range(repeats):
                if on_run:
                    on_run(done, total, s, r)
                t0 = time.perf_counter()
                try:
                    p = run(replace(with_setting(cfg, s), seed=seed + r, overfit_check=False), notice=notice)
                except ArchscopeError as e:  # e.g. a kernel size that leaves no spatial extent
                    rec = Run(s, r, seed + r, False, error=str(e))
                except (KeyboardInterrupt, SystemExit):
                    raise
                except Exception as e:  # an unexpected failure is this run's, not the sweep's
                    rec = Run(s, r, seed + r, False, error=f"{type(e).__name__}: {e}")
                else:
                    if p.interrupted:
                        raise KeyboardInterrupt
                    result.device, result.chance = p.device, p.chance
                    result.data = result.data or dict(p.data)
                    result.first_run = result.first_run or _plain(dict(p.settings))
                    # a run retried at half the batch after running out of memory is another setting: failed
                    ok = p.stopped is None and p.test_accuracy is not None and p.retried_from_batch is None
                    rec = Run(s, r, seed + r, ok, p.final_loss, p.train_accuracy, p.test_accuracy, error=p.stopped,
                              epoch_loss=p.last_epoch_loss, epoch_accuracy=p.last_epoch_accuracy,
                              examples_per_s=p.examples_per_s)
                    if p.retried_from_batch is not None:
                        rec.error = f"out of memory at batch size {p.retried_from_batch} (its retry at half the " \
                                    "batch is another setting)"
                rec.seconds = time.perf_counter() - t0
                result.runs.append(rec)
                done += 1
    except KeyboardInterrupt:
        result.interrupted = True
    if on_run:
        on_run(done, total, None, None)
    result.rows = aggregate(result.runs, settings)
    return result


def _plain(d: dict) -> dict:
    """JSON-ready: tuples as lists."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


# The article's ablations are experiments: archscope.probe.experiments.EXPERIMENTS
# (``archscope sweep --recipe ID`` runs one).
