"""Ablation sweeps: the planner and the aggregation as pure functions (expected
values worked out by hand beside each test), then short real sweeps on CPU."""

import json
import math
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from archscope.cli import app
from archscope.errors import ArchscopeError
from archscope.probe.experiments import EXPERIMENTS
from archscope.probe.sweep import Run, aggregate, check_factors, parse_vary, plan, run_sweep
from archscope.render.charts import plt
from archscope.render.sweep import chart_groups, chart_stems, render_markdown, render_table, sweep_figure, write_charts
from archscope.zoo import get_model, model_info

runner = CliRunner()


# ---- parsing and validation -----------------------------------------------------

def test_parse_vary_types():
    assert parse_vary("lr=0.1,0.5,1") == ("lr", [0.1, 0.5, 1])
    assert parse_vary("batch-size=8,16") == ("batch_size", [8, 16])
    assert parse_vary("activation=sigmoid, relu") == ("activation", ["sigmoid", "relu"])
    assert parse_vary("conv1_kernel_size=none,3") == ("conv1_kernel_size", [None, 3])
    for bad in ("lr", "lr=", "=1,2", "lr=0.1,0.1"):
        with pytest.raises(ArchscopeError):
            parse_vary(bad)


def test_check_factors():
    knobs = model_info("lenet.d2l").knobs()
    assert check_factors({"lr": [1, 0.5]}, knobs, "lenet.d2l") == {"lr": [1.0, 0.5]}
    assert check_factors({"pool": ["avg", "max"]}, knobs, "lenet.d2l") == {"pool": ["avg", "max"]}
    with pytest.raises(ArchscopeError, match="no setting or knob 'width'.*activation"):
        check_factors({"width": [1]}, knobs, "lenet.d2l")
    with pytest.raises(ArchscopeError, match="not a valid int"):
        check_factors({"batch_size": [8.5]}, knobs, "lenet.d2l")
    with pytest.raises(ArchscopeError, match="not a valid float"):
        check_factors({"lr": ["fast"]}, knobs, "lenet.d2l")
    with pytest.raises(ArchscopeError, match="steps or epochs"):
        check_factors({"steps": [1], "epochs": [1]}, knobs, "lenet.d2l")
    # resnet18 has no activation knob: a clear error, before anything runs
    with pytest.raises(ArchscopeError, match="resnet18 has no setting or knob 'activation'"):
        check_factors({"activation": ["relu"]}, model_info("resnet18").knobs(), "resnet18")


# ---- the planner ------------------------------------------------------------------

def test_one_factor_plan_around_the_base():
    # base lr 0.9, sigmoid: the base first, then lr's other values with sigmoid,
    # then relu with lr 0.9 -- 1 + 2 + 1 = 4 settings (the base is not repeated)
    got = plan({"lr": [0.5, 0.9, 1.3], "activation": ["sigmoid", "relu"]},
               {"lr": 0.9, "activation": "sigmoid"})
    assert got == [{"lr": 0.9, "activation": "sigmoid"}, {"lr": 0.5, "activation": "sigmoid"},
                   {"lr": 1.3, "activation": "sigmoid"}, {"lr": 0.9, "activation": "relu"}]


def test_single_factor_plan_is_its_values_in_order():
    assert plan({"batch_size": [2, 4, 8]}, {}) == [{"batch_size": 2}, {"batch_size": 4}, {"batch_size": 8}]


def test_grid_plan_is_the_product():
    got = plan({"lr": [0.1, 0.2], "pool": ["avg", "max"], "kernel_size": [3, 5]}, {}, grid=True)
    assert len(got) == 2 * 2 * 2
    assert got[0] == {"lr": 0.1, "pool": "avg", "kernel_size": 3}
    assert got[-1] == {"lr": 0.2, "pool": "max", "kernel_size": 5}
    assert len({repr(sorted(s.items())) for s in got}) == 8


def test_one_factor_plan_needs_base_values():
    with pytest.raises(ArchscopeError, match="no base value for pool"):
        plan({"lr": [0.1], "pool": ["max"]}, {"lr": 0.9})


@given(st.dictionaries(st.sampled_from(["a", "b", "c"]),
                       st.lists(st.integers(0, 4), min_size=1, max_size=4, unique=True), min_size=1),
       st.integers(0, 4))
def test_plan_properties(factors, b):
    base = {k: b for k in factors}
    one = plan(factors, base)
    # one-factor: no duplicates; every setting differs from the base in at most one key;
    # every value of every factor appears; count = 1 + sum(values != base) when >1 factor
    assert len({repr(sorted(s.items())) for s in one}) == len(one)
    assert all(sum(s[k] != base[k] for k in factors) <= 1 for s in one)
    for k, vals in factors.items():
        assert {s[k] for s in one} >= set(vals)
    if len(factors) > 1:
        assert len(one) == 1 + sum(v != b for vals in factors.values() for v in vals)
    assert len(plan(factors, base, grid=True)) == math.prod(len(v) for v in factors.values())


# ---- aggregation ------------------------------------------------------------------

def _run(setting, rep, loss, tr, te, ok=True, error=None):
    return Run(setting, rep, rep, ok, loss, tr, te, error=error)


def test_aggregate_mean_sample_std_failures_and_best():
    a, b, c = {"lr": 0.1}, {"lr": 0.5}, {"lr": 2.0}
    runs = [_run(a, 0, 1.0, 0.5, 0.5), _run(a, 1, 0.8, 0.7, 0.7), _run(a, 2, 0.6, 0.9, 0.9),
            _run(b, 0, 0.5, 0.9, 0.8), _run(b, 1, 0.5, 0.9, 0.8), _run(b, 2, None, None, None, False, "non-finite"),
            _run(c, 0, None, None, None, False, "out of memory at batch size 64")]
    rows = aggregate(runs, [a, b, c])
    ra, rb, rc = rows
    # a: test accs 0.5, 0.7, 0.9 -> mean 0.7; sample std sqrt(((-.2)^2 + 0 + .2^2) / 2) = 0.2
    assert ra.mean["test_accuracy"] == pytest.approx(0.7)
    assert ra.std["test_accuracy"] == pytest.approx(0.2)
    assert ra.mean["final_loss"] == pytest.approx(0.8) and ra.std["final_loss"] == pytest.approx(0.2)
    # b: two successful runs of 0.8 (std 0), one failure counted and its reason kept
    assert (rb.runs, rb.failed, rb.errors) == (3, 1, ["non-finite"])
    assert rb.mean["test_accuracy"] == pytest.approx(0.8) and rb.std["test_accuracy"] == 0
    # c: nothing succeeded
    assert rc.mean["test_accuracy"] is None and rc.std["test_accuracy"] is None and rc.failed == 1
    assert [r.best for r in rows] == [False, True, False]  # 0.8 > 0.7


def test_best_ties_go_to_the_lower_loss_and_one_run_has_no_std():
    a, b = {"k": 1}, {"k": 2}
    rows = aggregate([_run(a, 0, 0.9, 0.5, 0.6), _run(b, 0, 0.4, 0.5, 0.6)])
    assert [r.best for r in rows] == [False, True]
    assert rows[0].std["test_accuracy"] is None


# ---- rendering --------------------------------------------------------------------

def _fake_result(factors, base, runs, grid=False):
    from archscope.probe.sweep import SweepResult

    settings = plan(factors, base, grid)
    return SweepResult(model="lenet.d2l", factors=factors, base=base, grid=grid, repeats=2,
                       settings={}, seed=4, runs=runs, rows=aggregate(runs, settings))


def test_table_chart_and_markdown(tmp_path):
    f = {"lr": [0.1, 0.9], "pool": ["avg", "max"]}
    base = {"lr": 0.9, "pool": "avg"}
    runs = []
    for s, acc in (({"lr": 0.9, "pool": "avg"}, 0.8), ({"lr": 0.1, "pool": "avg"}, 0.5),
                   ({"lr": 0.9, "pool": "max"}, 0.6)):
        runs += [_run(s, 0, 1 - acc, acc, acc), _run(s, 1, 1 - acc, acc + 0.02, acc + 0.02)]
    res = _fake_result(f, base, runs)
    table = render_table(res)
    best_line = next(line for line in table.splitlines() if line.rstrip().endswith("best"))
    assert best_line.split()[:2] == ["0.9", "avg"] and "0.810 ± 0.014" in best_line
    # one chart per factor: lr's points sorted by value, both through the base setting
    groups = dict(chart_groups(res))
    assert [x for x, _ in groups["lr"]] == ["0.1", "0.9"] and [x for x, _ in groups["pool"]] == ["avg", "max"]
    assert [stem for stem, _, _ in chart_stems(res)] == ["sweep-lr", "sweep-pool"]
    # lr is a number: its points joined in order; pool is a category: points alone, no line between them
    for stem, title, pts in chart_stems(res):
        fig = sweep_figure(res, title, pts)
        for ax in fig.axes:  # per metric: the mean of each of the two settings, and the best one ringed
            lines = [line for line in ax.get_lines() if line.get_linestyle() not in ("--", "None")]
            points = [line for line in ax.get_lines() if line.get_marker() == "o"]
            assert len(lines) == (1 if stem == "sweep-lr" else 0), stem
            assert sum(len(line.get_xdata()) for line in points) == 2 + 1
        plt().close(fig)
    written = write_charts(res, tmp_path)
    assert sorted(p.name for p in written) == ["sweep-lr.png", "sweep-lr.svg", "sweep-pool.png", "sweep-pool.svg"]
    ET.fromstring((tmp_path / "sweep-pool.svg").read_text())
    assert (tmp_path / "sweep-lr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| lr" in render_markdown(res) and "seeds 4..5" in render_markdown(res)


# ---- real sweeps (CPU, a few seconds) -----------------------------------------

def test_sweep_runs_records_failures_and_goes_on():
    res = run_sweep("lenet.d2l", {"conv1_kernel_size": [3, 40], "lr": [0.003, 1e38]}, repeats=2,
                    probe_kwargs=dict(device="cpu", steps=20, optimizer="sgd"))
    by = {(r.setting["conv1_kernel_size"], r.setting["lr"]): r for r in res.rows}
    # base: conv1 = the builder's default (None: kernel_size), lr = 0.003 is not the base, so
    # the plan is base (None, 0.01 sgd default) + 3, 40 at lr 0.01 + 0.003, 1e38 at conv1 None
    assert set(by) == {(None, 0.01), (3, 0.01), (40, 0.01), (None, 0.003), (None, 1e38)}
    assert by[(40, 0.01)].failed == 2 and "leave no spatial extent" in by[(40, 0.01)].errors[0]
    assert by[(None, 1e38)].failed == 2 and "non-finite loss" in by[(None, 1e38)].errors[0]
    assert by[(3, 0.01)].failed == 0 and by[(3, 0.01)].mean["test_accuracy"] is not None
    assert {r.seed for r in res.runs if r.setting == {"conv1_kernel_size": 3, "lr": 0.01}} == {0, 1}
    assert len(res.runs) == 5 * 2


def test_sweep_cli_writes_table_json_markdown_and_charts(tmp_path):
    r = runner.invoke(app, ["sweep", "lenet.d2l", "--vary", "activation=sigmoid,relu", "--repeats", "2",
                            "--steps", "30", "--device", "cpu", "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert "best" in r.stdout and "ok runs" in r.stdout
    data = json.loads((tmp_path / "out" / "sweep.json").read_text())
    assert len(data["runs"]) == 4 and [row["setting"]["activation"] for row in data["rows"]] == ["sigmoid", "relu"]
    assert (tmp_path / "out" / "sweep.md").read_text().startswith("# Sweep: lenet.d2l")
    ET.fromstring((tmp_path / "out" / "sweep-activation.svg").read_text())
    assert (tmp_path / "out" / "sweep-activation.png").is_file()
    # the JSON holds everything the renderers need
    from archscope.probe.sweep import SweepResult

    again = SweepResult.from_dict(data)
    assert render_markdown(again) == (tmp_path / "out" / "sweep.md").read_text()


@pytest.mark.parametrize("args, message", [
    (["lenet.d2l", "--vary", "width=1,2"], "has no setting or knob 'width'"),
    (["lenet.d2l"], "at least one --vary"),
    (["lenet.d2l", "--vary", "lr=0.1", "--vary", "lr=0.2"], "given twice"),
    (["lenet.d2l", "--vary", "lr=0.1", "--repeats", "0"], "--repeats must be a positive integer"),
    (["--recipe", "lenet-fmnist-nope"], "unknown sweep recipe"),
    (["lenet.d2l", "--recipe", "lenet-fmnist-lr"], "give neither"),
])
def test_sweep_cli_errors(args, message):
    r = runner.invoke(app, ["sweep", *args])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output


ABLATIONS = {k: e for k, e in EXPERIMENTS.items() if e.factors}


def test_recipes_say_what_is_missing(tmp_path):
    for name in ABLATIONS:
        r = runner.invoke(app, ["sweep", "--recipe", name, "--data-dir", str(tmp_path)])
        assert r.exit_code == 2 and "not found" in r.output and "idx" in r.output, (name, r.output)


def test_recipes_are_the_articles_tables():
    # article 002 (shared/sources/002): lr "from 0 to 1.7, step 0.1" (line 514; Table 3 prints
    # 0.9-1.7), batch 2..1024 in powers of two (line 620), C1 kernel 3-5 (line 838, Table 7),
    # pooling size 2 -> 1 (line 878, Table 8), each setting 10 runs; d2l's base (lines 351, 382, 414):
    # plain SGD at lr 0.9, batch 256, 10 epochs, xavier_uniform_ weights (line 378)
    assert ABLATIONS["lenet-fmnist-lr"].factors["lr"] == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0,
                                                          1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7]
    assert [s["lr"] for s in ABLATIONS["lenet-fmnist-lr"].to_check()] == [0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6,
                                                                           1.7]
    assert ABLATIONS["lenet-fmnist-batch"].factors["batch_size"] == [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
    assert ABLATIONS["lenet-fmnist-kernel"].factors == {"conv1_kernel_size": [3, 4, 5]}
    assert ABLATIONS["lenet-fmnist-poolsize"].factors == {"pool_size": [2, 1]}
    for e in ABLATIONS.values():
        c = e.config
        assert (c.lr, c.batch_size, c.epochs, c.optimizer, c.momentum, c.init, c.scaling) == \
            (0.9, 256, 10, "sgd", 0.0, "xavier_uniform", "unit")
    assert all(e.repeats == 10 for k, e in ABLATIONS.items() if k != "lenet-fmnist-epochs")
    for e in ABLATIONS.values():  # every knob a recipe varies exists on its model
        check_factors(e.factors, model_info(e.config.model).knobs(), e.config.model)


def test_conv1_kernel_knob_keeps_the_dense_input():
    # d2l pads C1 by 2: 28 + 4 - k + 1 = 30/29/28 -> pool 15/14/14 -> C3 (5x5) 11/10/10 -> pool 5: 16*5*5 = 400
    for k in (3, 4, 5):
        assert get_model("lenet.d2l", conv1_kernel_size=k)[7].in_features == 400
        assert get_model("lenet.d2l", conv1_kernel_size=k)[0].kernel_size == (k, k)
    # pooling size 1: 28 -> 28 -> 24 -> 24: 16 * 24 * 24 = 9216
    assert get_model("lenet.d2l", pool_size=1)[7].in_features == 9216
    # article 002's Table 8 reading: the pooling kernel 1 with d2l's stride 2 kept (line 836 varies
    # kernel sizes): 28 -> (28 - 1) // 2 + 1 = 14 -> 10 -> (10 - 1) // 2 + 1 = 5: 16 * 5 * 5 = 400
    m = get_model("lenet.d2l", pool_size=1, pool_stride=2)
    assert m[7].in_features == 400 and (m[2].kernel_size, m[2].stride) == (1, 2)


# ---- the loss column: the quantity the source reports ---------------------------------------------

def test_recipes_report_d2ls_epoch_figures():
    # d2l's train_ch6 (article 002, lines 389-410) accumulates l * X.shape[0], the correct count and the
    # images over each epoch and prints train_l = metric[0] / metric[2] and train_acc = metric[1] / metric[2]
    # after the last: the running means of the last epoch in training mode, which Tables 3-10 copy
    from archscope.probe.config import TrainConfig
    from archscope.probe.sweep import EPOCH_METRICS, METRICS, metrics_for

    for e in ABLATIONS.values():
        assert metrics_for(e.config) == EPOCH_METRICS == ("epoch_loss", "epoch_accuracy", "test_accuracy")
    assert metrics_for(TrainConfig("lenet5", steps=100)) == METRICS  # a number of steps: the last window
    # whole epochs with the training split evaluated: the eval-mode train accuracy beside the epoch loss
    assert metrics_for(TrainConfig("lenet5", epochs=2)) == ("epoch_loss", "train_accuracy", "test_accuracy")


def test_an_epoch_sweep_shows_the_last_epochs_mean_loss(tmp_path):
    # 64 training images at batch 500: an epoch is one step of 64, so the last epoch's running mean
    # loss is that step's loss, which is also the mean of the last (one-step) window: the same number
    # reached by the two code paths
    from test_datasets import tiny_set, write_set

    from archscope.probe.config import TrainConfig

    folder = write_set(tmp_path / "d", tiny_set(n=64))
    cfg = TrainConfig("lenet.d2l", dataset="fashion-mnist", data_dir=str(folder), batch_size=500, epochs=1,
                      device="cpu", eval_train=False)
    res = run_sweep(cfg, {"lr": [1e-3, 2e-3]}, repeats=1)
    assert res.metrics == ["epoch_loss", "epoch_accuracy", "test_accuracy"]
    for row, run in zip(res.rows, res.runs, strict=True):
        assert row.mean["epoch_loss"] == run.epoch_loss == pytest.approx(run.final_loss, rel=1e-6)
    table = render_table(res)
    assert "train loss, last epoch (mean ± std)" in table and "train accuracy, last epoch" in table
    assert "running mean of the training loss over the last epoch" in render_markdown(res)
