"""The training probe on CPU: checks, fault handling, data loaders on
generated files, device peaks."""

import gzip
import json
import pickle
import struct

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from archscope.cli import app
from archscope.errors import ArchscopeError
from archscope.probe import data as D
from archscope.probe import probe
from archscope.probe.device import known_peak, mfu

runner = CliRunner()


@pytest.mark.parametrize("name", ["lenet5", "lenet.tutorial", "lenet.d2l"])
def test_small_models_pass_every_check_on_cpu(name):
    r = probe(name, device="cpu")
    assert r.passed, [(c.name, c.detail) for c in r.checks]
    assert {c.name for c in r.checks} == {"loss finite", "loss falls", "held-out accuracy above chance",
                                         "outputs have the right shape", "overfits one fixed batch"}
    assert r.images_per_s > 0 and r.achieved_flops_per_s > 0 and r.peak_flops_measured > 0
    assert r.mfu_measured == pytest.approx(r.achieved_flops_per_s / r.peak_flops_measured)
    assert r.estimated_train_memory_bytes > 0 and r.memory_kind


def test_nan_stops_the_run_with_step_and_last_good_loss():
    # a learning rate so large that the first updates overflow the weights to inf
    r = probe("lenet.tutorial", device="cpu", optimizer="sgd", lr=1e38, steps=60, overfit_check=False)
    assert r.stopped and "non-finite loss at step" in r.stopped and "last good loss" in r.stopped
    assert not r.passed and not next(c for c in r.checks if c.name == "loss finite").passed


def test_model_that_does_not_fit_the_input_is_named():
    with pytest.raises(ArchscopeError, match="too small.*features"):
        probe("alexnet.torchvision", device="cpu", input_shape=(3, 32, 32), steps=10)


def test_bad_settings():
    with pytest.raises(ArchscopeError, match="`steps` or `epochs`"):
        probe("lenet5", device="cpu", steps=5, epochs=1)
    with pytest.raises(ArchscopeError, match="optimizer"):
        probe("lenet5", device="cpu", optimizer="rmsprop", steps=10)
    if not torch.cuda.is_available():
        with pytest.raises(ArchscopeError, match="no CUDA device"):
            probe("lenet5", device="cuda")


# ---- synthetic data -------------------------------------------------------------------

def test_synthetic_is_deterministic_balanced_and_any_shape():
    a = D.synthetic(200, (3, 40, 24), seed=3)
    b = D.synthetic(200, (3, 40, 24), seed=3)
    assert a.x.shape == (200, 3, 40, 24) and torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert torch.bincount(a.y).tolist() == [20] * 10
    assert not torch.equal(D.synthetic(200, (3, 40, 24), seed=4).x, a.x)


# ---- real data from generated files ------------------------------------------------------

def write_idx(path, array: np.ndarray, gz: bool):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if gz else payload)


def make_mnist(tmp_path, gz=True, n=40):
    rng = np.random.default_rng(0)
    for split, count in (("train", n), ("t10k", n // 2)):
        suffix = ".gz" if gz else ""
        write_idx(tmp_path / f"{split}-images-idx3-ubyte{suffix}", rng.integers(0, 256, (count, 28, 28)), gz)
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte{suffix}", rng.integers(0, 10, count), gz)
    return tmp_path


@pytest.mark.parametrize("gz", [True, False])
def test_idx_loader_reads_and_adapts(tmp_path, gz):
    make_mnist(tmp_path, gz)
    train, test, classes = D.load("fashion-mnist", (3, 32, 32), data_dir=tmp_path)
    assert train.x.shape == (40, 3, 32, 32) and test.x.shape == (20, 3, 32, 32) and classes == 10
    assert train.y.dtype == torch.int64 and int(train.y.max()) < 10
    assert abs(float(train.x.mean())) < 1e-4  # standardised with the training split's statistics


def test_idx_values_survive(tmp_path):
    img = np.arange(28 * 28, dtype=np.int64).reshape(1, 28, 28) % 256
    write_idx(tmp_path / "x.idx", img, gz=False)
    assert np.array_equal(D.read_idx(tmp_path / "x.idx"), img.astype(np.uint8))


def test_missing_and_corrupt_idx(tmp_path):
    with pytest.raises(ArchscopeError, match="expected train-images-idx3-ubyte.*missing"):
        D.load("mnist", (1, 28, 28), data_dir=tmp_path)
    make_mnist(tmp_path, gz=False)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + struct.pack(">3I", 40, 28, 28) + b"x")
    with pytest.raises(ArchscopeError, match="truncated or corrupt"):
        D.load("mnist", (1, 28, 28), data_dir=tmp_path)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"PK\x03\x04junk")
    with pytest.raises(ArchscopeError, match="bad magic"):
        D.load("mnist", (1, 28, 28), data_dir=tmp_path)


def make_cifar(tmp_path, n=8):
    base = tmp_path / "cifar-10-batches-py"
    base.mkdir()
    rng = np.random.default_rng(1)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        d = {b"data": rng.integers(0, 256, (n, 3072)).astype(np.uint8), b"labels": list(rng.integers(0, 10, n))}
        (base / name).write_bytes(pickle.dumps(d, protocol=2))
    return tmp_path


def test_cifar_loader(tmp_path):
    make_cifar(tmp_path)
    train, test, _ = D.load("cifar10", (1, 28, 28), data_dir=tmp_path)
    assert train.x.shape == (40, 1, 28, 28) and test.x.shape == (8, 1, 28, 28)


class Evil:
    def __reduce__(self):
        import os
        return (os.system, ("echo pwned",))


def test_cifar_loader_refuses_code(tmp_path):
    make_cifar(tmp_path)
    (tmp_path / "cifar-10-batches-py" / "data_batch_1").write_bytes(pickle.dumps({b"data": Evil()}))
    with pytest.raises(ArchscopeError, match="refusing to unpickle"):
        D.load("cifar10", (3, 32, 32), data_dir=tmp_path)


def test_probe_on_generated_mnist_files(tmp_path):
    make_mnist(tmp_path, n=64)
    r = probe("lenet.tutorial", device="cpu", dataset="mnist", data_dir=str(tmp_path), steps=20, batch_size=16,
              overfit_check=False)
    assert r.steps == 20 and r.settings["dataset"] == "mnist" and r.test_accuracy is not None


# ---- device peaks ---------------------------------------------------------------------

def test_known_peaks_and_mfu():
    # NVIDIA H100 SXM data sheet: 989.4 dense BF16 TFLOPS; A100: 312
    assert known_peak("NVIDIA H100 80GB HBM3", "bf16") == pytest.approx(989.4e12)
    assert known_peak("NVIDIA A100-SXM4-80GB", "bf16") == pytest.approx(312e12)
    assert known_peak("AMD EPYC 7B13", "fp32") is None
    assert mfu(250e12, 1000e12) == 0.25 and mfu(1.0, None) is None


# ---- CLI ------------------------------------------------------------------------------

def test_probe_cli_json_and_output_file(tmp_path):
    out = tmp_path / "r.json"
    r = runner.invoke(app, ["probe", "lenet5", "--device", "cpu", "--steps", "60", "--format", "json", "-o", str(out)])
    data = json.loads(out.read_text())
    assert data[0]["model"] == "lenet5" and data[0]["device_type"] == "cpu" and data[0]["torch"] == torch.__version__
    assert r.exit_code == (0 if data[0]["passed"] else 1)


def test_recipe_without_data_names_the_files(tmp_path):
    r = runner.invoke(app, ["probe", "--recipe", "lenet-fmnist", "--data-dir", str(tmp_path), "--device", "cpu"])
    assert r.exit_code == 2 and "train-images-idx3-ubyte" in r.stderr


def test_probe_cli_errors():
    assert runner.invoke(app, ["probe"]).exit_code == 2
    assert runner.invoke(app, ["probe", "lenet5", "--recipe", "lenet-mnist"]).exit_code == 2
    assert runner.invoke(app, ["probe", "--recipe", "nope"]).exit_code == 2
