"""Which training path runs a setting's seeds: chosen from timings taken here.

Paths (all give the same run for the same seed: same data order, same
initialisation; ``tests/test_grouped.py``):

- ``plain``: ``archscope.probe.train.run``, one seed a run (every model,
  every setting);
- ``grouped``: the seeds of one setting trained at once as one grouped
  network (``archscope.probe.grouped``): the per-step overhead is paid once
  for all of them, which is what small batches need;
- ``grouped-compiled``: the same, its step through ``torch.compile``
  (tens of seconds to compile, then fewer, fused kernels; with one seed it
  is the plain step compiled).

Which is fastest depends on the batch size, the model and the machine
(measured on 2 CPU cores, issue 24: grouping ten seeds is 3.3x at batch 2,
1.0x at 16 and 0.7x at 256), so ``choose`` times each candidate for well
under a second a candidate on random data of the run's shape, at its batch
size, on its threads, and predicts each path's time for the whole run:
steps x seconds a step (+ the compilation); runs too short to repay the timing
(``SHORT_RUNS``) take the plain path. The compiled candidate is only
timed when the best eager path would take more than ``COMPILE_WORTH``
seconds (below that its compilation cannot pay). Timings are kept per
machine, torch version and setting in ``$ARCHSCOPE_HOME/paths.json`` for
``CACHE_DAYS`` days, so a measurement that resumes does not time again.

``ARCHSCOPE_TRAIN_PATH`` (plain, grouped, grouped-compiled) forces a path
where the run can take it.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from archscope.errors import ArchscopeError

PATHS = ("plain", "grouped", "grouped-compiled")
MAX_GROUP = 10  # seeds a grouped task trains at once (article 002 ran 10 a setting)
COMPILE_WORTH = 600.0  # seconds of eager training below which compiling is not timed
CACHE_DAYS = 7
SHORT_RUNS = 5000  # steps (all seeds) below which the plain path runs untimed: timing would cost more than it saves
TRAIN_IMAGES = {"mnist": 60_000, "fashion-mnist": 60_000, "cifar10": 50_000}


@dataclass(frozen=True)
class Choice:
    path: str
    group: int  # seeds a task trains at once (1 on the plain path)
    seconds_per_seed: float | None = None  # predicted wall seconds of one seed's run on this path
    timings: dict = field(default_factory=dict)  # candidate -> predicted seconds a seed
    reason: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def train_images(cfg) -> int:
    return TRAIN_IMAGES.get(cfg.dataset, max(2048, 4 * (cfg.batch_size or 32)))


def steps_of(cfg) -> int:
    """Training steps of a run: its ``steps``, or its epochs' worth of batches."""
    if cfg.epochs is None:
        if cfg.steps is None:  # neither set: resolve() gives a run of steps its default count
            raise ValueError("steps_of needs a resolved configuration (steps or epochs set)")
        return cfg.steps
    return cfg.epochs * math.ceil(train_images(cfg) / (cfg.batch_size or 32))


def why_not_grouped(cfg) -> str | None:
    """None when ``cfg``'s runs can take the grouped path; else why not."""
    from archscope.probe.grouped import stackable
    from archscope.zoo import get_model

    if cfg.epochs is None:
        return "a run of a number of steps (the grouped path trains whole epochs)"
    if cfg.optimizer not in ("sgd", "adam"):
        return f"optimizer {cfg.optimizer}"
    if cfg.compile:
        return "--compile asks for the plain path compiled"
    if cfg.eval_train or cfg.overfit_check or cfg.detail:
        return "the probe's extra measurements (eval-mode train accuracy, overfit check, detail) are the plain path's"
    try:
        model = get_model(cfg.model, device="meta", **cfg.overrides)
    except Exception as e:  # a bad knob: the plain path reports it as the run's failure
        return f"the model does not build ({e})"
    return stackable(model)


def forced() -> str | None:
    v = os.environ.get("ARCHSCOPE_TRAIN_PATH", "").strip()
    if v in ("", "auto"):
        return None
    if v not in PATHS:
        raise ArchscopeError(f"ARCHSCOPE_TRAIN_PATH must be auto or one of {', '.join(PATHS)}, got {v!r}")
    return v


# ---- the timings' cache --------------------------------------------------------------------------

def _cache_file() -> Path:
    from archscope.home import archscope_home

    return archscope_home() / "paths.json"


def _speed_key(cfg, seeds: int, candidate: str) -> str:
    """What a step's time depends on: the machine, torch, the model as built,
    the batch, the threads and the candidate (not the seed, lr or epochs)."""
    import torch

    from archscope.probe.device import cpu_model

    d = {k: v for k, v in cfg.settings().items() if k not in ("seed", "lr", "epochs", "steps", "momentum",
                                                                 "weight_decay", "init", "scaling", "dataset")}
    d.update(model=cfg.model, device=cfg.device, cpu=cpu_model(), torch=torch.__version__, seeds=seeds,
             candidate=candidate)
    return json.dumps(d, sort_keys=True, default=str)


def _load_cache() -> dict:
    try:
        d = json.loads(_cache_file().read_text())
        return d if isinstance(d, dict) else {}
    except (OSError, ValueError):
        return {}


def _store(key: str, value: dict) -> None:
    from archscope.outputs import write_atomic

    d = _load_cache()
    d[key] = value
    try:
        _cache_file().parent.mkdir(parents=True, exist_ok=True)
        write_atomic(_cache_file(), (json.dumps(d, indent=1, sort_keys=True) + "\n").encode())
    except OSError:
        pass  # a cache that cannot be written only costs the timing again


def timed(cfg, seeds: int, candidates: tuple, before_timing=None) -> dict:
    """{candidate: (seconds a step, seconds of compiling)} for ``cfg``'s model
    at its batch size, ``seeds`` at once on the grouped paths, on
    ``cfg.threads`` threads, timed side by side
    (``archscope.probe.grouped.time_paths``); from the cache when fresh
    (``before_timing()`` is called only when a timing is about to run)."""
    import torch

    from archscope.probe.grouped import time_paths

    key = _speed_key(cfg, seeds, ",".join(candidates))
    hit = _load_cache().get(key)
    if hit and time.time() - hit.get("at", 0) < CACHE_DAYS * 86400:
        return {c: tuple(v) for c, v in hit["timings"].items()}
    if before_timing is not None:
        before_timing()
    before = torch.get_num_threads()
    torch.set_num_threads(cfg.threads or 1)
    try:
        out = time_paths(cfg, seeds, candidates)
    finally:
        torch.set_num_threads(before)
    _store(key, {"timings": {c: list(v) for c, v in out.items()}, "at": time.time()})
    return out


def choose(cfg, seeds: int, *, notice=None) -> Choice:
    """The path for ``seeds`` seeds of ``cfg`` (a resolved-or-not TrainConfig
    with the run's threads): see the module docstring."""
    from archscope.probe.device import resolve_device
    from archscope.zoo import model_info

    want = forced()
    why = why_not_grouped(cfg)
    if why is not None or want == "plain":
        return Choice("plain", 1, reason=why or "ARCHSCOPE_TRAIN_PATH=plain")
    info = model_info(cfg.model)
    cfg = replace(cfg, model=info.name).resolve(info, resolve_device(cfg.device))
    group = max(1, min(seeds, MAX_GROUP))
    steps = steps_of(cfg)
    if want is not None:
        return Choice(want, group, reason="ARCHSCOPE_TRAIN_PATH")
    if steps * seeds < SHORT_RUNS:
        return Choice("plain", 1, reason=f"{steps * seeds:,} steps in all: too short to be worth timing the paths")
    said: list[bool] = []

    def say() -> None:  # once, and only when a timing runs: the cache's answers are silent
        if notice and not said:
            said.append(True)
            notice(f"timing the training paths for {info.name} at batch {cfg.batch_size}"
                   + (f", {dict(cfg.overrides)}" if cfg.overrides else ""))

    per_seed = {}
    eager = timed(cfg, group, ("plain", "grouped"), say)
    per_seed["plain"] = steps * eager["plain"][0]
    per_seed["grouped"] = steps * eager["grouped"][0] / group
    if min(per_seed.values()) * group > COMPILE_WORTH:
        # timed beside the eager grouped step again: the ratio of the two, taken at the same moment, scales
        # the eager figure above (the machine's load may have changed since)
        both = timed(cfg, group, ("grouped", "grouped-compiled"), say)
        step, compile_s = both["grouped-compiled"]
        step *= eager["grouped"][0] / both["grouped"][0]
        per_seed["grouped-compiled"] = (steps * step + compile_s) / group
    best = min(per_seed, key=lambda path: per_seed[path])
    return Choice(best, 1 if best == "plain" else group, per_seed[best],
                  {k: round(v, 3) for k, v in per_seed.items()},
                  reason=f"fastest of {', '.join(f'{k} {v:,.0f} s' for k, v in per_seed.items())} a seed "
                         f"(timed here, {group} seed(s) at once)")


__all__ = ["Choice", "choose", "PATHS", "MAX_GROUP", "why_not_grouped", "steps_of", "timed"]
