"""Any nn.Module people bring is analysed (issue 29 items 1, 2 and 4; issue 25's constructors that read
tensor values; issue 26 item 19's module trees that cannot be walked).

Expected numbers are hand arithmetic written out beside each test: a Conv1d(1, 1, 3, padding=1) on a length-16
signal has 16 output positions x 3 taps x 1 input channel x 1 output channel = 48 MACs (torchinfo's own test
suite expects 64 mult-adds for it: 48 + 16 bias adds, tests/test_output/... in TylerYep/torchinfo; see
tests/peers/); a Linear(20, 10) on one vector has 20 x 10 = 200 MACs.
"""

import sys
import textwrap

import numpy as np
import pytest
import torch
import torch.nn.utils.prune  # noqa: F401  (torch.nn.utils does not import it)
from helpers import one_line_error
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn
from typer.testing import CliRunner

import archscope
from archscope.analysis import analyze
from archscope.analysis.engine import MAX_NESTING
from archscope.analysis.opargs import as_ints, ntuple
from archscope.cli import app
from archscope.errors import ArchscopeError

runner = CliRunner()
CONV1D_MACS = 16 * 3 * 1 * 1  # output positions x taps x C_in x C_out
LINEAR_MACS = 20 * 10


# ---- item 1: hyper-parameters stored as tensors, numpy scalars, lists -----------------------------------

ENCODEC = textwrap.dedent("""
    import torch
    from torch import nn

    class EncodecLike(nn.Module):
        # HuggingFace's EncodecConv1d / MimiConv1d keep kernel_size as a 0-d tensor
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(1, 1, 3, padding=1)
            self.kernel_size = torch.tensor(3)

        def forward(self, x):
            return self.conv(x)
""")


def test_encodec_style_module_from_python():
    torch.manual_seed(0)
    ns: dict = {}
    exec(ENCODEC, ns)
    a = analyze(ns["EncodecLike"](), (1, 16))
    assert a.totals.macs == CONV1D_MACS == 48
    assert a.layer("").kernel == [3, 3]  # a bare int-like kernel is shown for two axes, as an int always was
    assert a.layer("conv").kernel == [3]


def test_encodec_style_module_from_the_cli(tmp_path):
    (tmp_path / "enc.py").write_text(ENCODEC)
    r = runner.invoke(app, ["summary", f"{tmp_path / 'enc.py'}:EncodecLike", "--input", "1x16", "-f", "json"])
    assert r.exit_code == 0, r.output
    assert '"macs": 48' in r.stdout


# every form a hyper-parameter has been seen stored in, with the ints it holds (None: no ints)
FORMS = [
    (3, (3,)), ((3,), (3,)), ([3], (3,)), (np.int64(3), (3,)), (np.int32(3), (3,)), (np.array(3), (3,)),
    (np.array([3, 3]), (3, 3)), (torch.tensor(3), (3,)), (torch.tensor([3]), (3,)), (torch.tensor([3, 3]), (3, 3)),
    ([torch.tensor(3), np.int64(3)], (3, 3)), ((np.int16(2), 3), (2, 3)), (torch.tensor(3.0), None), (3.0, None),
    ("same", None), (None, None), (True, None), (torch.tensor([[3]]), None), (np.array([3.5]), None),
    (torch.empty((), dtype=torch.long, device="meta"), None), (object(), None), ([3, "a"], None),
]


@pytest.mark.parametrize("value,ints", FORMS, ids=[f"{type(v).__name__}-{i}" for i, (v, _) in enumerate(FORMS)])
def test_as_ints_reads_every_stored_form(value, ints):
    assert as_ints(value) == ints


def test_ntuple_is_torchs_pair_rule():
    assert ntuple(3, 2) == (3, 3) and ntuple([3], 2) == (3, 3) and ntuple((1, 2), 2) == (1, 2)
    assert ntuple(torch.tensor(2), 3) == (2, 2, 2) and ntuple("same", 2) is None


_values = st.sampled_from([v for v, _ in FORMS])


class Wrapper(nn.Module):
    def __init__(self, kernel, stride, padding):
        super().__init__()
        self.conv = nn.Conv1d(1, 1, 3, padding=1)
        self.kernel_size, self.stride, self.padding = kernel, stride, padding

    def forward(self, x):
        return self.conv(x)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kernel=_values, stride=_values, padding=_values, conv_kernel=_values)
def test_any_stored_form_never_breaks_the_analysis(kernel, stride, padding, conv_kernel):
    """The wrapper's own attributes, and the conv's kernel_size (read only for display), in any stored form:
    the analysis completes and the count is the plain Conv1d's."""
    m = Wrapper(kernel, stride, padding)
    m.conv.kernel_size = conv_kernel
    a = analyze(m, (1, 16), training_memory=False)
    assert a.totals.macs == CONV1D_MACS
    shown = a.layer("").kernel
    assert shown is None or all(isinstance(k, int) for k in shown)


# ---- item 2: modules deepcopy refuses ----------------------------------------------------------------------

def _pruned():
    torch.manual_seed(0)
    m = nn.Linear(20, 10)
    torch.nn.utils.prune.l1_unstructured(m, "weight", 0.5)  # 100 of the 200 weights zeroed
    return m


def test_pruned_module_dense_count_and_mask_named():
    m = _pruned()
    a = analyze(m, (20,))
    assert a.totals.macs == LINEAR_MACS
    assert a.totals.params == 200 + 10  # weight_orig and bias; weight_mask is a buffer
    # FLOPs: 2 per MAC + 10 bias adds + the pre-hook's weight_orig x weight_mask, 1 per weight
    assert a.totals.flops == 2 * LINEAR_MACS + 10 + 200
    assert any("weight_mask" in n and "100 of 200" in n for n in a.notes), a.notes
    assert m.weight.device.type == "cpu" and not m.weight.is_meta  # the caller's module is untouched


def test_pruned_module_inside_a_model_and_at_another_dtype():
    a = analyze(nn.Sequential(_pruned(), nn.ReLU()), (20,), dtype=torch.float64)
    assert a.totals.macs == LINEAR_MACS and a.layer("0").flops == 2 * LINEAR_MACS + 10 + 200
    assert any(n.startswith("0.weight is pruned") for n in a.notes)
    cpu = analyze(nn.Sequential(_pruned(), nn.ReLU()), (20,), device="cpu", dtype=torch.float64)
    assert cpu.totals.macs == a.totals.macs and cpu.totals.flops == a.totals.flops


def test_old_weight_norm_module():
    with pytest.warns(FutureWarning):
        m = torch.nn.utils.weight_norm(nn.Linear(20, 10))
    a = analyze(m, (20,))
    assert a.totals.macs == LINEAR_MACS
    assert a.totals.params == 200 + 10 + 10  # weight_v, weight_g, bias
    # w = g v / |v| per row: 3 per element of v (square, add, scale) + 1 per element of g
    assert a.flops_by_category["norm"] == 3 * 200 + 10
    assert a.uncounted_ops == {}


def test_pruned_module_from_the_cli(tmp_path):
    (tmp_path / "p.py").write_text("import torch\nimport torch.nn.utils.prune\nfrom torch import nn\n"
                                   "def build():\n    m = nn.Linear(20, 10)\n"
                                   "    torch.nn.utils.prune.l1_unstructured(m, 'weight', 0.5)\n    return m\n")
    r = runner.invoke(app, ["summary", f"{tmp_path / 'p.py'}:build", "--input", "20", "-f", "json"])
    assert r.exit_code == 0, r.output
    assert '"macs": 200' in r.stdout


def test_both_crash_reproductions_through_the_api():
    """Issue 29's done-means: the two reproductions give exact counts from Python through the application
    layer a notebook calls (``archscope.summary``), not only through the analysis function."""
    ns: dict = {}
    exec(ENCODEC, ns)
    s = archscope.summary(ns["EncodecLike"](), (1, 16))
    assert s.analysis.totals.macs == CONV1D_MACS == 48
    assert '"macs": 48' in s.render("json")
    p = archscope.summary(_pruned(), (20,))
    assert p.analysis.totals.macs == LINEAR_MACS
    assert any("weight_mask" in n and "100 of 200" in n for n in p.analysis.notes)
    assert "is pruned" in p.render("table")


# ---- item 4: uncounted_ops lists only ops that do arithmetic ------------------------------------------------

def test_data_parallel_profiler_markers_are_not_uncounted():
    a = analyze(nn.DataParallel(nn.Linear(4, 3)), (4,))
    assert a.uncounted_ops == {} and a.totals.macs == 12


class Unpool(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool, self.unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)

    def forward(self, x):
        y, i = self.pool(x)
        z = self.unpool(y, i)  # a scatter: no arithmetic
        flat = z.flatten(1)
        idx = torch.zeros_like(flat, dtype=torch.long)
        return flat.scatter(1, idx, flat).index_select(1, idx[0, :4]) + torch.zeros_like(flat).scatter_add(
            1, idx, flat)[:, :4]


def test_unpool_scatter_index_are_zero_cost_and_scatter_add_is_counted():
    a = analyze(Unpool(), (3, 8, 8), device="cpu")
    assert a.uncounted_ops == {}
    n = 3 * 8 * 8
    # max pool 2x2: 3 comparisons per output (3x4x4); scatter_add: 1 add per source element (3x8x8); the
    # final add of two (1, 4) slices: 4
    assert a.totals.flops == 3 * 4 * 4 * 3 + n + 4


# ---- issue 25: constructors that read tensor values -------------------------------------------------------

REGNET_LIKE = textwrap.dedent("""
    import torch
    from torch import nn

    def build():
        # widths computed from a tensor and read with .tolist(), as torchvision's RegNet BlockParams does
        widths = (torch.arange(2) * 8 + 8).tolist()  # [8, 16]
        return nn.Sequential(nn.Conv2d(3, widths[0], 3), nn.ReLU(), nn.Conv2d(widths[0], widths[1], 3),
                             nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(widths[1], 10))
""")
# by hand, input 3x8x8: conv1 3->8 3x3 -> 8x6x6: 8 x 27 + 8 = 224 params, 36 x 8 x 27 = 7,776 MACs;
# conv2 8->16 3x3 -> 16x4x4: 16 x 72 + 16 = 1,168 params, 16 x 16 x 72 = 18,432 MACs; fc 16->10: 170, 160
REGNET_PARAMS, REGNET_MACS = 224 + 1_168 + 170, 7_776 + 18_432 + 160


def test_constructor_reading_tensor_values_names_build_device(tmp_path):
    (tmp_path / "r.py").write_text(REGNET_LIKE)
    err = one_line_error(runner.invoke(app, ["summary", f"{tmp_path / 'r.py'}:build", "-i", "3x8x8"]))
    assert "--build-device cpu" in err and "meta device" in err


def test_constructor_reading_tensor_values_built_on_cpu(tmp_path):
    (tmp_path / "r.py").write_text(REGNET_LIKE)
    r = runner.invoke(app, ["summary", f"{tmp_path / 'r.py'}:build", "-i", "3x8x8", "--build-device", "cpu",
                            "-f", "json"])
    assert r.exit_code == 0, r.output
    import json

    d = json.loads(r.stdout)
    assert d["totals"]["params"] == REGNET_PARAMS and d["totals"]["macs"] == REGNET_MACS
    assert d["device"] == "meta" and any("built on the CPU" in n for n in d["notes"])
    a = analyze(f"{tmp_path / 'r.py'}:build", (3, 8, 8), build_device="cpu")
    assert (a.totals.params, a.totals.macs) == (REGNET_PARAMS, REGNET_MACS)


def test_build_device_through_the_api_and_refused_where_it_changes_nothing(tmp_path):
    (tmp_path / "r.py").write_text(REGNET_LIKE)
    s = archscope.summary(f"{tmp_path / 'r.py'}:build", (3, 8, 8), build_device="cpu")
    assert (s.analysis.totals.params, s.analysis.totals.macs) == (REGNET_PARAMS, REGNET_MACS)
    with pytest.raises(ArchscopeError, match="`build_device` cpu is for a module:callable"):
        archscope.summary("lenet5", build_device="cpu")  # zoo models are built on meta
    with pytest.raises(ArchscopeError, match="`build_device` cpu is for a module:callable"):
        archscope.summary(nn.Linear(2, 2), (2,), build_device="cpu")  # already built
    with pytest.raises(ArchscopeError, match="`build_device` must be meta or cpu"):
        archscope.summary(f"{tmp_path / 'r.py'}:build", (3, 8, 8), build_device="gpu")


def test_regnet_y_400mf_matches_torchvisions_weights_metadata():
    tv = pytest.importorskip("torchvision", reason="PyPI's torchvision does not install beside the CPU torch wheel")
    from torchvision.models import RegNet_Y_400MF_Weights

    meta = RegNet_Y_400MF_Weights.IMAGENET1K_V1.meta
    a = analyze("torchvision.models:regnet_y_400mf", (3, 224, 224), build_device="cpu")
    assert a.totals.params == meta["num_params"]
    assert round(a.totals.macs / 1e9, 3) == meta["_ops"]
    assert tv


# ---- issue 26 item 19: module trees that cannot be walked ----------------------------------------------------

TREES = textwrap.dedent("""
    from torch import nn

    def deep(n=2000):
        m = nn.Linear(4, 4)
        for _ in range(n):
            m = nn.Sequential(m)
        return m

    class Self(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.me = self  # registered as its own child

        def forward(self, x):
            return self.me(self.fc(x))

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return self.other(self.fc(x))

    def mutual():
        a, b = Holder(), Holder()
        a.other, b.other = b, a  # two modules that contain each other
        return a

    class Recurses(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x, n=100_000):
            return self.forward(self.fc(x), n - 1) if n else x
""")


@pytest.mark.parametrize("target,words", [("deep", f"more than {MAX_NESTING} deep"), ("Self", "contains itself"),
                                          ("mutual", "contains itself"), ("Recurses", "recurses deeper")])
def test_unwalkable_trees_are_one_line_exit_2(tmp_path, target, words):
    (tmp_path / "t.py").write_text(TREES)
    err = one_line_error(runner.invoke(app, ["summary", f"{tmp_path / 't.py'}:{target}", "-i", "4"]))
    assert words in err


def test_deep_but_allowed_nesting_is_exact():
    m = nn.Linear(4, 4)
    for _ in range(MAX_NESTING):
        m = nn.Sequential(m)
    limit = sys.getrecursionlimit()
    a = analyze(m, (4,))
    assert (a.totals.macs, a.totals.params) == (16, 20) and a.layers[-1].depth == MAX_NESTING
    assert sys.getrecursionlimit() == limit  # the room made for the analysis is given back


def test_a_cycle_from_python_is_refused():
    m = nn.Sequential(nn.Linear(4, 4))
    m.add_module("again", m)
    with pytest.raises(ArchscopeError, match="contains itself"):
        analyze(m, (4,))
