"""Hostile use (issue 12): output paths of every kind, interrupts during a write,
names that try to break DOT or markdown, and bad input that must be one line with
exit status 2. Each expectation is what the operating system, Graphviz's parser or
the markdown table syntax (GFM: a row is split at unescaped pipes) says, checked
here by those tools or by hand, not by archscope's own code."""

import json
import os
import shutil
import signal
import stat
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from archscope.analysis import analyze
from archscope.analysis.graph import Edge, Graph, Node, build_graph
from archscope.cli import app
from archscope.errors import ArchscopeError
from archscope.outputs import atomic_target, check_output_dir, check_output_file, write_atomic
from archscope.render.diagram import to_dot

runner = CliRunner()
HAS_DOT = shutil.which("dot") is not None
ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from archscope.cli import main; main()"]


def run_cli(args, cwd, **kw):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run(CLI + list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=120, **kw)


def one_line_error(r) -> str:
    err = r.stderr if hasattr(r, "stderr") else r.output
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("archscope: error: "), err
    assert "internal error" not in err and "Traceback" not in err, err
    return lines[0]


# ---- defect 1: what a write does to whatever is at the path ------------------------

def test_symlink_to_a_device_is_written_through(tmp_path):
    link = tmp_path / "null.svg"
    link.symlink_to("/dev/null")
    write_atomic(link, b"<svg/>")
    assert link.is_symlink() and os.readlink(link) == "/dev/null"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["null.svg"]


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
def test_character_device_is_written_through(tmp_path):
    dev = tmp_path / "n"
    os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # the device /dev/null is (Linux devices.txt)
    r = runner.invoke(app, ["diagram", "lenet5", "-f", "dot", "-o", str(dev)])
    assert r.exit_code == 0, r.output
    assert stat.S_ISCHR(os.lstat(dev).st_mode)


def test_fifo_is_written_through(tmp_path):
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader is there, so the writer does not wait
    try:
        write_atomic(fifo, b"through the pipe")
        assert os.read(reader, 100) == b"through the pipe"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_symlink_is_followed_and_its_target_replaced(tmp_path):
    target = tmp_path / "t"
    target.write_text("x\n")
    link = tmp_path / "l.svg"
    link.symlink_to("t")
    write_atomic(link, b"new")
    assert link.is_symlink() and os.readlink(link) == "t"
    assert target.read_bytes() == b"new"


def test_permissions_kept_and_umask_for_new_files(tmp_path):
    old = tmp_path / "old.json"
    old.write_text("{}")
    os.chmod(old, 0o640)
    write_atomic(old, b"[]")
    assert stat.S_IMODE(os.stat(old).st_mode) == 0o640
    mask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "new.json", b"[]")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(os.stat(tmp_path / "new.json").st_mode) == 0o644  # 0o666 & ~0o022


def test_dev_stdout_redirected_to_a_file_is_written_through(tmp_path):
    out = tmp_path / "out.txt"
    script = "import sys; from archscope.outputs import write_atomic; print('before', flush=True); " \
             "write_atomic('/dev/stdout', b'DATA\\n'); print('after')"
    with open(out, "w") as f:
        ino = os.fstat(f.fileno()).st_ino
        subprocess.run([sys.executable, "-c", script], stdout=f, check=True, timeout=60,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.read_text() == "before\nDATA\nafter\n" and os.stat(out).st_ino == ino


@pytest.mark.parametrize("where", ["in the block", "at the rename"])
def test_keyboard_interrupt_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch, where):
    path = tmp_path / "r.json"
    path.write_text("old")
    if where == "at the rename":
        def interrupted(*a):
            raise KeyboardInterrupt
        monkeypatch.setattr("archscope.outputs.os.replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        with atomic_target(path) as tmp:
            Path(tmp).write_text("half")
            if where == "in the block":
                raise KeyboardInterrupt
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_sigterm_during_a_write_leaves_no_temporary(tmp_path):
    # SIGTERM's default action ends the process at once; here it arrives at a fixed point, mid-write
    script = textwrap.dedent(f"""
        import os, signal
        from archscope.outputs import atomic_target
        with atomic_target({str(tmp_path / 'r.json')!r}) as tmp:
            open(tmp, 'w').write('half')
            os.kill(os.getpid(), signal.SIGTERM)
            open(tmp, 'a').write(' and the rest')
        """)
    (tmp_path / "r.json").write_text("old")
    r = subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(ROOT)},
                       capture_output=True, timeout=60)
    assert r.returncode == 128 + signal.SIGTERM, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]
    assert (tmp_path / "r.json").read_text() == "old"


# ---- the checks commands make before any work ----------------------------------------

@pytest.mark.parametrize("case, message", [
    ("folder", "is a folder"),
    ("file parent", "is a file, not a folder"),
    ("deep file parent", "is a file, not a folder"),
    ("proc", "does not accept new files"),
])
def test_check_output_file_refuses(tmp_path, case, message):
    (tmp_path / "f.txt").write_text("")
    path = {"folder": tmp_path, "file parent": tmp_path / "f.txt" / "x.svg",
            "deep file parent": tmp_path / "f.txt" / "a" / "x.svg", "proc": Path("/proc/x.svg")}[case]
    with pytest.raises(ArchscopeError, match=message) as e:
        check_output_file(path)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("case, message", [
    ("file", "is a file, not a folder"),
    ("file parent", "is a file, not a folder"),
    ("proc", "does not accept new files"),
])
def test_check_output_dir_refuses(tmp_path, case, message):
    (tmp_path / "f.txt").write_text("")
    path = {"file": tmp_path / "f.txt", "file parent": tmp_path / "f.txt" / "sub",
            "proc": Path("/proc/archscope-out")}[case]
    with pytest.raises(ArchscopeError, match=message):
        check_output_dir(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_is_refused(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    with pytest.raises(ArchscopeError, match="does not accept new files"):
        check_output_file(ro / "x.svg")
    with pytest.raises(ArchscopeError, match="does not accept new files"):
        check_output_dir(ro / "sub")


def test_checks_accept_writable_paths_and_create_nothing(tmp_path):
    assert check_output_file(tmp_path / "a" / "b" / "x.svg") == tmp_path / "a" / "b" / "x.svg"
    assert check_output_dir(tmp_path / "new" / "dir") == tmp_path / "new" / "dir"
    assert check_output_file("/dev/null") == Path("/dev/null")
    assert list(tmp_path.iterdir()) == []


# ---- defect 4: output paths refused before the work ------------------------------------

@pytest.mark.parametrize("args", [
    ["diagram", "lenet5", "-o", "{dir}"],
    ["diagram", "lenet5", "-o", "{file}/x.svg"],
    ["report", "lenet5", "-o", "{file}"],
    ["cam", "lenet.d2l", "--weights", "{file}", "-o", "{file}"],
])
def test_output_paths_checked_before_any_work(tmp_path, monkeypatch, args):
    def no_work(*a, **k):
        raise AssertionError("the work started before the output path was checked")

    monkeypatch.setattr("archscope.analysis.analyze", no_work)
    monkeypatch.setattr("archscope.explain.diagnose.run_cam", no_work)
    monkeypatch.setattr("archscope.reports.generate", no_work)
    (tmp_path / "f").write_text("")
    r = runner.invoke(app, [a.format(dir=tmp_path, file=tmp_path / "f") for a in args])
    assert r.exit_code == 2, r.output
    one_line_error(r)


# ---- defect 6: DOT quoting ---------------------------------------------------------------

class Branches(nn.Module):
    """An Inception-like block (two branches, concatenated): drawn as a cluster labelled with its name."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(1, 2, 1)
        self.b = nn.Conv2d(1, 2, 1)

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x)], 1)


class Hostile(nn.Module):
    def __init__(self):
        super().__init__()
        for name, m in (("inc\\", Branches()), ("ctl\x01\x1b\t", nn.Conv2d(4, 4, 1)), ("end\\", nn.ReLU())):
            self.add_module(name, m)

    def forward(self, x):
        for m in self.children():
            x = m(x)
        return x


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("level", ["block", "layer"])
def test_backslashes_and_control_characters_make_valid_dot(tmp_path, level):
    g = build_graph(analyze(Hostile(), (1, 4, 4), training_memory=False), level)
    g = Graph("model\\", g.level, g.nodes, g.edges)  # a graph name ending in a backslash too
    src = tmp_path / "g.dot"
    src.write_text(to_dot(g).source)
    r = subprocess.run(["dot", "-Tsvg", str(src)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and not r.stderr, r.stderr  # Graphviz's own parser is the judge
    assert "end\\</text>" in r.stdout and "ctl\\x01\\x1b\\t" in r.stdout  # backslash kept; controls as escapes
    if level == "block":
        assert ">inc\\</text>" in r.stdout  # the cluster's label


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_cluster_label_ending_in_backslash_renders(tmp_path):
    nodes = [Node("input", "input", "io", output_shape=[1, 1, 4, 4]),
             Node("n1", "x\\.a", "conv", ["Conv2d"], cluster="x\\"), Node("n2", "x\\.b", "conv", ["Conv2d"],
                                                                          cluster="x\\"),
             Node("output", "output", "io", output_shape=[1, 4])]
    g = Graph("m", "block", nodes, [Edge("input", "n1", None), Edge("input", "n2", None),
                                    Edge("n1", "output", None), Edge("n2", "output", None)])
    r = subprocess.run(["dot", "-Tsvg"], input=to_dot(g).source, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert ">x\\</text>" in r.stdout


# ---- defect 7: markdown tables -------------------------------------------------------------

def _cells(line: str) -> list[str]:
    """Split a GFM table row at unescaped pipes (a backslash escapes the next character)."""
    cells, cur, i = [], "", 0
    body = line.strip()[1:-1]
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            cur += body[i:i + 2]
            i += 2
            continue
        if body[i] == "|":
            cells.append(cur)
            cur = ""
        else:
            cur += body[i]
        i += 1
    return cells + [cur]


class Named(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleDict({"a|b": nn.Conv2d(1, 2, 3), "two\nlines": nn.ReLU(),
                                     "<script>alert(1)</script>": nn.Conv2d(2, 2, 1), "ends\\": nn.ReLU()})

    def forward(self, x):
        for m in self.layers.values():
            x = m(x)
        return x


def _check_table(md: str, rows: int) -> None:
    table = [line for line in md.splitlines() if line.startswith("|")]
    assert len(table) == 2 + rows, md  # header, separator, one line per row
    width = len(_cells(table[0]))
    assert all(len(_cells(line)) == width for line in table), md
    assert "<script>" not in md and "&lt;script>" in md


def test_summary_markdown_escapes_every_cell():
    from archscope.render.summary import render_summary

    md = render_summary(analyze(Named(), (1, 8, 8)), "markdown", depth=2)
    _check_table(md, 4)
    assert "a\\|b" in md and "two<br>lines" in md and "ends\\\\" in md


def test_every_markdown_table_escapes():
    from archscope.render.table import md_table, render_rows

    rows = [{"name": "x|y", "v": "<script>\n"}, {"name": "<script>alert(1)</script>", "v": "ok"}]
    _check_table(render_rows(rows, ["name", "v"], "markdown"), 2)
    assert md_table([["a < 1", "b > 2"]], ["h", "i"]).splitlines()[2] == "| a < 1 | b > 2 |"  # not HTML: kept


# ---- defect 9: bad input is one line and exit 2 ----------------------------------------------

def _weights(tmp_path, meta: str) -> str:
    from safetensors.torch import save_file

    from archscope.zoo import get_model

    path = tmp_path / "w.safetensors"
    sd = {k: v.contiguous() for k, v in get_model("lenet.d2l").state_dict().items()}
    save_file(sd, str(path), metadata={"archscope": meta})
    return str(path)


@pytest.mark.parametrize("meta", ['[1, 2]', '"lenet.d2l"', '{"input": "3xfoo"}', '{"input": [3, -1, 2]}',
                                  '{"model": 7}', '{"overrides": ["relu"]}', '{"overrides": {"activation": 3}}',
                                  '{nope'])
def test_malformed_weights_metadata(tmp_path, meta):
    r = runner.invoke(app, ["cam", "lenet.d2l", "--weights", _weights(tmp_path, meta), "--count", "4",
                            "-o", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    one_line_error(r)


@pytest.mark.parametrize("shape", ["3x28x28", "1x4x4"])
def test_cam_input_the_model_cannot_take(tmp_path, shape):
    r = runner.invoke(app, ["cam", "lenet.d2l", "--weights", _weights(tmp_path, "{}"), "-i", shape,
                            "--count", "4", "-o", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    assert "lenet.d2l" in one_line_error(r)


def test_cam_nan_weights(tmp_path):
    from archscope.probe.weights import save_weights
    from archscope.zoo import get_model

    m = get_model("lenet.d2l")
    with torch.no_grad():
        m[0].weight.fill_(float("nan"))
    save_weights(m, tmp_path / "nan.pt")
    r = runner.invoke(app, ["cam", "lenet.d2l", "--weights", str(tmp_path / "nan.pt"), "--count", "4",
                            "-o", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    assert "NaN" in one_line_error(r)


def _png_header_only(path: Path, w: int, h: int) -> None:
    """A PNG that claims w x h pixels (PNG spec: signature, IHDR, IDAT, IEND, each with its CRC)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)  # 8-bit greyscale
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))


@pytest.mark.parametrize("pixels", [100_000 * 1_000, 12_000 * 10_000])  # twice Pillow's limit, and just past it
def test_decompression_bomb_image(tmp_path, pixels):
    _png_header_only(tmp_path / "bomb.png", 10_000, pixels // 10_000)
    r = runner.invoke(app, ["cam", "lenet.d2l", "--weights", _weights(tmp_path, "{}"), "--method", "gradcam",
                            "--images", str(tmp_path / "bomb.png"), "-o", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    assert "too large" in one_line_error(r)


@pytest.mark.parametrize("args", [
    ["summary", "lenet5", "--batch", str(2**63)],
    ["summary", "lenet5", "--batch", str(10**13), "--input", "1x999999x999999"],
    ["summary", "lenet5", "--input", f"1x{2**63}x32"],
    ["diagram", "lenet5", "-o", "/proc/x.svg"],
])
def test_overflow_and_unwritable_are_one_line(tmp_path, args):
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    one_line_error(r)


def test_cpu_out_of_memory_is_one_line(monkeypatch):
    def oom(*a, **k):  # what torch's CPU allocator raises (c10/core/impl/alloc_cpu.cpp)
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate memory: "
                           "you tried to allocate 1099511627776 bytes. Error code 12 (Cannot allocate memory)")

    monkeypatch.setattr("archscope.analysis.analyze", oom)
    r = runner.invoke(app, ["summary", "lenet5"])
    assert r.exit_code == 2 and "out of memory" in one_line_error(r)


MODELS = '''
import warnings
import torch
from torch import nn

class Surrogate(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleDict({"c\\ud800": nn.Conv2d(1, 2, 3)})
    def forward(self, x):
        return self.layers["c\\ud800"](x)

def counted():
    with open("calls.txt", "a") as f:
        f.write("called\\n")
    m = nn.Conv2d(1, 2, 3)
    m.scale = float(m.weight.sum())  # reads a tensor's value: cannot run on the meta device
    return m

class DataDependent(nn.Module):
    def __init__(self):
        super().__init__()
        with open("calls.txt", "a") as f:
            f.write("called\\n")
        self.conv = nn.Conv2d(1, 2, 3)
    def forward(self, x):
        y = self.conv(x)
        return y * 2 if y.sum() > 0 else y

class Chatty(nn.Module):
    def __init__(self):
        super().__init__()
        print("building Chatty")
        self.conv = nn.Conv2d(1, 2, 3)
    def forward(self, x):
        print("forward of Chatty")
        warnings.warn("a stray library warning")
        return self.conv(x)
'''


@pytest.fixture
def models(tmp_path):
    (tmp_path / "models.py").write_text(MODELS)
    return tmp_path


@pytest.mark.parametrize("args", [["summary", "models.py:Surrogate", "-i", "1x8x8"],
                                  ["summary", "models.py:Surrogate", "-i", "1x8x8", "-f", "markdown"],
                                  ["diagram", "models.py:Surrogate", "-i", "1x8x8", "--level", "layer", "-f", "dot",
                                   "-o", "s.dot"]])
def test_lone_surrogate_in_a_module_name(models, args):
    r = run_cli(args, models)
    assert r.returncode == 0, r.stderr
    # markdown shows it as its escape, whose backslash is escaped in the source: 'c\\ud800' reads 'c\ud800'
    want = "c\\\\ud800" if "markdown" in args else "c\\ud800"
    assert want in (r.stdout if args[0] == "summary" else (models / "s.dot").read_text())


# ---- defect 10 ---------------------------------------------------------------------------------

def test_closed_stdout(tmp_path):
    r = subprocess.run(["bash", "-c", " ".join(CLI[:2]) + " 'from archscope.cli import main; main()' list >&-"],
                       cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2
    one_line_error(r)


def test_a_callable_that_fails_on_meta_is_called_once(models, monkeypatch):
    monkeypatch.chdir(models)
    r = runner.invoke(app, ["summary", "models.py:counted", "-i", "1x8x8"])
    assert r.exit_code == 2 and "meta device" in one_line_error(r)
    assert (models / "calls.txt").read_text().count("called") == 1


def test_data_dependent_forward_falls_back_to_cpu_as_documented(models):
    r = run_cli(["summary", "models.py:DataDependent", "-i", "1x8x8", "-f", "json"], models)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["device"] == "cpu" and any("ran on CPU" in n for n in out["notes"])
    assert out["totals"]["macs"] == 2 * 6 * 6 * 9  # 2 output channels x 6x6 positions x 3x3 kernel x 1 channel
    assert (models / "calls.txt").read_text().count("called") == 1


def test_print_in_user_code_keeps_json_clean_and_warnings_are_quiet(models):
    r = run_cli(["summary", "models.py:Chatty", "-i", "1x8x8", "-f", "json"], models)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["totals"]["params"] == 2 * 9 + 2
    assert "building Chatty" in r.stderr and "warning" not in r.stderr.lower()


def test_mixed_precision_model_is_said():
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Conv2d(2, 2, 3).half())
    a = analyze(m, (1, 8, 8))
    assert any("float16 and float32" in n for n in a.notes), a.notes


def test_debug_keeps_exit_2():
    r = runner.invoke(app, ["--debug", "summary", "lenet5", "-i", "1x2x2"])
    assert r.exit_code == 2
    assert "Traceback" in r.output and "archscope: error: " in r.output


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_diagram_format_and_suffix_agree(tmp_path):
    r = runner.invoke(app, ["diagram", "lenet5", "-f", "png", "-o", str(tmp_path / "x.svg")])
    assert r.exit_code == 2 and ".svg" in one_line_error(r)
    assert not (tmp_path / "x.svg").exists()
    r = runner.invoke(app, ["diagram", "lenet5", "-o", str(tmp_path / "x.png")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "x.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # the PNG signature
