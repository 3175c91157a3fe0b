"""What a run and the docs show (issue 28): one defined throughput, the hints of a failed check, progress with
time left, every offered --format accepted, `| head` quiet, MiB for bytes, the evolution chart's contents."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archscope.cli import app
from archscope.probe.train import THROUGHPUT, Check, ProbeResult, accuracy_hint, nice_ceil
from archscope.render.progress import Eta, RunProgress, left_text
from archscope.render.table import mib_text

runner = CliRunner()
ARCHSCOPE = str(Path(sys.executable).parent / "archscope")


# ---- one throughput ------------------------------------------------------------------------------------------

def test_probe_json_states_one_throughput_with_its_definition():
    # by hand: 20 timed steps of 32 images = 640 images in 2.0 s -> 320 images/s
    r = ProbeResult(model="m", device="cpu", device_type="cpu", torch="x", settings={}, steps=20, images_per_s=320.0,
                    timed={"images": 640, "seconds": 2.0, "steps": 20}, memory_kind="CPU peak RSS growth")
    d = r.to_dict()
    assert d["throughput"] == {"images_per_s": 320.0, "images": 640, "seconds": 2.0, "steps": 20,
                               "definition": THROUGHPUT}
    assert "training steps" in THROUGHPUT and "wall_seconds" in THROUGHPUT  # what it counts, where the rest is
    # no second, unlabelled rate beside it
    assert not {"examples_per_s", "steps_per_s", "timed"} & set(d)
    assert "not comparable" in d["memory_note"] and d["memory_ratio"] is None


def test_status_is_interrupted_not_fail_for_a_stopped_run():
    r = ProbeResult(model="m", device="cpu", device_type="cpu", torch="x", settings={}, steps=40, interrupted=True,
                    stopped="interrupted during training at step 40",
                    checks=[Check("loss finite", True, "every step")])
    assert r.status == "INTERRUPTED" and r.to_dict()["status"] == "INTERRUPTED"
    r.interrupted, r.stopped = False, None
    assert r.status == "PASS"


# ---- a failed check says what to try ---------------------------------------------------------------------------

@pytest.mark.parametrize("n, want", [(38.8, 40), (40, 40), (151, 200), (1450, 1500), (1, 1), (7, 8), (9.2, 10)])
def test_nice_ceil_is_the_next_round_step_count(n, want):
    # the next of 1, 1.5, 2, 3, 4, 5, 6, 8 times a power of ten
    assert nice_ceil(n) == want


def test_accuracy_hint_says_how_much_longer_to_train():
    # the run the issue quotes: 0.205 after its steps, chance 0.100, needs 0.300. By hand: it gained 0.105 over
    # chance in 300 steps; the margin needs 0.200: 300 x 0.200 / 0.105 = 571 -> 600 steps at least
    r = ProbeResult(model="m", device="cpu", device_type="cpu", torch="x", settings={}, steps=300, test_accuracy=0.205,
                    chance=0.1, losses=[2.3, 1.9])
    hint = accuracy_hint(r, 0.3)
    assert hint.startswith("train longer: --steps 600 or more"), hint
    # no gain though the loss fell: much longer (10x); the loss did not fall: a lower learning rate
    r.test_accuracy = 0.1
    assert "--steps 3000" in accuracy_hint(r, 0.3)
    r.losses = [2.3, 2.4]
    assert "lower --lr" in accuracy_hint(r, 0.3)


# ---- progress with time left -------------------------------------------------------------------------------------

class _Bar:
    def __init__(self):
        self.updates = []

    def update(self, **kw):
        self.updates.append(kw)


def test_left_text():
    assert (left_text(None), left_text(12.4), left_text(180), left_text(9000)) == \
        ("", "12 s left", "about 3 min left", "about 2.5 h left")


def test_run_progress_off_a_terminal_logs_each_tenth_with_time_left():
    now = [0.0]
    lines: list[str] = []
    p = RunProgress(_Bar(), log=lines.append, terminal=False, clock=lambda: now[0], after="checking")
    p.start("probe lenet5")
    for done in range(10, 101, 10):  # 10 steps a second after the first report
        p.update(done, 100, f"loss {1 / done:.3f}")
        now[0] += 1.0
    # a line at the first report, then one a tenth: 10 in all; time left from the rate after the first report:
    # at 20 of 100, 1 s for 10 steps -> 80 steps left = 8 s
    assert len(lines) == 10 and lines[0].startswith("[10/100] probe lenet5: loss 0.100")
    assert lines[1].endswith("; 8 s left"), lines[1]
    assert lines[-1].endswith("checking")  # every step done: what follows them, no time left
    assert p.bar.updates[-1]["left"] == ""


def test_eta_is_none_until_a_rate_is_known():
    e = Eta(clock=iter([0.0, 5.0]).__next__)
    assert e.left(3, 10) is None and e.left(8, 10) == pytest.approx(5.0 / 5 * 2)


# ---- every --format a command offers, accepted --------------------------------------------------------------------

CHEAP = {"list": ["list", "lenet*"], "summary": ["summary", "lenet5"], "compare": ["compare", "lenet5", "lenet.d2l"],
         "diff": ["diff", "lenet5", "lenet.d2l"], "claims": ["claims", "--claim", "000-vgg16-3x-alexnet"],
         "data list": ["data", "list"]}


def offered(args: list[str]) -> list[str]:
    """The formats `--help` offers: its `--format <a|b|c>` metavar, else the formats its help text names."""
    words = args[:2] if args[0] == "data" else args[:1]
    text = runner.invoke(app, [*words, "--help"], terminal_width=200).stdout
    m = re.search(r"--format <([a-z|]+)>", text)
    assert m, text
    return m.group(1).split("|")


@pytest.mark.parametrize("name", list(CHEAP))
def test_every_offered_format_is_accepted(name):
    args = CHEAP[name]
    formats = offered(args)
    assert {"table", "json"} <= set(formats)
    for fmt in formats:
        r = runner.invoke(app, [*args, "--format", fmt])
        assert r.exit_code in ((0, 1) if name == "diff" else (0,)), (fmt, r.output)  # diff: 1 = they differ
        if fmt == "json":
            json.loads(r.stdout)


def test_probe_offers_markdown_and_accepts_it(tmp_path):
    # `probe -f markdown` was offered by --help, then refused; the JSON written with -o states the throughput
    assert offered(["probe"]) == ["table", "markdown", "json"]
    out = tmp_path / "p.json"
    r = runner.invoke(app, ["probe", "lenet5", "--steps", "20", "--dataset", "synthetic", "--device", "cpu",
                            "-f", "markdown", "-o", str(out)])
    assert r.exit_code in (0, 1), r.output  # 1: a check failed after 20 steps
    assert r.stdout.startswith("| model ") and "img/s (train steps)" in r.stdout
    (d,) = json.loads(out.read_text())
    t = d["throughput"]
    assert t["steps"] == 10 and t["images"] == 10 * 32  # the window after the 3-step warm-up: steps 11-20
    assert d["images_per_s"] == pytest.approx(t["images"] / t["seconds"])


# ---- a closed pipe, bytes in MiB ------------------------------------------------------------------------------------

def test_claims_into_head_exits_quietly():
    p = subprocess.run(["bash", "-c", f"set -o pipefail; {ARCHSCOPE} claims | head -3"], capture_output=True,
                       text=True, timeout=600)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    assert len(p.stdout.splitlines()) == 3


@pytest.mark.parametrize("n, text", [(3 * 2**20 // 2, "1.5 MiB"), (100_352, "98.0 KiB"), (-5 * 2**30, "-5.0 GiB"),
                                     (512, "512 B")])
def test_mib_text(n, text):
    # by hand: 1,572,864 / 2**20 = 1.5; 100,352 / 1,024 = 98.0 (a 7x7x512 fp32 map: 25,088 x 4 bytes)
    assert mib_text(n) == text


def test_diff_shows_bytes_in_binary_units():
    r = runner.invoke(app, ["diff", "vgg16", "vgg16.torchvision"])
    assert r.exit_code == 1, r.output  # as diff(1): 1 = they differ
    # torchvision's extra AdaptiveAvgPool2d(7): a 512x7x7 fp32 map, 100,352 bytes = 98.0 KiB (not "100.35KB")
    assert "+98.0 KiB" in r.stdout and not re.search(r"\d(K|M|G)B\b", r.stdout)


# ---- the evolution chart ------------------------------------------------------------------------------------

def test_evolution_includes_lenet_and_nin_and_ticks_read_as_people_say_them():
    from archscope.render.report import log_tick_text, spread_labels
    from archscope.reports import FAMILY_MODELS

    # LeNet-5 (LeCun et al. 1998) and NiN (Lin et al. 2013), both in the source articles
    assert FAMILY_MODELS[:3] == ["lenet5", "alexnet", "nin"]
    assert [log_tick_text(10.0 ** e) for e in range(3, 10)] == ["1K", "10K", "100K", "1M", "10M", "100M", "1B"]
    # labels spread only as far as they would overlap, around their points: by hand, targets 0, 1, 50 and a
    # gap of 10: the first two meet and sit at their mean 0.5 +- 5; the third stays where it is
    assert spread_labels([0.0, 1.0, 50.0], 10) == [-4.5, 5.5, 50.0]
    assert spread_labels([1.0, 0.0], 10) == [5.5, -4.5]
