"""Modern layers, built from torch.nn alone: every op counted (no "uncounted ops"), MACs equal to
torch's FlopCounterMode (grad on, math attention: 2 FLOPs per MAC, matrix products only), the other
FLOPs equal to the conventions of analysis/formulas.py computed by hand here, and every attention
kernel torch may pick giving the same count as the composite path.

Hand formulas (per the docstring table of archscope/analysis/formulas.py):
- layer/group norm: 8 FLOPs per element with the affine part, 6 without;
- activations, in place or not: 1 per element;
- scaled dot-product attention of q (B, H, L, E), k (B, H, S, E), v (B, H, S, Ev):
  MACs B*H*L*S*(E + Ev); FLOPs 2*MACs + B*H*(L + S)*E (q and k scaled) + 5*B*H*L*S (softmax)
  [+ B*H*L*S for an additive mask, + L*S to turn a boolean/causal mask into one].
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from archscope.analysis import analyze


def flop_counter_macs(model, *shapes, device="cpu") -> int:
    """torch's own count, grad on (so nn.MultiheadAttention takes its composite path)."""
    model = model.to(device) if device == "cpu" else model
    xs = [torch.zeros(s, device=device) for s in shapes]
    with FlopCounterMode(display=False) as fc, torch.enable_grad(), sdpa_kernel(SDPBackend.MATH):
        model(*xs)
    return fc.get_total_flops() // 2


def sdpa_flops(B, H, L, S, E, Ev, additive=False, mask_elements=0):
    macs = B * H * L * S * (E + Ev)
    return macs, 2 * macs + B * H * (L + S) * E + 5 * B * H * L * S + (B * H * L * S if additive else 0) \
        + mask_elements


class Attend(nn.Module):
    def __init__(self, mask=None, causal=False):
        super().__init__()
        self.mask, self.causal = mask, causal

    def forward(self, q, k, v):
        mask = None if self.mask is None else self.mask.to(q.device)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=self.causal)


B, H, L, S, E, EV = 2, 4, 10, 12, 16, 16  # the CPU flash kernel needs one head size for q, k and v
QKV = [f"{H}x{L}x{E}", f"{H}x{S}x{E}", f"{H}x{S}x{EV}"]


def test_sdpa_value_head_size_of_its_own():
    macs, flops = sdpa_flops(B, H, L, S, E, 8)
    a = analyze(Attend(), [f"{H}x{L}x{E}", f"{H}x{S}x{E}", f"{H}x{S}x8"], batch=B, training_memory=False)
    assert (a.totals.macs, a.totals.flops, a.uncounted_ops) == (macs, flops, {})


@pytest.mark.parametrize("case", ["plain", "float mask", "bool mask"])
def test_sdpa_same_count_on_every_cpu_backend(case):
    mask = {"plain": None, "float mask": torch.zeros(L, S), "bool mask": torch.ones(L, S, dtype=torch.bool)}[case]
    model = Attend(mask)
    macs, flops = sdpa_flops(B, H, L, S, E, EV, additive=mask is not None,
                             mask_elements=L * S if case == "bool mask" else 0)
    meta = analyze(model, QKV, batch=B, training_memory=False)  # meta: the math path, op by op
    assert (meta.totals.macs, meta.totals.flops, meta.uncounted_ops) == (macs, flops, {})
    for backend in (SDPBackend.MATH, SDPBackend.FLASH_ATTENTION):  # the two CPU kernels
        with sdpa_kernel(backend):
            cpu = analyze(model, QKV, batch=B, training_memory=False, device="cpu")
        assert (cpu.totals.macs, cpu.totals.flops, cpu.uncounted_ops) == (macs, flops, {}), backend
    assert flop_counter_macs(model, (B, H, L, E), (B, H, S, E), (B, H, S, EV)) == macs


def test_causal_attention():
    macs, flops = sdpa_flops(B, H, L, L, E, E, additive=True, mask_elements=L * L)
    for device in ("meta", "cpu"):
        a = analyze(Attend(causal=True), [f"{H}x{L}x{E}"] * 3, batch=B, training_memory=False, device=device)
        assert (a.totals.macs, a.totals.flops, a.uncounted_ops) == (macs, flops, {}), device


class SelfAttention(nn.Module):
    def __init__(self, need_weights: bool):
        super().__init__()
        self.attn = nn.MultiheadAttention(64, 4, batch_first=True)
        self.need_weights = need_weights

    def forward(self, x):
        return self.attn(x, x, x, need_weights=self.need_weights)[0]


@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_slow_and_fast_path(need_weights):
    b, n, e, h = 2, 10, 64, 4
    # projections: q, k, v and out, each n tokens x e x e; attention: Q.K^T and A.V, b*h*n*n*(e/h) each
    macs = 4 * b * n * e * e + 2 * b * n * n * e
    proj_flops = 2 * 4 * b * n * e * e + 4 * b * n * e  # + one bias add per output element of each
    if need_weights:  # q * 1/sqrt(d), softmax, and the weights averaged over the heads
        att_flops = 2 * 2 * b * n * n * e + b * n * e + 5 * b * h * n * n + b * h * n * n
    else:  # scaled dot-product attention: q and k each scaled by sqrt(1/sqrt(d))
        att_flops = 2 * 2 * b * n * n * e + 2 * b * n * e + 5 * b * h * n * n
    model = SelfAttention(need_weights)
    slow = analyze(model, f"{n}x{e}", batch=b, training_memory=False)  # meta: the composite path
    fast = analyze(model, f"{n}x{e}", batch=b, training_memory=False, device="cpu")  # eval + no_grad: fused
    for a in (slow, fast):
        assert (a.totals.macs, a.totals.flops, a.uncounted_ops) == (macs, proj_flops + att_flops, {})
        assert a.flops_by_category["attention"] > 0
    assert flop_counter_macs(model, (b, n, e)) == macs


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(64, 4, 128, batch_first=True)

    def forward(self, x):
        return self.layer(x)


def test_transformer_encoder_layer_fused_kernel_counts_as_its_parts():
    b, n, e, f = 2, 10, 64, 128
    slow = analyze(Encoder(), f"{n}x{e}", batch=b, training_memory=False)
    fast = analyze(Encoder(), f"{n}x{e}", batch=b, training_memory=False, device="cpu")
    assert "_transformer_encoder_layer_fwd" not in str(slow.uncounted_ops)
    macs = 4 * b * n * e * e + 2 * b * n * n * e + 2 * b * n * e * f  # attention block + feed-forward
    assert slow.totals.macs == fast.totals.macs == macs == flop_counter_macs(Encoder().train(), (b, n, e))
    assert slow.totals.flops == fast.totals.flops
    assert fast.uncounted_ops == slow.uncounted_ops == {}
    # the norms: two layer norms of b*n*e elements, 8 FLOPs each (affine)
    assert slow.flops_by_category["norm"] == fast.flops_by_category["norm"] == 2 * 8 * b * n * e


def test_norms_and_in_place_activations():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.gn = nn.GroupNorm(2, 8)
            self.gn_plain = nn.GroupNorm(2, 8, affine=False)
            self.silu = nn.SiLU(inplace=True)
            self.hs = nn.Hardswish(inplace=True)
            self.mish = nn.Mish(inplace=True)
            self.gelu = nn.GELU()

        def forward(self, x):
            return self.gelu(self.mish(self.hs(self.silu(self.gn_plain(self.gn(x))))))

    a = analyze(Block(), "8x4x4", training_memory=False)
    n = 8 * 4 * 4
    assert a.uncounted_ops == {}
    assert a.flops_by_category["norm"] == 8 * n + 6 * n
    assert a.flops_by_category["activation"] == 4 * n  # 1 per element each, in place or not
    ln = analyze(nn.LayerNorm(32), "10x32", training_memory=False)
    assert (ln.totals.flops, ln.flops_by_category["norm"]) == (8 * 320, 8 * 320)


def test_interpolation():
    class Up(nn.Module):
        def forward(self, x):
            return F.interpolate(x, scale_factor=2, mode="nearest") + F.interpolate(x, scale_factor=2,
                                                                                   mode="bilinear")

    a = analyze(Up(), "3x4x4", training_memory=False)
    out = 3 * 8 * 8
    # nearest is a copy (0); bilinear a weighted sum of 4 inputs: 4 multiplies + 3 adds; then the add
    assert (a.totals.flops, a.uncounted_ops) == (7 * out + out, {})


def test_convnext_block_patch_embedding_and_depthwise_separable():
    class ConvNeXtBlock(nn.Module):
        def __init__(self, d=32):
            super().__init__()
            self.dw = nn.Conv2d(d, d, 7, padding=3, groups=d)
            self.norm = nn.LayerNorm(d)
            self.pw1, self.act, self.pw2 = nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d)

        def forward(self, x):
            y = self.pw2(self.act(self.pw1(self.norm(self.dw(x).permute(0, 2, 3, 1)))))
            return x + y.permute(0, 3, 1, 2)

    a = analyze(ConvNeXtBlock(), "32x8x8", training_memory=False)
    # depthwise 7x7: 32 maps x 64 positions x 49; pointwise: 64 positions x (32 x 128 + 128 x 32)
    assert a.totals.macs == 32 * 64 * 49 + 64 * 2 * 32 * 128 == flop_counter_macs(ConvNeXtBlock(), (1, 32, 8, 8))
    assert a.uncounted_ops == {}

    sep = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1, groups=16), nn.BatchNorm2d(16), nn.ReLU6(inplace=True),
                        nn.Conv2d(16, 32, 1, bias=False))
    s = analyze(sep, "16x14x14", training_memory=False)
    assert s.totals.macs == 16 * 196 * 9 + 32 * 196 * 16
    assert s.layer("2").category == "activation" and s.uncounted_ops == {}

    patch = nn.Conv2d(3, 192, 16, 16)  # ViT-style: 14 x 14 patches of 16 x 16 x 3
    p = analyze(patch, "3x224x224", training_memory=False)
    assert p.totals.macs == 196 * 192 * 16 * 16 * 3
    assert p.layers[0].receptive_field.size == (16, 16)


def test_lstm_on_meta():
    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(16, 32, batch_first=True)
            self.fc = nn.Linear(32, 5)

        def forward(self, x):
            return self.fc(self.lstm(x)[0][:, -1])

    a = analyze(Tagger(), "7x16", batch=2, training_memory=False)
    # per step and batch item: 4 gates x 32 units x (16 inputs + 32 recurrent); then the classifier
    macs = 7 * 2 * 4 * 32 * (16 + 32) + 2 * 32 * 5
    # on meta the LSTM runs step by step (addmm); on the CPU it is one mkldnn_rnn_layer kernel, which
    # FlopCounterMode does not count (it reports the classifier's 320 alone)
    with torch.device("meta"):
        on_meta = Tagger()
    assert a.totals.macs == macs == flop_counter_macs(on_meta, (2, 7, 16), device="meta")
    assert a.uncounted_ops == {}


def test_vit_style_model_files_attention_and_norm():
    class TinyViT(nn.Module):
        def __init__(self):
            super().__init__()
            self.patch = nn.Conv2d(3, 64, 16, 16)
            self.enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(64, 4, 128, batch_first=True,
                                                                        norm_first=True), 2,
                                             enable_nested_tensor=False)
            self.head = nn.Linear(64, 10)

        def forward(self, x):
            return self.head(self.enc(self.patch(x).flatten(2).transpose(1, 2)).mean(1))

    a = analyze(TinyViT(), "3x64x64", training_memory=False)
    assert a.uncounted_ops == {}
    assert a.flops_by_category["attention"] > 0 and a.flops_by_category["norm"] == 2 * 2 * 8 * 16 * 64
    assert a.totals.macs == flop_counter_macs(TinyViT(), (1, 3, 64, 64))
    cpu = analyze(TinyViT(), "3x64x64", training_memory=False, device="cpu")  # fused encoder layers
    assert (cpu.totals.macs, cpu.totals.flops) == (a.totals.macs, a.totals.flops)


def test_weight_standardised_conv():
    """NFNet's / timm's StdConv2d: the kernel normalised by its own statistics before the convolution."""
    class StdConv(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(8, 3, 3, 3))

        def forward(self, x):
            v, m = torch.var_mean(self.weight, dim=(1, 2, 3), keepdim=True)
            return F.conv2d(x, (self.weight - m) / torch.sqrt(v + 1e-5))

    a = analyze(StdConv(), "3x8x8", training_memory=False)
    w = 8 * 3 * 3 * 3  # kernel elements
    macs = 8 * 6 * 6 * 27  # 8 maps of 6x6, 27 taps each
    # var_mean 4 per kernel element, subtract and divide 1 each, + eps and sqrt 1 per output map
    assert (a.totals.macs, a.totals.flops, a.uncounted_ops) == (macs, 2 * macs + 4 * w + 2 * w + 2 * 8, {})


@pytest.mark.parametrize("kw", [{}, {"batch_first": True}, {"bidirectional": True, "num_layers": 2},
                                {"bias": False}])
def test_lstm_on_the_cpu_counts_as_on_meta(kw):
    """On the CPU nn.LSTM runs as oneDNN's mkldnn_rnn_layer kernel; it must count as the step-by-step path."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(16, 32, **kw)

        def forward(self, x):
            return self.lstm(x)[0]

    meta = analyze(Net(), "7x16", batch=3, training_memory=False)
    cpu = analyze(Net(), "7x16", batch=3, training_memory=False, device="cpu")
    layers, directions = kw.get("num_layers", 1), 2 if kw.get("bidirectional") else 1
    # 21 (= 3 x 7) steps x 4 gates x 32 units x (inputs + 32 recurrent); layer 2 reads both directions
    inputs = [16] + [32 * directions] * (layers - 1)
    macs = sum(directions * 21 * 4 * 32 * (i + 32) for i in inputs)
    assert meta.totals.macs == cpu.totals.macs == macs
    assert meta.totals.flops == cpu.totals.flops and cpu.uncounted_ops == {}


def test_token_ids_into_a_float_layer_fail_as_on_a_real_device():
    """Some meta kernels (a convolution without bias, mm) accept operands of mixed dtypes; the CPU does not."""
    from archscope.errors import ArchscopeError

    with pytest.raises(ArchscopeError, match="mix float32 and int64"):
        analyze(nn.Linear(8, 4, bias=False), "8:long", training_memory=False)
