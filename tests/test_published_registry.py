"""Every figure a library publishes for a zoo variant (torchvision's weight
metadata, Keras' model summaries, timm's results tables), as recorded in the
registry's ``ModelInfo.published``, against the built model — parametrized
over the registry, so a new entry's published figures are tested the moment
it is registered (torchvision's rule). Papers' figures are claims instead
(`archscope claims`): a paper may misprint, a library's metadata describes
the very weights it ships."""

from decimal import Decimal

import pytest

from archscope.analysis import analyze
from archscope.zoo import get_model, list_models, model_info

LIBRARIES = ("torchvision", "Keras", "timm")
SCALE = {"params": 1, "trainable_params": 1, "gflops": 1}

FIGURES = [(n, p) for n in list_models() for p in model_info(n).published
           if p.source.startswith(LIBRARIES) and p.quantity in SCALE]


def _printed(value: float, unit: float) -> tuple[int, float]:
    """(decimals, value in `unit`) as the library printed it: 42.68 (millions) -> (2, 42.68)."""
    v = value / unit
    return max(0, -Decimal(repr(v)).normalize().as_tuple().exponent), v


def test_the_registry_has_library_figures():
    assert len(FIGURES) >= 40


@pytest.mark.parametrize("name,p", FIGURES, ids=[f"{n}-{p.quantity}" for n, p in FIGURES])
def test_library_figure(name, p):
    a = analyze(name, training_memory=False)
    measured = {"params": a.totals.params, "trainable_params": a.totals.trainable_params,
                "gflops": a.totals.macs}[p.quantity]  # torchvision's GFLOPS are multiply-adds
    if p.quantity == "gflops":
        digits, v = _printed(p.value, 1)  # printed in billions: 4.089
        assert round(measured / 1e9, digits) == v
    elif float(p.value).is_integer() and p.value % 10_000:  # printed in full: exact
        if "AuxLogits" in p.source:  # torchvision counts the auxiliary head its weights carry
            measured = sum(t.numel() for t in get_model(name, aux_logits=True, device="meta").parameters())
        assert measured == p.value
    else:  # printed in millions (timm's results tables: 42.68)
        digits, v = _printed(p.value, 1e6)
        assert round(measured / 1e6, digits) == v
