"""Issue 26, items 4-9: `archscope data fetch --mirror URL` against hostile mirrors,
and data files that are decompression bombs. Every mirror is a web server on
127.0.0.1 in a thread of the test (conftest.mirror): it streams forever, trickles,
lies about Content-Length, closes early, or serves the files. The payloads are
made here: small IDX files with LeCun's headers (magic 0x00000803 for images,
0x00000801 for labels, then big-endian sizes) and a catalog entry whose sizes and
checksums hashlib computes from them (the fixture), never real downloads."""

import gzip
import hashlib
import os
import signal
import socket
import struct
import time
import tracemalloc
from dataclasses import replace

import numpy as np
import pytest
from hostile_helpers import cli_env, one_line_error, wait_for
from typer.testing import CliRunner

from archscope.cli import app
from archscope.datasets import catalog, store
from archscope.datasets.readers import decompressed
from archscope.errors import ArchscopeError

runner = CliRunner()


def idx(array: np.ndarray) -> bytes:
    return struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + \
        array.astype(np.uint8).tobytes()


@pytest.fixture
def tiny(monkeypatch):
    """fashion-mnist replaced by 24 + 12 random images: {name: served .gz bytes}. Its catalog
    entry's md5 (of the .gz), sha256 and size (of the content) and download size (of the .gz)
    are computed here with hashlib."""
    rng = np.random.default_rng(0)
    contents = {}
    for split, n in (("train", 24), ("t10k", 12)):
        contents[f"{split}-images-idx3-ubyte.gz"] = idx(rng.integers(0, 256, (n, 28, 28)))
        contents[f"{split}-labels-idx1-ubyte.gz"] = idx(rng.integers(0, 10, n))
    served = {n: gzip.compress(c, mtime=0) for n, c in contents.items()}
    files = tuple(catalog.DataFile(n, md5=hashlib.md5(served[n]).hexdigest(), sha256=hashlib.sha256(c).hexdigest(),
                                   size=len(c), download_size=len(served[n])) for n, c in contents.items())
    spec = replace(catalog.CATALOG["fashion-mnist"], files=files, system_dirs=())
    monkeypatch.setitem(catalog.CATALOG, "fashion-mnist", spec)
    return served


def _leftovers():
    folder = store.data_home() / "fashion-mnist"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _fetch_cli(url):
    r = runner.invoke(app, ["data", "fetch", "fashion-mnist", "--mirror", url])
    return r.exit_code, r.output


def serve(files):
    def fn(h, name):
        body = files.get(name)
        if body is None:
            h.send_error(404)
            return
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
    return fn


def stream(every: float, piece: bytes, length: int | None = None, total: int | None = None):
    """``piece`` every ``every`` seconds (forever, or up to ``total`` bytes, then close), announcing
    ``length`` as Content-Length (or none: the end is the connection's close)."""
    def fn(h, name):
        h.send_response(200)
        if length is not None:
            h.send_header("Content-Length", str(length))
        else:
            h.send_header("Connection", "close")
        h.end_headers()
        sent = 0
        while total is None or sent < total:
            h.wfile.write(piece)
            h.wfile.flush()
            sent += len(piece)
            if every:
                time.sleep(every)
        h.close_connection = True
    return fn


# ---- item 4 and 7: a mirror that is not a usable URL is said to be one, before anything is fetched ------

def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: a connection is refused
    return port


@pytest.mark.parametrize("url", ["127.0.0.1:18080/static/", "localhost:18080/static/", "file:///tmp/mirror/",
                                 "http://127.0.0.1:99999/", "http://[::1", "ftp://127.0.0.1/pub/", "", " ",
                                 "http:///static/", "https://host/data/?x=1", "http://host/da ta/"])
def test_a_mirror_that_is_not_an_http_url_is_refused_naming_it(tiny, url):
    code, out = _fetch_cli(url)
    assert code == 2, out
    line = one_line_error(out)
    assert "invalid mirror URL" in line and repr(url) in line, line
    assert "checksum" not in line and "downloading" not in out
    assert _leftovers() == []


def test_a_mirror_nobody_answers_is_a_failed_connection_naming_it(tiny):
    url = f"http://127.0.0.1:{_closed_port()}/data/"
    code, out = _fetch_cli(url)
    assert code == 2, out
    line = one_line_error(out)
    assert "connection failed" in line and url in line, line
    assert _leftovers() == []


# ---- item 5: a size cap, a stall limit, an overall deadline, progress ----------------------------------

def test_a_mirror_that_streams_forever_is_stopped_past_the_published_size(tiny, mirror):
    routes, base = mirror
    routes["forever"] = stream(0, b"\0" * 65536)
    code, out = _fetch_cli(base + "/forever/")
    assert code == 2, out
    line = one_line_error(out)
    size = len(tiny["train-images-idx3-ubyte.gz"])  # the first file fetched
    assert f"more than the published {size:,} bytes" in line and "train-images-idx3-ubyte.gz" in line, line
    assert _leftovers() == []


def test_a_mirror_that_trickles_is_stopped_as_stalled(tiny, mirror):
    routes, base = mirror
    routes["trickle"] = stream(0.2, b"\x1f" * 64)  # 320 bytes/s, under the floor of 1 KiB/s
    limits = store.DownloadLimits(stall_s=1.5)
    t0 = time.monotonic()
    with pytest.raises(ArchscopeError, match=r"too slow: .*trickle/train-images.* over 1.5 s"):
        store.fetch("fashion-mnist", mirror=base + "/trickle/", limits=limits)
    assert time.monotonic() - t0 < 10
    assert _leftovers() == []


def test_a_download_past_its_deadline_is_stopped(tiny, mirror, monkeypatch):
    routes, base = mirror
    routes["steady"] = stream(0.05, b"\x1f" * 4096)  # 80 KiB/s: not stalled, but never done
    spec = catalog.CATALOG["fashion-mnist"]  # a first file of 10 MB, so that the size cap is far away
    monkeypatch.setitem(catalog.CATALOG, "fashion-mnist", replace(spec, files=(
        replace(spec.files[0], download_size=10 ** 7), *spec.files[1:])))
    with pytest.raises(ArchscopeError, match=r"not done after 2 s \(the overall deadline\)"):
        store.fetch("fashion-mnist", mirror=base + "/steady/",
                    limits=store.DownloadLimits(stall_s=30, deadline_s=2))
    assert _leftovers() == []


def test_a_mirror_that_announces_another_size_is_refused_at_once(tiny, mirror):
    routes, base = mirror
    size = len(tiny["train-images-idx3-ubyte.gz"])
    routes["lying"] = stream(0, b"\0" * 65536, length=10 * size)  # then streams on regardless
    with pytest.raises(ArchscopeError, match=f"announces {10 * size:,} bytes; the published file has {size:,}"):
        store.fetch("fashion-mnist", mirror=base + "/lying/")
    assert _leftovers() == []


def test_a_mirror_that_closes_early_says_so(tiny, mirror):
    routes, base = mirror
    size = len(tiny["train-images-idx3-ubyte.gz"])
    routes["short"] = stream(0, b"\0" * 100, length=size, total=200)  # announces the right size, sends 200
    with pytest.raises(ArchscopeError, match=r"closed the connection after 200 of " + f"{size:,}"):
        store.fetch("fashion-mnist", mirror=base + "/short/")
    assert _leftovers() == []


def test_progress_is_reported_and_a_good_mirror_still_works(tiny, mirror):
    routes, base = mirror
    routes["ok"] = serve(tiny)
    seen = []
    folder = store.fetch("fashion-mnist", mirror=base + "/ok/", progress=lambda *a: seen.append(a))
    assert sorted(p.name for p in folder.iterdir()) == sorted(tiny)
    for name, body in tiny.items():  # each file's last report is its whole published size
        last = [s for s in seen if s[0] == name][-1]
        assert last[1:] == (len(body), len(body))


# ---- item 6: SIGTERM during a fetch leaves no temporary file --------------------------------------------

def test_sigterm_during_a_fetch_leaves_no_temporary_file(tmp_path, mirror, command):
    routes, base = mirror
    routes["slow"] = stream(0.05, b"\x1f" * 16384)  # 320 KiB/s: the real first file takes 80 s
    home = tmp_path / "home"
    c = command(["data", "fetch", "fashion-mnist", "--mirror", base + "/slow/"], tmp_path,
                cli_env(ARCHSCOPE_HOME=home))
    cache = home / "data" / "fashion-mnist"
    wait_for(lambda: cache.is_dir() and any(p.stat().st_size > 100_000 for p in cache.iterdir()), 60,
             "the temporary file to grow")
    os.kill(c.p.pid, signal.SIGTERM)
    code, out, err = c.finish(30)
    assert code != 0
    assert list(cache.iterdir()) == []  # SIGINT cleaned up before; SIGTERM left 300 MB behind


# ---- item 8: a gzip bomb stops at the published size and names the file -----------------------------

@pytest.fixture(scope="module")
def bomb():
    """A gzip file of 16 members, each 16 MiB of zeros (a member of 16 KiB): 256 MiB inflated from
    256 KiB. A reader that is not bounded holds all 256 MiB at once."""
    member = gzip.compress(b"\0" * 2 ** 24, compresslevel=9, mtime=0)
    return member * 16


def test_a_gzip_bomb_is_read_only_up_to_the_published_size(tmp_path, bomb):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(bomb)
    tracemalloc.start()
    try:
        with pytest.raises(ArchscopeError, match=r"train-images-idx3-ubyte.gz.*more than 47,040,016 bytes"):
            decompressed(path)  # the published size: 16 + 60,000 x 28 x 28 (LeCun's IDX header + pixels)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 120 * 2 ** 20, peak  # it held 256 MiB before


def test_data_list_and_probe_name_the_bomb(tmp_path, bomb):
    d = tmp_path / "d"
    d.mkdir()
    (d / "train-images-idx3-ubyte.gz").write_bytes(bomb)
    rng = np.random.default_rng(0)
    for n, a in (("train-labels-idx1-ubyte.gz", rng.integers(0, 10, 8)),
                 ("t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (8, 28, 28))),
                 ("t10k-labels-idx1-ubyte.gz", rng.integers(0, 10, 8))):
        (d / n).write_bytes(gzip.compress(idx(a), mtime=0))
    rows = {r.name: r for r in store.status(d)}
    for name in ("mnist", "fashion-mnist"):  # the same file names: both read it, both stop
        assert rows[name].verified.startswith("FAILED") and "more than 47,040,016 bytes" in rows[name].verified
    r = runner.invoke(app, ["probe", "lenet.d2l", "--dataset", "fashion-mnist", "--data-dir", str(d), "--steps", "2",
                            "--device", "cpu"])
    assert r.exit_code == 2 and "train-images-idx3-ubyte.gz" in one_line_error(r.output), r.output


def test_a_plain_file_larger_than_published_is_not_read(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    with open(path, "wb") as f:  # 1 GiB, sparse: nothing is written to disk
        f.truncate(2 ** 30)
    with pytest.raises(ArchscopeError, match=r"t10k-labels-idx1-ubyte.*1,073,741,824 bytes.*10,008"):
        decompressed(path)


def test_a_cifar_batch_larger_than_published_is_not_read(tmp_path):
    from archscope.datasets.readers import read_cifar_batch

    path = tmp_path / "data_batch_1"
    with open(path, "wb") as f:
        f.truncate(2 ** 30)
    with pytest.raises(ArchscopeError, match=r"data_batch_1.*1,073,741,824 bytes.*31,035,704"):
        read_cifar_batch(path)


# ---- item 9: a name that cannot be fetched is refused before anything; a failure is one line --------------

@pytest.mark.parametrize("name", ["imagenet", "oxflower17"])
def test_a_data_set_that_cannot_be_fetched_is_refused_first(name):
    r = runner.invoke(app, ["data", "fetch", name])
    assert r.exit_code == 2 and "downloading" not in r.output
    one_line_error(r.output)


def test_a_failed_fetch_is_one_line(tiny, mirror):
    routes, base = mirror
    routes["ok"] = serve({})  # every file: 404
    code, out = _fetch_cli(base + "/ok/")
    assert code == 2
    line = one_line_error(out)
    assert "404" in line and base + "/ok/train-images-idx3-ubyte.gz" in line, line


# ---- the published sizes the caps use ---------------------------------------------------------------------

def test_every_downloadable_file_has_its_published_size():
    # as the files' publishers serve them (their Content-Length; cited in archscope.datasets.catalog):
    # MNIST's four .gz files, Fashion-MNIST's, CIFAR-10's archive and the batches it extracts
    want = {"mnist": [9_912_422, 28_881, 1_648_877, 4_542], "fashion-mnist": [26_421_880, 29_515, 4_422_102, 5_148]}
    for name, sizes in want.items():
        assert [f.download_size for f in catalog.CATALOG[name].files] == sizes
        # decompressed: IDX headers (16 bytes for images, 8 for labels) + 60,000 / 10,000 items
        assert [f.size for f in catalog.CATALOG[name].files] == [16 + 60000 * 784, 8 + 60000, 16 + 10000 * 784,
                                                                 8 + 10000]
    cifar = catalog.CATALOG["cifar10"]
    assert cifar.archive.download_size == 170_498_071
    assert [f.size for f in cifar.files] == [31_035_704, 31_035_320, 31_035_999, 31_035_696, 31_035_623, 31_035_526]
