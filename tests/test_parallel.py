"""Runs side by side (archscope.probe.parallel): local worker processes and
Ray. The reference for every figure is the serial backend (one run after
another in this process, as `archscope sweep` always ran): the same runs on
another backend must give the same numbers, bit for bit, because every run
has the same seed and the same thread count wherever it runs. The failure
and interrupt paths use small functions defined here (a worker that dies, a
run that never ends)."""

import json
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archscope.cli import app
from archscope.errors import ArchscopeError
from archscope.probe import TrainConfig
from archscope.probe.parallel import Backend, run_tasks
from archscope.probe.sweep import run_sweep
from archscope.render.sweep import render_table

runner = CliRunner()
SHORT = TrainConfig(model="lenet.d2l", device="cpu", steps=20, overfit_check=False, eval_train=False)
# conv1_kernel_size 40 leaves no spatial extent: a run that fails with archscope's own error
FACTORS = {"lr": [1e-3, 3e-3], "conv1_kernel_size": [None, 40]}


def _figures(result):
    """Everything a run computed (its wall time aside)."""
    return [(r.setting, r.repeat, r.seed, r.ok, r.final_loss, r.train_accuracy, r.test_accuracy, r.epoch_loss,
             r.error) for r in result.runs]


# ---- small tasks for the pool -------------------------------------------------------------

def _square(x):
    return x * x


def _fails(x):
    raise ValueError(f"bad {x}")


def _dies(x):
    os._exit(3)


def _sleeps(x):
    time.sleep(x)
    return x


# ---- the backend's settings ----------------------------------------------------------------

@pytest.mark.parametrize("backend, message", [
    (Backend(kind="slurm"), "`backend` must be one of local, ray"),
    (Backend(jobs=0), "`jobs` must be a positive integer"),
    (Backend(address="ray://head:10001"), "`address` names a Ray cluster: it goes with `backend` ray"),
])
def test_backend_settings_are_checked(backend, message):
    with pytest.raises(ArchscopeError, match=message):
        backend.validate()


def test_cli_refuses_a_bad_backend_in_one_line():
    for args, message in ((["--jobs", "0"], "--jobs must be a positive integer"),
                          (["--address", "auto"], "goes with --backend ray"),
                          (["--backend", "slurm"], "slurm")):
        r = runner.invoke(app, ["sweep", "lenet5", "--vary", "lr=0.1", "--device", "cpu", *args])
        assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output, (args, r.output)
    r = runner.invoke(app, ["claims", "--jobs", "2"])
    assert r.exit_code == 2 and "--jobs goes with --train" in r.output  # issue 26: names what it goes with


def test_without_ray_the_error_says_how_to_install_it(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    r = runner.invoke(app, ["sweep", "lenet5", "--vary", "lr=0.001", "--steps", "5", "--device", "cpu",
                            "--backend", "ray"])
    assert r.exit_code == 2 and "pip install 'archscope[ray]'" in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1


# ---- the local pool --------------------------------------------------------------------------

def test_local_workers_report_each_result_a_failure_and_a_dead_worker():
    # a worker that dies has its run failed with the reason; a fresh worker takes the next ones
    got, started = {}, []
    tasks = [(_square, 2), (_fails, 1), (_dies, 0), (_square, 3), (_square, 4)]
    interrupted = run_tasks(_call, tasks, Backend(jobs=2), on_start=started.append,
                            on_done=lambda i, v, e: got.__setitem__(i, (v, e)))
    assert not interrupted and sorted(started) == list(range(5))
    assert got == {0: (4, None), 1: (None, "ValueError: bad 1"), 2: (None, "its worker process died (exit status 3)"),
                   3: (9, None), 4: (16, None)}


def _call(fn, x):
    return fn(x)


def test_ctrl_c_cancels_what_has_not_started_and_stops_what_runs():
    # two workers; run 0 is quick, the others would take a minute each. Ctrl-C arrives with the
    # first result: the run still going is stopped, the ones queued never start.
    started, got = [], {}

    def done(i, v, e):
        got[i] = (v, e)
        raise KeyboardInterrupt

    t0 = time.monotonic()
    interrupted = run_tasks(_sleeps, [(0.0,), (60.0,), (60.0,), (60.0,)], Backend(jobs=2),
                            on_start=started.append, on_done=done)
    assert interrupted and got == {0: (0.0, None)}
    assert sorted(started) == [0, 1]  # 2 and 3 were never handed to a worker
    assert time.monotonic() - t0 < 30  # the 60-second run was stopped, not waited for


def test_workers_take_the_cores_threads_at_a_time(monkeypatch):
    from archscope.probe import cpus, parallel

    monkeypatch.setattr(cpus, "available_cores", lambda: [0, 1])
    notes = []
    # 2 cores at 1 thread a run: 2 workers; at 2 threads a run only 1 fits (the other would wait)
    assert len(parallel._worker_slots(2, 1, False, notes.append)) == 2 and not notes
    assert len(parallel._worker_slots(4, 2, False, notes.append)) == 1
    assert notes == ["`jobs` 4: 2 CPU core(s) at 2 thread(s) a run: 1 at a time"]  # the CLI shows --jobs


def test_cuda_workers_get_one_visible_gpu_each(monkeypatch):
    from archscope.probe import parallel

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    notes = []
    assert parallel._worker_slots(3, 1, True, notes.append) == [{"CUDA_VISIBLE_DEVICES": "3"},
                                                                 {"CUDA_VISIBLE_DEVICES": "5"}]
    assert notes == ["`jobs` 3: 2 GPU(s), one a worker: 2 at a time"]


# ---- sweeps on two local processes ---------------------------------------------------------------

def test_sweep_cli_jobs_gives_the_serial_table(tmp_path):
    # conv1_kernel_size 40 leaves no spatial extent: a failed run, recorded, the others go on
    args = ["sweep", "lenet.d2l", "--vary", "lr=0.001,0.003", "--vary", "conv1_kernel_size=none,40", "--repeats", "2",
            "--steps", "20", "--device", "cpu"]
    serial = runner.invoke(app, [*args, "-o", str(tmp_path / "serial")])
    two = runner.invoke(app, [*args, "--jobs", "2", "-o", str(tmp_path / "two")])
    assert serial.exit_code == two.exit_code == 0 and serial.stdout == two.stdout, (serial.output, two.output)
    a, b = (json.loads((tmp_path / d / "sweep.json").read_text()) for d in ("serial", "two"))
    timing = ("seconds", "examples_per_s", "step_seconds", "train_seconds")  # how fast a run went is the machine's;
    # everything else is the run's
    assert [{k: v for k, v in r.items() if k not in timing} for r in b["runs"]] == \
        [{k: v for k, v in r.items() if k not in timing} for r in a["runs"]]
    # the base (lr 0.001, the default kernel), lr 0.003, and kernel 40, 2 seeds each
    assert len(b["runs"]) == 6 and [r["ok"] for r in b["runs"]] == [True, True, True, True, False, False]
    assert "leave no spatial extent" in b["runs"][-1]["error"]
    assert (a["backend"], b["backend"]) == ("serial", "2 local processes")
    assert b["device"] == a["device"] and b["first_run"]["threads"] == 1


@pytest.fixture
def tiny_claims(monkeypatch):
    from archscope.claims.schema import Claim, printed
    from archscope.probe import experiments as X

    e = X.Experiment("tiny", "tiny", "a test", replace(SHORT, model="lenet5", steps=15),
                     factors={"lr": [1e-3, 2e-3]})
    monkeypatch.setitem(X.EXPERIMENTS, "tiny", e)
    # a second experiment sharing its base run: taken from the first, not run again
    monkeypatch.setitem(X.EXPERIMENTS, "tiny2", replace(e, id="tiny2", factors={"lr": [1e-3, 5e-3]}))
    claims = [Claim(f"{x}-acc", "about chance", "a test", "training", "training", (("lenet5",),), expected=0.1,
                    tolerance=printed(1), experiment=x, args={"metric": "test_accuracy"}) for x in ("tiny", "tiny2")]
    import archscope.claims as C

    monkeypatch.setattr(C, "CLAIMS", claims)
    monkeypatch.setenv("ARCHSCOPE_NO_ESTIMATE", "1")


def _measured(folder: Path, exp: str) -> list:
    runs = json.loads((folder / f"{exp}.json").read_text())["runs"]
    timing = ("seconds", "measured", "examples_per_s", "step_seconds", "train_seconds")  # the machine's, not the run's
    return [{k: v for k, v in r.items() if k not in timing} for r in runs]


def test_claims_train_jobs_measures_what_the_serial_run_measures(tiny_claims, tmp_path):
    base = ["claims", "--train", "--repeats", "2", "--device", "cpu"]
    a = runner.invoke(app, [*base, "--results", str(tmp_path / "serial")])
    b = runner.invoke(app, [*base, "--results", str(tmp_path / "two"), "--jobs", "2"])
    assert a.exit_code == 0 and b.exit_code == 0, (a.output, b.output)
    for exp in ("tiny", "tiny2"):
        assert _measured(tmp_path / "two", exp) == _measured(tmp_path / "serial", exp), exp
    two = _measured(tmp_path / "two", "tiny2")
    # tiny2's lr 0.001 is tiny's: shared, in plan order (setting, then seed)
    assert [(r["setting"], r["seed"], r.get("shared_with")) for r in two] == [
        ({"lr": 1e-3}, 0, "tiny"), ({"lr": 1e-3}, 1, "tiny"), ({"lr": 5e-3}, 0, None), ({"lr": 5e-3}, 1, None)]


# ---- Ray --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def local_ray(tmp_path_factory):
    ray = pytest.importorskip("ray")
    # the tasks' processes start from Ray's environment: give them this test session's (no downloads,
    # the shared CPU slots) and this folder, for the small tasks above
    env = {"ARCHSCOPE_OFFLINE": "1",
           "ARCHSCOPE_LOCK_DIR": str(tmp_path_factory.getbasetemp().parent / "archscope-cpus"),
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(Path(__file__).parents[1]),
                                          os.environ.get("PYTHONPATH", "")])}
    ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": env}, logging_level="ERROR")
    yield ray
    ray.shutdown()


def test_a_sweep_on_ray_is_the_serial_sweep(local_ray):
    serial = run_sweep(SHORT, FACTORS, repeats=2)
    on_ray = run_sweep(SHORT, FACTORS, repeats=2, backend=Backend(kind="ray"))
    assert _figures(on_ray) == _figures(serial) and render_table(on_ray) == render_table(serial)
    assert on_ray.backend == "ray (local)" and on_ray.device == serial.device


def test_ray_failures_are_the_runs_and_ctrl_c_keeps_what_finished(local_ray):
    got = {}
    run_tasks(_call, [(_square, 3), (_fails, 1), (_dies, 0)], Backend(kind="ray"),
              on_done=lambda i, v, e: got.__setitem__(i, (v, e)))
    assert got[0] == (9, None) and got[1] == (None, "ValueError: bad 1")
    assert got[2][0] is None and "Worker" in got[2][1]  # Ray's WorkerCrashedError, named

    got = {}

    def done(i, v, e):
        got[i] = (v, e)
        raise KeyboardInterrupt

    t0 = time.monotonic()
    interrupted = run_tasks(_sleeps, [(0.0,), (60.0,), (60.0,)], Backend(kind="ray", jobs=2), on_done=done)
    assert interrupted and got == {0: (0.0, None)} and time.monotonic() - t0 < 30


def test_an_address_nothing_answers_at_fails_at_once():
    # Ray itself retries such an address for minutes; nothing listens on port 1 here
    from archscope.probe.parallel import check_reachable

    with pytest.raises(ArchscopeError, match="`address` 127.0.0.1:1: nothing answers at 127.0.0.1:1"):
        check_reachable("127.0.0.1:1", timeout=2)
    check_reachable("auto")  # Ray's own lookup of the local cluster
