"""Inception-v4 and Inception-ResNet-v1/v2 (Szegedy et al. 2016, arXiv 1602.07261) against the paper's
figures and timm's published figures.

Every expected number is from outside the zoo code: the shapes the figures print, timm's results CSVs,
and parameter / multiply-add counts computed by hand below from the figures' filter counts, re-typed
here as one row per convolution (not read from archscope's layout tables).
"""

import pytest
import torch
from helpers import n_params, output_shapes
from torch import nn

from archscope.analysis import analyze
from archscope.errors import ArchscopeError
from archscope.zoo import get_model
from archscope.zoo.inception_v4 import InceptionResNetBlock, MixedBlock

NAMES = ["inception_v4", "inception_resnet_v1", "inception_resnet_v2", "inception_v4.timm",
         "inception_resnet_v2.timm"]


# ---- the figures re-typed: (in maps, out maps, kernel h, kernel w, output side) per convolution -----------

def rows(in_ch, side, *convs):
    """Convolutions at one output side: (in, out, kh, kw)."""
    return [(i, o, kh, kw, side) for i, o, kh, kw in convs]


FIG3_STEM = [  # Fig. 3: 149, 147, 147; 73 (96-map 3x3/2); 73 -> 71 (two branches); 35 (192-map 3x3/2)
    (3, 32, 3, 3, 149), (32, 32, 3, 3, 147), (32, 64, 3, 3, 147), (64, 96, 3, 3, 73),
    (160, 64, 1, 1, 73), (64, 96, 3, 3, 71),
    (160, 64, 1, 1, 73), (64, 64, 7, 1, 73), (64, 64, 1, 7, 73), (64, 96, 3, 3, 71),
    (192, 192, 3, 3, 35),
]
FIG4_A = rows(384, 35, (384, 96, 1, 1), (384, 96, 1, 1), (384, 64, 1, 1), (64, 96, 3, 3), (384, 64, 1, 1),
              (64, 96, 3, 3), (96, 96, 3, 3))
FIG5_B = rows(1024, 17, (1024, 128, 1, 1), (1024, 384, 1, 1), (1024, 192, 1, 1), (192, 224, 1, 7),
              (224, 256, 7, 1), (1024, 192, 1, 1), (192, 192, 1, 7), (192, 224, 7, 1), (224, 224, 1, 7),
              (224, 256, 7, 1))
FIG6_C = rows(1536, 8, (1536, 256, 1, 1), (1536, 256, 1, 1), (1536, 384, 1, 1), (384, 256, 1, 3),
              (384, 256, 3, 1), (1536, 384, 1, 1), (384, 448, 1, 3), (448, 512, 3, 1), (512, 256, 3, 1),
              (512, 256, 1, 3))
FIG8_RB = [(1024, 192, 1, 1, 17), (192, 192, 3, 3, 8), (1024, 256, 1, 1, 17), (256, 256, 1, 7, 17),
           (256, 320, 7, 1, 17), (320, 320, 3, 3, 8)]


def fig7(c, k, l, m, n):  # noqa: E741 - Table 1's letters; 35x35 in, 17x17 out
    return [(c, n, 3, 3, 17), (c, k, 1, 1, 35), (k, l, 3, 3, 35), (l, m, 3, 3, 17)]


FIG14_STEM = [(3, 32, 3, 3, 149), (32, 32, 3, 3, 147), (32, 64, 3, 3, 147), (64, 80, 1, 1, 73),
              (80, 192, 3, 3, 71), (192, 256, 3, 3, 35)]
FIG10_A = rows(256, 35, (256, 32, 1, 1), (256, 32, 1, 1), (32, 32, 3, 3), (256, 32, 1, 1), (32, 32, 3, 3),
               (32, 32, 3, 3))
FIG11_B = rows(896, 17, (896, 128, 1, 1), (896, 128, 1, 1), (128, 128, 1, 7), (128, 128, 7, 1))
FIG12_RB = [(896, 256, 1, 1, 17), (256, 384, 3, 3, 8), (896, 256, 1, 1, 17), (256, 256, 3, 3, 8),
            (896, 256, 1, 1, 17), (256, 256, 3, 3, 17), (256, 256, 3, 3, 8)]
FIG13_C = rows(1792, 8, (1792, 192, 1, 1), (1792, 192, 1, 1), (192, 192, 1, 3), (192, 192, 3, 1))

# Inception-ResNet-v2 at the widths the figures' sums give: Reduction-A 384 + 384 + 384 = 1152,
# Reduction-B 1152 + 384 + 288 + 320 = 2144 (Figs. 17 and 19 print 1154 and 2048, which no sum gives)
FIG16_A = rows(384, 35, (384, 32, 1, 1), (384, 32, 1, 1), (32, 32, 3, 3), (384, 32, 1, 1), (32, 48, 3, 3),
               (48, 64, 3, 3))
FIG17_B = rows(1152, 17, (1152, 192, 1, 1), (1152, 128, 1, 1), (128, 160, 1, 7), (160, 192, 7, 1))
FIG18_RB = [(1152, 256, 1, 1, 17), (256, 384, 3, 3, 8), (1152, 256, 1, 1, 17), (256, 288, 3, 3, 8),
            (1152, 256, 1, 1, 17), (256, 288, 3, 3, 17), (288, 320, 3, 3, 8)]
FIG19_C = rows(2144, 8, (2144, 192, 1, 1), (2144, 192, 1, 1), (192, 224, 1, 3), (224, 256, 3, 1))


def bn_convs_params(convs):
    """Bias-free conv weights + batch-norm scale and shift (2 per map)."""
    return sum(i * o * kh * kw + 2 * o for i, o, kh, kw, _ in convs)


def convs_macs(convs):
    return sum(side * side * i * o * kh * kw for i, o, kh, kw, side in convs)


def residual(convs, ends, width, side):
    """A residual block: its BN convolutions plus the 1x1 linear expansion (weights + bias) from the
    concatenated branch ends (``ends`` maps) back to ``width``."""
    up_params, up_macs = ends * width + width, side * side * ends * width
    return bn_convs_params(convs) + up_params, convs_macs(convs) + up_macs


def by_hand(stem, a, n_a, ra, b, n_b, rb, c, n_c, widths=None, ends=None):
    """(params, MACs) of a whole network; residual stages take their input ``widths`` and the ``ends``
    (concatenated maps before the expansion) of stages A, B, C."""
    params = bn_convs_params(stem + ra + rb)
    macs = convs_macs(stem + ra + rb)
    for convs, n, k in ((a, n_a, 0), (b, n_b, 1), (c, n_c, 2)):
        if widths:
            p, m = residual(convs, ends[k], widths[k], convs[0][4])
        else:
            p, m = bn_convs_params(convs), convs_macs(convs)
        params, macs = params + n * p, macs + n * m
    last = widths[2] if widths else 1536
    return params + last * 1000 + 1000, macs + last * 1000  # the classifier


HAND = {  # Figs. 9 and 15 block counts: 4/7/3 and 5/10/5
    "inception_v4": by_hand(FIG3_STEM, FIG4_A, 4, fig7(384, 192, 224, 256, 384), FIG5_B, 7, FIG8_RB, FIG6_C, 3),
    "inception_resnet_v1": by_hand(FIG14_STEM, FIG10_A, 5, fig7(256, 192, 192, 256, 384), FIG11_B, 10, FIG12_RB,
                                   FIG13_C, 5,
                                   widths=(256, 896, 1792), ends=(32 + 32 + 32, 128 + 128, 192 + 192)),
    "inception_resnet_v2": by_hand(FIG3_STEM, FIG16_A, 5, fig7(384, 256, 256, 384, 384), FIG17_B, 10, FIG18_RB,
                                   FIG19_C, 5,
                                   widths=(384, 1152, 2144), ends=(32 + 32 + 64, 192 + 192, 192 + 256)),
}


def test_hand_count_helper_on_one_block():
    # Fig. 10 by hand: three 1x1 256 -> 32 (3 * 8,192 = 24,576 weights), three 3x3 32 -> 32
    # (3 * 9,216 = 27,648), BN 6 * 2 * 32 = 384; concat 96 -> 1x1 to 256: 96*256 + 256 = 24,832
    assert residual(FIG10_A, 96, 256, 35)[0] == 24_576 + 27_648 + 384 + 24_832
    m = get_model("inception_resnet_v1", device="meta")
    assert n_params(m.stage_a[0]) == 24_576 + 27_648 + 384 + 24_832


@pytest.mark.parametrize("name", list(HAND))
def test_paper_params_and_macs_by_hand(name):
    params, macs = HAND[name]
    assert n_params(get_model(name, device="meta")) == params
    assert analyze(name).totals.macs == macs


def test_timm_v4_is_the_paper_v4_in_count():
    # timm's inception_v4 reorders branches and kernel pairs only: the same hand counts as Fig. 9
    params, macs = HAND["inception_v4"]
    assert n_params(get_model("inception_v4.timm", device="meta")) == params
    assert analyze("inception_v4.timm").totals.macs == macs


# ---- timm's published figures ----------------------------------------------------------------------------

# timm results/benchmark-infer-amp-nchw-pt240-cu124-rtx3090.csv (the same in every benchmark-infer CSV since
# pt113): param_count (M), infer_gmacs, infer_macts (M) at 299x299
TIMM = {"inception_v4.timm": (42.68, 12.28, 15.09), "inception_resnet_v2.timm": (55.84, 13.18, 25.06)}


def _activation_counts(model):
    """Outputs of batch norms and of conv/linear layers, and the input of the global pool (meta forward)."""
    counts = {"bn": 0, "conv_fc": 0, "pool_in": 0}

    def hook(mod, inputs, out):
        if isinstance(mod, nn.BatchNorm2d):
            counts["bn"] += out.numel()
        elif isinstance(mod, (nn.Conv2d, nn.Linear)):
            counts["conv_fc"] += out.numel()
        elif isinstance(mod, nn.AdaptiveAvgPool2d):
            counts["pool_in"] += inputs[0].numel()

    handles = [x.register_forward_hook(hook) for x in model.modules()]
    try:
        model.eval()(torch.empty(1, 3, 299, 299, device="meta"))
    finally:
        for h in handles:
            h.remove()
    return counts


@pytest.mark.parametrize("name", list(TIMM))
def test_timm_published_params(name):
    assert round(n_params(get_model(name, device="meta")) / 1e6, 2) == TIMM[name][0]


@pytest.mark.parametrize("name", list(TIMM))
def test_timm_published_gmacs_in_fvcores_convention(name):
    # timm's benchmark.py profiles with fvcore when deepspeed is absent (infer_macts is non-zero, and only
    # fvcore's ActivationCountAnalysis gives it): FlopCountAnalysis counts conv and linear multiply-adds,
    # plus 2 per element of an affine batch norm in eval and 1 per input element of adaptive_avg_pool2d
    # (fvcore/nn/jit_handles.py, batchnorm_flop_jit and elementwise_flop_counter). archscope's MACs are the
    # conv/linear part only, so the published figure is that plus the two extras.
    m = get_model(name, device="meta")
    c = _activation_counts(m)
    fvcore_total = analyze(name).totals.macs + 2 * c["bn"] + c["pool_in"]
    assert round(fvcore_total / 1e9, 2) == TIMM[name][1]
    assert round(c["conv_fc"] / 1e6, 2) == TIMM[name][2]  # ActivationCountAnalysis: conv/linear outputs


def test_timm_published_figures_are_registered():
    from archscope.zoo import model_info

    for name, (params_m, gmacs, _) in TIMM.items():
        pub = {p.quantity: p.value for p in model_info(name).published}
        assert pub == {"params": params_m * 1e6, "gmacs": gmacs}


# ---- shapes the figures print -----------------------------------------------------------------------------

STAGES = ["stem", "stage_a", "reduction_a", "stage_b", "reduction_b", "stage_c"]
FIGURE_SHAPES = {  # (maps, side) after each stage
    "inception_v4": [(384, 35), (384, 35), (1024, 17), (1024, 17), (1536, 8), (1536, 8)],  # Fig. 9
    "inception_v4.timm": [(384, 35), (384, 35), (1024, 17), (1024, 17), (1536, 8), (1536, 8)],
    "inception_resnet_v1": [(256, 35), (256, 35), (896, 17), (896, 17), (1792, 8), (1792, 8)],  # Fig. 15
    # Fig. 3 stem 384 (= Fig. 16's expansion); 1152 and 2144 are the Fig. 7/18 sums (see HAND above)
    "inception_resnet_v2": [(384, 35), (384, 35), (1152, 17), (1152, 17), (2144, 8), (2144, 8)],
    # timm: mixed_5b 320, mixed_6a 1088, mixed_7a 2080 (timm's inception_resnet_v2.py, Block35/17/8 widths)
    "inception_resnet_v2.timm": [(320, 35), (320, 35), (1088, 17), (1088, 17), (2080, 8), (2080, 8)],
}


@pytest.mark.parametrize("name", NAMES)
def test_builds_on_meta_with_the_figures_stage_shapes(name):
    m = get_model(name, device="meta")
    x = torch.empty(1, 3, 299, 299, device="meta")
    shapes = output_shapes(m, [m.get_submodule(s) for s in STAGES], x)
    assert shapes == [(1, c, s, s) for c, s in FIGURE_SHAPES[name]]
    assert tuple(m(x).shape) == (1, 1000)


def test_fig3_and_fig14_stem_shapes():
    x = torch.empty(1, 3, 299, 299, device="meta")
    v4 = get_model("inception_v4", device="meta")
    assert output_shapes(v4, list(v4.stem), x) == [(1, c, s, s) for c, s in (
        (32, 149), (32, 147), (64, 147), (160, 73), (192, 71), (384, 35))]  # Fig. 3
    v1 = get_model("inception_resnet_v1", device="meta")
    assert output_shapes(v1, list(v1.stem), x) == [(1, c, s, s) for c, s in (
        (32, 149), (32, 147), (64, 147), (64, 73), (80, 73), (192, 71), (256, 35))]  # Fig. 14


# ---- module counts, head, residual blocks -----------------------------------------------------------------

@pytest.mark.parametrize("name,counts,kind", [
    ("inception_v4", (4, 7, 3), MixedBlock),  # Fig. 9
    ("inception_v4.timm", (4, 7, 3), MixedBlock),  # timm: features 6-9, 11-17, 19-21
    ("inception_resnet_v1", (5, 10, 5), InceptionResNetBlock),  # Fig. 15
    ("inception_resnet_v2", (5, 10, 5), InceptionResNetBlock),  # Fig. 15
    ("inception_resnet_v2.timm", (10, 20, 10), InceptionResNetBlock),  # timm: repeat 10, repeat_1 20, 9 + block8
])
def test_blocks_per_stage(name, counts, kind):
    m = get_model(name, device="meta")
    stages = (m.stage_a, m.stage_b, m.stage_c)
    assert tuple(len(s) for s in stages) == counts
    assert all(isinstance(b, kind) for s in stages for b in s)


@pytest.mark.parametrize("name,p", [("inception_v4", 0.2), ("inception_resnet_v1", 0.2), ("inception_resnet_v2", 0.2),
                                    ("inception_v4.timm", 0.0), ("inception_resnet_v2.timm", 0.0)])
def test_dropout_before_the_classifier(name, p):
    # Figs. 9 and 15: "Dropout (keep 0.8)"; timm: drop_rate=0. by default
    assert get_model(name, device="meta").head.dropout.p == pytest.approx(p)


def test_residual_scale_knob():
    # Sec. 3.3: residuals scaled by 0.1-0.3 before the sum; Fig. 20 "typically around 0.1"
    def scales(m):
        return [b.scale for s in (m.stage_a, m.stage_b, m.stage_c) for b in s]

    assert set(scales(get_model("inception_resnet_v1", device="meta"))) == {0.1}
    m = get_model("inception_resnet_v2", device="meta", residual_scale=(0.17, 0.1, 0.2))
    assert scales(m) == [0.17] * 5 + [0.1] * 10 + [0.2] * 5
    # timm: Block35(scale=0.17) x10, Block17(scale=0.10) x20, Block8(scale=0.20) x9, Block8(no_relu=True)
    t = get_model("inception_resnet_v2.timm", device="meta")
    assert scales(t) == [0.17] * 10 + [0.1] * 20 + [0.2] * 9 + [1.0]
    assert t.stage_c[-1].relu is None and all(b.relu is not None for b in t.stage_c[:-1])
    with pytest.raises(ArchscopeError):
        get_model("inception_resnet_v1", device="meta", residual_scale=(0.1, 0.2))
    with pytest.raises(ArchscopeError):
        get_model("inception_v4", device="meta", residual_scale=0.1)  # no residuals, no knob


def test_residual_block_is_relu_of_input_plus_scaled_linear_expansion():
    # Sec. 3.2: a 1x1 convolution without activation scales the branches back up to the input depth;
    # no batch norm on the sum; Fig. 10: ReLU after the sum
    torch.manual_seed(0)
    block = get_model("inception_resnet_v1", residual_scale=0.2).stage_a[0].eval()
    assert isinstance(block.up, nn.Conv2d) and block.up.bias is not None and block.up.kernel_size == (1, 1)
    assert not any(isinstance(x, nn.BatchNorm2d) for n, x in block.named_children() if not n.startswith("branch"))
    x = torch.randn(1, 256, 9, 9)
    with torch.no_grad():
        cat = torch.cat([block.branch0(x), block.branch1(x), block.branch2(x)], dim=1)
        assert cat.shape[1] == 32 + 32 + 32  # Fig. 10's three branch ends
        expected = torch.relu(x + 0.2 * block.up(cat))
        assert torch.allclose(block(x), expected)


def test_timm_conv_units_are_bias_free_with_bn_eps_0001():
    # timm: ConvNormAct(..., norm_kwargs=dict(eps=1e-3)) / BasicConv2d(bias=False, eps=.001)
    for name in ("inception_v4.timm", "inception_resnet_v2.timm"):
        m = get_model(name, device="meta")
        bns = [x for x in m.modules() if isinstance(x, nn.BatchNorm2d)]
        assert bns and all(b.eps == 1e-3 for b in bns)
        ups = {id(b.up) for b in m.modules() if isinstance(b, InceptionResNetBlock)}
        assert all(c.bias is None for c in m.modules() if isinstance(c, nn.Conv2d) and id(c) not in ups)
