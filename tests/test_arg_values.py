"""`--arg KEY=VALUE` values: read by a bounded reader (issue 26 item 18), `none` kept as the documented text
(issue 29 item 6). Expected values are Python's own literals for the same text (``ast.literal_eval``, where it
answers) and the documented words."""

import ast
import json

import pytest
from helpers import one_line_error
from typer.testing import CliRunner

from archscope.analysis.inputs import MAX_INT_DIGITS, MAX_NESTING, parse_args, parse_value
from archscope.cli import app
from archscope.errors import ArchscopeError

runner = CliRunner()


LITERALS = ["10", "-3", "+3", "0.5", "-0.5", ".5", "1e-3", "1.5E3", "1_000", "'relu'", '"a,b"', "'b\\'c'", "(3, 3)",
            "(3,)", "(3)", "()", "[64, 128]", "[]", "[1, [2, (3, 4)]]", "{'a': 1, 2: (3,)}", "[True, None, 'x']",
            "  7  "]


@pytest.mark.parametrize("text", LITERALS)
def test_literals_read_as_python_reads_them(text):
    assert parse_value(text) == ast.literal_eval(text.strip())


@pytest.mark.parametrize("text,value", [("True", True), ("true", True), ("FALSE", False), ("None", None),
                                        ("null", None), ("none", "none"), ("None ", None), ("relu", "relu"),
                                        ("/tmp/w.pt", "/tmp/w.pt"), ("kaiming_normal", "kaiming_normal"), ("", "")])
def test_words(text, value):
    assert parse_value(text) == value and type(parse_value(text)) is type(value)


HOSTILE = {
    "sum of 30,000 ones": "1+" * 30_000 + "1",  # RecursionError in ast.literal_eval
    "30,000 plus signs": "+" * 30_000 + "1",  # RecursionError
    "30,000 minus signs": "-" * 30_000 + "1",  # MemoryError in Python's parser
    "short sum": "1+1+1",
    "short signs": "---1",
    "5,000 digits": "1" * 5_000,  # int() refuses past 4,300 digits: it became the text
    "one digit too many": "9" * (MAX_INT_DIGITS + 1),
    "300-deep list": "[" * 300 + "]" * 300,  # "too many nested parentheses": it became the text
    "one level too deep": "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1),
    "float overflow": "1e400",
    "hex": "0x10",
    "unclosed": "[1, 2",
    "unterminated string": "'abc",
    "missing comma": "(1 2)",
    "bare word in a list": "[1, relu]",
    "call": "(__import__('os'))",
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_values_are_refused(text):
    with pytest.raises(ArchscopeError, match=r"^`args` x"):
        parse_args([f"x={text}"])


@pytest.mark.parametrize("text", [HOSTILE[k] for k in ("sum of 30,000 ones", "30,000 plus signs",
                                                       "30,000 minus signs", "5,000 digits", "300-deep list")],
                         ids=["sum", "plus", "minus", "digits", "nesting"])
def test_hostile_values_from_the_cli_one_line_exit_2(text):
    err = one_line_error(runner.invoke(app, ["summary", "lenet5", "--arg", f"x={text}"]))
    assert "--arg x" in err and len(err) < 400


def test_within_bounds_is_read():
    assert parse_value("9" * MAX_INT_DIGITS) == int("9" * MAX_INT_DIGITS)
    deep = "[" * MAX_NESTING + "]" * MAX_NESTING
    assert parse_value(deep) == ast.literal_eval(deep)


def totals(*args):
    r = runner.invoke(app, ["summary", *args, "-f", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)["totals"]


def test_shortcut_none_reaches_the_builder_as_the_documented_word():
    """He et al. 2015, Sec. 4.2: the plain nets are the residual nets without shortcuts; with option A the
    shortcut adds no parameter. So resnet20 built with shortcut=none is plain20: the same totals."""
    plain = totals("plain20")
    assert totals("resnet20", "--arg", "shortcut=none") == plain
    assert totals("plain20", "--arg", "shortcut=none") == plain  # the pinned value, given again
    resnet = totals("resnet20")
    assert resnet["params"] == plain["params"] and resnet["flops"] > plain["flops"]  # the residual adds
