"""Issue 26, items 1-3: a signal to ONE rank of `probe --nproc-per-node 2` (two gloo
processes on the CPU). What is expected comes from the issue's contract, and what
happened is read from outside archscope: the exit status, stderr, the -o file, and
the process table in /proc (which process is a rank, whether it is stopped or gone).

Each test is bounded by a subprocess timeout and kills its whole process session
when it fails, so a hang fails the test instead of the CI run."""

import json
import os
import signal
import time
from pathlib import Path

import pytest
from hostile_helpers import cli_env, one_line_error, process_state, rank_pids, wait_for

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")

# lenet5 on one core a rank: a few ms a step, so 100,000 steps is "still training" whenever the signal comes
ARGS = ["probe", "lenet5", "--nproc-per-node", "2", "--device", "cpu", "--steps", "100000", "-f", "json"]


def _start_training(command, tmp_path, **env):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "p.json"
    c = command(ARGS + ["-o", str(out)], tmp_path, cli_env(TMPDIR=tmp, **env))
    # rank 0 writes its progress at the end of each 10-step window into the run's folder
    # (a rank may first wait for a CPU core that another archscope run of this user holds)
    wait_for(lambda: list(tmp.glob("archscope-ddp-*/progress.json")) or c.p.poll() is not None, 400,
             "the first training window")
    assert c.p.poll() is None, c.p.communicate()[1][-2000:]
    ranks = wait_for(lambda: len(rank_pids(c.p.pid)) == 2 and rank_pids(c.p.pid), 10, "two ranks")
    return c, out, tmp, ranks


def _partial(out: Path) -> dict:
    (d,) = json.loads(out.read_text())
    assert d["interrupted"] and d["steps"] >= 10 and d["world_size"] == 2, d
    return d


def test_sigterm_to_one_rank_stops_the_run_and_keeps_the_result(command, tmp_path):
    c, out, tmp, (r0, r1) = _start_training(command, tmp_path)
    os.kill(r1, signal.SIGTERM)
    code, stdout, stderr = c.finish(90)  # it used to hang for over 200 s here, rank 0 waiting
    assert code == 130, stderr
    d = _partial(out)
    assert d["ranks"][0]["steps"] == d["ranks"][1]["steps"] == d["steps"]  # both stopped at one window
    assert json.loads(stdout) == [d]
    assert not list(tmp.glob("archscope-ddp-*"))  # the run's folder is gone (torch keeps its own caches there)


@pytest.mark.parametrize("killed", [1, 0])
def test_sigkill_to_one_rank_is_one_line_naming_it_and_keeps_the_survivors_figures(command, tmp_path, killed):
    c, out, tmp, ranks = _start_training(command, tmp_path)
    os.kill(ranks[killed], signal.SIGKILL)
    code, stdout, stderr = c.finish(90)
    assert code == 2, stderr
    line = one_line_error(stderr)  # also: no "leaked semaphore" warning, no gloo traceback
    assert f"rank {killed} of 2" in line and "SIGKILL" in line and f"kept rank {1 - killed}'s figures" in line, line
    d = _partial(out)
    assert f"rank {killed} of 2 was killed by SIGKILL" in d["stopped"], d
    assert d["ranks"][0]["rank"] == 1 - killed and d["ranks"][0]["steps"] == d["steps"]  # the survivor's own
    assert not list(tmp.glob("archscope-ddp-*"))


def test_a_bad_collective_timeout_is_one_line(monkeypatch):
    from typer.testing import CliRunner

    from archscope.cli import app

    monkeypatch.setenv("ARCHSCOPE_COLLECTIVE_TIMEOUT", "soon")
    r = CliRunner().invoke(app, ARGS)
    assert r.exit_code == 2
    assert "ARCHSCOPE_COLLECTIVE_TIMEOUT must be a positive number of seconds" in one_line_error(r.output)


def test_sigstop_to_one_rank_ends_in_a_collective_timeout(command, tmp_path):
    c, out, tmp, (r0, r1) = _start_training(command, tmp_path, ARCHSCOPE_COLLECTIVE_TIMEOUT=5)
    os.kill(r1, signal.SIGSTOP)
    try:
        code, stdout, stderr = c.finish(90)  # it used to wait forever
    finally:
        if process_state(r1) == "T":
            os.kill(r1, signal.SIGKILL)
    assert code == 2, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr and lines[-1].startswith("archscope: error: "), stderr
    assert "rank 1 of 2" in lines[-1] and "stopped" in lines[-1] and "5 s" in lines[-1], stderr
    _partial(out)
    assert process_state(r1) in (None, "Z")  # the stopped rank is not left behind
    assert not list(tmp.glob("archscope-ddp-*"))


def test_a_rank_that_waits_for_a_core_longer_than_the_timeout_is_not_lost(command, tmp_path):
    # the ranks meet before the training without a time limit: a rank may wait for a CPU core (held here by the
    # test, as another archscope run would hold it: flock on the core's lock file) longer than a collective
    # waits (3 s here), and the run still trains every step
    import fcntl

    core = sorted(os.sched_getaffinity(0))[0]
    lock = open(Path(os.environ["ARCHSCOPE_LOCK_DIR"]) / f"core-{core}.lock", "a+")
    fcntl.flock(lock, fcntl.LOCK_EX)
    out = tmp_path / "p.json"
    c = command(["probe", "lenet5", "--nproc-per-node", "2", "--device", "cpu", "--steps", "30", "-f", "json",
                 "-o", str(out)], tmp_path, cli_env(ARCHSCOPE_COLLECTIVE_TIMEOUT=3))
    try:
        wait_for(lambda: c.p.poll() is not None or len(rank_pids(c.p.pid)) == 2, 60, "two ranks")
        time.sleep(8)  # more than the collective timeout, with one rank waiting for the core
    finally:
        lock.close()  # the core is free
    code, stdout, stderr = c.finish(400)  # the lock files are shared with every archscope run of this user
    assert code in (0, 1), stderr  # 1: a check failed after 30 steps; the run itself is whole
    (d,) = json.loads(out.read_text())
    assert d["steps"] == 30 and not d["interrupted"] and d["stopped"] is None, d
