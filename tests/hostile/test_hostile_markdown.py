"""Issue 26, item 14: markdown output of names a user chose. Each page is rendered by
an independent CommonMark + GFM-tables parser (markdown-it-py, which rich already
installs) and the text a reader sees is compared with the name: '&' must not start
an entity ('amp&amp;' must read 'amp&amp;', not 'amp&'), and no bidi override
(U+202E reverses what follows on screen), zero-width or other control character
may reach the page raw; such a character is shown as its escape ('\\u202e')."""

import gzip
import re
import struct
import textwrap
import unicodedata
from html import unescape

import numpy as np
import pytest
from typer.testing import CliRunner

from archscope.cli import app

runner = CliRunner()
NAMES = ["amp&amp;", "ref&#x41;", "evil\u202etxt_exe", "iso\u2066x\u2069", "bell\x07", "zero\u200bwidth", "nel\x85"]
SHOWN = ["amp&amp;", "ref&#x41;", "evil\\u202etxt_exe", "iso\\u2066x\\u2069", "bell\\x07", "zero\\u200bwidth",
         "nel\\x85"]


def cells(md: str) -> list[list[str]]:
    """The text of every table cell, as a reader sees it (markdown-it renders, html.unescape decodes)."""
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").enable("table").render(md)
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    return [[unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)]
            for r in rows]


def text(md: str) -> str:
    from markdown_it import MarkdownIt

    return unescape(re.sub(r"<[^>]+>", "", MarkdownIt("commonmark").enable("table").render(md)))


def no_raw_controls(md: str) -> None:
    bad = [f"U+{ord(c):04X}" for c in md if c not in "\n" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]
    assert not bad, bad


MODEL = textwrap.dedent(f"""
    from torch import nn

    NAMES = {NAMES!r}


    class Net(nn.Module):
        def __init__(self, widths=(2, 2, 2, 2, 2, 2, 2)):
            super().__init__()
            self.layers = nn.ModuleDict({{n: nn.Conv2d(1, w, 1) if i == 0 else nn.ReLU()
                                          for i, (n, w) in enumerate(zip(NAMES, widths))}})

        def forward(self, x):
            for m in self.layers.values():
                x = m(x)
            return x


    def net():
        return Net()


    def wider():
        return Net((3, 2, 2, 2, 2, 2, 2))
""")


@pytest.fixture
def model(tmp_path):
    (tmp_path / "hostile_names.py").write_text(MODEL)
    return str(tmp_path / "hostile_names.py")


def test_summary_markdown_shows_every_name_as_it_is(model):
    r = runner.invoke(app, ["summary", f"{model}:net", "-i", "1x4x4", "-f", "markdown"])
    assert r.exit_code == 0, r.output
    no_raw_controls(r.stdout)
    first = [row[0].strip() for row in cells(r.stdout)[1:]]
    assert first == [f"layers.{n}" for n in SHOWN], first


def test_diff_markdown_shows_every_name_as_it_is(model):
    r = runner.invoke(app, ["diff", f"{model}:net", f"{model}:wider", "-i", "1x4x4", "-f", "markdown"])
    assert r.exit_code == 1, r.output  # 1: they differ
    no_raw_controls(r.stdout)
    where = [row[1] for row in cells(r.stdout)[1:] if row[0] == "changed"]
    assert where == ["layers.amp&amp;"], cells(r.stdout)


def test_every_markdown_table_and_text_escapes_alike():
    from archscope.render.table import md_escape, md_table, render_rows

    for md in (md_table([[n] for n in NAMES], ["name"]),
               render_rows([{"name": n} for n in NAMES], ["name"], "markdown")):
        no_raw_controls(md)
        assert [c[0] for c in cells(md)[1:]] == SHOWN
    for n, shown in zip(NAMES, SHOWN, strict=True):  # outside a table: a list item, a heading
        assert text(f"- {md_escape(n)}").strip() == shown
        assert text(f"# {md_escape(n)}").strip() == shown


def test_data_list_markdown_escapes_the_folder(tmp_path):
    def idx(a):  # LeCun's IDX: 0, 0, type 0x08 (ubyte), ndim, big-endian sizes, the bytes
        head = struct.pack(">BBBB", 0, 0, 8, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape)
        return head + a.astype(np.uint8).tobytes()

    d = tmp_path / "a|b&amp;\u202ec"
    d.mkdir()
    for n, a in (("train-images-idx3-ubyte.gz", np.zeros((2, 28, 28))), ("train-labels-idx1-ubyte.gz", np.zeros(2)),
                 ("t10k-images-idx3-ubyte.gz", np.zeros((2, 28, 28))), ("t10k-labels-idx1-ubyte.gz", np.zeros(2))):
        (d / n).write_bytes(gzip.compress(idx(a), mtime=0))
    r = runner.invoke(app, ["data", "list", "--data-dir", str(d), "-f", "markdown"])
    assert r.exit_code == 0, r.output
    no_raw_controls(r.stdout)
    rows = cells(r.stdout)
    assert len({len(row) for row in rows}) == 1, rows  # the '|' in the folder's name did not split a cell
    want = str(tmp_path / "a|b&amp;\\u202ec")
    assert [row[2] for row in rows if row[0] == "fashion-mnist"] == [want], rows


# ---- the text around the tables: notes, headings, messages -------------------------------------

def _shown_in(md: str, count: int = len(NAMES)) -> None:
    no_raw_controls(md)
    seen = text(md)
    for shown in SHOWN[:count]:
        assert shown in seen, (shown, seen)


def test_summary_notes_of_a_model_that_ran_on_cpu(tmp_path):
    # its forward refuses the meta device (as an op without a meta kernel does) with the names as the
    # message: the analysis runs it on the CPU, and its note quotes the message
    (tmp_path / "picky.py").write_text(textwrap.dedent(f"""
        from torch import nn

        class Picky(nn.Conv2d):
            def forward(self, x):
                if x.device.type == "meta":
                    raise NotImplementedError({" ".join(NAMES)!r})
                return super().forward(x)

        def net():
            return Picky(1, 2, 1)
    """))
    r = runner.invoke(app, ["summary", f"{tmp_path / 'picky.py'}:net", "-i", "1x4x4", "-f", "markdown"])
    assert r.exit_code == 0, r.output
    assert "ran on CPU" in r.stdout
    _shown_in(r.stdout, len(NAMES) - 1)  # the note is the message's first line: U+0085 (NEL) ends it


def test_sweep_markdown_notes_and_header():
    from archscope.probe.sweep import Row, SweepResult
    from archscope.render.sweep import render_markdown

    names = " ".join(NAMES)
    res = SweepResult(model=names, factors={"activation": [names]}, base={"activation": names}, grid=False,
                      repeats=1, settings={"optimizer": names},
                      rows=[Row(setting={"activation": names}, runs=1, failed=1, errors=[names])])
    _shown_in(render_markdown(res))


def test_cam_markdown_summary():
    from archscope.explain.diagnose import CamReport, MethodResult, summary_text

    names = " ".join(NAMES)
    report = CamReport(model=names, weights=f"/tmp/{names}.safetensors", input=[1, 8, 8], dataset="synthetic",
                       images=4, classifier_accuracy=None, methods=[MethodResult("grad-cam", names, (2, 2))],
                       skipped={"cam": names})
    _shown_in(summary_text(report, "github"))
