"""The training reports' charts, on small constructed measurements whose
means are computed by hand below."""

import statistics

import pytest

from archscope.claims.schema import Claim, printed
from archscope.claims.training import Measured
from archscope.claims.verdicts import judge
from archscope.probe.experiments import D2L_FMNIST, Experiment
from archscope.render import training_charts as C

EXP = Experiment("toy", "Toy: batch size", "a test", D2L_FMNIST, factors={"batch_size": [2, 16]},
                 published={"batch_size=2": {"train_loss": 0.5, "train_accuracy": 0.8, "test_accuracy": 0.82},
                            "batch_size=16": {"train_loss": 0.3, "train_accuracy": 0.9, "test_accuracy": 0.88}})


def _runs():
    # batch 2: two seeds, test accuracy after epoch 1: 0.70 and 0.72, after epoch 2: 0.80 and 0.84;
    # batch 16: two seeds, 0.75 / 0.77 then 0.85 / 0.87
    table = {2: [(0.70, 0.80), (0.72, 0.84)], 16: [(0.75, 0.85), (0.77, 0.87)]}
    runs = []
    for b, seeds in table.items():
        for seed, accs in enumerate(seeds):
            h = [{"epoch": e + 1, "train_loss": 1.0 - a, "train_accuracy": a + 0.01, "test_accuracy": a}
                 for e, a in enumerate(accs)]
            runs.append({"setting": {"batch_size": b}, "seed": seed, "ok": True, "history": h,
                         "train_loss": h[-1]["train_loss"], "train_accuracy": h[-1]["train_accuracy"],
                         "test_accuracy": h[-1]["test_accuracy"]})
    return Measured("toy", runs, {"date": "2026-12-05"})


def _claim():
    return Claim("toy-b2", "batch 2 test acc 0.82", "here", "training", "training", (("lenet.d2l",),), expected=0.82,
                 tolerance=printed(2), experiment="toy", args={"metric": "test_accuracy", "setting": {"batch_size": 2}})


def test_verdict_chart_shows_source_mean_and_the_verdicts_band():
    m = _runs()
    ev = judge(_claim(), m, ("lenet.d2l",), source_runs_=10)
    fig = C.verdict_figure(EXP, m, [ev])
    test_ax = fig.axes[2]
    marks = {"o": [], "x": []}  # archscope's means (dots), the source's figures (crosses)
    for ln in test_ax.get_lines():
        marks[ln.get_marker()].append((float(ln.get_xdata()[0]), round(float(ln.get_ydata()[0]), 9)))
    # means: batch 2 (0.80 + 0.84) / 2 = 0.82, batch 16 (0.85 + 0.87) / 2 = 0.86; the source's 0.82 and 0.88
    assert sorted(marks["o"]) == [(0, 0.82), (1, 0.86)] and sorted(marks["x"]) == [(0, 0.82), (1, 0.88)]
    # batch 2's cell is judged: its bar is the evaluation's band; batch 16's is not: mean +- 1 std
    segs = [seg for coll in test_ax.collections for seg in coll.get_segments()]
    band = ev.stats["band"]
    assert any(abs(s[0][1] - band[0]) < 1e-9 and abs(s[1][1] - band[1]) < 1e-9 for s in segs)
    sd = statistics.stdev([0.85, 0.87])
    assert any(abs(s[0][1] - (0.86 - sd)) < 1e-9 and abs(s[1][1] - (0.86 + sd)) < 1e-9 for s in segs)


def test_curves_are_the_per_epoch_means_over_seeds():
    m = _runs()
    c = C.curves_of(m, {"batch_size": 2})
    epochs, mean, std, n = c["test_accuracy"]
    assert epochs == [1, 2] and n == 2
    assert mean == pytest.approx([0.71, 0.82]) and std == pytest.approx([statistics.stdev([0.70, 0.72]),
                                                                         statistics.stdev([0.80, 0.84])])
    fig = C.curves_figure(EXP, m)
    lines = fig.axes[2].get_lines()
    assert [list(ln.get_ydata()) for ln in lines] == [pytest.approx([0.71, 0.82]), pytest.approx([0.76, 0.86])]
    assert [ln.get_label() for ln in lines] == ["2 (n=2)", "16 (n=2)"]


def test_no_history_no_curves_and_no_runs_no_chart():
    m = _runs()
    for r in m.runs:
        r.pop("history")
    assert C.curves_figure(EXP, m) is None and C.charts_markdown(EXP, m) == ""
    assert C.verdict_figure(EXP, Measured("toy", [], {}), []) is None


def test_charts_are_written_as_png_and_svg_byte_for_byte_again(tmp_path):
    m = _runs()
    ev = [judge(_claim(), m, ("lenet.d2l",), source_runs_=10)]
    first = C.write_charts(tmp_path / "a", EXP, m, ev)
    second = C.write_charts(tmp_path / "b", EXP, m, ev)
    assert sorted(p.name for p in first) == ["toy-curves.png", "toy-curves.svg", "toy.png", "toy.svg"]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    svg = (tmp_path / "a" / "toy.svg").read_text()
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    assert (tmp_path / "a" / "toy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "![toy curves](toy-curves.svg)" in C.charts_markdown(EXP, m)
