"""Class activation maps and the pointing game.

- CAM (Zhou et al. 2016, "Learning Deep Features for Discriminative
  Localization", Eq. 2): for a network whose logits are ``W @ mean(A) + b``
  with ``A`` the last feature map (global average pooling then one linear
  layer), the map for class c is ``sum_k W[c, k] * A[k]``. NiN's head, a
  convolution to one map per class then global average pooling, is the case
  ``W = I``. Whether a model has such a head is checked, not assumed: its
  logits must equal ``W @ mean(A) + b`` on the images at hand.
- Grad-CAM (Selvaraju et al. 2017, Eqs. 1-2): for any layer's output ``A``,
  ``alpha[k] = mean_ij d y_c / d A[k, i, j]`` and the map is
  ``ReLU(sum_k alpha[k] * A[k])``. For a CAM head this is ``ReLU(CAM) / Z``
  (``Z`` = the number of positions; Sec. 3.1 of the paper), which the tests
  use as a known answer.
- Upsampling to the input: feature (i, j) of a layer is centred on input
  pixel ``start + (i, j) * jump`` (the layer's receptive-field geometry,
  which archscope's analysis computes). Plain bilinear resizing
  (``align_corners=False``) assumes ``(i + 0.5) * H / h - 0.5`` instead,
  which for ResNet-18's 7x7 layer4 at 224 is 15.5 pixels down and right of
  where the features look; ``upsample="aligned"`` (the default) places each
  value where its field is centred, ``"bilinear"`` reproduces the usual one.
- Pointing game (Zhang et al. 2016, "Top-down Neural Attention by Excitation
  Backprop", Sec. 5.1): a hit when the map's maximum, at input resolution,
  falls on the object. Scored here with no tolerance (the original allows
  15 pixels on ImageNet-size images); the chance rate is the share of the
  image the object covers, the hit rate of a uniformly random point, and the
  centre baseline (Zhang et al.'s "Center") the share of objects that cover
  the image's centre pixel: a map must beat both to show it localises.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TypeGuard

import torch
import torch.nn.functional as F
from torch import nn

from archscope.errors import ArchscopeError
from archscope.probe.step import logits_of as _logits

POOLS = (nn.AdaptiveAvgPool2d, nn.AvgPool2d)


@dataclass
class Maps:
    method: str  # "cam" or "gradcam"
    layer: str  # where A was taken
    maps: torch.Tensor  # (N, H, W) at the input's resolution, not normalised
    target: torch.Tensor  # (N,) the class each map explains
    predicted: torch.Tensor  # (N,)
    map_size: tuple = ()  # (h, w) of A: the map's real resolution before upsampling
    upsample: str = "bilinear"


def _trace(model: nn.Module, x: torch.Tensor):
    """Forward once recording, in completion order, every named submodule
    with its first input and its output."""
    calls, hooks = [], []
    for name, m in model.named_modules():
        if name:
            hooks.append(m.register_forward_hook(
                lambda mod, inp, out, name=name: calls.append((name, mod, inp[0] if inp else None, out))))
    try:
        with torch.no_grad():
            out = _logits(model(x))
    finally:
        for h in hooks:
            h.remove()
    return calls, out


def _is_map(t: object) -> TypeGuard[torch.Tensor]:
    return isinstance(t, torch.Tensor) and t.dim() == 4 and t.shape[-1] * t.shape[-2] > 1


def feature_layers(model: nn.Module, x: torch.Tensor) -> list[str]:
    """Names of the submodules whose output is a feature map (N, C, h, w)
    with more than one position, in the order they finish."""
    calls, _ = _trace(model.eval(), x[:1])
    seen, out = set(), []
    for name, _, _, o in calls:
        if _is_map(o) and name not in seen:
            seen.add(name)
            out.append(name)
    return out


def default_layer(model: nn.Module, x: torch.Tensor) -> str:
    """The last convolutional block: of the modules holding a convolution,
    the last to finish with a feature map; a block finishes after its last
    layer, so it wins over that layer (ResNet's ``layer4``, not its last
    ReLU; VGG's ``features``, not the pooling after it)."""
    modules = dict(model.named_modules())
    layers = [n for n in feature_layers(model, x)
              if any(isinstance(m, nn.Conv2d) for m in modules[n].modules())]  # not a pool or an Identity
    if not layers:
        raise ArchscopeError("the model has no convolution with a spatial output (N, C, h, w): "
                             "give `layer`, a module whose output is one")
    return layers[-1]


def _layer_error(model: nn.Module, x: torch.Tensor, layer: str) -> ArchscopeError:
    """The error for a layer without a spatial output, listing those that have one
    (a traced forward: only on this error path)."""
    layers = feature_layers(model, x)
    shallow = [n for n in layers if n.count(".") <= 1]
    shown = layers if len(layers) <= 40 else shallow
    deeper = [n for n in layers if n not in shown]
    more = f" and {len(deeper)} deeper ones (e.g. {deeper[-1]})" if deeper else ""
    return ArchscopeError(f"no layer {layer!r} with a spatial output; valid: {', '.join(shown)}{more}")


def cam_head(model: nn.Module, x: torch.Tensor):
    """(feature map A, W, b, the module that produced A) for a GAP + linear
    head, checked on ``x``; raises naming what is missing otherwise."""
    calls, logits = _trace(model, x)
    pools = [i for i, (_, m, inp, out) in enumerate(calls)
             if isinstance(m, POOLS) and _is_map(inp) and out.dim() == 4 and out.shape[-2:] == (1, 1)]
    why = ("CAM needs a network that ends in global average pooling and one linear layer (NiN, GoogLeNet, "
           "ResNet); use `method` gradcam")
    if not pools:
        raise ArchscopeError(f"{why}: no global average pooling found")
    i = pools[-1]
    pool_name, _, a, _ = calls[i]
    linears = [(n, m) for n, m, _, _ in calls[i + 1:] if isinstance(m, nn.Linear)]
    k = a.shape[1]
    if len(linears) == 1 and linears[0][1].in_features == k:
        w = linears[0][1].weight.detach()
        b = linears[0][1].bias.detach() if linears[0][1].bias is not None else torch.zeros(w.shape[0])
    elif not linears and k == logits.shape[-1]:
        w, b = torch.eye(k, device=a.device, dtype=a.dtype), torch.zeros(k, device=a.device, dtype=a.dtype)
    else:
        raise ArchscopeError(f"{why}: after {pool_name} come {len(linears)} linear layers")
    pred = a.mean(dim=(2, 3)) @ w.T + b
    err = (pred - logits).abs().max().item()
    if err > 1e-3 * (1 + logits.abs().max().item()):
        raise ArchscopeError(f"{why}: its logits are not W @ mean(A) + b (max difference {err:.3g})")
    return a, w, b, _source(calls[:i], a) or f"{pool_name} input"


_GEOMETRY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> {input shape: analysis rows}


def geometry(model: nn.Module, shape, layer: str) -> tuple[float, tuple[float, float]]:
    """(jump, centre of feature 0) of ``layer``'s output on a (C, H, W) input.
    One analysis per model and input shape, however many maps are drawn."""
    from archscope.analysis import analyze
    from archscope.analysis.receptive import RF

    rows = _GEOMETRY.setdefault(model, {})
    if tuple(shape) not in rows:
        a = analyze(model, tuple(shape), training_memory=False)
        rows[tuple(shape)] = {l.name: l.receptive_field for l in a.layers if isinstance(l.receptive_field, RF)}
    rf = rows[tuple(shape)].get(layer)
    if rf is None:
        raise ArchscopeError(f"{layer} has no receptive-field geometry; use `upsample` bilinear")
    return float(rf.jump[0]), (float(rf.start[0]), float(rf.start[1]))


def upsample(m: torch.Tensor, size, geom=None) -> torch.Tensor:
    """(N, h, w) -> (N, H, W). Without ``geom``: plain bilinear resizing.
    With ``geom = (jump, (y0, x0))``: input pixel p reads the map at feature
    coordinate (p - start) / jump, bilinearly, clamped at the border."""
    if geom is None:
        return F.interpolate(m.unsqueeze(1), size=size, mode="bilinear", align_corners=False).squeeze(1)
    jump, (y0, x0) = geom
    (h, w), (H, W) = m.shape[-2:], size

    def axis(n_in, n_out, c0):
        f = (torch.arange(n_out, dtype=m.dtype, device=m.device) - c0) / jump
        return 2 * f / (n_in - 1) - 1 if n_in > 1 else torch.zeros_like(f)

    gy, gx = axis(h, H, y0), axis(w, W, x0)
    grid = torch.stack(torch.meshgrid(gx, gy, indexing="xy"), dim=-1).expand(len(m), H, W, 2)
    return F.grid_sample(m.unsqueeze(1), grid, mode="bilinear", padding_mode="border",
                         align_corners=True).squeeze(1)


def _source(calls, tensor) -> str | None:
    """The last module (in completion order) whose output is ``tensor``."""
    names = [n for n, _, _, o in calls if o is tensor]
    return names[-1] if names else None


def _resize(model, x, layer, raw, how: str):
    if how not in ("aligned", "bilinear"):
        raise ArchscopeError(f"`upsample` must be aligned or bilinear, got {how!r}")
    if how == "bilinear" or layer not in dict(model.named_modules()):
        return upsample(raw, x.shape[-2:]), "bilinear"
    return upsample(raw, x.shape[-2:], geometry(model, x.shape[1:], layer)), "aligned"


def cam(model: nn.Module, x: torch.Tensor, target: torch.Tensor | None = None, how: str = "aligned") -> Maps:
    model.eval()
    a, w, _, layer = cam_head(model, x)
    with torch.no_grad():
        pred = (a.mean(dim=(2, 3)) @ w.T).argmax(-1)
        tgt = pred if target is None else target
        raw = torch.einsum("nk,nkhw->nhw", w[tgt], a)
    maps, how = _resize(model, x, layer, raw, how)
    return Maps("cam", layer, maps, tgt, pred, tuple(raw.shape[-2:]), how)


def gradcam(model: nn.Module, x: torch.Tensor, layer: str | None = None,
            target: torch.Tensor | None = None, how: str = "aligned") -> Maps:
    model.eval()
    layer = layer or default_layer(model, x)
    modules = dict(model.named_modules())
    if not layer or layer not in modules:
        raise _layer_error(model, x, layer)
    module = modules[layer]
    store = {}

    def hook(mod, inp, out):
        if "a" not in store:  # a module called twice (shared) maps its first call
            store["a"] = out
        # downstream in-place ops (ReLU(inplace=True)) would overwrite A: give them a copy
        return out.clone()

    h = module.register_forward_hook(hook)
    try:
        with torch.enable_grad():
            logits = _logits(model(x))
            pred = logits.argmax(-1)
            tgt = pred if target is None else target
            a = store.get("a")
            if not _is_map(a):
                raise _layer_error(model, x[:1], layer)
            if not a.requires_grad:
                raise ArchscopeError(f"{layer}'s output does not depend on any trainable weight; choose a later layer")
            # images are independent in eval mode, so one backward of the sum gives every image's gradient
            (grad,) = torch.autograd.grad(logits.gather(1, tgt[:, None]).sum(), a)
    finally:
        h.remove()
    alpha = grad.mean(dim=(2, 3), keepdim=True)
    raw = F.relu((alpha * a.detach()).sum(1))
    maps, how = _resize(model, x, layer, raw, how)
    return Maps("gradcam", layer, maps, tgt.detach(), pred.detach(), tuple(raw.shape[-2:]), how)


def normalise(maps: torch.Tensor) -> torch.Tensor:
    """Each map scaled to [0, 1] (a constant map becomes zeros)."""
    flat = maps.flatten(1)
    lo, hi = flat.min(1, keepdim=True).values, flat.max(1, keepdim=True).values
    return ((flat - lo) / (hi - lo).clamp_min(1e-12)).view_as(maps)


def peaks(maps: torch.Tensor) -> torch.Tensor:
    """(N, 2) row, column of each map's maximum (the first one on ties)."""
    idx = maps.flatten(1).argmax(1)
    return torch.stack([idx // maps.shape[-1], idx % maps.shape[-1]], dim=1)


@dataclass
class PointingGame:
    method: str
    layer: str
    images: int
    hits: int
    chance: float  # mean share of the image the object covers
    centre_baseline: float  # share of images whose object covers the centre pixel

    @property
    def accuracy(self) -> float:
        return self.hits / self.images if self.images else 0.0


def pointing_game(m: Maps, masks: torch.Tensor) -> tuple[PointingGame, torch.Tensor]:
    """Score the maps against the objects' masks (N, H, W); also return the
    per-image hits."""
    p = peaks(m.maps)
    hit = masks[torch.arange(len(p)), p[:, 0], p[:, 1]]
    h, w = masks.shape[-2:]
    centre = float(masks[:, h // 2, w // 2].float().mean())
    return PointingGame(m.method, m.layer, len(p), int(hit.sum()), float(masks.float().mean()), centre), hit
