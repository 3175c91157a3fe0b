"""`archscope diff`: two builds of one architecture aligned on their data flow.

Expected differences come from outside the code: torchvision's ResNet v1.5
note (the stride of the downsampling bottlenecks moved from the 1x1 to the
3x3 convolution, torchvision/models/resnet.py), the deviations of article
000's Keras models read from its code (recorded in `archscope info`), and
MAC counts written out by hand."""

import json

from typer.testing import CliRunner

from archscope.analysis.diff import diff
from archscope.cli import app

runner = CliRunner()


def _fields(d):
    return [(c.kind, c.a, c.b, c.fields) for c in d.changes]


def test_resnet50_v1_5_moves_three_strides_and_nothing_else():
    d = diff("resnet50", "resnet50.torchvision")
    expected = []
    for stage in ("layer2.0", "layer3.0", "layer4.0"):
        expected += [("changed", f"{stage}.conv1", f"{stage}.conv1", {"stride": [[2, 2], [1, 1]]}),
                     ("changed", f"{stage}.conv2", f"{stage}.conv2", {"stride": [[1, 1], [2, 2]]})]
    assert sorted(_fields(d), key=str) == sorted(expected, key=str)
    # the 1x1 reduction now runs at the input's resolution: in x out channels x (H*W before - after)
    by_hand = [256 * 128 * (56 * 56 - 28 * 28), 512 * 256 * (28 * 28 - 14 * 14), 1024 * 512 * (14 * 14 - 7 * 7)]
    assert [c.cost["macs"] for c in d.changes if c.fields["stride"][0] == [2, 2]] == by_hand
    assert d.delta("macs") == sum(by_hand) and d.delta("params") == 0 and not d.unattributed
    # the batch norm and ReLU after the moved stride are its knock-on, not differences of their own
    assert d.changes[0].knock_on == ["layer2.0.bn1", "layer2.0.relu1"]


def test_a_network_against_itself_is_the_same():
    d = diff("resnet18", "resnet18")
    assert d.same and not d.changes and d.delta("macs") == 0


def test_article_000_googlenet_deviations():
    # archscope info inception_v1.tutorial: the "5x5" branch is a 1x1; the Inception branches are linear;
    # the stem puts ReLU before batch norm and drops the 1x1 reduction and both LRNs; an extra Dense(1000)
    # before the 17-way output
    d = diff("inception_v1", "inception_v1.tutorial")
    five = [c for c in d.changes if c.kind == "changed" and c.fields.get("kernel_size") == [[5, 5], [1, 1]]]
    assert len(five) == 9 and all(".branch3." in c.a for c in five)
    relus = [c for c in d.changes if c.kind == "only_a" and c.type_a == "ReLU"]
    assert len(relus) == 9 * 6 + 1  # six convolutions per module, and the dropped 1x1 reduction's
    assert sum(c.kind == "only_a" and c.type_a == "Conv2d" for c in d.changes) == 1  # the 1x1 reduction
    lrn = [c for c in d.changes if c.type_a == "LocalResponseNorm"]
    assert len(lrn) == 2 and {c.type_b for c in lrn} == {None, "BatchNorm2d"}
    extra = [c for c in d.changes if c.kind == "only_b" and c.type_b == "Linear"]
    assert len(extra) == 1 and extra[0].fields["out_features"] == 17
    assert sum(c.cost["macs"] for c in d.changes) == d.delta("macs")


def test_article_000_vgg16_deviations():
    # article 000's VGG-16 (shared/sources/000, line 500): conv2_1 is Conv2D(128, (3, 2)), and a 17-way
    # layer follows Dense(1000)
    d = diff("vgg16", "vgg16.tutorial")
    k = [c for c in d.changes if c.kind == "changed" and "kernel_size" in c.fields]
    assert len(k) == 1 and k[0].fields["kernel_size"] == [[3, 3], [3, 2]]
    # the narrower kernel: 64 inputs x 128 outputs x 3 kernel positions fewer weights
    assert k[0].a == "features.5" and k[0].cost["params"] == -64 * 128 * 3
    # Dense(1000, relu), Dropout(0.5), Dense(17) (lines 520-522): the dropout is silent in eval mode and is
    # compared by its settings
    assert [c.type_b for c in d.changes if c.kind == "only_b" and c.type_b != "TFSamePad"] == \
        ["ReLU", "Linear", "Dropout"]


def test_branches_in_another_order_are_paired_with_their_counterparts():
    # timm's Inception-v4 is the paper's network layer for layer (timm's published param_count, 42.68 M, is
    # the paper network's; the notes of both entries): the pool branch concatenates last and three asymmetric
    # pairs run in the other order. So no layer may be one-sided, nothing may cost anything, and what differs
    # is only kernels (with their padding), concatenation orders and the dropout default
    d = diff("inception_v4", "inception_v4.timm")
    assert {c.kind for c in d.changes} == {"changed"}
    assert {k for c in d.changes for k in c.fields} == {"kernel_size", "padding", "branch order", "p"}
    assert d.delta("params") == 0 and d.delta("macs") == 0 and d.delta("flops") == 0
    # 4 Inception-A, 7 B, 3 C modules (Fig. 9) take the pool branch (first in the figures) last
    orders = [c for c in d.changes if c.fields.get("branch order") == [[1, 2, 3, 4], [2, 3, 4, 1]]]
    assert len(orders) == 4 + 7 + 3


def test_the_tutorial_resnet34_projection_is_paired_with_the_papers():
    # article 000's projection shortcut is a 3x3 convolution (its code passes the block's kernel_size): the
    # same layer with another kernel, computed before the residual branch (Keras' order), not a layer removed
    # and another added
    d = diff("resnet34", "resnet34.tutorial")
    proj = [c for c in d.changes if c.fields.get("kernel_size") == [[1, 1], [3, 3]]]
    assert [c.a for c in proj] == ["layer2.0.shortcut.0", "layer3.0.shortcut.0", "layer4.0.shortcut.0"]
    # in x out x (3x3 - 1x1) more weights, plus the bias every Keras Conv2D has: 64 x 128 x 8 + 128, ...
    assert [c.cost["params"] for c in proj] == [64 * 128 * 8 + 128, 128 * 256 * 8 + 256, 256 * 512 * 8 + 512]
    assert not any(c.kind != "changed" and (c.type_a or c.type_b) == "Conv2d" for c in d.changes)


def test_a_projection_reading_another_tensor_is_a_changed_connection():
    # the Keras example's pre-activation ResNet (keras-io cifar10_resnet.py, resnet_v2): the projection
    # shortcut of stages 2 and 3 reads the unit's input x; the authors' code shares the unit's BN-ReLU with it
    d = diff("preresnet56", "preresnet56.keras")
    moved = [(c.a, c.fields["input from"]) for c in d.changes if "input from" in c.fields]
    assert moved == [("stage2.0.shortcut", [["stage2.0.relu0"], ["stage1.5 (add)"]]),
                     ("stage3.0.shortcut", [["stage3.0.relu0"], ["stage2.5 (add)"]])]


def test_a_residual_network_against_its_plain_twin_is_its_shortcuts():
    # He et al. 2015, Fig. 3 / Sec. 3.3: ResNet-34 is plain-34 plus shortcuts, option B projecting where the
    # dimensions increase (3 times). So: 16 sums, 3 projections and their 3 batch norms, nothing else
    d = diff("plain34", "resnet34")
    assert sorted((c.kind, c.type_b) for c in d.changes) == sorted(
        [("only_b", "add")] * 16 + [("only_b", "Conv2d")] * 3 + [("only_b", "BatchNorm2d")] * 3)
    # the projections' weights, 1x1: 64x128 + 128x256 + 256x512, and their batch norms' scale and shift
    assert d.delta("params") == 64 * 128 + 128 * 256 + 256 * 512 + 2 * (128 + 256 + 512)


def test_order_of_a_sum_and_placeholders_are_no_difference(tmp_path):
    # a residual block written shortcut-first, and an nn.Identity placeholder: the same computation
    f = tmp_path / "res.py"
    f.write_text(
        "from torch import nn\n"
        "class B(nn.Module):\n"
        "    def __init__(self, first=False, hold=False):\n"
        "        super().__init__(); self.c1 = nn.Conv2d(4, 4, 3, padding=1); self.r = nn.ReLU()\n"
        "        self.c2 = nn.Conv2d(4, 4, 3, padding=1); self.p = nn.Conv2d(4, 4, 1); self.first = first\n"
        "        self.hold = nn.Identity() if hold else None\n"
        "    def forward(self, x):\n"
        "        if self.first:\n"
        "            s = self.p(x); return self.c2(self.r(self.c1(x))) + s\n"
        "        return self.c2(self.r(self.c1(x))) + self.p(x)\n"
        "def plain(): return B()\n"
        "def first(): return B(first=True, hold=True)\n")
    d = diff(f"{f}:plain", f"{f}:first", "4x8x8")
    assert d.same and not d.changes


def test_cli_exit_status_and_json():
    same = runner.invoke(app, ["diff", "resnet18", "resnet18.torchvision"])
    assert same.exit_code == 0 and "same network" in same.stdout
    r = runner.invoke(app, ["diff", "resnet50", "resnet50.torchvision", "-f", "json"])
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["same"] is False and len(data["changes"]) == 6
    assert data["totals"]["macs"][1] - data["totals"]["macs"][0] == sum(c["cost"]["macs"] for c in data["changes"])
    bad = runner.invoke(app, ["diff", "resnet50", "no_such_net"])
    assert bad.exit_code == 2 and "unknown model" in bad.stderr


def test_user_models_are_aligned_without_names(tmp_path):
    # the same network written twice with different module names, one with an extra ReLU
    f = tmp_path / "nets.py"
    f.write_text(
        "from torch import nn\n"
        "def a(): return nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 30 * 30, 10))\n"
        "class B(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.stem = nn.Conv2d(3, 8, 3); self.act = nn.ReLU(); self.extra = nn.ReLU()\n"
        "        self.flat = nn.Flatten(); self.head = nn.Linear(8 * 30 * 30, 10)\n"
        "    def forward(self, x): return self.head(self.flat(self.extra(self.act(self.stem(x)))))\n"
        "def b(): return B()\n")
    d = diff(f"{f}:a", f"{f}:b", "3x32x32")
    # two ReLUs in a row: either may be called the extra one
    assert [(c.kind, c.type_b) for c in d.changes] == [("only_b", "ReLU")] and d.changes[0].b in ("act", "extra")
    assert d.changes[0].cost["flops"] == 8 * 30 * 30  # one comparison per element


def test_hostile_review_cases(tmp_path):
    # a reused module against two modules, a setting of a silent layer, reordered branches, F.relu vs nn.ReLU
    f = tmp_path / "h.py"
    f.write_text(
        "import torch\nfrom torch import nn\nimport torch.nn.functional as F\n"
        "class R(nn.Module):\n"
        "    def __init__(self, share=True, p=0.5, rev=False, fn=False):\n"
        "        super().__init__(); self.c = nn.Conv2d(4, 4, 3, padding=1)\n"
        "        self.d = self.c if share else nn.Conv2d(4, 4, 3, padding=1)\n"
        "        self.a = nn.Conv2d(4, 2, 1); self.b = nn.Conv2d(4, 3, 1); self.r = nn.ReLU()\n"
        "        self.drop = nn.Dropout(p)\n"
        "        self.rev, self.fn = rev, fn\n"
        "    def forward(self, x):\n"
        "        x = self.d(self.c(x)); x = F.relu(x) if self.fn else self.r(x)\n"
        "        parts = [self.b(x), self.a(x)] if self.rev else [self.a(x), self.b(x)]\n"
        "        return self.drop(torch.cat(parts, 1))\n"
        "def base(): return R()\n"
        "def own(): return R(share=False)\n"
        "def p2(): return R(p=0.2)\n"
        "def rev(): return R(rev=True)\n"
        "def fn(): return R(fn=True)\n")
    spec = lambda c: f"{f}:{c}"  # noqa: E731
    own = diff(spec("base"), spec("own"), "4x8x8")
    # the second call: shared weights in A, its own in B (4*4*9 + 4 = 148 parameters), nothing invented
    assert [(c.kind, c.fields.get("weights"), c.cost["params"]) for c in own.changes] == \
        [("changed", ["shared with an earlier call", "its own"], 148)]
    p2 = diff(spec("base"), spec("p2"), "4x8x8")
    assert not p2.same and [c.fields for c in p2.changes] == [{"p": [0.5, 0.2]}]
    rev = diff(spec("base"), spec("rev"), "4x8x8")
    # the two 1x1 convolutions paired with their twins; the concatenation takes them in the other order
    assert [(c.kind, c.type_a, c.fields) for c in rev.changes] == [
        ("changed", "cat", {"branch order": [[1, 2], [2, 1]]})]
    # F.relu is nn.ReLU's call; what remains is the ReLU module `fn` defines and never calls
    fn = diff(spec("base"), spec("fn"), "4x8x8")
    assert [(c.kind, c.b, c.fields.get("runs")) for c in fn.changes] == [("only_b", "r", "never in the traced forward")]
    r = runner.invoke(app, ["diff", f"{f}:nothing", spec("base"), "-i", "4x8x8"])
    assert r.exit_code == 2
