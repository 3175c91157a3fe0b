"""Issue 26, items 15 and 16: `claims --train` when the data is not what it should be.

Item 15: every run failing (a corrupt data set in the cache) used to leave the cause
only inside the saved JSON, the table saying "cannot be checked here", exit 0.
Expected: the cause printed, a non-zero exit.

Item 16: `claims --train --dry-run` failed as a whole when one data set (MNIST) was
absent. Expected: the runs that can go listed, what is missing named for the others,
nothing downloaded.

Tiny experiments stand in for the sources' (LeNet, 15 steps), as in tests/test_training.py."""

import json
import socket
from dataclasses import replace

import pytest
from typer.testing import CliRunner

import archscope
from archscope.claims.schema import Claim, printed
from archscope.cli import app
from archscope.probe import TrainConfig

runner = CliRunner()
SHORT = TrainConfig(model="lenet.d2l", device="cpu", steps=15, overfit_check=False, eval_train=False)
# Fashion-MNIST's training images: 60,000 images of 28 x 28 bytes after a 16-byte header (LeCun's IDX format:
# magic, count, rows, columns, 4 bytes each), 47,040,016 bytes uncompressed
TRAIN_IMAGES_BYTES = 60_000 * 28 * 28 + 16


@pytest.fixture
def experiments(monkeypatch):
    """Two tiny experiments, one on Fashion-MNIST and one on MNIST, and one claim on each."""
    from archscope.probe import experiments as X

    for exp, data in (("tiny-fmnist", "fashion-mnist"), ("tiny-mnist", "mnist")):
        monkeypatch.setitem(X.EXPERIMENTS, exp, X.Experiment(exp, exp, "a test", replace(SHORT, dataset=data)))
    claims = [Claim(f"{exp}-acc", "about chance", "a test", "training", "training", (("lenet.d2l",),),
                    expected=0.1, tolerance=printed(1), experiment=exp, args={"metric": "test_accuracy"})
              for exp in ("tiny-fmnist", "tiny-mnist")]
    import archscope.claims as C

    monkeypatch.setattr(C, "CLAIMS", claims)
    monkeypatch.setenv("ARCHSCOPE_NO_ESTIMATE", "1")  # no timing run
    return claims


@pytest.fixture
def corrupt_fmnist():
    """Fashion-MNIST's four files in the cache (looked in before the system's copy), each 1,000 bytes of noise."""
    from archscope.datasets import data_home

    folder = data_home() / "fashion-mnist"
    folder.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (folder / f"{name}.gz").write_bytes(bytes(range(256)) * 3 + bytes(232))
    return folder


# ---- item 15 ------------------------------------------------------------------------------------------

def test_runs_that_all_fail_print_their_cause_and_exit_non_zero(experiments, corrupt_fmnist, tmp_path):
    r = runner.invoke(app, ["claims", "--train", "--claim", "tiny-fmnist-acc", "--repeats", "2", "--results",
                            str(tmp_path)])
    assert r.exit_code == 1, r.output
    causes = [line for line in r.stderr.splitlines() if "run failed" in line]
    assert len(causes) == 2, r.stderr  # each seed's run, with its cause
    for seed, line in enumerate(causes):
        assert f"tiny-fmnist base seed {seed}" in line and "train-images-idx3-ubyte.gz" in line, line
        assert f"{TRAIN_IMAGES_BYTES:,}" in line, line  # the published size the file fell short of
    assert "Traceback" not in r.output
    saved = json.loads((tmp_path / "tiny-fmnist.json").read_text())
    assert [x["ok"] for x in saved["runs"]] == [False, False]  # still saved, as before


def test_the_api_reports_the_failed_runs(experiments, corrupt_fmnist, tmp_path):
    report = archscope.claims(["tiny-fmnist-acc"], train=True, repeats=1, results=tmp_path, notice=None)
    assert len(report.failures) == 1 and "seed 0" in report.failures[0]
    assert "1 run(s) of this call failed" in str(report)


def test_a_run_that_works_is_no_failure(experiments, tmp_path, monkeypatch):
    from archscope.probe import experiments as X

    monkeypatch.setitem(X.EXPERIMENTS, "tiny-fmnist", replace(X.EXPERIMENTS["tiny-fmnist"],
                                                              config=replace(SHORT, dataset="synthetic")))
    r = runner.invoke(app, ["claims", "--train", "--claim", "tiny-fmnist-acc", "--repeats", "1", "--results",
                            str(tmp_path)])
    assert r.exit_code == 0 and "run failed" not in r.stderr, r.output


# ---- item 16 ------------------------------------------------------------------------------------------

@pytest.fixture
def no_network(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("a dry run connected to the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def _synthetic_fmnist(monkeypatch):
    from archscope.probe import experiments as X

    monkeypatch.setitem(X.EXPERIMENTS, "tiny-fmnist", replace(X.EXPERIMENTS["tiny-fmnist"],
                                                              config=replace(SHORT, dataset="synthetic")))


def test_a_dry_run_lists_what_can_go_and_names_the_missing_data(experiments, no_network, monkeypatch):
    _synthetic_fmnist(monkeypatch)  # runs that can go anywhere
    r = runner.invoke(app, ["claims", "--train", "--dry-run", "--repeats", "2"])  # MNIST is nowhere here
    assert r.exit_code == 0, r.output
    plan = r.stderr
    assert "4 run(s)" in plan and "2 of the 4 run(s) can go" in plan, plan
    (mnist,) = [line for line in plan.splitlines() if line.strip().startswith("tiny-mnist")]
    assert "cannot go yet: mnist not found" in mnist and "downloads are off" in mnist, mnist
    (fmnist,) = [line for line in plan.splitlines() if line.strip().startswith("tiny-fmnist")]
    assert "cannot go" not in fmnist


def test_a_dry_run_says_a_run_would_download_and_downloads_nothing(experiments, no_network, monkeypatch):
    from archscope.datasets import data_home

    monkeypatch.delenv("ARCHSCOPE_OFFLINE")  # downloads allowed: the dry run still makes none
    _synthetic_fmnist(monkeypatch)
    r = runner.invoke(app, ["claims", "--train", "--dry-run", "--repeats", "1"])
    assert r.exit_code == 0, r.output
    assert "mnist is not here: a run would download it" in r.stderr and "2 run(s)" in r.stderr, r.stderr
    assert not (data_home() / "mnist").exists()


def test_a_real_run_still_fails_first_when_data_is_missing(experiments, tmp_path):
    r = runner.invoke(app, ["claims", "--train", "--claim", "tiny-mnist-acc", "--repeats", "1", "--results",
                            str(tmp_path)])
    assert r.exit_code == 2 and "mnist not found" in r.stderr and not list(tmp_path.iterdir()), r.output


def test_the_plan_holds_what_is_missing(experiments, monkeypatch):
    _synthetic_fmnist(monkeypatch)
    plan = archscope.training_plan(repeats=3, dry_run=True, notice=None)
    assert set(plan.missing) == {"tiny-mnist"} and plan.runs == 6 and plan.ready == 3
    assert "3 can go" in plan.headline()
