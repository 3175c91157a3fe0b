"""Small measuring helpers for the tests (independent of archscope's analysis)."""

import torch
from torch import nn

# The 1000+-layer nets: tests that need a real forward or torchinfo on every layer
# skip them (minutes on two cores); their structure is their shallower siblings'.
HEAVY = {"resnet1202", "resnet1202.keras", "preresnet1001", "preresnet1001.keras"}


def n_params(model: nn.Module, trainable: bool | None = None) -> int:
    ps = {id(p): p for p in model.parameters()}.values()
    if trainable is not None:
        ps = [p for p in ps if p.requires_grad == trainable]
    return sum(p.numel() for p in ps)


def bn_running_stats(model: nn.Module) -> int:
    """What Keras counts as 'Non-trainable params': BN moving mean + variance."""
    return sum(m.running_mean.numel() + m.running_var.numel()
               for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm))


def output_shapes(model: nn.Module, modules: list[nn.Module], x: torch.Tensor) -> list[tuple]:
    """Output shapes of the given submodules in one forward pass (meta is fine)."""
    shapes = {}
    hooks = [m.register_forward_hook(lambda mod, i, o, k=k: shapes.__setitem__(k, tuple(o.shape)))
             for k, m in enumerate(modules)]
    try:
        model(x)
    finally:
        for h in hooks:
            h.remove()
    return [shapes.get(k) for k in range(len(modules))]


def one_line_error(r) -> str:
    """The README's rule for a CliRunner result: bad input is exit 2 and one line on stderr, never a traceback."""
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert r.exit_code == 2, r.output
    assert len(lines) == 1 and lines[0].startswith("archscope: error: "), r.output
    assert "internal error" not in r.output and "Traceback" not in r.output
    return lines[0]
