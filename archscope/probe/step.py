"""The one training step. The run, the one-batch overfit check and the
detailed timing all call ``train_step``, so what ``--detail`` times is the
step the run takes (autocast, GradScaler and auxiliary heads included)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

AUX_WEIGHT = 0.3  # GoogLeNet's auxiliary classifiers: "weighted by 0.3" (Szegedy et al. 2014, Sec. 5)


def logits_of(out):
    """A model's class scores: the first output where it returns several
    (GoogLeNet / Inception with auxiliary heads)."""
    return out[0] if isinstance(out, (tuple, list)) else out


@dataclass
class Amp:
    """Mixed precision for one device: autocast dtype (None: fp32) and, for
    fp16, a GradScaler."""

    device_type: str
    dtype: torch.dtype | None = None
    scaler: torch.amp.GradScaler | None = None

    @classmethod
    def for_precision(cls, device_type: str, precision: str) -> Amp:
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
        scaler = torch.amp.GradScaler(device_type) if precision == "fp16" else None
        return cls(device_type, dtype, scaler)

    def autocast(self):
        return torch.autocast(self.device_type, dtype=self.dtype, enabled=self.dtype is not None)


def loss_of(out, yb):
    """Cross-entropy of the main output plus 0.3 x each auxiliary head's."""
    loss = F.cross_entropy(logits_of(out).float(), yb)
    if isinstance(out, (tuple, list)) and len(out) > 1:
        loss = loss + AUX_WEIGHT * sum(F.cross_entropy(o.float(), yb) for o in out[1:])
    return loss


def train_step(model, opt, xb, yb, amp: Amp, *, after_backward=None):
    """Forward, loss, backward, optimizer step. Returns the detached loss and
    the logits (for the running accuracy). ``after_backward`` is called
    between backward and the optimizer step (the detailed timing's phase
    boundary)."""
    with amp.autocast():
        out = model(xb)
        loss = loss_of(out, yb)
    opt.zero_grad(set_to_none=True)
    if amp.scaler is not None:
        amp.scaler.scale(loss).backward()
        if after_backward:
            after_backward()
        amp.scaler.step(opt)
        amp.scaler.update()
    else:
        loss.backward()
        if after_backward:
            after_backward()
        opt.step()
    return loss.detach(), logits_of(out).detach()


def make_optimizer(name: str, params, lr: float, momentum: float | None, weight_decay: float = 0.0):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum or 0.0, weight_decay=weight_decay)
    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)


def init_weights(model, how: str) -> None:
    """``xavier_uniform``: d2l's ``train_ch6`` (article 002, line 374) — the
    weight of every Linear and Conv2d, biases untouched;
    ``xavier_uniform_zero_bias``: the same, with their biases zeroed (Keras,
    MXNet)."""
    if how in ("xavier_uniform", "xavier_uniform_zero_bias"):
        for m in model.modules():
            if type(m) in (torch.nn.Linear, torch.nn.Conv2d):  # d2l tests the exact type, not subclasses
                torch.nn.init.xavier_uniform_(m.weight)
                if how == "xavier_uniform_zero_bias" and m.bias is not None:
                    torch.nn.init.zeros_(m.bias)
