"""The probe: a short training run that validates a model end to end and
measures its cost against archscope's own predictions.

Checks (each pass/fail): the loss stays finite; it falls (first window against
last); held-out accuracy beats chance by a clear margin; one fixed batch can be
overfitted from scratch (the classic sanity check); outputs have the right
shape. Measurements: steps/s and images/s as medians over windows, warm-up
excluded; peak memory beside the analysis's training-memory estimate; achieved
FLOP/s from archscope's FLOP count and MFU against the device's peak.
"""

from __future__ import annotations

import math
import resource
import statistics
import time
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F

from archscope.errors import ArchscopeError
from archscope.probe import data as datasets
from archscope.probe.device import device_name, known_peak, measured_matmul_peak, mfu, resolve_device

WINDOW = 10  # steps per timing window


@dataclass
class Recipe:
    """A training run of the source articles, reproduced with their settings."""

    model: str
    dataset: str
    epochs: int
    batch_size: int
    optimizer: str
    lr: float
    input: tuple[int, int, int] | None = None
    overrides: dict = field(default_factory=dict)
    claim: str = ""


RECIPES = {
    "lenet-mnist": Recipe("lenet.tutorial", "mnist", 5, 32, "adam", 1e-3,
                          claim="article 000: 98.69% test accuracy after 5 epochs"),
    "lenet-fmnist": Recipe("lenet.d2l", "fashion-mnist", 10, 256, "sgd", 0.9,
                           claim="article 002: test accuracy 0.809 (lr 0.9, 10 epochs, batch 256)"),
    "lenet-fmnist-relu": Recipe("lenet.d2l", "fashion-mnist", 10, 256, "sgd", 0.9, overrides={"activation": "relu"},
                                claim="article 002: ReLU variant, test accuracy 0.884"),
    "resnet18-fmnist96": Recipe("resnet18.d2l", "fashion-mnist", 10, 256, "sgd", 0.05, input=(1, 96, 96),
                                claim="article 001: test accuracy 0.907, 4,886.6 examples/s on one GPU"),
}


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


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
    steps_per_s: float | None = None
    images_per_s: float | None = None
    time_split_s: dict | None = None
    peak_memory_bytes: int | None = None
    memory_kind: str = ""
    estimated_train_memory_bytes: int | None = None
    memory_ratio: float | None = None
    train_flops_per_step: int | None = None
    achieved_flops_per_s: float | None = None
    peak_flops_known: float | None = None
    peak_flops_measured: float | None = None
    mfu_known: float | None = None
    mfu_measured: float | None = None
    stopped: str | None = None  # why the run ended early (NaN, interrupted, OOM)
    notes: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks) and not self.stopped

    def to_dict(self) -> dict:
        d = asdict(self)
        d["passed"] = self.passed
        return d


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()
    except OSError:
        return 0


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _make_optimizer(name: str, params, lr: float, momentum: float | None, weight_decay: float = 0.0):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9 if momentum is None else momentum,
                               weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    raise ArchscopeError(f"--optimizer must be sgd or adam, got {name!r}")


def _logits(out):
    return out[0] if isinstance(out, (tuple, list)) else out


def clear_margin(chance: float) -> float:
    """The accuracy that counts as learning: twice chance and 0.2 above it."""
    return max(2 * chance, chance + 0.2)


def training_defaults(info, dev, optimizer: str = "adam") -> dict:
    """What the probe uses for a setting the caller leaves out: the model's
    probe hints where it has them, else the general defaults."""
    hints = dict(info.probe)
    return {"optimizer": optimizer, "weight_decay": 0.0,
            "momentum": 0.9 if optimizer == "sgd" else None,
            "lr": hints.get("lr", 1e-3 if optimizer == "adam" else 0.01),
            "batch_size": 128 if dev.type == "cuda" else 32,
            "steps": hints.get("steps", 200 if dev.type == "cpu" else 300)}


def probe(name: str, *, device: str = "auto", steps: int | None = None, epochs: int | None = None,
          batch_size: int | None = None, dataset: str = "synthetic", data_dir=None, precision: str | None = None,
          channels_last: bool | None = None, compile: bool = False, lr: float | None = None,
          optimizer: str = "adam", momentum: float | None = None, weight_decay: float = 0.0, seed: int = 0,
          detail: bool = False, input_shape=None, overrides: dict | None = None, overfit_check: bool = True,
          save=None, on_window=None, _retry: bool = True) -> ProbeResult:
    """Train ``name`` briefly; see the module docstring. ``save`` writes the
    trained weights there (``.safetensors``, or a ``torch.save`` state dict)."""
    from archscope.analysis import analyze
    from archscope.zoo import get_model, model_info

    dev = resolve_device(device)
    info = model_info(name)
    hints = dict(info.probe)
    defaults = training_defaults(info, dev, optimizer)
    shape = tuple(input_shape) if input_shape else tuple(info.input_shape)
    precision = precision or ("bf16" if dev.type == "cuda" else "fp32")
    if precision not in ("fp32", "bf16", "fp16"):
        raise ArchscopeError(f"--precision must be fp32, bf16 or fp16, got {precision!r}")
    channels_last = (dev.type == "cuda") if channels_last is None else channels_last
    batch_size = batch_size or defaults["batch_size"]
    lr = lr if lr is not None else defaults["lr"]
    if steps is not None and epochs is not None:
        raise ArchscopeError("give --steps or --epochs, not both")
    for label, v in (("steps", steps), ("epochs", epochs), ("batch-size", batch_size)):
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
            raise ArchscopeError(f"--{label} must be a positive integer, got {v!r}")
    for label, v in (("lr", lr), ("weight-decay", weight_decay), ("momentum", momentum)):
        if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v)
                              or v < 0):
            raise ArchscopeError(f"--{label} must be a non-negative number, got {v!r}")

    # The analysis validates the model at this input (a clear error naming the
    # layer if it does not fit) and gives the FLOPs and memory to compare with.
    a = analyze(get_model(name, device="meta", **overrides) if overrides else name, shape, batch=batch_size)
    torch.manual_seed(seed)
    model = get_model(name, **(overrides or {})).to(dev)
    num_classes = _logits(model.eval()(torch.zeros(1, *shape, device=dev))).shape[-1]
    train, test, classes = datasets.load(dataset, shape, data_dir=data_dir, seed=seed, device=dev,
                                         classes=min(datasets.SYNTHETIC_CLASSES, num_classes),
                                         n_train=max(2048, 4 * batch_size), n_test=512)
    if classes > num_classes:
        raise ArchscopeError(f"{name} has {num_classes} outputs; {dataset} has {classes} classes")
    n_train = len(train.y)
    if epochs is not None:
        steps = epochs * math.ceil(n_train / batch_size)
    steps = steps or defaults["steps"]
    warmup = min(10, max(1, steps // 10))
    autocast_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    run_model = torch.compile(model) if compile else model
    opt = _make_optimizer(optimizer, model.parameters(), lr, momentum, weight_decay)
    scaler = torch.amp.GradScaler(dev.type) if precision == "fp16" else None

    result = ProbeResult(model=name, device=device_name(dev), device_type=dev.type, torch=torch.__version__,
                         settings=dict(dataset=dataset, input=list(shape), batch_size=batch_size, steps=steps,
                                       optimizer=optimizer, lr=lr, momentum=momentum,
                                       weight_decay=weight_decay, precision=precision,
                                       channels_last=channels_last, compile=compile, seed=seed,
                                       overrides=overrides or {}),
                         steps=0, chance=1 / classes, estimated_train_memory_bytes=a.totals.train_memory_bytes
                         if optimizer == "sgd" else a.totals.train_memory_adam_bytes,
                         train_flops_per_step=a.totals.train_flops)

    def step_fn(xb, yb):
        with torch.autocast(dev.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            out = run_model(xb)
            logits = _logits(out)
            loss = F.cross_entropy(logits.float(), yb)
            if isinstance(out, (tuple, list)) and len(out) > 1:  # auxiliary heads (GoogLeNet), weight 0.3
                loss = loss + 0.3 * sum(F.cross_entropy(o.float(), yb) for o in out[1:])
        opt.zero_grad(set_to_none=True)
        if scaler:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            opt.step()
        return loss.detach(), logits

    g = torch.Generator(device="cpu").manual_seed(seed)
    order = torch.randperm(n_train, generator=g)
    pos = 0
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    rss_before = _rss_bytes()
    window_losses, window_times = [], []
    last_good = None
    shape_ok = None
    model.train()
    try:
        t_window = time.perf_counter()
        losses_in_window = []
        for step in range(steps):
            if pos + batch_size > n_train:
                order, pos = torch.randperm(n_train, generator=g), 0
            idx = order[pos:pos + batch_size].to(dev)
            pos += batch_size
            xb, yb = train.x.index_select(0, idx), train.y.index_select(0, idx)
            if channels_last:
                xb = xb.contiguous(memory_format=torch.channels_last)
            loss, logits = step_fn(xb, yb)
            if shape_ok is None:
                shape_ok = tuple(logits.shape) == (len(yb), num_classes)
            losses_in_window.append(loss)
            result.steps = step + 1
            if (step + 1) % WINDOW == 0 or step + 1 == steps:
                _sync(dev)  # once per window, never inside it
                vals = torch.stack(losses_in_window).float().cpu()
                if not torch.isfinite(vals).all():
                    i = int((~torch.isfinite(vals)).nonzero()[0])
                    good = float(vals[i - 1]) if i > 0 else last_good
                    result.stopped = (f"non-finite loss at step {step + 2 - len(vals) + i} (last good loss "
                                      f"{'none: it diverged at once' if good is None else f'{good:.4g}'})")
                    break
                last_good = float(vals[-1])
                window_losses.append(float(vals.mean()))
                now = time.perf_counter()
                if step + 1 > warmup and len(vals) == WINDOW:
                    window_times.append((now - t_window) / WINDOW)
                t_window = now
                losses_in_window = []
                if on_window:
                    on_window(result.steps, steps, last_good,
                              batch_size / window_times[-1] if window_times else None)
    except KeyboardInterrupt:
        result.stopped = f"interrupted at step {result.steps}"
    except torch.cuda.OutOfMemoryError:
        if _retry and batch_size > 1:
            del model, opt
            if dev.type == "cuda":
                torch.cuda.empty_cache()
            r = probe(name, device=device, steps=steps, batch_size=batch_size // 2, dataset=dataset,
                      data_dir=data_dir, precision=precision, channels_last=channels_last, compile=compile, lr=lr,
                      optimizer=optimizer, momentum=momentum, weight_decay=weight_decay, seed=seed, detail=detail,
                      input_shape=input_shape, overrides=overrides, overfit_check=overfit_check, save=save,
                      on_window=on_window, _retry=False)
            r.notes.append(f"out of memory at batch size {batch_size}; retried at {batch_size // 2}")
            return r
        result.stopped = f"out of memory at batch size {batch_size}"

    result.losses = window_losses
    result.final_loss = window_losses[-1] if window_losses else None
    if window_times:
        step_s = statistics.median(window_times)
        result.steps_per_s = 1 / step_s
        result.images_per_s = batch_size / step_s
        result.achieved_flops_per_s = a.totals.train_flops / step_s
    if dev.type == "cuda":
        result.peak_memory_bytes, result.memory_kind = torch.cuda.max_memory_allocated(dev), "CUDA allocator peak"
    else:
        result.peak_memory_bytes = max(0, _peak_rss_bytes() - rss_before)
        result.memory_kind = "RSS growth over the run (CPU)"
    if result.peak_memory_bytes and result.estimated_train_memory_bytes:
        result.memory_ratio = result.peak_memory_bytes / result.estimated_train_memory_bytes

    if detail and not result.stopped:
        result.time_split_s = _time_split(step_fn, train, batch_size, dev, opt, run_model, channels_last)
    # accuracy on the training split (eval mode, so batch-norm uses its running
    # statistics, as at test time) and on the held-out split
    if not result.stopped:
        result.train_accuracy = evaluate(run_model, train, batch_size, dev, autocast_dtype, channels_last)
        result.test_accuracy = evaluate(run_model, test, batch_size, dev, autocast_dtype, channels_last)
    if save is not None and not result.stopped:
        from archscope.probe.weights import save_weights

        save_weights(model, save, {"model": name, "overrides": overrides or {}, "input": list(shape),
                                   "dataset": dataset, "steps": result.steps, "seed": seed,
                                   "test_accuracy": result.test_accuracy})
        result.notes.append(f"weights saved to {save}")

    # peaks and MFU
    result.peak_flops_known = known_peak(result.device, precision)
    if result.achieved_flops_per_s:
        result.peak_flops_measured = measured_matmul_peak(dev, precision)
        result.mfu_known = mfu(result.achieved_flops_per_s, result.peak_flops_known)
        result.mfu_measured = mfu(result.achieved_flops_per_s, result.peak_flops_measured)

    # checks
    c = result.checks
    finite = result.stopped is None or "non-finite" not in result.stopped
    c.append(Check("loss finite", finite, result.stopped or "every step"))
    if len(window_losses) >= 2:
        first, last = window_losses[0], window_losses[-1]
        c.append(Check("loss falls", last < first, f"{first:.3f} -> {last:.3f} (first vs last window)"))
    else:
        c.append(Check("loss falls", False, "fewer than two windows"))
    chance = result.chance
    need = clear_margin(chance)
    acc = result.test_accuracy
    c.append(Check("held-out accuracy above chance", acc is not None and acc >= need,
                   f"{acc:.3f} vs chance {chance:.3f} (needs >= {need:.3f})" if acc is not None else "not measured"))
    c.append(Check("outputs have the right shape", bool(shape_ok), f"(batch, {num_classes})"))
    if overfit_check and not result.stopped:
        c.append(_overfit_one_batch(name, overrides, train, dev, seed, optimizer, lr, momentum, weight_decay,
                                    autocast_dtype, hints.get("overfit_steps", 100)))
    return result


def evaluate(model, split, batch_size, dev, autocast_dtype, channels_last) -> float:
    was = model.training
    model.eval()
    correct = 0
    with torch.no_grad(), torch.autocast(dev.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
        for i in range(0, len(split.y), batch_size):
            xb = split.x[i:i + batch_size]
            if channels_last:
                xb = xb.contiguous(memory_format=torch.channels_last)
            correct += int((_logits(model(xb)).argmax(-1) == split.y[i:i + batch_size]).sum())
    model.train(was)
    return correct / len(split.y)


def _overfit_one_batch(name, overrides, train, dev, seed, optimizer, lr, momentum, weight_decay, autocast_dtype,
                       steps: int = 100) -> Check:
    """From scratch, one fixed batch of 16 images: a model that can learn at
    all drives its training loss on it far down (to under half)."""
    from archscope.zoo import get_model

    torch.manual_seed(seed)
    model = get_model(name, **(overrides or {})).to(dev).train()
    opt = _make_optimizer(optimizer, model.parameters(), lr, momentum, weight_decay)
    n = min(16, len(train.y))
    xb, yb = train.x[:n], train.y[:n]
    first = last = None
    for _ in range(steps):
        with torch.autocast(dev.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            loss = F.cross_entropy(_logits(model(xb)).float(), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        v = float(loss.detach())
        first = v if first is None else first
        last = v
        if not math.isfinite(v):
            break
    ok = last is not None and math.isfinite(last) and last < 0.5 * first
    return Check("overfits one fixed batch", ok, f"loss {first:.3f} -> {last:.3f} in {steps} steps on {n} images "
                                                  "(needs to halve)")


def _time_split(step_fn, train, batch_size, dev, opt, model, channels_last) -> dict:
    """Ten extra steps, synchronised between phases (so slower than the timed
    run): seconds per step in data, forward+backward and optimizer."""
    out = {"data": 0.0, "forward_backward": 0.0, "optimizer": 0.0}
    n = len(train.y)
    for _ in range(10):
        t0 = time.perf_counter()
        idx = torch.randint(0, n, (batch_size,)).to(dev)
        xb, yb = train.x.index_select(0, idx), train.y.index_select(0, idx)
        if channels_last:
            xb = xb.contiguous(memory_format=torch.channels_last)
        _sync(dev)
        t1 = time.perf_counter()
        loss = F.cross_entropy(_logits(model(xb)).float(), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        _sync(dev)
        t2 = time.perf_counter()
        opt.step()
        _sync(dev)
        t3 = time.perf_counter()
        out["data"] += (t1 - t0) / 10
        out["forward_backward"] += (t2 - t1) / 10
        out["optimizer"] += (t3 - t2) / 10
    return out


def run_recipe(recipe_name: str, *, data_dir=None, device: str = "auto", **kw) -> ProbeResult:
    if recipe_name not in RECIPES:
        raise ArchscopeError(f"unknown recipe {recipe_name!r}; recipes: {', '.join(RECIPES)}")
    r = RECIPES[recipe_name]
    result = probe(r.model, device=device, epochs=r.epochs, batch_size=r.batch_size, dataset=r.dataset,
                   data_dir=data_dir, optimizer=r.optimizer, lr=r.lr, momentum=0.0 if r.optimizer == "sgd" else None,
                   input_shape=r.input, overrides=r.overrides, **kw)
    result.notes.append(f"recipe {recipe_name}: {r.claim}")
    return result


__all__ = ["probe", "run_recipe", "RECIPES", "ProbeResult", "Check"]
