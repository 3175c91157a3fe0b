"""Data-parallel probe runs (archscope.probe.distributed): gloo with 2 processes
on the CPU through torch's elastic launcher, the same run under torchrun, and
their failure and interrupt paths. The GPU path (NCCL, one GPU a rank) is the
same code with another backend and device; no GPU here, so it is not run."""

import json
import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from archscope.cli import app
from archscope.errors import ArchscopeError
from archscope.probe import TrainConfig
from archscope.probe.distributed import merge, probe_distributed, thread_share
from archscope.probe.train import ProbeResult, batches

runner = CliRunner()
SHORT = TrainConfig(model="lenet5", device="cpu", steps=30, overfit_check=False, eval_train=False)
ROOT = Path(__file__).parents[1]


# ---- pure parts ---------------------------------------------------------------------------------

@pytest.mark.parametrize("n, world, batch", [(10, 3, 2), (10, 2, 4), (7, 4, 1), (8, 1, 3)])
def test_each_rank_takes_the_shard_distributed_sampler_gives(n, world, batch):
    # torch's own DistributedSampler (shuffle=True, drop_last=False) draws epoch 0's permutation from a
    # generator seeded with seed + 0; the probe's batches, seeded the same, must give each rank that shard
    from torch.utils.data import DistributedSampler

    for rank in range(world):
        want = list(DistributedSampler(range(n), num_replicas=world, rank=rank, shuffle=True, seed=5))
        it = batches(n, batch, torch.Generator().manual_seed(5), rank, world)
        got, last = [], False
        while not last:
            epoch, last, idx = next(it)
            assert epoch == 0
            got += idx.tolist()
        assert got == want, rank
    # every rank the same number of steps an epoch: ceil(ceil(10 / 3) / 2) = 2 (counted to the epoch's last batch)
    for rank in range(3):
        it = batches(10, 2, torch.Generator().manual_seed(0), rank, 3)
        steps = 1
        while not next(it)[1]:
            steps += 1
        assert steps == 2, rank


def test_threads_are_shared_out_and_capped(monkeypatch):
    monkeypatch.delenv("ARCHSCOPE_THREADS")
    assert (thread_share(2, 16), thread_share(3, 16), thread_share(4, 2)) == (8, 5, 1)
    monkeypatch.setenv("ARCHSCOPE_THREADS", "2")
    assert thread_share(1, 16) == 2


def test_merge_sums_throughput_and_keeps_each_ranks_memory():
    # two GPUs (one a rank), batch 32 a rank, 1e9 training FLOPs a step of 32 images; a data sheet's
    # 100 TFLOP/s a GPU. By hand: each rank timed 10 steps of 32 images, in 1.6 s and 2.0 s: the job trained
    # 640 images in the slower rank's 2.0 s (the ranks step together): 320 images/s;
    # FLOP/s = 1e9 / 32 * 320 = 1e10; MFU against 2 x 100e12 = 5e-5; against the measured
    # 50e12 + 60e12 = 1.1e14: 9.0909e-5; peak memory the larger, 300 MiB, / 100 MiB estimate = 3.0
    lead = ProbeResult(model="resnet18", device="H100", device_type="cuda", torch="x",
                       settings={"batch_size": 32}, steps=10, train_flops_per_step=10 ** 9,
                       estimated_train_memory_bytes=100 * 2 ** 20, peak_flops_known=100e12, test_accuracy=0.5)
    ranks = [{"rank": 0, "images_per_s": 200.0, "timed": {"images": 320, "seconds": 1.6, "steps": 10},
              "images_seen": 320, "peak_memory_bytes": 200 * 2 ** 20, "peak_flops_measured": 50e12},
             {"rank": 1, "images_per_s": 160.0, "timed": {"images": 320, "seconds": 2.0, "steps": 10},
              "images_seen": 320, "peak_memory_bytes": 300 * 2 ** 20, "peak_flops_measured": 60e12}]
    r = merge(lead, ranks, "nccl")
    assert (r.world_size, r.images_per_s, r.images_seen) == (2, 320.0, 640)
    assert r.timed == {"images": 640, "seconds": 2.0, "steps": 10}
    assert r.achieved_flops_per_s == pytest.approx(1e10)
    assert r.mfu_known == pytest.approx(5e-5) and r.mfu_measured == pytest.approx(1e10 / 1.1e14)
    assert r.peak_memory_bytes == 300 * 2 ** 20 and r.memory_ratio == pytest.approx(3.0)
    assert r.settings["world_size"] == 2 and r.test_accuracy == 0.5 and "200, 300" in r.notes[-1]
    assert lead.world_size == 1 and lead.notes == []  # rank 0's own result is left as it was


# ---- two gloo ranks on the CPU ------------------------------------------------------------------------

def test_probe_on_two_cpu_ranks_is_one_result(tmp_path):
    out = tmp_path / "p.json"
    r = runner.invoke(app, ["probe", "lenet5", "--nproc-per-node", "2", "--device", "cpu", "--steps", "30", "-f",
                            "json", "-o", str(out)])
    assert r.exit_code in (0, 1), r.output  # 1: a check failed after 30 steps; the run itself is whole
    (d,) = json.loads(out.read_text())
    assert d["world_size"] == 2 and [x["rank"] for x in d["ranks"]] == [0, 1]
    # each rank trains 30 steps of its own 32 images: 2 x 30 x 32 = 1,920 seen, throughput summed
    assert d["steps"] == 30 and d["images_seen"] == 1920 and all(x["steps"] == 30 for x in d["ranks"])
    t = d["throughput"]  # every rank's timed images over the slowest rank's timed seconds
    assert t["images"] == sum(x["timed"]["images"] for x in d["ranks"])
    assert t["seconds"] == max(x["timed"]["seconds"] for x in d["ranks"])
    assert d["images_per_s"] == pytest.approx(t["images"] / t["seconds"])
    assert d["peak_memory_bytes"] == max(x["peak_memory_bytes"] for x in d["ranks"])
    # the checks, the overfit check included, evaluated on rank 0
    assert d["settings"]["world_size"] == 2 and d["test_accuracy"] is not None and len(d["checks"]) == 5
    assert "gloo" in " ".join(d["notes"]) and d["stopped"] is None
    assert json.loads(r.stdout) == [d]  # stdout holds only the result


def test_a_diverging_run_stops_every_rank_at_one_window():
    # plain SGD at lr 1e38 overflows float32 in the first steps (as in the one-process sweep test)
    r = probe_distributed(replace(SHORT, model="lenet.d2l", optimizer="sgd", lr=1e38, steps=100), 2)
    assert r.world_size == 2 and not r.passed and "non-finite loss" in r.stopped
    assert r.ranks[0]["steps"] == r.ranks[1]["steps"] < 100


def test_a_rank_that_fails_is_one_error_naming_it():
    with pytest.raises(ArchscopeError, match=r"^rank 0 of 2: .*1x4x4"):
        probe_distributed(replace(SHORT, input_shape=(1, 4, 4)), 2)


def test_ctrl_c_keeps_what_the_ranks_finished():
    sigint = signal.getsignal(signal.SIGINT)
    sent = []

    def on_window(done, total, loss, ips):  # Ctrl-C once training is under way
        if not sent:
            sent.append(done)
            os.kill(os.getpid(), signal.SIGINT)

    r = probe_distributed(replace(SHORT, steps=100_000), 2, on_window=on_window)
    assert r.interrupted and r.stopped.startswith("interrupted during training at step")
    assert r.world_size == 2 and 10 <= r.steps < 100_000 and r.ranks[0]["steps"] == r.ranks[1]["steps"]
    assert signal.getsignal(signal.SIGINT) is sigint  # the launcher's handlers are gone again


@pytest.mark.parametrize("args, message", [
    (["--nproc-per-node", "0"], "--nproc-per-node must be a positive integer"),
    (["--nproc-per-node", "4096"], "CPU core(s) and each CPU rank needs one of its own"),
    (["--nproc-per-node", "2", "--detail"], "--detail times one process's step"),
    (["--nproc-per-node", "2", "lenet1"], "trains one model"),
])
def test_probe_distributed_bad_input(args, message):
    r = runner.invoke(app, ["probe", "lenet5", "--device", "cpu", *args])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output, r.output
    r = runner.invoke(app, ["probe", "--recipe", "lenet-fmnist", "--nproc-per-node", "2"])
    assert r.exit_code == 2 and "--recipe runs its source's procedure in one process" in r.output


def test_torchrun_starts_the_ranks_itself(tmp_path):
    # what a cluster runs on every node (the README): torchrun's own rendezvous, archscope as the module.
    # Its own CPU-slot folder: the two ranks need a core each, and on CI's two cores the other xdist worker
    # takes a core for each of its training tests, so shared slots made a rank wait past the timeout (CI,
    # stop 30: 300 s); 20 steps of LeNet-5 beside another test are a second or two.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "ARCHSCOPE_LOCK_DIR": str(tmp_path / "cpus")}
    p = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                        "-m", "archscope", "probe", "lenet5", "--device", "cpu", "--steps", "20", "-f", "json"],
                       capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    (d,) = json.loads(p.stdout)  # one result, from rank 0 alone
    assert d["world_size"] == 2 and d["images_seen"] == 2 * 20 * 32, p.stderr[-2000:]
