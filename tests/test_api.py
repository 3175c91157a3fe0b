"""archscope as a library: the application layer (archscope.api), the results' displays, and the thin CLI
over it (issue 25).

Expected numbers are hand arithmetic, written out in tests/data/user_builder.py's docstring: the user
builder at width 8 has 914 parameters and 811,088 MACs at 3x32x32; at width 16, 3*16*9+16 (conv1) + 2*16 (BN)
+ 16*16*9+16 (conv2) + 16*10+10 (linear) = 448 + 32 + 2,320 + 170 = 2,970.
"""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import archscope
from archscope import api
from archscope.cli import FLAGS, app, cli_message
from archscope.errors import ArchscopeError, MissingDependency

runner = CliRunner()
ROOT = Path(__file__).parents[1]
BUILDER = "tests/data/user_builder.py:build"
W8_PARAMS, W8_MACS, W16_PARAMS = 914, 811_088, 2_970


def _build(width=8):
    import torch

    torch.manual_seed(0)
    from importlib import util

    spec = util.spec_from_file_location("user_builder", ROOT / "tests/data/user_builder.py")
    mod = util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.build(width)


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # the reference tests/data/user_builder.py:build is relative to the repository


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


# ---- the package root ----------------------------------------------------------------------------

def test_import_archscope_does_not_import_torch():
    code = "import sys, archscope; archscope.__version__; print(sorted(m for m in sys.modules if m == 'torch'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_fresh_interpreter_summary_is_the_cli_table():
    """The issue's own check: in a fresh interpreter, the summary of get_model('resnet18') prints the table
    `archscope summary resnet18` prints."""
    code = "import archscope; m = archscope.get_model('resnet18'); print(archscope.summary(m, (3, 224, 224)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    r = cli("summary", "resnet18")
    assert r.exit_code == 0 and out == r.stdout
    assert "parameters: 11,689,512" in out  # torchvision's ResNet18_Weights.IMAGENET1K_V1 num_params


def test_every_name_in_all_resolves():
    for name in archscope.__all__:
        assert getattr(archscope, name) is not None, name


def test_probe_and_claims_are_the_subpackages_and_the_functions():
    import archscope.claims as claims_pkg

    assert claims_pkg.CLAIMS and archscope.claims is claims_pkg
    from archscope.results import ClaimsReport

    report = archscope.claims(source="article 000")
    assert isinstance(report, ClaimsReport) and report.evaluations
    import archscope.probe.train as train

    assert train.run and callable(archscope.probe)


# ---- summary, compare, diff of user modules ----------------------------------------------------------

def test_summary_of_a_users_module_is_the_cli_table_of_its_reference():
    s = archscope.summary(_build(), (3, 32, 32))
    r = cli("summary", BUILDER, "--input", "3x32x32")
    assert r.exit_code == 0, r.output
    assert str(s).replace("model: Sequential ", f"model: {BUILDER} ") + "\n" == r.stdout
    t = s.analysis.totals
    assert (t.params, t.macs) == (W8_PARAMS, W8_MACS)


def test_compare_accepts_modules_and_tells_two_of_one_class_apart():
    c = archscope.compare([_build(8), _build(16)], (3, 32, 32))
    assert [m.model for m in c.comparison.models] == ["Sequential", "Sequential #2"]
    assert [m.params for m in c.comparison.models] == [W8_PARAMS, W16_PARAMS]
    assert c.comparison.models[1].ratios["params"] == pytest.approx(W16_PARAMS / W8_PARAMS)
    two = archscope.compare([_build(8), _build(16)], (3, 32, 32), baseline=1)
    assert two.comparison.baseline == "Sequential #2"
    with pytest.raises(ArchscopeError, match="compare needs at least two models"):
        archscope.compare([_build()], (3, 32, 32))


def test_diff_of_two_modules():
    d = archscope.diff(_build(8), _build(16), (3, 32, 32))
    assert not d.same and d.diff.delta("params") == W16_PARAMS - W8_PARAMS


def test_compare_of_zoo_names_is_the_cli_json():
    c = archscope.compare(["resnet18", "resnet34"])
    r = cli("compare", "resnet18", "resnet34", "-f", "json")
    assert r.exit_code == 0 and c.to_dict() == json.loads(r.stdout)
    assert str(c) + "\n" == cli("compare", "resnet18", "resnet34").stdout


def test_errors_name_the_argument_and_the_cli_its_flag():
    with pytest.raises(ArchscopeError, match="give `input_size`"):
        archscope.summary(BUILDER)
    r = cli("summary", BUILDER)
    assert r.exit_code == 2 and "give --input" in r.output and "`" not in r.output
    with pytest.raises(ArchscopeError, match="`input_size` is a tuple of sizes"):
        archscope.summary("resnet18", "3x224x224")  # the library parses no strings: the CLI does
    with pytest.raises(ArchscopeError, match="`dtype` must be float32, float16, bfloat16 or float64"):
        archscope.summary("resnet18", dtype="int8")


def test_every_argument_an_error_names_has_a_flag():
    """Each `name` in a library message (an ArchscopeError or a notice) is in the CLI's one table."""
    named = set()
    for path in (ROOT / "archscope").rglob("*.py"):
        if path.name in ("cli.py", "cli_options.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                    "ArchscopeError", "notice", "MissingDependency"):
                text = ast.unparse(node)
                named |= set(re.findall(r"(?<!`)`([a-z_]+)`(?!`)", text))
    assert named and named - set(FLAGS) == set()
    assert cli_message("give `input_size` or `batch_size`; see `archscope list`") == \
        "give --input or --batch-size; see `archscope list`"


# ---- every result displays itself ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("api")
    with pytest.MonkeyPatch.context() as mp:  # conftest's isolation is per test; this fixture is per module
        mp.setenv("ARCHSCOPE_HOME", str(out / "home"))
        mp.setenv("ARCHSCOPE_OFFLINE", "1")
        return _results(out)


def _results(out):
    return {
        "summary": archscope.summary("resnet18"),
        "catalog": archscope.catalog("resnet*"),
        "info": archscope.info("googlenet.tutorial"),
        "compare": archscope.compare(["alexnet", "vgg16"]),
        "diff": archscope.diff("resnet50", "resnet50.torchvision"),
        "diagram": archscope.diagram("lenet5", output=out / "lenet5.svg"),
        "claims": archscope.claims(source="article 000"),
        "data": archscope.data_list(),
        "report": archscope.report(["lenet5"], out / "reports"),
    }


@pytest.mark.parametrize("kind", ["summary", "catalog", "info", "compare", "diff", "diagram", "claims", "data",
                                  "report"])
def test_repr_is_one_short_line_and_html_a_table(results, kind):
    r = results[kind]
    text = repr(r)
    assert "\n" not in text and len(text) < 200 and text.startswith("<")
    assert "<table>" in r._repr_html_() and "</table>" in r._repr_html_()
    assert isinstance(r._repr_markdown_(), str) and r._repr_markdown_().strip()
    assert str(r).strip()


def test_a_long_name_still_gives_a_short_repr():
    s = archscope.summary(BUILDER, (3, 32, 32))
    s.analysis.model = "x" * 500
    assert len(repr(s)) < 200 and repr(s).endswith("…>")


@pytest.mark.parametrize("kind, args", [
    ("summary", ["summary", "resnet18", "-f", "json"]),
    ("catalog", ["list", "resnet*", "-f", "json"]),
    ("diff", ["diff", "resnet50", "resnet50.torchvision", "-f", "json"]),
    ("claims", ["claims", "--source", "article 000", "-f", "json"]),
    ("data", ["data", "list", "-f", "json"]),
])
def test_to_dict_is_the_cli_json(results, kind, args):
    r = cli(*args)
    assert r.exit_code in (0, 1), r.output  # diff exits 1 for "different"
    result = archscope.data_list() if kind == "data" else results[kind]  # data: this test's $ARCHSCOPE_HOME
    assert result.to_dict() == json.loads(r.stdout)


@pytest.mark.parametrize("kind, args", [
    ("summary", ["summary", "resnet18", "-f", "markdown"]),
    ("catalog", ["list", "resnet*", "-f", "markdown"]),
    ("claims", ["claims", "--source", "article 000", "-f", "markdown"]),
])
def test_markdown_is_the_cli_markdown(results, kind, args):
    assert results[kind]._repr_markdown_() + "\n" == cli(*args).stdout


def test_to_dataframe_filters_claims_and_needs_pandas(results, monkeypatch):
    pytest.importorskip("pandas")
    df = results["claims"].to_dataframe()
    expected_rows = len(results["claims"].evaluations)
    assert len(df) == expected_rows and set(df.outcome) <= {"holds", "does not hold", "cannot be checked here",
                                                             "inconsistent source", "error", "not determined"}
    assert len(results["summary"].to_dataframe()) == len(results["summary"].analysis.layers)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingDependency, match=r"pip install 'archscope\[pandas\]'"):
        results["claims"].to_dataframe()


# ---- enums from the data ------------------------------------------------------------------------------

def test_every_source_in_the_zoo_is_accepted_by_list_source():
    from archscope.zoo import list_models, model_info

    present = {model_info(n).source for n in list_models()}
    assert "timm" in present  # inception_v4.timm, inception_resnet_v2.timm
    for source in sorted(present):
        r = cli("list", "--source", source, "-f", "json")
        assert r.exit_code == 0, r.output
        rows = json.loads(r.stdout)
        assert rows and {row["source"] for row in rows} == {source}
        assert len(rows) == sum(model_info(n).source == source for n in list_models())


def test_the_choices_are_the_librarys():
    from archscope.explain.diagnose import METHODS
    from archscope.options import CamMethod, DiagramFormat, Source
    from archscope.render.diagram import FORMATS
    from archscope.zoo._registry import SOURCES

    assert [s.value for s in Source] == list(SOURCES)
    assert [f.value for f in DiagramFormat] == list(FORMATS)  # spelled out in options.py: checked here
    assert [m.value for m in CamMethod] == [*METHODS, "both"]


def test_home_is_read_in_one_place(monkeypatch, tmp_path):
    from archscope.claims.training import user_dir
    from archscope.datasets import data_home
    from archscope.home import archscope_home

    monkeypatch.delenv("ARCHSCOPE_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert archscope_home() == tmp_path / "archscope"  # the XDG base directory spec's cache folder
    assert data_home() == tmp_path / "archscope" / "data" and user_dir() == tmp_path / "archscope" / "training"
    monkeypatch.setenv("ARCHSCOPE_HOME", str(tmp_path / "h"))
    assert data_home() == tmp_path / "h" / "data"
    sources = [p for p in (ROOT / "archscope").rglob("*.py") if '"ARCHSCOPE_HOME"' in p.read_text()]
    assert [p.name for p in sources] == ["home.py"]


# ---- user models in probe, sweep, cam and report (the CLI) --------------------------------------------

def test_probe_sweep_cam_and_report_take_a_users_model(tmp_path):
    weights = tmp_path / "w.safetensors"
    r = cli("probe", BUILDER, "--input", "3x32x32", "--steps", "20", "--save", weights, "-f", "json")
    assert r.exit_code in (0, 1), r.output  # 1: a check failed (20 steps are few), not an error
    (run,) = json.loads(r.stdout)
    assert run["model"] == BUILDER and run["steps"] == 20 and run["settings"]["input"] == [3, 32, 32]
    assert weights.is_file()

    r = cli("sweep", BUILDER, "--input", "3x32x32", "--steps", "5", "--vary", "width=4,8", "--repeats", "1",
            "-f", "json")
    assert r.exit_code == 0, r.output
    sweep = json.loads(r.stdout)
    assert sweep["model"] == BUILDER and [row["setting"] for row in sweep["rows"]] == [{"width": 4}, {"width": 8}]

    r = cli("cam", BUILDER, "--weights", weights, "--count", "16", "-o", tmp_path / "cam", "-f", "json")
    assert r.exit_code == 0, r.output
    cam = json.loads(r.stdout)
    assert cam["model"] == BUILDER and cam["input"] == [3, 32, 32] and {m["method"] for m in cam["methods"]} == {
        "cam", "gradcam"}

    r = cli("report", BUILDER, "--input", "3x32x32", "-o", tmp_path / "rep")
    assert r.exit_code == 0, r.output
    page = (tmp_path / "rep" / "models" / f"{BUILDER.replace('/', '_')}.md").read_text()
    assert "**user model**" in page and f"parameters: {W8_PARAMS:,}" in page


def test_a_user_model_without_an_input_is_told_what_to_pass():
    for args in (["probe", BUILDER], ["sweep", BUILDER, "--vary", "lr=0.1,0.2"], ["report", BUILDER]):
        r = cli(*args)
        assert r.exit_code == 2 and "give --input (C, H, W) for a model that is not in the zoo" in r.output, args
    with pytest.raises(ArchscopeError, match="give `weights`"):
        archscope.cam("resnet20")


def test_probe_and_cam_of_a_module_leave_it_untouched():
    import torch

    m = _build()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    runs = archscope.probe(m, input_size=(3, 32, 32), training=api.Training(steps=5), notice=None)
    assert runs.results[0].model == "Sequential()" and runs.results[0].steps == 5
    assert all(torch.equal(before[k], v) for k, v in m.state_dict().items())
    maps = archscope.cam(m, input_size=(3, 32, 32), count=8, method="gradcam")
    assert maps.report.weights == "(the module's own)" and maps.report.methods[0].method == "gradcam"
    with pytest.raises(ArchscopeError, match="runs in this process only"):
        archscope.sweep(m, "lr", [0.1, 0.2], input_size=(3, 32, 32), jobs=2)


def test_recipe_refuses_settings_naming_them():
    with pytest.raises(ArchscopeError, match=r"`recipe` fixes its whole procedure; `epochs`, `input_size` cannot"):
        archscope.probe(recipe="lenet-fmnist", training=api.Training(epochs=1), input_size=(1, 28, 28))
