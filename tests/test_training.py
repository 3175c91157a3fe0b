"""One training config and one step; the sources' experiments; interrupts and
silent wrong numbers in the probe and the sweep; `claims --train` and its
verdict rule."""

import json
import math
import statistics
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from archscope.claims import CLAIMS
from archscope.claims import training as T
from archscope.claims import verdicts as V
from archscope.claims.schema import Claim, Verdict, printed
from archscope.cli import app
from archscope.errors import ArchscopeError
from archscope.probe import TrainConfig, run
from archscope.probe import train as train_mod
from archscope.probe.experiments import D2L_FMNIST, EXPERIMENTS
from archscope.probe.step import init_weights
from archscope.probe.sweep import run_sweep
from archscope.zoo import get_model, model_info

runner = CliRunner()
SHORT = TrainConfig(model="lenet5", device="cpu", steps=20, overfit_check=False, eval_train=False)


# ---- the config ---------------------------------------------------------------------------

@pytest.mark.parametrize("field, value, message", [
    ("batch_size", 0, "`batch_size` must be a positive integer"),
    ("steps", 0, "`steps` must be a positive integer"),
    ("batch_size", 2 ** 40, "at most 2\\^31"),
    ("lr", 1e300, "`lr` must be a finite number"),
    ("lr", float("nan"), "`lr` must be a finite number"),
    ("optimizer", "rmsprop", "`optimizer` must be one of"),
    ("init", "orthogonal", "`init` must be one of"),
    ("dataset", "imagenet", "`dataset` must be one of"),
])
def test_config_refuses_what_cannot_be_a_run(field, value, message):
    with pytest.raises(ArchscopeError, match=message):
        replace(SHORT, **{field: value}).validate()


def test_batch_size_zero_is_refused_not_defaulted():
    # it used to run at the default 32 while -1 was refused
    r = runner.invoke(app, ["probe", "lenet5", "--device", "cpu", "--batch-size", "0"])
    assert r.exit_code == 2 and "--batch-size must be a positive integer" in r.output
    r = runner.invoke(app, ["sweep", "lenet5", "--vary", "batch_size=0,8", "--device", "cpu", "--steps", "5"])
    assert r.exit_code == 2 and "--batch-size must be a positive integer" in r.output


def test_oom_retry_and_sweeps_vary_the_one_config():
    from archscope.probe.config import with_setting

    c = with_setting(D2L_FMNIST, {"lr": 1.3, "activation": "relu", "steps": 7})
    assert (c.lr, c.overrides, c.steps, c.epochs) == (1.3, {"activation": "relu"}, 7, None)
    assert D2L_FMNIST.lr == 0.9 and D2L_FMNIST.overrides == {}


# ---- the one step ---------------------------------------------------------------------------

def test_detail_times_the_runs_own_step(monkeypatch):
    # --detail used to time an fp32 step without autocast; now it calls the run's train_step
    seen = []
    real = train_mod.train_step

    def spy(model, opt, xb, yb, amp, **kw):
        seen.append((amp.dtype, "after_backward" in kw))
        return real(model, opt, xb, yb, amp, **kw)

    monkeypatch.setattr(train_mod, "train_step", spy)
    r = run(replace(SHORT, precision="bf16", detail=True))
    assert r.time_split_s and set(r.time_split_s) == {"data", "forward_backward", "optimizer"}
    timed = [s for s in seen if s[1]]
    assert len(timed) == 10 and all(d is torch.bfloat16 for d, _ in timed)
    assert all(d is torch.bfloat16 for d, _ in seen)


def test_xavier_init_is_d2ls():
    # d2l's train_ch6 (article 002, line 378): xavier_uniform_ on every Linear/Conv2d weight:
    # bound sqrt(6 / (fan_in + fan_out)); Linear(400, 120): sqrt(6 / 520) = 0.10742. PyTorch's
    # default for the same layer is bounded by 1/sqrt(400) = 0.05.
    torch.manual_seed(0)
    m = get_model("lenet.d2l")
    assert float(m[7].weight.detach().abs().max()) <= 0.05
    b0 = m[7].bias.clone()
    init_weights(m, "xavier_uniform")
    w = m[7].weight.detach()
    assert 0.09 < float(w.abs().max()) <= math.sqrt(6 / 520)
    assert torch.equal(m[7].bias, b0)  # biases untouched


def test_epochs_are_a_dataloaders():
    # DataLoader(shuffle=True, drop_last=False): each epoch a permutation, the last batch smaller.
    # 10 images in batches of 4: 4, 4, 2 per epoch, every image once per epoch
    g = torch.Generator().manual_seed(0)
    it = train_mod.batches(10, 4, g)
    epoch = [next(it) for _ in range(3)]
    assert [len(i) for _, _, i in epoch] == [4, 4, 2] and [last for _, last, _ in epoch] == [False, False, True]
    assert sorted(torch.cat([i for _, _, i in epoch]).tolist()) == list(range(10))
    assert next(it)[0] == 1


def test_throughput_counts_the_images_a_step_saw(tmp_path):
    # 64 training images with --batch-size 500: every step sees 64, not 500
    from test_datasets import tiny_set, write_set

    folder = write_set(tmp_path / "d", tiny_set(n=64))
    r = run(replace(SHORT, model="lenet.d2l", dataset="fashion-mnist", data_dir=str(folder), batch_size=500,
                    steps=30))
    assert r.images_seen == 30 * 64
    # the timed steps (after the warm-up of 3 steps: windows 11-20 and 21-30) each saw 64 images
    assert r.timed["steps"] == 20 and r.timed["images"] == 20 * 64
    assert r.images_per_s == r.timed["images"] / r.timed["seconds"]
    assert any("each step sees 64" in n for n in r.notes)
    assert r.epoch_losses and len(r.epoch_losses) == 30  # one epoch per step


def test_data_memory_is_apart_from_the_training_estimate(tmp_path):
    from test_datasets import tiny_set, write_set

    folder = write_set(tmp_path / "d", tiny_set(n=40))
    r = run(replace(SHORT, model="lenet.d2l", dataset="fashion-mnist", data_dir=str(folder), steps=10))
    # 40 + 20 images of 1x28x28 float32 and their int64 labels
    assert r.data_memory_bytes == 60 * 784 * 4 + 60 * 8
    assert r.data == {"dataset": "fashion-mnist", "where": "--data-dir", "folder": str(folder),
                      "verified": ["not the published files (read as given)"]}


# ---- interrupts -------------------------------------------------------------------------------

@pytest.mark.parametrize("where, stage", [
    ("evaluate", "the evaluation"),
    ("measured_matmul_peak", "measuring the device's peak"),
    ("_overfit_one_batch", "the one-batch overfit check"),
])
def test_ctrl_c_after_training_keeps_the_training_figures(monkeypatch, where, stage):
    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_mod, where, boom)
    r = run(replace(SHORT, overfit_check=True))
    assert r.interrupted and r.stopped == f"interrupted during {stage}"
    assert r.steps == 20 and r.final_loss is not None and r.images_per_s
    if where != "evaluate":
        assert r.test_accuracy is not None


def test_probe_cli_writes_what_finished_and_exits_130(monkeypatch, tmp_path):
    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_mod, "evaluate", boom)
    out = tmp_path / "p.json"
    r = runner.invoke(app, ["probe", "lenet5", "--device", "cpu", "--steps", "20", "-o", str(out)])
    assert r.exit_code == 130, r.output
    data = json.loads(out.read_text())
    assert len(data) == 1 and data[0]["interrupted"] and data[0]["steps"] == 20
    assert data[0]["stopped"] == "interrupted during the evaluation"


def test_ctrl_c_stops_a_sweep_and_keeps_the_finished_runs(monkeypatch):
    calls = []
    real = train_mod.run

    def second_interrupted(cfg, **kw):
        calls.append(cfg.lr)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(cfg, **kw)

    monkeypatch.setattr(train_mod, "run", second_interrupted)
    res = run_sweep(SHORT, {"lr": [1e-3, 2e-3, 3e-3]}, repeats=1)
    assert res.interrupted and len(res.runs) == 1 and calls == [1e-3, 2e-3]


def test_sweep_cli_interrupted_exits_130(monkeypatch, tmp_path):
    def interrupted(cfg, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_mod, "run", interrupted)
    r = runner.invoke(app, ["sweep", "lenet5", "--vary", "lr=0.001,0.002", "--steps", "5", "--device", "cpu",
                            "-o", str(tmp_path / "sw")])
    assert r.exit_code == 130 and (tmp_path / "sw" / "sweep.json").is_file()
    assert json.loads((tmp_path / "sw" / "sweep.json").read_text())["interrupted"] is True


def test_an_unexpected_failure_is_the_runs_and_the_sweep_goes_on(monkeypatch):
    real = train_mod.run

    def flaky(cfg, **kw):
        if cfg.lr == 2e-3:
            raise RuntimeError("something odd")
        return real(cfg, **kw)

    monkeypatch.setattr(train_mod, "run", flaky)
    res = run_sweep(SHORT, {"lr": [1e-3, 2e-3, 3e-3]}, repeats=1)
    assert not res.interrupted and len(res.runs) == 3
    bad = next(r for r in res.runs if r.setting["lr"] == 2e-3)
    assert not bad.ok and bad.error == "RuntimeError: something odd"
    assert all(r.ok for r in res.runs if r.setting["lr"] != 2e-3)


def test_output_paths_are_checked_before_any_work(monkeypatch, tmp_path):
    def never(*a, **k):
        raise AssertionError("worked before checking the output")

    monkeypatch.setattr(train_mod, "run", never)
    for args in (["probe", "lenet5", "-o", str(tmp_path)], ["probe", "lenet5", "--save", str(tmp_path)]):
        r = runner.invoke(app, args + ["--device", "cpu"])
        assert r.exit_code == 2 and "folder" in r.output, r.output
    f = tmp_path / "f"
    f.write_text("x")
    r = runner.invoke(app, ["sweep", "lenet5", "--vary", "lr=0.1", "-o", str(f)])
    assert r.exit_code == 2 and "Traceback" not in r.output


# ---- the experiments ----------------------------------------------------------------------------

def test_every_experiment_is_a_valid_run_of_its_source():
    for e in EXPERIMENTS.values():
        e.config.validate()
        info = model_info(e.config.model)
        for s in e.planned() + e.to_check():
            e.config_for(s).validate()
            for k in s:
                assert k in info.knobs() or hasattr(e.config, k), (e.id, k)
        for label in e.published:  # every printed row is a setting the experiment runs
            assert label in {__import__("archscope.probe.experiments", fromlist=["x"]).setting_label(s)
                             for s in e.planned()} or label == "base", (e.id, label)


def test_d2l_procedure_is_the_printed_one():
    # article 002, lines 351-415: batch 256, SGD(lr=0.9) with no momentum, 10 epochs,
    # xavier_uniform_ weights, ToTensor (pixels / 255)
    c = EXPERIMENTS["lenet-fmnist"].config
    assert (c.model, c.dataset, c.batch_size, c.optimizer, c.lr, c.momentum, c.weight_decay, c.epochs, c.init,
            c.scaling) == ("lenet.d2l", "fashion-mnist", 256, "sgd", 0.9, 0.0, 0.0, 10, "xavier_uniform", "unit")
    # Table 5 (line 760): ReLU in the convolutions only
    assert EXPERIMENTS["lenet-fmnist-activation"].factors == {"activation": ["sigmoid", "relu"]}


def test_every_training_claim_names_an_existing_experiment_or_says_why_not():
    for c in CLAIMS:
        if c.kind != "training":
            continue
        exp = T.experiment_of(c)
        assert exp is None and c.requires or exp in EXPERIMENTS, c.id


# ---- the verdict rule (archscope.claims.verdicts with archscope.claims.stats) -------------------------------

def _claim(expected, decimals=3, **args):
    return Claim("t", "test", "here", "training", "training", (("lenet5",),), expected=expected,
                 tolerance=printed(decimals), experiment="x", args={"metric": "test_accuracy", **args})


def _measured(values, setting=None):
    return T.Measured("x", [{"setting": setting or {}, "seed": i, "ok": True, "test_accuracy": v}
                            for i, v in enumerate(values)], {"date": "2026-12-01", "device": "cpu"})


# seeds 0.80, 0.81, 0.82: mean 0.81, sample std 0.01, t(0.975, 2) = 4.302653 (NIST e-Handbook 1.3.6.7.2: 4.303).
# Against a single-run figure (k = 1) the 95% prediction interval is 0.81 +- 4.302653 * 0.01 * sqrt(1/3 + 1)
# = 0.81 +- 0.0496828 = 0.7603172..0.8596828; against a mean of 10 runs (k = 10):
# 0.81 +- 4.302653 * 0.01 * sqrt(1/3 + 1/10) = 0.81 +- 0.0283251 = 0.7816749..0.8383251
@pytest.mark.parametrize("expected, k, verdict", [
    (0.8596, 1, Verdict.HOLDS), (0.8598, 1, Verdict.DOES_NOT_HOLD), (0.7604, 1, Verdict.HOLDS),
    (0.7602, 1, Verdict.DOES_NOT_HOLD), (0.8383, 10, Verdict.HOLDS), (0.8384, 10, Verdict.DOES_NOT_HOLD)])
def test_verdict_is_the_prediction_interval_of_a_mean_of_k_runs(expected, k, verdict):
    vals = [0.80, 0.81, 0.82]
    assert statistics.stdev(vals) == pytest.approx(0.01)
    e = V.judge(_claim(expected), _measured(vals), ("lenet5",), source_runs_=k)
    assert e.verdict is verdict and "3 seeds" in e.detail, e.detail
    assert e.measured == pytest.approx(0.81)
    assert e.stats["n"] == 3 and e.stats["k"] == k and e.stats["t"] == pytest.approx(4.3027, abs=1e-4)
    assert f"source {k} run" in e.rule and "t = 4.303" in e.rule


def test_at_least_and_about_claims():
    # "98%+" (at least 0.98): seeds 0.989, 0.990, 0.991 are above it
    c = replace(_claim(0.98), compare="at_least")
    assert V.judge(c, _measured([0.989, 0.990, 0.991]), ("lenet5",)).verdict is Verdict.HOLDS
    assert V.judge(c, _measured([0.95, 0.951, 0.952]), ("lenet5",)).verdict is Verdict.DOES_NOT_HOLD
    # "about 0.9" (10%): 0.82 is within 0.09 of it even with no spread
    from archscope.claims.schema import ABOUT

    c = replace(_claim(0.9), tolerance=ABOUT)
    assert V.judge(c, _measured([0.82, 0.82]), ("lenet5",)).verdict is Verdict.HOLDS
    assert V.judge(c, _measured([0.80, 0.80]), ("lenet5",)).verdict is Verdict.DOES_NOT_HOLD


def _table(rows):
    return T.Measured("x", [{"setting": {"k": k}, "seed": s, "ok": True, "test_accuracy": a}
                            for k, accs in rows for s, a in enumerate(accs)], {})


def test_best_of_is_welchs_test_between_the_best_inside_and_outside():
    # Table 7's "kernel 5 is best" (compare exact): kernel 4 is far ahead here (p < 0.001): does not hold;
    # kernel 5 far ahead: holds; within the noise: not determined
    c = Claim("t", "5 best", "here", "training", "training", (("lenet5",),), expected=5, compare="exact",
              experiment="x", args={"best_of": "k"})
    e = V.judge(c, _table([(3, [0.79, 0.78, 0.80]), (4, [0.90, 0.91, 0.92]), (5, [0.80, 0.81, 0.82])]), ("lenet5",))
    assert e.verdict is Verdict.DOES_NOT_HOLD and e.measured == 4 and e.stats["p"] < 0.05
    e = V.judge(c, _table([(3, [0.79, 0.78, 0.80]), (4, [0.80, 0.81, 0.82]), (5, [0.90, 0.91, 0.92])]), ("lenet5",))
    assert e.verdict is Verdict.HOLDS and e.measured == 5
    e = V.judge(c, _table([(3, [0.79, 0.78, 0.80]), (4, [0.80, 0.82, 0.84]), (5, [0.81, 0.82, 0.83])]), ("lenet5",))
    assert e.verdict is Verdict.NOT_DETERMINED and "Welch" in e.rule and "cannot tell" in e.rule


def test_best_of_a_range():
    c = Claim("t", "best lr 1.2-1.4", "here", "training", "training", (("lenet5",),), expected=[1.2, 1.4],
              compare="range", experiment="x", args={"best_of": "lr"})
    m = T.Measured("x", [{"setting": {"lr": lr}, "seed": s, "ok": True, "test_accuracy": acc}
                         for lr, accs in ((0.9, [0.80, 0.81, 0.79]), (1.3, [0.90, 0.89, 0.91]),
                                          (1.7, [0.70, 0.72, 0.71]))
                         for s, acc in enumerate(accs)], {})
    e = V.judge(c, m, ("lenet5",))
    assert e.verdict is Verdict.HOLDS and e.measured == 1.3
    assert e.stats["inside"]["setting"] == {"lr": 1.3} and e.stats["outside"]["setting"] == {"lr": 0.9}


def test_unpublished_data_gives_no_verdict():
    m = _measured([0.8, 0.81])
    for r in m.runs:
        r["data_verified"] = ["not the published files (read as given)"]
    assert V.judge(_claim(0.8), m, ("lenet5",)).verdict is Verdict.CANNOT_CHECK


def test_one_seed_is_not_determined():
    # one run says nothing about the spread (issue 23: 002-lenet-epoch-50-accuracy was judged with +-0.005)
    e = V.judge(_claim(0.81), _measured([0.81]), ("lenet5",))
    assert e.verdict is Verdict.NOT_DETERMINED and "at least 2" in e.detail
    assert e.stats["n"] == 1 and e.stats["band"] is None


# ---- claims --train end to end (a tiny synthetic experiment) ------------------------------------------

@pytest.fixture
def tiny_experiment(monkeypatch):
    from archscope.probe import experiments as X

    e = X.Experiment("tiny", "tiny", "a test", replace(SHORT, model="lenet5", steps=15),
                     factors={"lr": [1e-3, 2e-3]})
    monkeypatch.setitem(X.EXPERIMENTS, "tiny", e)
    claims = [Claim("tiny-acc", "about chance", "a test", "training", "training", (("lenet5",),), expected=0.1,
                    tolerance=printed(1), experiment="tiny", args={"metric": "test_accuracy", "setting": {"lr": 1e-3}}),
              Claim("tiny-best", "best lr", "a test", "training", "training", (("lenet5",),), expected=[0, 1],
                    compare="range", experiment="tiny", args={"best_of": "lr"})]
    import archscope.claims as C

    monkeypatch.setattr(C, "CLAIMS", claims)
    monkeypatch.setenv("ARCHSCOPE_NO_ESTIMATE", "1")
    return claims


def test_claims_train_runs_saves_with_provenance_and_gives_verdicts(tiny_experiment):
    r = runner.invoke(app, ["claims", "--train", "--repeats", "2", "--device", "cpu"])
    assert r.exit_code == 0, r.output
    assert "4 run(s)" in r.output and "tiny: lr=0.001; lr=0.002" in r.output
    saved = json.loads((T.user_dir() / "tiny.json").read_text())
    assert len(saved["runs"]) == 4 and {x["seed"] for x in saved["runs"]} == {0, 1}
    p = saved["provenance"]
    assert p["torch"] == torch.__version__ and p["device"] and p["date"].startswith("20") and "archscope" in p
    assert "tiny-acc" in r.output and "(n=2)" in r.output and "95% prediction interval" in r.output
    # plain `claims` now shows the measured verdict
    e = V.evaluate_training(tiny_experiment[0], ("lenet5",))
    assert e.verdict in (Verdict.HOLDS, Verdict.DOES_NOT_HOLD) and "measured" in e.detail


def test_claims_train_ctrl_c_keeps_finished_runs(tiny_experiment, monkeypatch):
    calls = []
    real = train_mod.run

    def third_interrupted(cfg, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(cfg, **kw)

    monkeypatch.setattr(train_mod, "run", third_interrupted)
    r = runner.invoke(app, ["claims", "--train", "--repeats", "2", "--device", "cpu"])
    assert r.exit_code == 130, r.output
    saved = json.loads((T.user_dir() / "tiny.json").read_text())
    assert len(saved["runs"]) == 2


def test_claims_train_bad_input():
    for args, message in ((["--claim", "002-lenet-fmnits"], "did you mean 002-lenet-fmnist"),
                          (["--train", "--claim", "002-lenet-fmnits"], "did you mean 002-lenet-fmnist"),
                          (["--train", "--claim", "000-vgg16-3x-alexnet"], "not a training claim"),
                          (["--train", "--repeats", "0"], "--repeats must be a positive integer")):
        r = runner.invoke(app, ["claims", *args])
        assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output, (args, r.output)


def test_uncheckable_training_claims_say_why():
    by_id = {c.id: c for c in CLAIMS}
    e = V.evaluate_training(by_id["000-alexnet-flowers-accuracy"], ("alexnet.tutorial",))
    assert e.verdict is Verdict.CANNOT_CHECK and "oxflower17" in e.detail


# ---- a short run on the real Fashion-MNIST -------------------------------------------------------------

def test_a_short_real_fashion_mnist_run():
    if not Path("/usr/share/datasets/fashion-mnist").is_dir():
        pytest.skip("dataset-fashion-mnist is not installed (scripts/setup.sh installs it as root)")
    cfg = replace(EXPERIMENTS["lenet-fmnist"].config, device="cpu", epochs=2)
    r = run(cfg)
    assert r.data["where"] == "system" and r.data["verified"] == ["sha256 of the content"]
    # 60,000 + 10,000 images of 1x28x28 float32 plus their int64 labels (hand computed)
    assert r.data_memory_bytes == 70_000 * 784 * 4 + 70_000 * 8
    # a sigmoid LeNet at lr 0.9 needs about an epoch to leave chance (0.1); after two a plain PyTorch loop
    # of the same procedure measured 0.57 (benchmarks/train_loop.py)
    assert r.test_accuracy > 0.3 and len(r.epoch_losses) == 2 and r.steps == 2 * 235
    assert r.settings["init"] == "xavier_uniform" and r.settings["scaling"] == "unit"


def test_identical_runs_are_shared_across_experiments(tiny_experiment, monkeypatch, tmp_path):
    # article 002's baseline (lr 0.9, batch 256, sigmoid, avg pooling, kernel 5) is a row of seven
    # tables: one run per seed serves them all
    from archscope.probe import experiments as X

    base = X.EXPERIMENTS["tiny"]
    monkeypatch.setitem(X.EXPERIMENTS, "tiny2", replace(base, id="tiny2", factors={"lr": [5e-3]}))
    calls = []
    real = train_mod.run
    monkeypatch.setattr(train_mod, "run", lambda cfg, **kw: calls.append(cfg) or real(cfg, **kw))
    jobs = [T.Job("tiny", [{}], []), T.Job("tiny2", [{"lr": 5e-3}, {}], [])]
    # tiny2's lr 5e-3 is a new configuration; its base setting {} is tiny's and is not run again
    ms, interrupted = T.run_jobs(jobs, repeats=2, device="cpu", out_dir=tmp_path)
    assert not interrupted and len(calls) == 4 and [c.lr for c in calls] == [None, None, 5e-3, 5e-3]
    shared = [r for r in ms[1].runs if r["setting"] == {}]
    assert len(shared) == 2 and all(r["shared_with"] == "tiny" for r in shared)
    assert [r["test_accuracy"] for r in shared] == [r["test_accuracy"] for r in ms[0].runs]


def test_cpu_slots_do_not_oversubscribe(tmp_path, monkeypatch):
    import threading

    from archscope.probe import cpus

    monkeypatch.setenv("ARCHSCOPE_LOCK_DIR", str(tmp_path))
    monkeypatch.delenv("ARCHSCOPE_THREADS")
    monkeypatch.setattr(cpus, "available_cores", lambda: [0, 1])
    monkeypatch.setattr(cpus.os, "sched_setaffinity", lambda pid, s: None)
    with cpus.reserved_cores() as a:
        assert a == [0, 1] and torch.get_num_threads() == 2
        got, waited = [], []

        def second():  # another run (in its own thread here, as it would be in another process)
            with cpus.reserved_cores(on_wait=waited.append) as b:
                got.append(b)

        t = threading.Thread(target=second)
        t.start()
        t.join(0.5)
        assert t.is_alive() and waited and not got  # waits rather than oversubscribe
    t.join(5)
    assert got == [[0, 1]]  # the cores that came free together are all taken
    with cpus.reserved_cores(1) as a, cpus.reserved_cores(1) as b:
        assert (a, b) == ([0], [1])


def test_a_waiting_run_takes_the_core_that_comes_free_not_the_first(tmp_path, monkeypatch):
    # the deadlock seen on a clean clone: rank 0 of a distributed probe held core 0 and waited for rank 1;
    # rank 1 found core 1 held by another test's run and blocked on core 0's lock; core 1 came free, and
    # both ranks slept on (the suite stalled). A waiter must take whichever core is released.
    import threading

    from archscope.probe import cpus

    monkeypatch.setenv("ARCHSCOPE_LOCK_DIR", str(tmp_path))
    monkeypatch.setattr(cpus, "available_cores", lambda: [0, 1])
    monkeypatch.setattr(cpus.os, "sched_setaffinity", lambda pid, s: None)
    rank0 = cpus._try_lock(tmp_path, 0)  # held throughout, as rank 0 holds it while it waits for rank 1
    other = cpus._try_lock(tmp_path, 1)  # another run's core, released below
    assert rank0 is not None and other is not None
    got = []

    def rank1():
        with cpus.reserved_cores(1) as b:
            got.append(b)

    t = threading.Thread(target=rank1, daemon=True)
    t.start()
    t.join(0.3)
    assert t.is_alive() and not got  # every core held: it waits
    other.close()  # the other run ends: core 1 is free
    t.join(10)
    rank0.close()
    assert got == [[1]]


def test_detail_leaves_the_measured_figures_alone():
    a = run(SHORT)
    b = run(replace(SHORT, detail=True))
    assert b.time_split_s and a.test_accuracy == b.test_accuracy and a.final_loss == b.final_loss


def test_an_interrupt_inside_the_real_run_stops_the_sweep(monkeypatch):
    # the real path: run() turns Ctrl-C into an interrupted result, the sweep stops on it
    calls = []

    def boom(*a, **k):
        calls.append(1)
        raise KeyboardInterrupt

    monkeypatch.setattr(train_mod, "evaluate", boom)
    res = run_sweep(SHORT, {"lr": [1e-3, 2e-3]}, repeats=1)
    assert res.interrupted and res.runs == [] and len(calls) == 1


def test_recipe_refuses_flags_it_would_ignore():
    r = runner.invoke(app, ["probe", "--recipe", "lenet-fmnist", "--epochs", "1"])
    assert r.exit_code == 2 and "--epochs cannot change it" in r.output
    r = runner.invoke(app, ["sweep", "--recipe", "lenet-fmnist-lr", "--batch-size", "8"])
    assert r.exit_code == 2 and "--batch-size cannot change it" in r.output


def test_the_training_claims_read_the_experiments_printed_figures():
    # the registry's table-cell claims and the experiments' `published` rows are both read from
    # article 002's tables: they must agree cell for cell
    from archscope.probe.experiments import setting_label

    checked = 0
    for c in CLAIMS:
        exp = T.experiment_of(c)
        setting = c.args.get("setting")
        if exp not in EXPERIMENTS or not isinstance(setting, dict) or "best_of" in c.args:
            continue
        row = EXPERIMENTS[exp].published.get(setting_label(setting)) or \
            (EXPERIMENTS[exp].published.get("base") if not setting else None)
        if row and c.args.get("metric") in row and c.compare == "approx":
            assert row[c.args["metric"]] == c.expected, c.id
            checked += 1
    assert checked >= 60


def test_a_best_over_part_of_the_table_gives_no_verdict(monkeypatch):
    # article 002's Table 4 names batch 8 or 16 best: a best among 32..1024 alone cannot judge it
    from archscope.probe import experiments as X

    e = X.Experiment("part", "part", "a test", SHORT, factors={"batch_size": [8, 16, 32]})
    monkeypatch.setitem(X.EXPERIMENTS, "part", e)
    m = T.Measured("part", [{"setting": {"batch_size": 32}, "seed": 0, "ok": True, "test_accuracy": 0.88}], {})
    c = Claim("t", "8 or 16 best", "here", "training", "training", (("lenet5",),), expected=[8, 16],
              compare="range", experiment="part", args={"best_of": "batch_size"})
    r = V.judge(c, m, ("lenet5",))
    assert r.verdict is Verdict.CANNOT_CHECK and "missing batch_size=8, batch_size=16" in r.detail
