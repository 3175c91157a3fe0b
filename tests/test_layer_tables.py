"""Layer tables and stages (issue 27): every parameter in exactly one row and one stage, stages that add up
to the totals for every zoo model and for models with attention, tied and functionally used weights, rows in
call order with their geometry, and the receptive field made global by attention."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from archscope.analysis import analyze
from archscope.analysis.compare import compare, feature_rf
from archscope.analysis.receptive import GLOBAL
from archscope.analysis.stages import StageSumError, stages
from archscope.render.summary import render_summary, visible_layers
from archscope.zoo import get_model, list_models


def unique_params(model: nn.Module) -> int:
    """torch's own count: every parameter tensor once (``parameters()`` skips a tied one the second time)."""
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", list_models())
def test_stages_add_up_to_the_totals_for_every_zoo_model(name):
    a = analyze(name, training_memory=False)
    rows = stages(a)
    assert sum(s.params for s in rows) == unique_params(get_model(name, device="meta"))
    assert sum(s.macs for s in rows) == a.totals.macs
    assert sum(s.flops for s in rows) == a.totals.flops
    # and every parameter is charged to exactly one row
    assert sum(l.charged_params for l in a.layers) == a.totals.params
    assert sum(c.numel for c in a.charges) == a.totals.params


class ResAttnNet(nn.Module):
    """The issue's net: a residual conv stage, then nn.MultiheadAttention over the 16x16 positions as tokens
    (its out_proj is read through F.multi_head_attention_forward: the module never runs), a residual add back
    onto the map, global mean, a linear head."""

    def __init__(self, width=64):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, width, 3, stride=2, padding=1)
        self.short = nn.Conv2d(32, width, 1, stride=2)
        self.norm = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, 4, batch_first=True)
        self.fc = nn.Linear(width, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x)) + self.short(x)
        b, c, h, w = x.shape
        t = self.norm(x.flatten(2).transpose(1, 2))
        t, _ = self.attn(t, t, t)
        x = x + t.transpose(1, 2).reshape(b, c, h, w)
        return self.fc(x.mean((2, 3)))


class Tied(nn.Module):
    """A decoder that reuses the embedding's weight (weight tying, as language models do)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.embed = nn.Linear(16, 16)
        self.decode = nn.Linear(16, 16, bias=False)
        self.decode.weight = self.embed.weight

    def forward(self, x):
        return self.decode(self.embed(self.conv(x).mean((2, 3))))


class Functional(nn.Module):
    """Weights held by the model itself and used through F.conv2d: no layer module at all."""

    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(torch.zeros(8, 3, 3, 3))
        self.w2 = nn.Parameter(torch.zeros(8, 8, 3, 3))
        self.head = nn.Linear(8, 10)

    def forward(self, x):
        x = F.relu(F.conv2d(x, self.w1, padding=1))  # 16x16
        x = F.relu(F.conv2d(x, self.w2, stride=2, padding=1))  # 8x8
        return self.head(x.mean((2, 3)))


def test_attention_out_proj_is_in_the_attention_row_and_a_stage():
    """The issue's silent wrong number: stages summing to 358.44K of 374.95K, out_proj (used through F.linear)
    in no stage. Here: in the attention's row, and in the 16x16 stage where the attention runs."""
    a = analyze(ResAttnNet(), (3, 32, 32), training_memory=False)
    E = 64
    # nn.MultiheadAttention: in_proj 3E x E + 3E, out_proj E x E + E (torch.nn.MultiheadAttention's parameters)
    attn_params = 3 * E * E + 3 * E + E * E + E
    assert a.layer("attn").charged_params == attn_params == 16_640
    out_proj = [c for c in a.charges if c.name.startswith("attn.out_proj")]
    assert {c.row for c in out_proj} == {"attn"} and {c.how for c in out_proj} == {"used"}
    rows = {s.name: s for s in stages(a)}
    assert list(rows) == ["32x32", "16x16", "head"]
    # 16x16: conv2 (32*64*9 + 64), the shortcut (32*64 + 64), LayerNorm (2*64), the attention
    assert rows["16x16"].params == (32 * 64 * 9 + 64) + (32 * 64 + 64) + 2 * 64 + attn_params
    assert rows["head"].params == 64 * 10 + 10
    assert sum(s.params for s in rows.values()) == unique_params(ResAttnNet())
    # every feature after the attention sees the whole input: the final features' field is global
    assert feature_rf(a) is GLOBAL
    # conv1 3x3/1: 3; conv2 3x3/2 on a jump of 1: 3 + 2 = 5 (Araujo et al. 2019, eq. 1)
    assert a.layer("attn").receptive_field is GLOBAL and a.layer("conv2").receptive_field.size == (5, 5)
    # a CNN without attention keeps a local field
    assert compare(["resnet20"], (3, 32, 32)).models[0].receptive_field is not GLOBAL


def test_tied_weights_are_counted_once_in_the_first_layer_that_runs_with_them():
    a = analyze(Tied(), (3, 8, 8), training_memory=False)
    total = unique_params(Tied())
    assert total == (3 * 16 * 9 + 16) + (16 * 16 + 16)  # the decoder adds no parameter of its own
    assert a.layer("embed").charged_params == 16 * 16 + 16 and a.layer("decode").charged_params == 0
    assert sum(s.params for s in stages(a)) == total
    text = render_summary(a)
    assert "tied: decode.weight is embed.weight" in text


def test_functionally_used_weights_are_in_the_stage_of_the_call_that_reads_them():
    a = analyze(Functional(), (3, 16, 16), training_memory=False)
    rows = {s.name: s for s in stages(a)}
    assert rows["16x16"].params == 8 * 3 * 9 and rows["8x8"].params == 8 * 8 * 9
    assert rows["16x16"].macs == 16 * 16 * 8 * 27 and rows["8x8"].macs == 8 * 8 * 8 * 72  # H*W*C_out*C_in*k*k
    assert rows["head"].params == 8 * 10 + 10
    assert sum(s.params for s in rows.values()) == unique_params(Functional())


def test_parameters_no_call_reads_are_in_the_unused_stage():
    """GoogLeNet's auxiliary classifiers only run in training (Sec. 5): in the total, in the 'unused' stage."""
    a = analyze("googlenet", training_memory=False, args={"aux_logits": True})
    model = get_model("googlenet", device="meta", aux_logits=True)
    aux = sum(p.numel() for n, p in model.named_parameters() if n.startswith(("aux1.", "aux2.")))
    rows = stages(a)
    assert rows[-1].name == "unused" and rows[-1].params == aux
    assert sum(s.params for s in rows) == unique_params(model)
    assert "parameters no call reads in this forward: aux1, aux2" in render_summary(a)


def test_the_sum_check_is_in_the_library():
    a = analyze("lenet5", training_memory=False)
    a.charges = a.charges[1:]  # a parameter lost by the attribution
    with pytest.raises(StageSumError, match="add up to"):
        stages(a)


def test_googlenet_rows_in_call_order_by_default():
    """pool3 runs between inception3b and inception4a (Table 1); torchinfo lists it there too."""
    a = analyze("googlenet", training_memory=False)
    called = [l.name for l in visible_layers(a, 1)]
    assert called.index("inception3b") < called.index("pool3") < called.index("inception4a")
    assert called.index("inception4e") < called.index("pool4") < called.index("inception5a")
    defined = [l.name for l in visible_layers(a, 1, order="definition")]
    assert defined.index("inception5b") < defined.index("pool3")


def test_alexnet_groups_in_the_summary_row():
    """Krizhevsky et al. 2012, Sec. 3.5 and Fig. 2: conv2, conv4 and conv5 see only the kernel maps on their
    own GPU (groups=2 here); conv2 is 5x5, 256 maps, padded by 2 (torchvision's and the paper's layout)."""
    text = render_summary(analyze("alexnet", training_memory=False), depth=2)
    header, rule, *rows = text.split("\n\n")[0].splitlines()
    cols = header.split()
    assert "groups" in cols and "input" in cols and "pad" in cols
    row = next(r for r in rows if r.split()[0] == "features.4").split()
    assert row[1:6] == ["Conv2d", "1x96x27x27", "1x256x27x27", "5x5/1", "2"] and row[6] == "2"  # pad 2, groups 2
    conv1 = next(r for r in rows if r.split()[0] == "features.0").split()
    assert conv1[4] == "11x11/4"


def test_modules_run_more_than_once_show_their_calls():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 3, padding=1)

        def forward(self, x):
            return self.conv(self.conv(x))

    text = render_summary(analyze(Twice(), (4, 8, 8), training_memory=False))
    header, _, row = text.split("\n\n")[0].splitlines()
    assert header.split()[-1] == "calls" and row.split()[-1] == "2"
    # the parameters once, the MACs of both calls: 2 x 8*8*4*4*9
    assert "148" in row.split() and "18.43K" in row.split()
