"""Real data sets: the lookup order, verified downloads from a local HTTP
server (never the internet), and every way a file can be wrong."""

import gzip
import hashlib
import http.server
import re
import struct
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from archscope.cli import app
from archscope.datasets import catalog, locate, store
from archscope.errors import ArchscopeError
from archscope.probe import data as D

runner = CliRunner()


def idx_bytes(array: np.ndarray) -> bytes:
    # LeCun's IDX format: 0, 0, type 0x08 (ubyte), ndim, big-endian sizes, data
    return struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + \
        array.astype(np.uint8).tobytes()


def tiny_set(n=24, seed=0):
    """A small IDX data set: {file name: decompressed content}."""
    rng = np.random.default_rng(seed)
    out = {}
    for split, count in (("train", n), ("t10k", n // 2)):
        out[f"{split}-images-idx3-ubyte.gz"] = idx_bytes(rng.integers(0, 256, (count, 28, 28)))
        out[f"{split}-labels-idx1-ubyte.gz"] = idx_bytes(rng.integers(0, 10, count))
    return out


def tiny_spec(contents, name="fashion-mnist", mirrors=("http://127.0.0.1:1/",), system=()):
    """A catalog entry for ``contents``, its checksums computed here with hashlib (independently of
    the code under test): md5 of the served .gz, sha256 and size of the content."""
    files = tuple(catalog.DataFile(n, md5=hashlib.md5(gzip.compress(c, mtime=0)).hexdigest(),
                                   sha256=hashlib.sha256(c).hexdigest(), size=len(c)) for n, c in contents.items())
    return catalog.DataSpec(name, "test set", "idx", files, mirrors=mirrors, system_dirs=tuple(map(str, system)))


def write_set(folder: Path, contents, gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    for n, c in contents.items():
        (folder / (n if gz else n[:-3])).write_bytes(gzip.compress(c, mtime=0) if gz else c)
    return folder


@pytest.fixture
def fake(monkeypatch, tmp_path):
    """fashion-mnist replaced by a tiny set whose system copy lives in tmp_path/system."""
    contents = tiny_set()
    system = tmp_path / "system"
    spec = tiny_spec(contents, system=[system])
    monkeypatch.setitem(catalog.CATALOG, "fashion-mnist", spec)
    return contents, spec, system


# ---- the lookup order ---------------------------------------------------------------------

def test_lookup_order_data_dir_then_cache_then_system(fake, tmp_path):
    contents, spec, system = fake
    with pytest.raises(ArchscopeError, match="not found in .*get it with `archscope data fetch fashion-mnist` or "
                                             "`data_dir`"):  # the CLI shows --data-dir
        locate("fashion-mnist", download=False)
    write_set(system, contents)
    assert locate("fashion-mnist").where == "system"
    write_set(store.data_home() / "fashion-mnist", contents)
    assert locate("fashion-mnist").where == "cache"
    mine = write_set(tmp_path / "mine", contents, gz=False)
    loc = locate("fashion-mnist", mine)
    assert loc.where == "--data-dir" and loc.folder == mine


def test_an_explicit_data_dir_that_lacks_the_files_is_an_error(fake, tmp_path):
    contents, spec, system = fake
    write_set(system, contents)  # present elsewhere, but the user named this folder
    with pytest.raises(ArchscopeError, match="not found in .*empty.*missing train-images"):
        locate("fashion-mnist", tmp_path / "empty")


def test_offline_says_what_is_missing_and_the_two_ways(fake):
    r = runner.invoke(app, ["probe", "--recipe", "lenet-fmnist", "--device", "cpu"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "archscope data fetch fashion-mnist" in r.output and "--data-dir" in r.output


def test_system_copy_is_verified_by_content(fake, tmp_path):
    contents, spec, system = fake
    write_set(system, contents)
    train, test, classes = D.load("fashion-mnist", (1, 28, 28), scaling="unit", provenance=(p := {}))
    assert p["where"] == "system" and p["verified"] == ["sha256 of the content"]
    # pixels / 255, as torchvision's ToTensor gives them
    first = np.frombuffer(contents["train-images-idx3-ubyte.gz"], np.uint8, offset=16)[:784] / 255
    assert np.allclose(train.x[0, 0].flatten().numpy(), first, atol=1e-6)
    # a corrupted copy in a known place is refused, naming the file
    bad = bytearray(contents["t10k-images-idx3-ubyte.gz"])
    bad[-1] ^= 0xFF
    (system / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(bytes(bad)))
    with pytest.raises(ArchscopeError, match="t10k-images-idx3-ubyte.gz: checksum mismatch"):
        D.load("fashion-mnist", (1, 28, 28))


def test_the_real_fashion_mnist_checksums_match_debians_copy():
    # Debian's dataset-fashion-mnist re-gzips the upstream files; their content must still be the
    # original: 60,000 + 10,000 images of 28x28 (16-byte header), labels with an 8-byte header
    spec = catalog.CATALOG["fashion-mnist"]
    assert [f.size for f in spec.files] == [16 + 60000 * 784, 8 + 60000, 16 + 10000 * 784, 8 + 10000]
    folder = Path("/usr/share/datasets/fashion-mnist")
    if not folder.is_dir():
        pytest.skip("dataset-fashion-mnist is not installed")
    rows = {s.name: s for s in store.status()}
    assert rows["fashion-mnist"].where == "system"
    assert rows["fashion-mnist"].verified == "verified (sha256 of the content)"


# ---- downloads from 127.0.0.1 --------------------------------------------------------------

class _Files(http.server.BaseHTTPRequestHandler):
    files: dict = {}

    def do_GET(self):
        body = self.files.get(self.path.lstrip("/"))
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    handler = type("H", (_Files,), {"files": {}})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield handler.files, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def _serve(files, contents):
    for n, c in contents.items():
        files[n] = gzip.compress(c, mtime=0)


def test_fetch_through_a_mirror_verifies_and_caches(fake, server, monkeypatch):
    contents, spec, _ = fake
    files, url = server
    _serve(files, contents)
    r = runner.invoke(app, ["data", "fetch", "fashion-mnist", "--mirror", url])
    assert r.exit_code == 0, r.output
    cached = store.data_home() / "fashion-mnist"
    assert sorted(p.name for p in cached.iterdir()) == sorted(contents)
    assert locate("fashion-mnist", download=False).where == "cache"
    r = runner.invoke(app, ["data", "list"])
    assert "cache" in r.output and "verified (sha256 of the content)" in r.output


@pytest.mark.parametrize("damage, message", [
    ("wrong", "checksum mismatch .*nothing kept"),
    ("truncated", "checksum mismatch .*nothing kept"),
    ("missing", "HTTP 404"),
])
def test_a_bad_download_leaves_nothing_a_later_run_would_trust(fake, server, damage, message):
    contents, spec, _ = fake
    files, url = server
    _serve(files, contents)
    name = "train-images-idx3-ubyte.gz"
    if damage == "wrong":
        files[name] = gzip.compress(b"\0" * len(contents[name]), mtime=0)
    elif damage == "truncated":
        files[name] = files[name][: len(files[name]) // 2]
    else:
        del files[name]  # the server answers 404
    r = runner.invoke(app, ["data", "fetch", "fashion-mnist", "--mirror", url])
    assert r.exit_code == 2 and re.search(message, r.output) and "Traceback" not in r.output, r.output
    assert len(r.output.strip().splitlines()) <= 2  # the notice and one error line
    cached = store.data_home() / "fashion-mnist"
    assert not (cached / name).exists()
    assert not [p for p in cached.iterdir() if p.name not in contents]  # no temporary left behind
    with pytest.raises(ArchscopeError, match="not found"):
        locate("fashion-mnist", download=False)


def test_content_that_does_not_match_after_a_good_download_is_removed(fake, server, monkeypatch):
    # the served .gz matches its published md5 but its content is not the data set's (a re-published
    # file): the content check removes it
    contents, spec, _ = fake
    files, url = server
    _serve(files, contents)
    name = "t10k-labels-idx1-ubyte.gz"
    other = gzip.compress(b"x" * 10, mtime=0)
    files[name] = other
    f = next(f for f in spec.files if f.name == name)
    monkeypatch.setitem(catalog.CATALOG, "fashion-mnist",
                        replace(spec, files=tuple(replace(g, md5=hashlib.md5(other).hexdigest()) if g is f else g
                                                  for g in spec.files)))
    r = runner.invoke(app, ["data", "fetch", "fashion-mnist", "--mirror", url])
    assert r.exit_code == 2 and "expected" in r.output
    assert not (store.data_home() / "fashion-mnist" / name).exists()


def test_probe_downloads_when_missing_with_a_notice(fake, server, monkeypatch):
    contents, spec, _ = fake
    files, url = server
    _serve(files, contents)
    monkeypatch.setenv("ARCHSCOPE_OFFLINE", "0")
    monkeypatch.setitem(catalog.CATALOG, "fashion-mnist", replace(spec, mirrors=(url,)))
    notices = []
    loc = locate("fashion-mnist", notice=notices.append)
    assert loc.where == "download" and "downloading it into" in notices[0]


# ---- bad files -------------------------------------------------------------------------------

def _broken(folder, contents, name, data):
    write_set(folder, contents)
    (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize("name, data, message", [
    ("train-images-idx3-ubyte.gz", b"\x1f\x8b\x08\x00garbage", "corrupt or truncated gzip"),
    # mtime=0: gzip stamps the time into its header, and these bytes are part of the test ids, which
    # pytest-xdist's workers must collect identically (a second apart they did not)
    ("train-images-idx3-ubyte.gz", gzip.compress(b"\x00\x00\x08\x03\x00\x00", mtime=0), "truncated: its header ends"),
    ("train-labels-idx1-ubyte.gz", gzip.compress(idx_bytes(np.full(24, 12)), mtime=0), r"labels must lie in 0..9"),
    ("train-images-idx3-ubyte.gz", gzip.compress(idx_bytes(np.zeros((0, 28, 28))), mtime=0),
     "do not match|holds no images"),
])
def test_bad_files_name_the_file_and_the_problem(tmp_path, name, data, message):
    folder = _broken(tmp_path / "d", tiny_set(), name, data)
    r = runner.invoke(app, ["probe", "lenet.d2l", "--dataset", "fashion-mnist", "--data-dir", str(folder),
                            "--steps", "2", "--device", "cpu"])
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    assert name in r.output or "labels" in r.output
    assert re.search(message, r.output), r.output


def test_empty_data_set_is_refused_not_diverged(tmp_path):
    contents = tiny_set()
    contents["train-images-idx3-ubyte.gz"] = idx_bytes(np.zeros((0, 28, 28)))
    contents["train-labels-idx1-ubyte.gz"] = idx_bytes(np.zeros(0))
    folder = write_set(tmp_path / "d", contents)
    with pytest.raises(ArchscopeError, match="holds no images"):
        D.load("fashion-mnist", (1, 28, 28), data_dir=folder)


def test_cifar_batch_whose_data_is_not_an_array(tmp_path):
    import pickle

    base = tmp_path / "cifar-10-batches-py"
    base.mkdir()
    for n in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (base / n).write_bytes(pickle.dumps({b"data": "not an array", b"labels": [1, 2]}, protocol=2))
    with pytest.raises(ArchscopeError, match="data_batch_1 is not a CIFAR-10 batch"):
        D.load("cifar10", (3, 32, 32), data_dir=tmp_path)


def test_an_interrupted_download_leaves_nothing(fake, server, monkeypatch):
    contents, spec, _ = fake
    files, url = server
    _serve(files, contents)

    def half_then_ctrl_c(self, u, output_file, p=None, check_only=False):
        with open(output_file, "wb") as f:  # the temporary file pooch gives, half written
            f.write(b"\x1f\x8b partial")
        raise KeyboardInterrupt

    with monkeypatch.context() as m:  # archscope's downloader, which pooch calls
        m.setattr(store._Download, "__call__", half_then_ctrl_c)
        with pytest.raises(KeyboardInterrupt):
            store.fetch("fashion-mnist", mirror=url)
    cached = store.data_home() / "fashion-mnist"
    assert not list(cached.iterdir())  # neither a partial file nor a temporary
    with pytest.raises(ArchscopeError, match="not found"):
        locate("fashion-mnist", download=False)
