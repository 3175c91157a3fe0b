"""Every script in examples/ runs and prints what it promises."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted(Path(__file__).parent.parent.joinpath("examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path, capsys):
    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    assert out.strip()
    if path.name == "analyze_one.py":
        assert "25,557,032 parameters" in out  # torchvision's published ResNet-50 count
    if path.name == "check_claim.py":
        assert "does not hold" in out and "holds" in out
    if path.name == "custom_model.py":
        # stem 3*16*9+16, two body convs 2*(16*16*9+16), head 16*10+10
        assert f"params {448 + 2 * 2320 + 170:,}" in out


def test_there_are_examples():
    assert {p.name for p in EXAMPLES} >= {"analyze_one.py", "compare_family.py", "check_claim.py", "custom_model.py"}
