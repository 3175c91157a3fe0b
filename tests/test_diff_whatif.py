"""What-if builds and diff (issues 26 and 27): GoogLeNet without its 1x1 reductions against Table 1 by hand,
a ResNet without shortcuts, attention and LayerNorm in diff, the side an error comes from, the knobs on the
command line, and Myers' alignment against a brute-force longest common subsequence."""

import io
import time

import pytest
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from torch import nn
from typer.testing import CliRunner

from archscope.analysis import analyze
from archscope.analysis.align import opcodes
from archscope.analysis.diff import diff
from archscope.cli import app
from archscope.errors import ArchscopeError
from archscope.render.diff import render_diff
from archscope.render.progress import delayed_progress

runner = CliRunner()

# Szegedy et al. 2014, Table 1: the Inception modules' input size and depth, #3x3 reduce, #3x3, #5x5 reduce,
# #5x5 (the input depth of 3a is the 192 maps of the max pool before it; each next module reads the previous
# module's depth, the pools between stages keep it)
TABLE1 = [  # name, H (= W), input depth, #3x3 reduce, #3x3, #5x5 reduce, #5x5
    ("3a", 28, 192, 96, 128, 16, 32),
    ("3b", 28, 256, 128, 192, 32, 96),
    ("4a", 14, 480, 96, 208, 16, 48),
    ("4b", 14, 512, 112, 224, 24, 64),
    ("4c", 14, 512, 128, 256, 24, 64),
    ("4d", 14, 512, 144, 288, 32, 64),
    ("4e", 14, 528, 160, 320, 32, 128),
    ("5a", 7, 832, 160, 320, 32, 128),
    ("5b", 7, 832, 192, 384, 48, 128),
]


def test_googlenet_without_reductions_reports_the_saving_of_table1():
    """What the 1x1 reductions buy, module by module: with them, 1x1 in->r then kxk r->c; without, kxk in->c.
    Every convolution of the paper's network has a bias (one per output map); MACs are H*W*C_in*C_out*k*k."""
    d_params = d_macs = 0
    for _, hw, cin, r3, c3, r5, c5 in TABLE1:
        with_ = (cin * r3 + r3) + (9 * r3 * c3 + c3) + (cin * r5 + r5) + (25 * r5 * c5 + c5)
        without = (9 * cin * c3 + c3) + (25 * cin * c5 + c5)
        d_params += without - with_
        d_macs += hw * hw * ((9 * cin * c3 + 25 * cin * c5) - (cin * r3 + 9 * r3 * c3 + cin * r5 + 25 * r5 * c5))
    assert (d_params, d_macs) == (18_307_392, 2_843_875_328)  # the sums above, written out: +18.31M, +2.84G
    d = diff("googlenet", "googlenet", args_b={"reductions": False})
    assert d.b == "inception_v1[reductions=False]"
    assert d.delta("params") == d_params and d.delta("macs") == d_macs
    # the rows account for all of it: the 18 reductions, one-sided, each with the cost it saves its 3x3/5x5
    assert not d.unattributed
    assert sum(c.cost["params"] for c in d.changes) == d_params
    assert sum(c.cost["macs"] for c in d.changes) == d_macs
    reductions = [c for c in d.changes if c.kind == "only_a" and c.type_a == "Conv2d"]
    assert len(reductions) == 2 * 9 and all(c.fields["kernel_size"] == [1, 1] for c in reductions)
    assert {c.a.rsplit(".", 2)[0] for c in reductions} == {f"inception{r[0]}.branch2" for r in TABLE1} | \
        {f"inception{r[0]}.branch3" for r in TABLE1}


def test_googlenet_naive_module_grows_the_widths():
    """Fig. 2(a) (both knobs off): the pooling branch passes its input on, so 3a's depth is
    64 + 128 + 32 + 192 = 416 instead of 256 (Sec. 4: 'an inevitable increase in the number of outputs')."""
    a = analyze("googlenet", training_memory=False, args={"reductions": False, "pool_proj": False})
    assert a.layer("inception3a").output_shape == [1, 416, 28, 28]
    with pytest.raises(ArchscopeError, match="reductions must be True or False"):
        analyze("googlenet", training_memory=False, args={"reductions": "no"})


@pytest.mark.parametrize("name, value", [("resnet18", None), ("resnet18", False), ("resnet20", "none")])
def test_shortcut_none_is_the_plain_net(name, value):
    """He et al. 2015, Fig. 3: the plain net is the residual net without its shortcuts. ResNet-18's three
    projection shortcuts (1x1 convolution and batch norm, Eq. 2, option B) are all the parameters it loses:
    64*128 + 2*128, 128*256 + 2*256, 256*512 + 2*512; ResNet-20's option A shortcuts have none."""
    d = diff(name, name, args_b={"shortcut": value})
    projections = 64 * 128 + 2 * 128 + 128 * 256 + 2 * 256 + 256 * 512 + 2 * 512
    assert d.delta("params") == (-projections if name == "resnet18" else 0)
    adds = [c for c in d.changes if c.kind == "only_a" and c.type_a == "add"]
    assert len(adds) == (8 if name == "resnet18" else 9)  # one residual sum per block (Table 1; 3n, n=3)


def test_cli_diff_a_model_against_its_what_if():
    r = runner.invoke(app, ["diff", "googlenet", "googlenet", "--arg-b", "reductions=False"])
    assert r.exit_code == 1, r.output
    assert "inception_v1 -> inception_v1[reductions=False]" in r.stdout
    assert "Accounted for: the rows add up to the totals' difference" in r.stdout
    r = runner.invoke(app, ["diff", "googlenet", "googlenet", "--arg", "reductions=False"])
    assert r.exit_code == 0 and "are the same network" in r.stdout
    r = runner.invoke(app, ["diff", "googlenet", "googlenet", "--arg", "reductions=False", "--arg-b",
                            "reductions=True"])
    assert r.exit_code == 2 and "given for both sides and for one" in r.stderr


class Attn(nn.Module):
    """A conv stem, LayerNorm and nn.MultiheadAttention over the 16x16 positions, a linear head: the
    issue's width 32 -> 48 diff."""

    def __init__(self, width):
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3, stride=2, padding=1)
        self.norm = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, 4, batch_first=True)
        self.fc = nn.Linear(width, 10)

    def forward(self, x):
        t = self.norm(F.relu(self.conv(x)).flatten(2).transpose(1, 2))
        t, _ = self.attn(t, t, t)
        return self.fc(t.mean(1))


def test_diff_on_attention_has_module_rows_only_and_norms_charged_their_own_cost():
    a, b = Attn(32), Attn(48)
    d = diff(("narrow", a, (3, 32, 32)), ("wide", b, (3, 32, 32)))
    where = {c.a for c in d.changes} | {c.b for c in d.changes}
    assert not [w for w in where if w and w.startswith("attn") and w != "attn"]  # no aten op, no out_proj row
    assert not d.unattributed
    rows = {c.a: c for c in d.changes}
    L = 16 * 16  # tokens
    # attention's MACs: in-projection 3*L*E^2, Q.K^T and A.V L^2*E each, out-projection L*E^2
    macs = {e: 4 * L * e * e + 2 * L * L * e for e in (32, 48)}
    assert rows["attn"].cost["macs"] == macs[48] - macs[32] == 3_407_872
    assert rows["attn"].cost["params"] == (4 * 48 * 48 + 4 * 48) - (4 * 32 * 32 + 4 * 32)
    assert rows["attn"].fields["embed_dim"] == [32, 48]
    # the LayerNorm: its scale and shift (2 * 16 more parameters), no MACs, its own FLOPs and nothing else
    na, nb = analyze(a, (3, 32, 32), training_memory=False), analyze(b, (3, 32, 32), training_memory=False)
    assert rows["norm"].cost == {"params": 32, "macs": 0, "flops": nb.layer("norm").flops - na.layer("norm").flops,
                                 "activation_bytes": L * 16 * 4}
    text = render_diff(d)
    table = text.split("\n\n")[1]
    assert "(mul)" not in table and "(bmm)" not in table and "out_proj" not in table
    assert "Accounted for: the rows add up" in text and "Not accounted for" not in text


def test_a_side_that_does_not_run_is_named():
    with pytest.raises(ArchscopeError, match=r"^side B \(lenet5\): .*does not run on input 3x224x224"):
        diff("resnet18", "lenet5", (3, 224, 224))
    r = runner.invoke(app, ["diff", "lenet5", "resnet18", "-i", "3x224x224"])
    assert r.exit_code == 2 and r.stderr.startswith("archscope: error: side A (lenet5)")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from("abc"), max_size=14), st.lists(st.sampled_from("abc"), max_size=14))
def test_myers_opcodes_are_a_longest_common_subsequence(a, b):
    ops = opcodes(a, b)
    i = j = same = 0
    for tag, a1, a2, b1, b2 in ops:
        assert (a1, b1) == (i, j) and tag in ("equal", "replace", "delete", "insert")
        if tag == "equal":
            assert a[a1:a2] == b[b1:b2]
            same += a2 - a1
        i, j = a2, b2
    assert (i, j) == (len(a), len(b))
    # the brute-force LCS length, by the textbook DP (Cormen et al., Introduction to Algorithms, Sec. 15.4)
    t = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for x in range(len(a)):
        for y in range(len(b)):
            t[x + 1][y + 1] = t[x][y] + 1 if a[x] == b[y] else max(t[x][y + 1], t[x + 1][y])
    assert same == t[len(a)][len(b)]


def test_myers_gives_up_past_its_budget():
    assert opcodes(list("ab" * 50), list("cd" * 50), max_edits=20) is None
    assert opcodes(list("ab" * 50), list("ab" * 50), max_edits=0) == [("equal", 0, 100, 0, 100)]


def test_diff_reports_progress_and_the_bar_waits():
    steps = []
    diff("lenet5", "lenet.d2l", progress=lambda step, done, total: steps.append((step, done, total)))
    assert steps[0] == ("analysing A", 0, 3) and steps[-1] == ("done", 3, 3)
    quick, slow = io.StringIO(), io.StringIO()
    with delayed_progress("diff", delay=5.0, console=Console(file=quick, force_terminal=True)) as report:
        report("aligning", 1, 3)
    assert quick.getvalue() == ""  # a quick command draws nothing
    with delayed_progress("diff", delay=0.05, console=Console(file=slow, force_terminal=True)) as report:
        report("aligning", 1, 3)
        time.sleep(0.3)
    assert "diff: aligning" in slow.getvalue()


def _claim(cid):
    from archscope.claims import CLAIMS
    from archscope.claims.evaluate import evaluate

    (e,) = evaluate(next(c for c in CLAIMS if c.id == cid))
    return e


def test_the_1x1_claim_is_judged_on_the_whole_network_too():
    """Article 000 (line 573): the 1x1 reduction saves 'almost half' of the example's parameters; on the paper's
    GoogLeNet the what-if without reductions has Table 1's +18,307,392 parameters (the hand sum of the test above),
    so the saving is D / (P + D), P the network's own parameter count (torch's numel over the built model)."""
    from archscope.zoo import get_model

    p = sum(t.numel() for t in get_model("inception_v1", device="meta").parameters())
    d = 18_307_392
    e = _claim("000-bottleneck-saving-network")
    assert e.verdict.value == "holds" and e.measured == pytest.approx(d / (p + d), abs=1e-12)
    assert e.measured > 0.5  # more than the example's 'almost half': 0.723


def test_the_naive_module_claims_of_szegedy_et_al():
    """Sec. 4: the naive module (Fig. 2a) passes its input depth through the pool branch, so each module outputs
    input + #1x1 + #3x3 + #5x5 maps (Table 1's widths): 192 + 64 + 128 + 32 = 416 after 3a, and growing."""
    ones = {"3a": 64, "3b": 128, "4a": 192, "4b": 160, "4c": 128, "4d": 112, "4e": 256, "5a": 256, "5b": 384}
    depth, grown = 192, []
    for name, _, _, _, c3, _, c5 in TABLE1:
        grown.append((depth, depth + ones[name] + c3 + c5))
        depth = grown[-1][1]
    e = _claim("googlenet-naive-outputs-grow")
    assert e.verdict.value == "holds" and all(f"{i}->{o}" in e.detail for i, o in grown)
    assert grown[-1][1] == 4944
    assert _claim("googlenet-naive-blowup").verdict.value == "holds"
