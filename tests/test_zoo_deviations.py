"""Every variant's declared deviations from its paper's network (`ModelInfo.deviations`, shown by
`archscope info`) are exactly what `archscope diff ARCH VARIANT` finds: every difference is declared once,
every declaration covers as many layers as it says. The expected values are the declarations, written from
each source's code and documentation (cited in each `why`); the diff is the code under test.

The variants are computed from the registry, so a new variant without declarations fails here."""

from dataclasses import replace

import pytest
from typer.testing import CliRunner

from archscope.analysis.deviations import check, items
from archscope.analysis.diff import Change, Diff, diff
from archscope.cli import app
from archscope.zoo import list_models, model_info

runner = CliRunner()

NAMES = list_models()
VARIANTS = [n for n in NAMES if "." in n and n.split(".")[0] in NAMES]


def test_the_variants_are_the_35_with_a_paper_network():
    # the brief's count on 2026-12-01 (`[m for m in ms if '.' in m and m.split('.')[0] in ms]`): a variant
    # added since is checked below like the others; this only guards the comprehension itself
    assert len(VARIANTS) >= 35 and "resnet50.torchvision" in VARIANTS and "lenet.d2l" not in VARIANTS


@pytest.mark.parametrize("name", VARIANTS)
def test_declared_deviations_are_what_diff_finds(name):
    info = model_info(name)
    d = diff(info.arch, name)
    result = check(info.deviations, d)
    assert result.ok, f"{name}:\n{result.report()}"
    assert d.same == (not info.deviations)
    # and the listed differences, knock-ons included, explain the totals' difference exactly
    for q in ("params", "macs", "flops"):
        assert sum(c.cost[q] for c in d.changes) + d.unattributed.get(q, 0) == d.delta(q), q


def test_only_variants_of_a_registered_paper_network_declare_deviations():
    # a declaration nothing checks would be prose again
    for name in NAMES:
        if name not in VARIANTS:
            assert model_info(name).deviations == (), name


# ---- the check itself: it must be able to fail -------------------------------------------------------------

def test_the_check_catches_a_missing_a_doubled_and_a_miscounted_declaration():
    # ResNet v1.5 (torchvision/models/resnet.py): three strides moved from conv1 to conv2, six settings in all
    d = diff("resnet50", "resnet50.torchvision")
    declared = model_info("resnet50.torchvision").deviations
    assert check(declared, d).ok and len(items(d)) == 6
    missing = check(declared[:1], d)
    assert not missing.ok and [it.paper for it in missing.undeclared] == \
        ["layer2.0.conv2", "layer3.0.conv2", "layer4.0.conv2"]
    doubled = check(declared + declared[:1], d)
    assert not doubled.ok and len(doubled.twice) == 3
    first = declared[0]
    miscounted = check((replace(first, count=2),) + declared[1:], d)
    assert not miscounted.ok and miscounted.miscounted == [(replace(first, count=2), 3)]
    wrong_value = check((replace(first, values=(("stride", (2, 2), (3, 3)),)),) + declared[1:], d)
    assert not wrong_value.ok and len(wrong_value.undeclared) == 3 and wrong_value.miscounted[0][1] == 0


def test_a_one_sided_layer_is_declared_without_torchs_defaults():
    # Conv2d(4, 64, 3, padding=1): stride 1, dilation 1, groups 1, bias True, padding_mode 'zeros' and
    # output_padding 0 are what nn.Conv2d takes by default, so the item keeps kernel, padding and width only
    change = Change("only_b", None, "extra", None, "Conv2d",
                    {"type": "Conv2d", "out_channels": 64, "kernel_size": [3, 3], "stride": [1, 1],
                     "padding": [1, 1], "dilation": [1, 1], "groups": 1, "padding_mode": "zeros",
                     "output_padding": [0, 0], "bias": True}, {})
    d = Diff("a", "b", [3, 8, 8], [1, 8, 8], False, {}, [change], {})
    assert [(it.what, it.variant, it.layer, it.values) for it in items(d)] == [
        ("only_variant", "extra", "Conv2d",
         (("kernel_size", None, (3, 3)), ("out_channels", None, 64), ("padding", None, (1, 1)))),
        # the inputs differ (3 channels against 1): one item, whether or not the diff charged a knock-on to them
        ("input", None, None, (("shape", (3, 8, 8), (1, 8, 8)),)),
    ]


def test_info_shows_the_deviations():
    r = runner.invoke(app, ["info", "resnet50.torchvision"])
    assert r.exit_code == 0
    assert "Conv2d stride 2 -> 1 x3  [layer2.0.conv1, layer3.0.conv1, layer4.0.conv1]" in r.stdout
    assert "Conv2d stride 1 -> 2 x3  [layer2.0.conv2, layer3.0.conv2, layer4.0.conv2]" in r.stdout
    same = runner.invoke(app, ["info", "resnet18.torchvision"])
    assert "deviations from resnet18: none" in same.stdout
    paper = runner.invoke(app, ["info", "resnet50"])
    assert paper.exit_code == 0 and "deviations" not in paper.stdout
