"""Issue 23: every verdict cites its rule and its build. The readings it found
wrong (each settled by its source line and read through the claim's verdict),
the baseline row judged once, shipped measurements never degraded, the claims
it registered, the outputs (terminal width, JSON fields, one claim in full,
a closed pipe), and every reason in claims/sources/*.md resolving."""

import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from test_claims_inventory import ARTICLES, INVENTORY, needs_sources, source_lines
from typer.testing import CliRunner

from archscope.claims import CLAIMS, Verdict, by_id, evaluate
from archscope.claims import training as T
from archscope.claims import verdicts as V
from archscope.claims.registry import _BASELINE_ROWS, _TABLES, BASELINE, PAPER_BUILD
from archscope.cli import app
from archscope.probe.experiments import EXPERIMENTS
from archscope.zoo import list_models, resolve

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
FMNIST = Path("/usr/share/datasets/fashion-mnist")


def one(cid):
    (e,) = evaluate(by_id()[cid])
    return e


def also(e, *models):
    return next(a for a in e.also if a["models"] == list(models))


# ---- item 5: the build a claim is judged on, and the readings ---------------------------------------------------

@needs_sources
def test_lenet5_subsampling_is_average_pooling():
    # article 002 line 278: S2 sums each 2x2 area, times a coefficient, plus a bias; LeCun et al. 1998, Sec. II-A:
    # "local averaging and sub-sampling" — an average pooling with two parameters per map
    assert "求和乘以一个权值系数再加上一个偏置" in source_lines("002")[277]
    e = one("002-lenet-default-avgpool")
    assert e.models == ("lenet5",) and e.measured == ["average"] and e.verdict is Verdict.HOLDS
    assert also(e, "lenet.d2l")["measured"] == ["average"]


@needs_sources
def test_several_times_is_the_articles_about_three_on_its_own_models():
    text = source_lines("000")
    assert "好几倍" in text[375] and "3倍左右" in text[556]  # line 376 "several times", line 557 "about 3 times"
    several, about3 = one("000-vgg16-several-times-alexnet"), one("000-vgg16-3x-alexnet")
    # the same pair, the same ratio, the same verdict: 138,349,985 / 50,861,025 = 2.72 (>= 3 less 10%)
    assert several.models == about3.models == ("vgg16.tutorial", "alexnet.tutorial")
    assert several.measured == about3.measured == pytest.approx(138_349_985 / 50_861_025)
    assert several.verdict is about3.verdict is Verdict.HOLDS
    assert also(several, "vgg16", "alexnet")["outcome"] == "does not hold"  # shown beside it, not the verdict


def test_googlenet_claims_are_judged_on_the_2014_network():
    # torchvision's GoogLeNet adds batch norm and writes a 3x3 in the "5x5" branch; the sources mean the paper's
    e = one("000-inception-four-branches")
    assert e.models == ("inception_v1",) and e.verdict is Verdict.HOLDS
    assert also(e, "inception_v1.torchvision")["measured"] == ["1x1", "3x3", "3x3", "pool, 1x1"]
    for cid, models in (("001-resnet-vs-googlenet", ("resnet18", "inception_v1")),
                        ("001-resnet-stem-googlenet-bn", ("resnet18.d2l", "inception_v1"))):
        e = one(cid)
        assert e.models == models and e.measured == [True, True] and e.verdict is Verdict.HOLDS, cid
        assert also(e, "resnet18.torchvision", "inception_v1.torchvision")["outcome"] == "does not hold"


@needs_sources
def test_article_002s_alexnet_and_lenet5_are_the_papers():
    assert "局部相应归一化" in source_lines("002")[998]  # line 999: LRN among AlexNet's methods
    e = one("002-alexnet-lrn-dropout")
    assert e.models == ("alexnet",) and e.verdict is Verdict.HOLDS
    assert also(e, "alexnet.d2l")["outcome"] == "does not hold"
    assert "32*32" in source_lines("002")[255]  # line 256, the paper walk-through
    e = one("002-lenet5-input-32")
    assert e.models == ("lenet5",) and e.measured == [1, 32, 32] and e.verdict is Verdict.HOLDS
    assert also(e, "lenet.d2l")["measured"] == [1, 28, 28]  # d2l pads C1 by 2: its field is the paper's 32x32


def test_every_claim_on_several_builds_says_which_and_why():
    for c in CLAIMS:
        for ms in c.models:
            for m in ms:
                assert not m or resolve(m) == m, f"{c.id}: {m} is not the zoo's name ({resolve(m)})"
        if len(c.models) > 1:
            assert c.build and c.on and set(c.on) <= set(c.models), c.id
            if c.id[:4] in ("000-", "001-", "002-", "003-", "004-"):
                assert c.build != PAPER_BUILD, c.id


# ---- item 6: stale reasons and difference lists --------------------------------------------------------------------

def test_000_inventory_knows_the_zoo_has_the_later_inceptions():
    text = (INVENTORY / "000.md").read_text()
    assert "not in the zoo" not in text
    for name in ("inception_v2", "inception_v3", "inception_v4", "inception_resnet_v2"):
        assert f"`{name}`" in text and resolve(name) == name


@needs_sources
def test_lenet_mnist_differences_follow_the_printed_procedure():
    text = "\n".join(source_lines("000")[137:143])  # lines 138-143
    assert "Adam(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-08)" in text and "epochs=5, batch_size=32" in text
    e = EXPERIMENTS["lenet-mnist"]
    assert (e.config.optimizer, e.config.lr, e.config.epochs, e.config.batch_size) == ("adam", 1e-3, 5, 32)
    diffs = " ".join(e.differences)
    assert "stand in where the article prints none" not in diffs and "epsilon 1e-7" not in diffs
    assert "epsilon=1e-08" in diffs


def test_googlenet_table1_lists_the_missing_activations():
    e = one("000-googlenet-follows-table1")
    assert e.models == ("inception_v1.tutorial", "inception_v1") and e.verdict is Verdict.DOES_NOT_HOLD
    assert "0 activations in the Inception modules' branches vs 54" in e.measured


def _token_resolves(tok: str, article_text: str) -> bool:
    """A backticked name in a reason: a model, an experiment, a claim, a command, a knob, or code the article
    itself prints."""
    from fnmatch import fnmatch

    from archscope.zoo import model_info

    models, exps, claims = list_models(), set(EXPERIMENTS), set(by_id())
    knobs = {k for m in models for k in model_info(m).knobs()}
    if tok.startswith("archscope "):
        words = tok.split()
        import typer

        if words[1] not in typer.main.get_command(app).commands:
            return False
        if "--recipe" in words and words[words.index("--recipe") + 1] not in exps:
            return False
        if "--claim" in words and words[words.index("--claim") + 1] not in claims:
            return False
        if words[1] in ("info", "summary", "diagram", "report") and len(words) > 2:
            return all(resolve(w) for w in words[2:] if not w.startswith("-"))
        return True
    if "*" in tok:
        return any(fnmatch(n, tok) for n in [*models, *exps, *claims])
    try:
        resolve(tok)
        return True
    except Exception:
        pass
    if tok[:1].isupper():  # a class of the zoo's code (`BasicBlock`)
        import importlib
        import pkgutil

        import archscope.zoo as zoo

        mods = [importlib.import_module(f"archscope.zoo.{m.name}") for m in pkgutil.iter_modules(zoo.__path__)]
        if any(hasattr(m, tok) for m in mods):
            return True
    return tok in exps or tok in claims or tok in knobs or tok in article_text


@needs_sources
@pytest.mark.parametrize("article", ARTICLES)
def test_every_name_a_reason_gives_exists(article):
    # models, experiments, claims and commands named in the inventory resolve; a name that is none of these must
    # be the article's own code (e.g. `train_ch6`). Issue 23 found `resnet-cifar-keras`, an experiment that does
    # not exist, and `alexnet-oxflower17`, one that was only proposed
    text = "\n".join(source_lines(article))
    bad = []
    for line in (INVENTORY / f"{article}.md").read_text().splitlines():
        for tok in re.findall(r"`([^`]+)`", line):
            if re.search(r"[=/> ]|\.md$|\.txt$|\.py$|:$", tok) and not tok.startswith("archscope "):
                continue  # a setting, a path, a file, a label
            if not _token_resolves(tok, text):
                bad.append(tok)
    assert not bad, f"{article}.md names what does not exist: {bad}"


# ---- the baseline row: one run, registered once ------------------------------------------------------------------

@needs_sources
def test_the_reprinted_baseline_row_is_fig_10s_single_run():
    text = source_lines("002")
    assert "train loss为0.469,train acc为0.821,test acc为0.809" in text[455]  # line 456, Fig. 10, one run
    rows = 0
    for t, (_, table_rows, step) in _TABLES.items():
        for label, _, _, cells, line in table_rows:
            if (t, label) in _BASELINE_ROWS:
                assert cells == BASELINE and [float(text[line - 1 + k * step]) for k in range(3)] == list(BASELINE)
                rows += 1
    assert rows == 7  # Tables 3, 4, 5, 6, 7, 8, 10
    ids = by_id()
    assert not [i for i in ids if re.match(r"002-table\d+-(lr0\.9|batch256|sigmoid|avg|k5|pool2|default)-", i)]
    e = one("002-baseline-row-is-one-run")
    assert e.verdict is Verdict.INCONSISTENT and "single run of Fig. 10" in e.detail


def test_the_baseline_is_judged_as_one_run():
    # k = 1 for Fig. 10's figures, and for the reprinted row wherever an experiment keeps it
    for cid in ("002-lenet-fmnist", "002-lenet-fmnist-train-loss", "002-lenet-fmnist-train-acc"):
        e = one(cid)
        assert e.stats["k"] == 1, cid
    # judged on constructed runs (the shipped seeds may grow): five train accuracies, mean 0.8244, s = 0.001487
    # (by hand: deviations -19, -9, 0, 9, 19 e-4, sum of squares 8.84e-6 over 4). Against Fig. 10's one run
    # (k = 1) the half-width is t * s * sqrt(1/5 + 1/1): with the old z = 2 it is 0.003257, so the band starts
    # at 0.82114 and misses the article's 0.821; with t(0.975, 4) = 2.776 it is 0.004521 and 0.821 lies inside
    accs = [0.8225, 0.8235, 0.8244, 0.8253, 0.8263]
    m = T.Measured("lenet-fmnist", [{"setting": {}, "seed": i, "ok": True, "train_accuracy": a}
                                    for i, a in enumerate(accs)], {"date": "2026-12-01"})
    e = V.judge(by_id()["002-lenet-fmnist-train-acc"], m, ("lenet.d2l",))
    assert e.stats["n"] == 5 and e.stats["k"] == 1 and e.stats["t"] == pytest.approx(2.776, abs=1e-3)
    assert e.verdict is Verdict.HOLDS, e.rule
    assert V.source_runs(by_id()["002-table3-lr1.0-loss"], "lenet-fmnist-lr", {"lr": 0.9}) == 1
    assert V.source_runs(by_id()["002-table3-lr1.0-loss"], "lenet-fmnist-lr", {"lr": 1.0}) == 10


def test_one_seed_is_not_determined_and_orderings_account_for_the_spread():
    # judged on constructed runs, so the shipped measurements may grow without changing what is tested
    c = by_id()["002-lenet-epoch-50-accuracy"]
    one_run = T.Measured("lenet-fmnist-epochs", [{"setting": {"epochs": 50}, "seed": 0, "ok": True,
                                                  "test_accuracy": 0.8706}], {"date": "2026-12-01"})
    e = V.judge(c, one_run, ("lenet.d2l",))  # one 50-epoch run (as shipped before issue 24's seeds)
    assert e.verdict is Verdict.NOT_DETERMINED and e.stats["n"] == 1
    # the shipped 3-seed Table 3 figures of lr 1.3 and 1.6 (before issue 24): means 0.8113 and 0.8171, s about
    # 0.01 -- the best mean lies outside the claimed 1.2-1.4 by under one standard error: noise, p = 0.58
    # (every other setting of the table lower, as measured: the claim needs the whole table)
    lr = {x: [0.78, 0.79, 0.785] for x in (0.9, 1.0, 1.1, 1.2, 1.4, 1.5, 1.7)}
    lr |= {1.3: [0.8120, 0.7978, 0.8241], 1.6: [0.8130, 0.8284, 0.8099]}
    m = T.Measured("lenet-fmnist-lr", [{"setting": {"lr": k}, "seed": s, "ok": True, "test_accuracy": a}
                                       for k, accs in lr.items() for s, a in enumerate(accs)], {"date": "2026-12-01"})
    e = V.judge(by_id()["002-lenet-lr-ablation"], m, ("lenet.d2l",))
    assert e.verdict is Verdict.NOT_DETERMINED and e.stats["p"] > 0.05 and "Welch" in e.rule, e.rule


# ---- shipped measurements are never degraded ---------------------------------------------------------------------

def _write(folder: Path, exp: str, runs, date):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{exp}.json").write_text(json.dumps({"experiment": exp, "provenance": {"date": date, "device": "cpu"},
                                                    "runs": runs}))


def _run(seed, acc, date=None):
    r = {"setting": {}, "seed": seed, "ok": True, "test_accuracy": acc}
    if date:
        r["measured"] = {"date": date}
    return r


def test_a_partial_rerun_adds_to_the_shipped_seeds(tmp_path, monkeypatch):
    shipped, mine = tmp_path / "shipped", tmp_path / "mine"
    monkeypatch.setattr(T, "PACKAGED", shipped)
    _write(shipped, "lenet-fmnist", [_run(s, 0.80 + s / 1000) for s in range(5)], "2026-12-01T00:00:00Z")
    # `claims --train --repeats 1` later: seed 0 only, newer
    _write(mine, "lenet-fmnist", [_run(0, 0.9, "2026-12-09T00:00:00Z")], "2026-12-09T00:00:00Z")
    m = T.load_measured("lenet-fmnist", mine)
    assert sorted(r["seed"] for r in m.runs) == [0, 1, 2, 3, 4]  # never fewer seeds than shipped
    assert next(r for r in m.runs if r["seed"] == 0)["test_accuracy"] == 0.9  # the same setting and seed: the newer
    assert [(s["runs"], s["used"]) for s in m.sources] == [(5, 4), (1, 1)]
    e = V.evaluate_training(by_id()["002-lenet-fmnist"], ("lenet.d2l",), mine)
    assert e.stats["n"] == 5 and "4 of its 5 runs" in e.detail and "1 of its 1 runs" in e.detail
    assert e.measurement["files"][1]["file"].endswith("mine/lenet-fmnist.json")
    # a results folder with nothing in it: the shipped runs alone
    assert len(T.load_measured("lenet-fmnist", tmp_path / "empty").runs) == 5
    # an interrupted or failed rerun of a seed does not take the place of its finished run
    _write(mine, "lenet-fmnist", [{**_run(1, None, "2026-12-10T00:00:00Z"), "ok": False}], "2026-12-10T00:00:00Z")
    m = T.load_measured("lenet-fmnist", mine)
    assert len(m.values({}, "test_accuracy")) == 5


def test_the_results_folder_is_an_argument_not_a_hidden_variable(tmp_path, monkeypatch):
    src = "\n".join(p.read_text() for p in (ROOT / "archscope").rglob("*.py"))
    assert "ARCHSCOPE_TRAINING_RESULTS" not in src
    monkeypatch.setattr(T, "PACKAGED", tmp_path / "shipped")
    _write(tmp_path / "mine", "lenet-fmnist", [_run(s, 0.81) for s in range(3)], "2026-12-02T00:00:00Z")
    r = runner.invoke(app, ["claims", "--claim", "002-lenet-fmnist", "--results", str(tmp_path / "mine")])
    assert r.exit_code == 0 and "mine/lenet-fmnist.json" in r.output and "(n=3)" in r.output


# ---- the claims registered by issue 23 -----------------------------------------------------------------------------

def test_new_architecture_claims():
    e = one("000-googlenet-not-deeper")  # 22 weight layers (Szegedy et al. 2014, Sec. 5) against VGG-16's 16
    assert e.measured == pytest.approx(22 / 16) and e.verdict is Verdict.DOES_NOT_HOLD
    e = one("000-bottleneck-output-shape")
    assert e.measured == [[125, 100, 100], [125, 100, 100]] and e.verdict is Verdict.HOLDS
    e = one("000-resnet34-tutorial-34-layers")  # 1 + 2 x (3 + 4 + 6 + 3) + 1 = 34
    assert e.measured == [34, [3, 4, 6, 3]] and e.verdict is Verdict.HOLDS
    e = one("003-100-1000-layers")
    assert e.measured == [110, 1202] and e.verdict is Verdict.HOLDS
    for cid, value in (("003-v1-no-bn-after-last-relu", ["pooling", "flatten", "linear"]),
                       ("003-v2-bn-relu-before-split", ["conv", "norm", "activation"]),
                       ("003-v2-bottleneck-unit", [[1, 3, 1]]),
                       ("003-v2-bn-relu-before-pooling", ["norm", "activation", "pooling", "flatten", "linear"])):
        e = one(cid)
        assert e.measured == value and e.verdict is Verdict.HOLDS, cid
    for e in evaluate(by_id()["003-linear-projection-shortcuts"]) + evaluate(
            by_id()["004-shortcut-before-last-activation"]):
        assert e.verdict is Verdict.HOLDS, (e.claim.id, e.models)


def test_the_shortcut_measure_tells_pre_activation_apart():
    # a pre-activation unit (He et al. 2016) adds after its last convolution with no activation after the sum
    from archscope.claims.measure import add_then_activation

    assert add_then_activation(("resnet34",), {}).value is True
    assert add_then_activation(("preresnet29.keras",), {}).value is False


def test_data_set_facts_on_the_real_files():
    from archscope.datasets.store import data_home, find_files, spec

    def here(name):
        s = spec(name)
        return any(all(find_files(s, p).values()) for p in [data_home() / name, *map(Path, s.system_dirs)])

    e = one("002-fashion-mnist-facts")
    if here("fashion-mnist"):  # Xiao et al. 2017: 60,000 + 10,000 28x28 grey images, 10 classes
        assert e.measured == [70_000, 10, 60_000, 10_000, 1, 28, 28] and e.verdict is Verdict.HOLDS
    for cid, name in (("002-mnist-facts", "mnist"), ("003-cifar10-facts", "cifar10")):
        e = one(cid)
        if not here(name):
            assert e.verdict is Verdict.CANNOT_CHECK and f"archscope data fetch {name}" in e.detail, cid


def _history(accs):
    return [{"epoch": i + 1, "train_loss": 1 - a, "train_accuracy": a, "test_accuracy": a} for i, a in enumerate(accs)]


def _batch_runs(curves):
    return T.Measured("lenet-fmnist-batch", [
        {"setting": {"batch_size": b}, "seed": s, "ok": True, "test_accuracy": h[-1], "history": _history(h)}
        for b, runs in curves.items() for s, h in enumerate(runs)], {"date": "2026-12-01"})


def test_small_batches_converge_slowly_judged_on_the_curves():
    c = by_id()["002-lenet-batch-small-converges-slowly"]
    fast = [[0.80, 0.85, 0.86], [0.81, 0.85, 0.86], [0.79, 0.85, 0.87]]
    slow = [[0.50, 0.70, 0.80], [0.52, 0.69, 0.81], [0.49, 0.71, 0.80]]
    # the common target is the lowest final accuracy, 0.80: the fast runs reach it near epoch 1, the slow near 3
    e = V.judge(c, _batch_runs({2: slow, 4: slow, 8: fast, 16: fast}), ("lenet.d2l",))
    assert e.verdict is Verdict.HOLDS and e.stats["target"] == 0.80, e.rule
    e = V.judge(c, _batch_runs({2: fast, 4: fast, 8: slow, 16: slow}), ("lenet.d2l",))
    assert e.verdict is Verdict.DOES_NOT_HOLD
    e = V.judge(c, _batch_runs({2: fast, 4: slow, 8: fast, 16: fast}), ("lenet.d2l",))
    assert e.verdict is Verdict.NOT_DETERMINED  # batch 2 as fast as 8: the data do not show it for both


def test_without_curves_the_convergence_claim_names_the_command():
    # runs measured before the per-epoch histories were kept: final figures only, no curve to read
    c = by_id()["002-lenet-batch-small-converges-slowly"]
    m = T.Measured("lenet-fmnist-batch", [{"setting": {"batch_size": b}, "seed": s, "ok": True, "test_accuracy": 0.8}
                                          for b in (2, 4, 8, 16) for s in range(3)], {"date": "2026-12-01"})
    e = V.judge(c, m, ("lenet.d2l",))
    assert e.verdict is Verdict.CANNOT_CHECK and "not measured yet" in e.detail
    assert "archscope claims --train --claim 002-lenet-batch-small-converges-slowly" in e.detail


# ---- the outputs ---------------------------------------------------------------------------------------------------

def _width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1
               for ch in line)


def test_terminal_table_fits_120_columns_and_shows_outcome_and_rule():
    r = runner.invoke(app, ["claims"])
    assert r.exit_code == 0
    wide = [x for x in r.stdout.splitlines() if _width(x) > 120]
    assert not wide, wide[:3]
    head = r.stdout.splitlines()[0].split()
    assert head == ["id", "models", "expected", "measured", "outcome", "rule"]
    assert "not determined" in r.stdout and "95% PI" in r.stdout and "Welch p" in r.stdout


def test_json_has_outcome_rule_n_k_band_and_build():
    r = runner.invoke(app, ["claims", "-f", "json", "--source", "article 002"])
    d = {(x["id"], tuple(x["models"])): x for x in json.loads(r.stdout)}
    fig = d[("002-lenet-fmnist", ("lenet.d2l",))]
    assert fig["outcome"] == "holds" and fig["n"] == 5 and fig["k"] == 1 and len(fig["band"]) == 2
    assert "prediction interval" in fig["rule"] and fig["measurement"]["files"]
    arch = d[("002-alexnet-lrn-dropout", ("alexnet",))]
    assert arch["build"] == ["alexnet"] and "published AlexNet" in arch["build_reason"]
    assert arch["also"][0]["models"] == ["alexnet.d2l"]


def test_one_claim_in_full():
    r = runner.invoke(app, ["claims", "--claim", "000-vgg16-3x-alexnet"])
    assert r.exit_code == 0
    for text in ("VGG16 has about three times", "why this build:", "line 557", "also on:", "vgg16 / alexnet: 2.269",
                 "rule:"):
        assert text in r.stdout, text


def test_claims_into_a_closed_pipe_exits_quietly():
    # `archscope claims | head` (issue 23): the reader leaving early is not an error
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    p = subprocess.run(["bash", "-c", f"{sys.executable} -m archscope.cli claims | head -1; "
                                      "exit ${PIPESTATUS[0]}"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert p.returncode == 0 and p.stdout.startswith("id") and "BrokenPipe" not in p.stderr and "error" not in p.stderr
