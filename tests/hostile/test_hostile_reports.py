"""Issue 26, items 11-13: `archscope report` and `archscope diagram` against output
folders a user (or an attacker sharing the folder) has prepared: a file where a
folder must go, a folder where a page goes, symlinks that lead out, and model
paths that would make a hidden or unsafe default file name. What must happen is
read from the file system (os.lstat, os.readlink, file contents), not from
archscope."""

import os
import re
import textwrap
from pathlib import Path

import pytest
from hostile_helpers import one_line_error
from typer.testing import CliRunner

from archscope.cli import app

runner = CliRunner()


@pytest.fixture
def no_work(monkeypatch):
    """Fails the test if the report starts its work (the analysis or the claims) before it has
    refused: the paths must be checked first."""
    import archscope.analysis
    import archscope.claims

    def work(*a, **k):
        raise AssertionError("the report started working before checking its paths")

    monkeypatch.setattr(archscope.analysis, "analyze", work)
    monkeypatch.setattr(archscope.claims, "evaluate", work)


def _tree(root: Path) -> dict:
    return {str(p.relative_to(root)): (os.readlink(p) if p.is_symlink() else
                                       "dir" if p.is_dir() else p.read_bytes())
            for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("args, block", [
    (["resnet20"], "models is a file"), (["resnet20"], "a page is a folder"),
    (["--all"], "models is a file"), (["--all"], "a page is a folder"), (["--all"], "claims.md is a folder"),
    (["--all"], "training is a file")])
def test_every_page_path_is_checked_before_any_work(tmp_path, no_work, args, block):
    out = tmp_path / "out"
    out.mkdir()
    if block == "models is a file":
        (out / "models").write_text("mine")
    elif block == "a page is a folder":
        (out / "models" / "resnet20.md").mkdir(parents=True)
    elif block == "claims.md is a folder":
        (out / "claims.md").mkdir()
    else:
        (out / "training").write_text("mine")
    before = _tree(out)
    r = runner.invoke(app, ["report", *args, "-o", str(out)])
    assert r.exit_code == 2, r.output
    line = one_line_error(r.output)
    assert str(out) in line, line
    assert _tree(out) == before  # nothing partial


def test_a_symlinked_page_that_leads_out_is_refused_and_its_target_kept(tmp_path, no_work):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    out = tmp_path / "ud"
    (out / "models").mkdir(parents=True)
    (out / "models" / "resnet20.md").symlink_to(outside)
    r = runner.invoke(app, ["report", "resnet20", "-o", str(out)])
    assert r.exit_code == 2, r.output
    line = one_line_error(r.output)
    assert "resnet20.md" in line and "leads out of" in line and str(outside) in line, line
    assert outside.read_text() == "keep me" and os.readlink(out / "models" / "resnet20.md") == str(outside)


def test_a_symlinked_folder_that_leads_out_is_refused(tmp_path, no_work):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "ud"
    out.mkdir()
    (out / "models").symlink_to(elsewhere)
    r = runner.invoke(app, ["report", "resnet20", "-o", str(out)])
    assert r.exit_code == 2 and "leads out of" in one_line_error(r.output)
    assert list(elsewhere.iterdir()) == []


def test_symlinks_that_stay_inside_and_a_linked_output_folder_are_fine(tmp_path):
    real = tmp_path / "real"
    (real / "pages").mkdir(parents=True)
    (real / "models").symlink_to(real / "pages")  # inside the folder: followed
    link = tmp_path / "link"
    link.symlink_to(real)  # -o itself a symlink: its target is the folder
    r = runner.invoke(app, ["report", "lenet5", "-o", str(link)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (real / "pages").iterdir()) == ["lenet5.md", "lenet5.svg"]


# ---- item 13: the diagram's default file name --------------------------------------------------

@pytest.mark.parametrize("spec, want", [
    ("../models/x.py:net", "x_net-block.dot"),
    ("resnet20.keras", "resnet20.keras-block.dot"),
    ("./.hidden.py:net", "hidden_net-block.dot"),
    ("./-rf.py:net", "rf_net-block.dot"),
    ("./évil\u202egnp.py:net", "vil_gnp_net-block.dot"),
])
def test_the_default_diagram_name_is_visible_and_safe(spec, want):
    from archscope.outputs import default_file_name

    name = default_file_name(spec, "-block.dot")
    assert name == want
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name) and len(name) <= 120


def test_the_default_name_is_capped():
    from archscope.outputs import default_file_name

    assert len(default_file_name("./" + "a" * 400 + ".py:net", "-layer.svg")) <= 110


def test_diagram_of_a_file_in_a_parent_folder_writes_a_visible_file(tmp_path, monkeypatch):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "x.py").write_text(textwrap.dedent("""
        from torch import nn

        def net():
            return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())
    """))
    here = tmp_path / "work"
    here.mkdir()
    monkeypatch.chdir(here)
    r = runner.invoke(app, ["diagram", "../models/x.py:net", "-i", "1x8x8", "-f", "dot"])
    assert r.exit_code == 0, r.output
    assert os.listdir(here) == ["x_net-block.dot"]  # it was the hidden '.._models_x.py_net-block.dot'
