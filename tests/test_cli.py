"""The CLI as a user drives it: exit codes, one-line errors, formats."""

import json

from typer.testing import CliRunner

from archscope import __version__
from archscope.cli import app

runner = CliRunner()


def test_version():
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.stdout.strip() == f"archscope {__version__}"


def test_list_table_shows_counts():
    r = runner.invoke(app, ["list", "resnet34*"])
    assert r.exit_code == 0
    assert "resnet34.torchvision" in r.stdout and "21,797,672" in r.stdout  # torchvision's published count


def test_list_json_is_exact():
    r = runner.invoke(app, ["list", "vgg16*", "--format", "json"])
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert rows["vgg16"]["params"] == 138_357_544 and rows["vgg16"]["input_shape"] == [3, 224, 224]


def test_list_by_source_csv():
    r = runner.invoke(app, ["list", "--source", "tutorial", "--format", "csv"])
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("name,family") and len(lines) == 1 + 5


def test_unknown_model_is_one_line_exit_2():
    r = runner.invoke(app, ["info", "resnet35"])
    assert r.exit_code == 2
    assert r.stderr.strip().count("\n") == 0
    assert "unknown model 'resnet35'" in r.stderr and "resnet34" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_list_no_match_exit_2():
    r = runner.invoke(app, ["list", "zzz"])
    assert r.exit_code == 2 and "no model matches" in r.stderr


def test_debug_shows_the_exception():
    r = runner.invoke(app, ["--debug", "info", "resnet35"])
    assert r.exit_code != 0 and r.exception is not None


def test_info_shows_notes_and_published():
    r = runner.invoke(app, ["info", "alexnet"])
    assert r.exit_code == 0
    assert "227" in r.stdout and "60 million" in r.stdout


def test_bad_format_is_usage_error():
    r = runner.invoke(app, ["list", "--format", "yaml"])
    assert r.exit_code == 2
