"""Several seeds of one run trained at once, as one grouped network.

At batch 2-16 a LeNet step is a few hundred thousand multiply-adds: the time
goes to per-operation overhead (Python, the dispatcher, autograd, the
optimizer), not to arithmetic (shared/PERF-NOTES.md; issue 24 measured 1.0 ms
a step at batch 2 on one thread, 29 ms at batch 256). S seeds of the same
setting are S independent networks, so they can run as *one* network whose
every operation does S times the work for the same overhead:

- ``Conv2d(c, o, k)`` becomes ``Conv2d(S*c, S*o, k, groups=S)``: group s is
  seed s's convolution; activations are laid out ``(B, S*C, H, W)``, seed s's
  channels in the s-th block;
- ``Flatten`` becomes ``(B, S*C, H, W) -> (S, B, C*H*W)`` (each seed's own
  C, H, W order, as ``nn.Flatten``);
- ``Linear(i, o)`` becomes a batched matmul ``baddbmm(bias (S, 1, o),
  x (S, B, i), W (S, i, o))``;
- activations and pooling act on each channel alone and are kept as they
  are.

The loss is the sum over seeds of each seed's mean cross-entropy, so the
gradient of every seed's parameters is the gradient of its own loss (the
seeds share no parameter); SGD and Adam act on each element alone, so one
optimizer over the stacked parameters is S optimizers. Each seed is built
exactly as the plain path builds it (``torch.manual_seed(seed)``, the
builder, the same initialisation) and draws its own data order from its
own generator (a fresh ``randperm`` each epoch from a generator seeded with
its seed, the last partial batch kept: ``archscope.probe.train.batches``),
so seed s gives the plain path's run up to float rounding (a grouped
convolution sums in another order): ``tests/test_grouped.py`` compares the
first 50 steps' losses.

Only models that are an ``nn.Sequential`` of these layers can be stacked
(``stackable``): article 002's ``lenet.d2l`` and article 000's
``lenet.tutorial`` in every setting their ablations use. Anything else
(batch norm, dropout, a custom module) runs on the plain path.

Whole-epoch runs record a history like d2l's ``train_ch6``: after every
epoch the running training loss and accuracy of that epoch (training mode)
and the test accuracy (eval mode, the whole test split).
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from archscope.errors import ArchscopeError

# modules that act on each element (or each channel) alone: kept as they are in the stacked network
ELEMENTWISE = (nn.Sigmoid, nn.ReLU, nn.Tanh, nn.Identity, nn.GELU, nn.SiLU, nn.LeakyReLU, nn.ELU, nn.Hardtanh,
               nn.ReLU6, nn.Softplus, nn.Mish, nn.Hardswish)
POOLS = (nn.AvgPool2d, nn.MaxPool2d)
EVAL_BATCH = 256  # d2l's evaluate_accuracy batches the test split by the loader's 256 (article 002, line 356)


def stackable(model: nn.Module) -> str | None:
    """None when ``model`` can be trained as part of a grouped network; else
    why not (one line)."""
    if not isinstance(model, nn.Sequential):
        return f"{type(model).__name__} is not an nn.Sequential"
    flat = False
    for m in model:
        if isinstance(m, nn.Conv2d):
            if flat:
                return "a convolution after Flatten"
            if m.padding_mode != "zeros" or isinstance(m.padding, str):
                return "a convolution with padding mode other than zeros"
        elif isinstance(m, nn.Linear):
            if not flat:
                return "a Linear layer before Flatten"
        elif isinstance(m, nn.Flatten):
            if flat or m.start_dim != 1 or m.end_dim != -1:
                return "a Flatten other than nn.Flatten()"
            flat = True
        elif isinstance(m, POOLS):
            if flat:
                return "pooling after Flatten"
        elif not isinstance(m, ELEMENTWISE):
            return f"a {type(m).__name__} layer"
    if not flat:
        return "no Flatten before the classifier"
    return None


def _two(t: tuple[int, ...]) -> tuple[int, int]:
    """A Conv2d's (height, width) setting, as its constructor's type takes it."""
    h, w = t
    return h, w


def _param(module: nn.Module, name: str) -> torch.Tensor:
    """``module``'s parameter ``name``, typed (a stacked linear layer is a bare Module holding two)."""
    p = getattr(module, name)
    assert isinstance(p, torch.Tensor)
    return p


class Stacked(nn.Module):
    """S copies of one ``nn.Sequential`` architecture (each with its own
    weights) as one network. Input ``(B, S*C, H, W)``: seed s's images in
    channels ``s*C:(s+1)*C``; output ``(S, B, classes)``."""

    def __init__(self, models: list[nn.Module]):
        super().__init__()
        why = stackable(models[0])
        if why is not None:
            raise ArchscopeError(f"cannot stack this model: {why}")
        self.seeds = s = len(models)
        self.kinds: list[str] = []
        self.layers = nn.ModuleList()
        for parts in zip(*models, strict=True):
            m = parts[0]
            if isinstance(m, nn.Conv2d):
                conv = nn.Conv2d(m.in_channels * s, m.out_channels * s, _two(m.kernel_size), _two(m.stride),
                                 m.padding if isinstance(m.padding, str) else _two(m.padding), _two(m.dilation),
                                 m.groups * s, m.bias is not None, device=m.weight.device,
                                 dtype=m.weight.dtype)
                with torch.no_grad():
                    conv.weight.copy_(torch.cat([p.weight for p in parts]))
                    if m.bias is not None:
                        assert conv.bias is not None  # made with a bias just above
                        conv.bias.copy_(torch.cat([p.bias for p in parts]))
                self.kinds.append("conv")
                self.layers.append(conv)
            elif isinstance(m, nn.Linear):
                lin = nn.Module()
                lin.weight = nn.Parameter(torch.stack([p.weight.detach().t() for p in parts]).contiguous())
                lin.bias = nn.Parameter(torch.stack([p.bias.detach() for p in parts]).unsqueeze(1).contiguous()) \
                    if m.bias is not None else None
                self.kinds.append("linear")
                self.layers.append(lin)
            elif isinstance(m, nn.Flatten):
                self.kinds.append("flatten")
                self.layers.append(nn.Identity())
            else:
                self.kinds.append("same")
                self.layers.append(m)

    def forward(self, x):  # (B, S*C, H, W)
        s = self.seeds
        for kind, layer in zip(self.kinds, self.layers, strict=True):
            if kind == "flatten":
                x = x.reshape(x.shape[0], s, -1).transpose(0, 1)  # (S, B, C*H*W), each seed's own order
            elif kind == "linear":
                x = torch.baddbmm(layer.bias, x, layer.weight) if layer.bias is not None else \
                    torch.bmm(x, layer.weight)  # (S, B, out)
            else:
                x = layer(x)
        return x  # (S, B, classes)

    def unstack(self, models: list[nn.Module]) -> None:
        """Write each seed's weights back into ``models`` (plain copies of the
        architecture), e.g. to save or compare them."""
        for i, (kind, layer) in enumerate(zip(self.kinds, self.layers, strict=True)):
            for s, model in enumerate(models):
                if not isinstance(model, nn.Sequential):
                    raise TypeError(f"unstack writes into nn.Sequential copies, got {type(model).__name__}")
                m = model[i]
                with torch.no_grad():
                    if kind == "conv":
                        assert isinstance(m, nn.Conv2d)  # the layer the stacked one was made from
                        o = m.out_channels
                        m.weight.copy_(_param(layer, "weight")[s * o:(s + 1) * o])
                        if m.bias is not None:
                            m.bias.copy_(_param(layer, "bias")[s * o:(s + 1) * o])
                    elif kind == "linear":
                        assert isinstance(m, nn.Linear)
                        m.weight.copy_(_param(layer, "weight")[s].t())
                        if m.bias is not None:
                            m.bias.copy_(_param(layer, "bias")[s, 0])


# ---- one group's training -------------------------------------------------------------------

@dataclass
class SeedResult:
    """One seed's run inside a group: what the plain path's ``ProbeResult``
    gives the sweep, and the history."""

    seed: int
    steps: int = 0
    history: list = field(default_factory=list)  # {"epoch", "train_loss", "train_accuracy", "test_accuracy"}
    test_accuracy: float | None = None
    stopped: str | None = None  # why this seed failed (a non-finite loss)
    final_loss: float | None = None  # mean loss of the last 10-step window (the plain path's ``final_loss``)
    step_losses: list = field(default_factory=list)  # the first ``trace_steps`` losses (tests)

    @property
    def epoch_losses(self):
        return [h["train_loss"] for h in self.history]

    @property
    def epoch_accuracies(self):
        return [h["train_accuracy"] for h in self.history]


@dataclass
class GroupResult:
    seeds: list  # SeedResult, in the order of the configs
    device: str = ""
    device_type: str = ""
    settings: dict = field(default_factory=dict)  # the first config's resolved settings (steps, threads)
    data: dict = field(default_factory=dict)
    chance: float | None = None
    compiled: bool = False
    train_seconds: float | None = None  # the training loop alone (the per-epoch evaluations excluded)
    eval_seconds: float = 0.0
    compile_seconds: float | None = None  # the first compiled step (tracing and code generation)
    steps: int = 0
    images_seen: int = 0  # summed over the seeds
    models: list = field(default_factory=list, repr=False)  # with keep_models: each seed's trained network

    @property
    def step_seconds(self) -> float | None:
        """Wall seconds of one step of the whole group."""
        return self.train_seconds / self.steps if self.train_seconds and self.steps else None

    @property
    def examples_per_s(self) -> float | None:
        return self.images_seen / self.train_seconds if self.train_seconds else None


def same_but_seed(cfgs) -> None:
    first = replace(cfgs[0], seed=0)
    for c in cfgs[1:]:
        if replace(c, seed=0) != first:
            raise ArchscopeError("a group's runs must differ only in their seed")


def _eval_group(net, x, y, seeds: int, per_seed: bool, amp) -> list[float]:
    """Each seed's accuracy on a split. ``x`` is (N, C, H, W), or (S, N, C, H, W) with per-seed data."""
    was = net.training
    net.eval()
    n = y.shape[-1]
    correct = torch.zeros(seeds, dtype=torch.int64, device=y.device)
    with torch.no_grad(), amp.autocast():
        for i in range(0, n, EVAL_BATCH):
            if per_seed:
                xb = x[:, i:i + EVAL_BATCH]  # (S, b, C, H, W)
                xb = xb.transpose(0, 1).reshape(xb.shape[1], -1, *xb.shape[3:])
                yb = y[:, i:i + EVAL_BATCH]
            else:
                xb = x[i:i + EVAL_BATCH]
                b = xb.shape[0]
                xb = xb.unsqueeze(1).expand(b, seeds, *xb.shape[1:]).reshape(b, -1, *xb.shape[2:])
                yb = y[i:i + EVAL_BATCH].unsqueeze(0)
            out = net(xb)  # (S, b, K)
            correct += (out.argmax(-1) == yb).sum(-1)
    net.train(was)
    return [int(c) / n for c in correct]


class _NoProfilerMarkerWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return not (text.startswith(("Profiler record function", "Profiler function")) and
                    text.endswith("will be ignored"))


# torch.optim's step() opens a profiler marker (record_function "Optimizer.step#SGD.step"); compiling the step,
# dynamo drops the marker and says so on stderr ("Profiler record function ... will be ignored"), once a
# process, in the middle of `claims --train`'s progress. The marker only names the step in a profiler's
# trace, so nothing the run measures is lost: that one message is filtered, every other warning stays.
_DYNAMO_LOGGERS = ("torch._dynamo.variables.ctx_manager", "torch._dynamo.variables.torch")


def quiet_profiler_markers() -> None:
    for name in _DYNAMO_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoProfilerMarkerWarning) for f in logger.filters):
            logger.addFilter(_NoProfilerMarkerWarning())


def train_group(cfgs, *, compiled: bool = False, notice=None, trace_steps: int = 0,
                keep_models: bool = False) -> GroupResult:
    """Train the runs ``cfgs`` (TrainConfigs of whole epochs that differ only in
    their seed) at once; see the module docstring. ``compiled``: the step
    (forward, backward, optimizer) through ``torch.compile`` (the last,
    partial batch of an epoch runs the same step uncompiled). A seed whose
    loss stops being finite is stopped (its figures are not kept); the
    others go on. Ctrl-C raises KeyboardInterrupt (no seed of an unfinished
    group is kept)."""
    from archscope.probe import data as datasets
    from archscope.probe.config import Optimizer
    from archscope.probe.cpus import reserved_cores
    from archscope.probe.device import device_name, resolve_device
    from archscope.probe.step import Amp, init_weights, logits_of, make_optimizer
    from archscope.zoo import get_model, model_info

    cfgs = [c.validate() for c in cfgs]
    same_but_seed(cfgs)
    cfg0 = cfgs[0]
    if cfg0.epochs is None:
        raise ArchscopeError("the grouped path trains whole epochs (--epochs), not a number of steps")
    if cfg0.optimizer not in (Optimizer.SGD.value, Optimizer.ADAM.value):
        raise ArchscopeError(f"the grouped path has no optimizer {cfg0.optimizer!r}")
    dev = resolve_device(cfg0.device)
    info = model_info(cfg0.model)
    cfgs = [replace(c, model=info.name).resolve(info, dev) for c in cfgs]
    cfg0 = cfgs[0]
    S, shape, bs = len(cfgs), cfg0.input_shape, cfg0.batch_size
    out = GroupResult([SeedResult(c.seed) for c in cfgs], compiled=compiled)
    with contextlib.ExitStack() as slots:
        if dev.type == "cpu":
            slots.enter_context(reserved_cores(cfg0.threads, on_wait=notice, threads=cfg0.threads))
        out.device, out.device_type = device_name(dev), dev.type
        out.settings = cfg0.settings()
        out.settings["threads"] = torch.get_num_threads()

        # each seed's network exactly as the plain path builds it (archscope.probe.train.run)
        models = []
        for c in cfgs:
            torch.manual_seed(c.seed)
            m = get_model(info.name, **c.overrides)
            init_weights(m, c.init)
            models.append(m.to(dev))
        why = stackable(models[0])
        if why is not None:
            raise ArchscopeError(f"{info.name} cannot take the grouped path: {why}")
        classes_out = logits_of(models[0].eval()(torch.zeros(1, *shape, device=dev))).shape[-1]
        net = Stacked(models).to(dev).train()
        if cfg0.channels_last:
            # Module.to takes memory_format (documented, and done at run time); torch's overloads leave it out
            net = net.to(memory_format=torch.channels_last)  # type: ignore[call-overload]

        # the data: one copy when it does not depend on the seed (real data sets), else each seed's own
        per_seed = cfg0.dataset == "synthetic"
        kw = dict(data_dir=cfg0.data_dir, device=dev, classes=min(datasets.SYNTHETIC_CLASSES, classes_out),
                  n_train=max(2048, 4 * bs), n_test=512, scaling=cfg0.scaling, download=cfg0.download,
                  notice=notice, provenance=out.data)
        loaded = [datasets.load(cfg0.dataset, shape, seed=c.seed, **kw) for c in (cfgs if per_seed else cfgs[:1])]
        classes = loaded[0][2]
        if classes > classes_out:
            raise ArchscopeError(f"{info.name} has {classes_out} outputs; {cfg0.dataset} has {classes} classes")
        out.chance = 1 / classes
        n = len(loaded[0][0].y)
        if per_seed:
            train_x = torch.cat([t.x for t, _, _ in loaded])  # (S*N, ...): seed s's images from s*N
            train_y = torch.cat([t.y for t, _, _ in loaded])
            test_x = torch.stack([t.x for _, t, _ in loaded])  # (S, Nt, ...)
            test_y = torch.stack([t.y for _, t, _ in loaded])
            offsets = (torch.arange(S, device=dev) * n).view(S, 1)
        else:
            train, test, _ = loaded[0]
            train_x, train_y, test_x, test_y, offsets = train.x, train.y, test.x, test.y, None
        del loaded
        steps_per_epoch = math.ceil(n / bs)
        out.settings["steps"] = total = cfg0.epochs * steps_per_epoch

        amp = Amp.for_precision(dev.type, cfg0.precision)
        opt = make_optimizer(cfg0.optimizer, net.parameters(), cfg0.lr, cfg0.momentum, cfg0.weight_decay)

        def step(xb, yb):  # xb (b, S*C, H, W), yb (S, b)
            with amp.autocast():
                logits = net(xb)
                losses = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), yb.reshape(-1),
                                         reduction="none").view(S, -1).mean(1)
            opt.zero_grad(set_to_none=True)
            if amp.scaler is not None:
                amp.scaler.scale(losses.sum()).backward()
                amp.scaler.step(opt)
                amp.scaler.update()
            else:
                losses.sum().backward()
                opt.step()
            return losses.detach(), logits.detach()

        fast = step
        if compiled:
            import torch._inductor.config as inductor_config

            inductor_config.compile_threads = 1  # a run's one thread: no pool of compile workers beside it
            quiet_profiler_markers()
            fast = torch.compile(step)
        generators = [torch.Generator(device="cpu").manual_seed(c.seed) for c in cfgs]
        alive = torch.ones(S, dtype=torch.bool)
        loss_sum = torch.zeros(S, device=dev)
        correct = torch.zeros(S, dtype=torch.int64, device=dev)
        window: list = []
        step_no = 0
        out.train_seconds = 0.0
        for epoch in range(cfg0.epochs):
            t0 = time.perf_counter()
            # each seed's permutation of this epoch, drawn as the plain path draws it
            perms = torch.stack([torch.randperm(n, generator=g) for g in generators]).to(dev)
            if offsets is not None:
                perms = perms + offsets
            loss_sum.zero_()
            correct.zero_()
            for i in range(0, n, bs):
                idx = perms[:, i:i + bs]  # (S, b)
                b = idx.shape[1]
                xb = train_x.index_select(0, idx.t().reshape(-1))  # (b*S, C, H, W): image j of seed s at j*S+s
                xb = xb.view(b, -1, *xb.shape[2:])
                if cfg0.channels_last:
                    xb = xb.contiguous(memory_format=torch.channels_last)
                yb = train_y.index_select(0, idx.reshape(-1)).view(S, b)
                if compiled and b == bs and out.compile_seconds is None:
                    tc = time.perf_counter()
                    losses, logits = fast(xb, yb)
                    out.compile_seconds = time.perf_counter() - tc
                else:
                    losses, logits = (fast if b == bs else step)(xb, yb)
                loss_sum += losses * b
                correct += (logits.argmax(-1) == yb).sum(-1)
                step_no += 1
                out.images_seen += b * S
                if trace_steps and step_no <= trace_steps:
                    for r, v in zip(out.seeds, losses.tolist(), strict=True):
                        r.step_losses.append(v)
                window.append(losses)
                if step_no % 10 == 0 or step_no == total:  # the plain path's windows; never a sync per step
                    w = torch.stack(window).cpu()
                    bad = ~torch.isfinite(w).all(0)
                    for s in torch.nonzero(bad & alive).flatten().tolist():
                        out.seeds[s].stopped = f"non-finite loss by step {step_no}"
                        alive[s] = False
                    for s, v in enumerate(w.mean(0).tolist()):
                        if alive[s]:
                            out.seeds[s].final_loss = v
                    window = []
                    if not alive.any():
                        break
            if dev.type == "cuda":
                torch.cuda.synchronize(dev)
            out.train_seconds += time.perf_counter() - t0
            out.steps = step_no
            if not alive.any():
                break
            te = time.perf_counter()
            accs = _eval_group(net, test_x, test_y, S, per_seed, amp)
            out.eval_seconds += time.perf_counter() - te
            ls, cs = (loss_sum / n).tolist(), correct.tolist()
            for s, r in enumerate(out.seeds):
                if alive[s]:
                    r.history.append({"epoch": epoch + 1, "train_loss": ls[s], "train_accuracy": cs[s] / n,
                                      "test_accuracy": accs[s]})
        for s, r in enumerate(out.seeds):
            r.steps = step_no
            if alive[s] and r.history:
                r.test_accuracy = r.history[-1]["test_accuracy"]
        if keep_models:
            net.unstack(models)  # each seed's trained weights, as plain models
            out.models = models
    return out


# ---- timing a path (archscope.probe.paths chooses from these) ---------------------------------

def time_paths(cfg, seeds: int, candidates: tuple, *, seconds: float = 1.0, max_windows: int = 60) -> dict:
    """{candidate: (seconds a step, seconds of compiling)} for ``cfg``'s model
    at its batch size on random data, in this process on its current
    threads. Candidates: ``plain`` (the plain network's ``train_step``, one
    seed), ``grouped`` and ``grouped-compiled`` (``seeds`` at once). Each
    step does what the training loops do around it (the batch gathered from
    a data tensor by index, the running loss and accuracy summed). The
    candidates' 10-step windows alternate, so a machine whose load changes
    slows them alike; each figure is the median of its windows."""
    import statistics

    from archscope.probe.device import resolve_device
    from archscope.probe.step import Amp, init_weights, make_optimizer, train_step
    from archscope.zoo import get_model, model_info

    dev = resolve_device(cfg.device)
    info = model_info(cfg.model)
    cfg = replace(cfg, model=info.name).resolve(info, dev)
    bs, shape = cfg.batch_size, cfg.input_shape
    amp = Amp.for_precision(dev.type, cfg.precision)
    g = torch.Generator(device="cpu").manual_seed(0)
    n = max(2048, 4 * bs)
    data_x = torch.rand(n, *shape, generator=g).to(dev)
    sync = (lambda: torch.cuda.synchronize(dev)) if dev.type == "cuda" else (lambda: None)

    def build(count):
        models = []
        for s in range(count):
            torch.manual_seed(s)
            m = get_model(info.name, **cfg.overrides)
            init_weights(m, cfg.init)
            models.append(m.to(dev).train())
        return models

    fns: dict[str, Callable[[], None]] = {}  # candidate -> one training step, its arguments bound
    compile_s: dict[str, float] = {}
    for cand in candidates:
        if cand == "plain":
            model = build(1)[0]
            k = model(data_x[:1]).shape[-1]
            data_y = torch.randint(0, k, (n,), generator=g).to(dev)
            opt = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr, cfg.momentum, cfg.weight_decay)
            loss_sum, correct = torch.zeros((), device=dev), torch.zeros((), dtype=torch.int64, device=dev)

            def plain(model=model, opt=opt, data_y=data_y, loss_sum=loss_sum, correct=correct):
                idx = torch.randint(0, n, (bs,), generator=g).to(dev)
                xb, yb = data_x.index_select(0, idx), data_y.index_select(0, idx)
                loss, logits = train_step(model, opt, xb, yb, amp)
                loss_sum.add_(loss.float() * bs)
                correct.add_((logits.argmax(-1) == yb).sum())
            fns[cand] = plain
        else:
            net = Stacked(build(seeds)).train()
            k = net(data_x[:1].repeat(1, seeds, 1, 1)).shape[-1]
            data_y = torch.randint(0, k, (n,), generator=g).to(dev)
            opt = make_optimizer(cfg.optimizer, net.parameters(), cfg.lr, cfg.momentum, cfg.weight_decay)
            loss_sum, correct = torch.zeros(seeds, device=dev), torch.zeros(seeds, dtype=torch.int64, device=dev)

            def step(xb, yb, net=net, opt=opt, k=k):  # k bound here: each candidate's own class count
                with amp.autocast():
                    logits = net(xb)
                    losses = F.cross_entropy(logits.float().reshape(-1, k), yb.reshape(-1),
                                             reduction="none").view(seeds, -1).mean(1)
                opt.zero_grad(set_to_none=True)
                losses.sum().backward()
                opt.step()
                return losses.detach(), logits.detach()
            run_step: Callable[..., Any] = step
            if cand == "grouped-compiled":
                import torch._inductor.config as inductor_config

                inductor_config.compile_threads = 1
                quiet_profiler_markers()
                run_step = torch.compile(step)

            def grouped(step=run_step, data_y=data_y, loss_sum=loss_sum, correct=correct):
                idx = torch.randint(0, n, (seeds, bs), generator=g).to(dev)
                xb = data_x.index_select(0, idx.t().reshape(-1)).view(bs, -1, *shape[1:])
                yb = data_y.index_select(0, idx.reshape(-1)).view(seeds, bs)
                losses, logits = step(xb, yb)
                loss_sum.add_(losses * bs)
                correct.add_((logits.argmax(-1) == yb).sum(-1))
            fns[cand] = grouped
        t = time.perf_counter()
        fns[cand]()
        sync()
        compile_s[cand] = time.perf_counter() - t if cand == "grouped-compiled" else 0.0
        for _ in range(3):
            fns[cand]()
        sync()
    windows: dict = {c: [] for c in fns}
    start = time.perf_counter()
    while len(windows[candidates[0]]) < max_windows and \
            (time.perf_counter() - start < seconds * len(fns) or len(windows[candidates[0]]) < 3):
        for c, fn in fns.items():
            t = time.perf_counter()
            for _ in range(10):
                fn()
            sync()
            windows[c].append((time.perf_counter() - t) / 10)
    return {c: (statistics.median(w), compile_s[c]) for c, w in windows.items()}


__all__ = ["Stacked", "stackable", "train_group", "GroupResult", "SeedResult", "time_paths", "ELEMENTWISE"]
