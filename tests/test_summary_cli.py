"""`archscope summary` as a user drives it, bad input included."""

import json

import pytest
from typer.testing import CliRunner

from archscope.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def one_line_error(r, code=2):
    assert r.exit_code == code, r.stdout + r.stderr
    err = r.stderr.strip()
    assert err.startswith("archscope: error:") and "\n" not in err and "Traceback" not in err
    return err


def test_table_has_rows_and_totals():
    r = run("summary", "resnet34")
    assert r.exit_code == 0
    out = r.stdout
    assert "layer4.2" in out and "BasicBlock" in out
    assert "parameters: 21,797,672" in out
    assert "MACs: 3,663,761,408" in out  # torchvision publishes 3.664 GFLOPS
    assert "training memory" in out and "uncounted ops: none" in out


def test_json_contract():
    r = run("summary", "resnet18", "--format", "json", "--batch", "2")
    d = json.loads(r.stdout)
    assert d["model"] == "resnet18" and d["input_shape"] == [2, 3, 224, 224] and d["device"] == "meta"
    assert set(d["totals"]) >= {"params", "trainable_params", "macs", "flops", "train_flops", "param_bytes",
                                "activation_bytes", "train_memory_bytes"}
    assert {"flops_by_category", "uncounted_ops", "layers"} <= set(d)
    layer = d["layers"][1]
    assert set(layer) >= {"name", "type", "depth", "input_shape", "output_shape", "params", "macs", "flops",
                          "activation_bytes", "receptive_field"}
    assert isinstance(d["totals"]["macs"], int) and d["totals"]["params"] == 11_689_512


def test_csv_is_exact_integers():
    r = run("summary", "lenet5", "--format", "csv")
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("name,type,depth")
    c1 = next(l for l in lines if l.startswith("c1,"))
    assert ",156,156,117600," in c1  # params, trainable, MACs = 28*28*6*25


def test_markdown_and_depth():
    r = run("summary", "vgg16", "--format", "markdown", "--depth", "1")
    assert r.exit_code == 0 and r.stdout.startswith("| layer") and "features.0" not in r.stdout


def test_user_module_callable(tmp_path):
    r = run("summary", "tests/data/user_model.py:TinyNet", "--input", "3x32x32")
    assert r.exit_code == 0
    assert f"parameters: {3 * 8 * 9 + 8 + 8 * 10 + 10:,}" in r.stdout


@pytest.mark.parametrize("bad", ["3x224", "abc", "0x224x224", "3x-1x224", "3x224x224x5"])
def test_malformed_input(bad):
    err = one_line_error(run("summary", "resnet18", "--input", bad))
    assert "input" in err


def test_input_too_small_names_layer_and_smallest():
    err = one_line_error(run("summary", "alexnet.torchvision", "--input", "3x32x32"))
    # torchvision publishes AlexNet_Weights meta "min_size": (63, 63)
    assert "too small" in err and "features" in err and "3x63x63" in err


def test_googlenet_smallest_input_matches_torchvision_min_size():
    err = one_line_error(run("summary", "googlenet.torchvision", "--input", "3x8x8"))
    assert "3x15x15" in err  # GoogLeNet_Weights meta "min_size": (15, 15)


def test_fixed_classifier_input_says_what_works():
    err = one_line_error(run("summary", "vgg16", "--input", "3x32x32"))
    assert "classifier.0 (Linear)" in err and "3x224x224" in err


@pytest.mark.parametrize("spec,msg", [
    ("no_such_module_xyz:Net", "cannot import"),
    ("tests/data/user_model.py:Missing", "no attribute"),
    ("tests/data/user_model.py:not_a_model", "not a torch.nn.Module"),
    ("tests/data/user_model.py:broken", "boom"),
    ("tests/data/nope.py:Net", "no such file"),
])
def test_bad_callable(spec, msg):
    err = one_line_error(run("summary", spec, "--input", "3x32x32"))
    assert msg in err


def test_callable_needs_input():
    assert "--input" in one_line_error(run("summary", "tests/data/user_model.py:TinyNet"))


def test_unknown_format_and_model():
    assert run("summary", "resnet18", "--format", "yaml").exit_code == 2
    assert "unknown model" in one_line_error(run("summary", "resnet19"))


# ---- several inputs, token ids, builder arguments -------------------------------------------------

MODELS = "tests/data/nn_models.py"


def test_two_inputs_from_the_cli():
    r = run("summary", f"{MODELS}:ImageAndTokens", "-i", "3x8x8", "-i", "5:long", "-b", "2", "--arg",
            "num_classes=3", "-f", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["input_shape"] == [[2, 3, 8, 8], [2, 5]]
    assert [i["dtype"] for i in d["inputs"]] == ["float32", "int64"]
    # by hand: conv 3->16, 3x3, on 6x6 outputs: 2 x 36 x 16 x 27; head 16 -> 3 (num_classes=3): 2 x 16 x 3
    assert d["totals"]["macs"] == 2 * 36 * 16 * 27 + 2 * 16 * 3
    # embedding 100 x 16 + conv 16 x 27 + 16 + head 16 x 3 + 3
    assert d["totals"]["params"] == 1600 + 16 * 27 + 16 + 48 + 3
    table = run("summary", f"{MODELS}:ImageAndTokens", "-i", "3x8x8", "-i", "5:long")
    assert "input: 1x3x8x8 float32, 1x5 int64" in table.stdout


def test_token_id_model_counts_everything():
    r = run("summary", f"{MODELS}:TokenClassifier", "-i", "12:long", "-f", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["uncounted_ops"] == {}
    n, e, f = 12, 32, 64  # tokens, width, feed-forward width
    # attention block (4 projections e x e per token, Q.K^T and A.V n x n x e) + feed-forward + head
    assert d["totals"]["macs"] == 4 * n * e * e + 2 * n * n * e + 2 * n * e * f + e * 4
    assert d["flops_by_category"]["attention"] > 0 and d["flops_by_category"]["norm"] == 2 * 8 * n * e


@pytest.mark.parametrize("args,msg", [
    (["-i", "12:cheese"], "unknown dtype"),
    (["-i", "12:long", "--arg", "vocab"], "KEY=VALUE"),
    (["-i", "12:long", "--arg", "vocab=10", "--arg", "vocab=20"], "given twice"),
    (["-i", "12:long", "--arg", "nope=1"], "unexpected keyword argument 'nope'"),
    (["-i", "12x0:long"], "positive"),
])
def test_bad_inputs_and_arguments(args, msg):
    assert msg in one_line_error(run("summary", f"{MODELS}:TokenClassifier", *args))


def test_zoo_knob_by_arg():
    r = run("summary", "resnet18", "--arg", "num_classes=10", "-f", "json")
    assert r.exit_code == 0, r.stderr
    # torchvision's resnet18 has 11,689,512 parameters with 1000 classes; 10 classes: 512 x 990 + 990 fewer
    assert json.loads(r.stdout)["totals"]["params"] == 11_689_512 - 990 * 513
    assert "pins depth=18" in one_line_error(run("summary", "resnet18", "--arg", "depth=34"))


def test_training_memory_at_batch_1_extrapolated_and_marked():
    """ResNet-18 on 32x32 ends on a 1x1 map: batch norm cannot train at batch 1. Saved activations are
    affine in the batch, so batch 1's are 2 x batch 2's - batch 3's (both observed here)."""
    from archscope.analysis import analyze

    one = analyze("resnet18", (3, 32, 32))
    two, three = (analyze("resnet18", (3, 32, 32), batch=b).totals.saved_activation_bytes for b in (2, 3))
    assert one.totals.saved_activation_bytes == 2 * two - three
    assert one.memory["saved_activations_extrapolated"] is True
    assert analyze("resnet18").memory["saved_activations_extrapolated"] is False  # 224: observed
    out = run("summary", "resnet18", "-i", "3x32x32").stdout
    assert "extrapolated from batches 2 and 3" in out.splitlines()[-1]


@pytest.mark.parametrize("spec", ["3x", "3xx32x32", "3x32x32:", "3_2x32x32", "٣x32x32"])
def test_malformed_input_specs(spec):
    assert "--input" in one_line_error(run("summary", "lenet5", "-i", spec))


def test_zoo_knob_of_the_wrong_type_is_a_clean_error():
    err = one_line_error(run("summary", "lenet.d2l", "--arg", "activation=[1]"))
    assert "cannot be built with activation=[1]" in err


def test_in_channels_changes_the_default_input():
    r = run("summary", "resnet18", "--arg", "in_channels=1", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["input_shape"] == [1, 1, 224, 224]


def test_compare_diff_diagram_take_several_inputs(tmp_path):
    r = run("diff", f"{MODELS}:ImageAndTokens", f"{MODELS}:ImageAndTokens", "-i", "3x8x8", "-i", "5:long")
    assert r.exit_code == 0 and "the same network" in r.stdout
    r = run("diagram", f"{MODELS}:ImageAndTokens", "-i", "3x8x8", "-i", "5:long", "--arg", "num_classes=3",
            "-f", "dot", "-o", str(tmp_path / "d.dot"))
    assert r.exit_code == 0, r.stderr
    dot = (tmp_path / "d.dot").read_text()
    assert "input 1" in dot and "input 2" in dot
    r = run("compare", "resnet18", "resnet34", "-i", "3x32x32", "-f", "json")
    assert r.exit_code == 0, r.stderr
