"""Cost formulas on tiny nets whose counts are computed by hand here, and
property tests against torch's own FlopCounterMode and a brute-force
receptive field measured with gradients."""

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from archscope.analysis import analyze


def test_conv_with_stride_padding_dilation_groups():
    # Conv 8->12, 3x3, stride 2, padding 2, dilation 2, groups 4 on 1x8x17x17:
    # out = floor((17 + 2*2 - 2*(3-1) - 1) / 2) + 1 = 9; each output element takes
    # 8/4 = 2 input channels x 9 taps = 18 MACs; 12 x 9 x 9 outputs.
    m = nn.Conv2d(8, 12, 3, stride=2, padding=2, dilation=2, groups=4)
    a = analyze(m, (8, 17, 17))
    outputs = 12 * 9 * 9
    assert a.layers[0].output_shape == [1, 12, 9, 9]
    assert a.totals.macs == outputs * 2 * 9 == 17_496
    assert a.totals.flops == 2 * 17_496 + outputs  # + one bias add per output
    assert a.totals.params == 12 * 2 * 9 + 12


def test_linear_batch():
    m = nn.Linear(100, 30)
    a = analyze(m, (1, 1, 100), batch=4)  # input (4, 1, 1, 100): 4 rows of 100
    assert a.totals.macs == 4 * 100 * 30
    assert a.totals.flops == 2 * 4 * 100 * 30 + 4 * 30


def test_pooling_and_batch_norm():
    m = nn.Sequential(nn.BatchNorm2d(3), nn.MaxPool2d(3, 2), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(1))
    a = analyze(m, (3, 11, 11))
    # BN (eval, affine): 4 per element on 3*11*11; max pool 3x3/2 -> 5x5: 8 comparisons each;
    # avg pool 2x2/2 -> 2x2: 4 each; adaptive to 1x1: 1 per input element (3*2*2)
    bn, mx, avg, ada = 4 * 3 * 121, 8 * 3 * 25, 4 * 3 * 4, 3 * 4
    assert a.flops_by_category["norm"] == bn
    assert a.flops_by_category["pooling"] == mx + avg + ada
    assert a.totals.macs == 0 and a.totals.flops == bn + mx + avg + ada


def test_functional_ops_are_counted_residual_add_and_relu():
    class Res(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 1, bias=False)

        def forward(self, x):
            return torch.relu(self.conv(x) + x)  # functional + and relu, no module

    a = analyze(Res(), (4, 5, 5))
    n = 4 * 5 * 5
    assert a.totals.macs == n * 4
    assert a.flops_by_category["elementwise"] == n and a.flops_by_category["activation"] == n
    assert a.totals.flops == 2 * n * 4 + n + n


def test_uncounted_ops_are_reported_not_zero():
    class Odd(nn.Module):  # a sort has no fixed operation count (it depends on the values): no formula
        def forward(self, x):
            return torch.sort(x, dim=1).values

    a = analyze(Odd(), (3, 4, 4))
    assert a.uncounted_ops == {"aten.sort": 1}


def test_shared_parameters_counted_once():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(8, 8)

        def forward(self, x):
            return self.fc(self.fc(x))

    a = analyze(Twice(), (1, 1, 8))
    assert a.totals.params == 8 * 8 + 8
    assert a.totals.macs == 2 * 64  # called twice
    assert a.layer("fc").calls == 2


def test_saved_activations_by_hand():
    # Linear(10->20) saves its input (N x 10); ReLU saves its output (N x 20),
    # which the second Linear saves too (one storage, counted once).
    m = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 5))
    a = analyze(m, (1, 1, 10), batch=8)
    assert a.totals.saved_activation_bytes == 4 * 8 * (1 * 10 + 1 * 20)
    trainable = 10 * 20 + 20 + 20 * 5 + 5
    assert a.totals.train_memory_bytes == 4 * (3 * trainable) + a.totals.saved_activation_bytes
    assert a.totals.train_memory_adam_bytes == 4 * (4 * trainable) + a.totals.saved_activation_bytes


def test_dtype_changes_bytes_not_counts():
    a32 = analyze("resnet18", dtype=torch.float32)
    a16 = analyze("resnet18", dtype=torch.bfloat16)
    assert a16.totals.macs == a32.totals.macs
    assert a16.totals.param_bytes * 2 == a32.totals.param_bytes


def test_batch_scales_compute():
    a1, a4 = analyze("resnet18"), analyze("resnet18", batch=4)
    assert a4.totals.macs == 4 * a1.totals.macs and a4.totals.params == a1.totals.params


def test_receptive_field_by_hand():
    # conv3 -> conv3 -> pool2/2 -> conv3: r = 1+2+2 = 5, pool +1 -> 6 (jump 2), conv +2*2 -> 10
    m = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3))
    a = analyze(m, (1, 32, 32))
    assert [l.receptive_field.size for l in a.layers[1:]] == [(3, 3), (5, 5), (6, 6), (10, 10)]
    assert [l.receptive_field.jump for l in a.layers[1:]] == [(1, 1), (1, 1), (2, 2), (2, 2)]
    # two stacked 3x3 see what one 5x5 sees (VGG Sec. 2.3)
    assert analyze(nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3)), (1, 9, 9)).layers[2].receptive_field.size \
        == analyze(nn.Conv2d(1, 1, 5), (1, 9, 9)).layers[0].receptive_field.size == (5, 5)


def test_receptive_field_per_axis_by_hand():
    # a 3x1 kernel then a (1, 2)-strided 1x3 pool: height 3 then 3 (jump 1); width 1 then 1 + 2 = 3 (jump 2)
    m = nn.Sequential(nn.Conv2d(1, 1, (3, 1)), nn.MaxPool2d((1, 3), stride=(1, 2)))
    conv, pool = analyze(m, (1, 16, 16)).layers[1:]
    assert (conv.receptive_field.size, conv.receptive_field.jump) == ((3, 1), (1, 1))
    assert (pool.receptive_field.size, pool.receptive_field.jump) == ((3, 3), (1, 2))
    # centres: the 3x1 kernel moves row 0's centre by (3 - 1) / 2 = 1; the 1x3 pool moves column 0's by 1
    assert pool.receptive_field.start == (1.0, 1.0)


def test_receptive_field_global_and_json():
    from archscope.analysis.receptive import GLOBAL

    # global average pooling, then a linear layer: every output sees the whole input
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 3))
    a = analyze(m, (1, 8, 8))
    assert [l.receptive_field for l in a.layers[2:]] == [GLOBAL, GLOBAL, GLOBAL]
    rows = a.to_dict()["layers"]
    # the JSON form documented in the README: numbers per axis, null for a global field
    assert rows[1]["receptive_field"] == {"size": [3, 3], "jump": [1, 1], "start": [1.0, 1.0]}
    assert rows[4]["receptive_field"] == {"size": None, "jump": None, "start": None}


# ---- properties ----------------------------------------------------------------

conv_cases = st.tuples(
    st.integers(1, 3),  # groups
    st.integers(1, 3),  # in per group
    st.integers(1, 3),  # out per group
    st.integers(1, 5),  # kernel
    st.integers(1, 3),  # stride
    st.integers(0, 2),  # padding
    st.integers(1, 2),  # dilation
    st.integers(6, 14),  # size
    st.booleans(),  # bias
)


@settings(max_examples=40, deadline=None)
@given(conv_cases)
def test_conv_macs_match_torch_flop_counter(case):
    from torch.utils.flop_counter import FlopCounterMode

    g, cin, cout, k, s, p, d, size, bias = case
    if size + 2 * p < d * (k - 1) + 1:
        return
    m = nn.Conv2d(g * cin, g * cout, k, s, p, d, groups=g, bias=bias)
    a = analyze(m, (g * cin, size, size), batch=2)
    with FlopCounterMode(display=False) as fc:
        m(torch.zeros(2, g * cin, size, size))
    assert 2 * a.totals.macs == fc.get_total_flops()  # torch counts 2 FLOPs per MAC
    out = a.layers[0].output_shape
    assert a.totals.flops == 2 * a.totals.macs + (math.prod(out) if bias else 0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["conv", "avg", "pad"]), st.integers(1, 4), st.integers(1, 2),
                          st.integers(1, 2), st.integers(0, 2)), min_size=1, max_size=4))
def test_receptive_field_matches_gradient_extent(layers):
    """Brute force: the input region whose pixels move the centre output,
    measured with autograd on all-ones weights, equals the computed field,
    and its middle is the computed centre (start + i * jump)."""
    mods = []
    for kind, k, s, d, p in layers:
        if kind == "conv":
            conv = nn.Conv2d(1, 1, k, s, padding=p, dilation=d, bias=False)
            nn.init.ones_(conv.weight)
            mods.append(conv)
        elif kind == "avg":
            mods.append(nn.AvgPool2d(k, s, padding=min(p, k // 2)))
        else:
            mods.append(nn.ZeroPad2d((p, 0, p + 1, 0)))  # asymmetric, as TF's 'same' pads
    net = nn.Sequential(*mods)
    size = 97
    a = analyze(net, (1, size, size))
    out = a.layers[-1].output_shape
    if out is None or out[-1] < 1:
        return
    x = torch.ones(1, 1, size, size, requires_grad=True)
    y = net(x)
    c = y.shape[-1] // 2
    y[0, 0, c, c].backward()
    rows = (x.grad[0, 0].abs().sum(dim=1) > 0).nonzero()
    extent = int(rows.max() - rows.min() + 1)
    last = a.layers[-1]
    if last.receptive_field and last.receptive_field.size[0] <= size:
        field = last.receptive_field
        rf, centre = field.size[0], field.start[0] + c * field.jump[0]
        if centre - (rf - 1) / 2 >= 0 and centre + (rf - 1) / 2 <= size - 1:  # not clipped by padding
            # dilated kernels leave holes; the field is the span, which is what autograd shows
            assert extent == rf
            assert (rows.min() + rows.max()).item() / 2 == centre


def test_model_that_cannot_run_on_meta_falls_back_to_cpu_and_says_so():
    class NoMeta(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)

        def forward(self, x):
            if x.is_meta:  # stands for an op with no meta kernel
                raise NotImplementedError("no meta kernel for this op")
            return self.conv(x)

    a = analyze(NoMeta(), (3, 8, 8))
    assert a.device == "cpu" and any("ran on CPU" in n for n in a.notes)
    assert a.totals.macs == 4 * 6 * 6 * 3 * 9


def test_analyze_leaves_a_users_model_untouched():
    m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    before = {k: v.clone() for k, v in m.state_dict().items()}
    m.train()
    analyze(m, (3, 8, 8), dtype=torch.float64)
    after = m.state_dict()
    assert m.training and all(after[k].device.type == "cpu" and after[k].dtype == before[k].dtype for k in before)
    assert all(torch.equal(before[k], after[k]) for k in before)  # running stats not updated either
