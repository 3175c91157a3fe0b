"""Every `archscope ...` line in the README's fenced blocks runs (issue 28: its second example had failed for
releases). The lines that need data, a network, a GPU, a cluster or a training run of minutes are skipped, each
pattern with its reason; a pattern that matches no line fails, so the list cannot go stale."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
ARCHSCOPE = str(Path(sys.executable).parent / "archscope")

SKIP = {
    r"--recipe|--train\b": "a source's whole training procedure on real data (minutes to hours)",
    r"^archscope (probe|sweep|cam) ": "a training run (minutes on a shared CPU): tests/test_probe.py, test_sweep.py "
                                      "and test_cam.py run these commands short",
    r"data fetch": "downloads from the network",
    r"--device cuda|--backend ray": "needs a GPU or a Ray cluster",
    r"report --all": "regenerates the whole zoo's pages (minutes): tests/test_diagram_report.py does",
    r"mypkg\.models": "an importable package of the user's",
    r"my_model\.py|my_net\.py:build": "a user's builder file (two inputs, builder knobs): my_net.py:Net is provided",
}

# The user's network the README's `my_net.py:Net` lines name: a small MNIST-sized CNN.
MY_NET = """import torch.nn as nn


class Net(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(8 * 14 * 14, 10))
"""


def commands() -> list[str]:
    """The `archscope ...` lines of the README's fenced blocks, comments cut off."""
    out, fenced = [], False
    for line in README.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif fenced and line.startswith("archscope "):
            out.append(re.sub(r"\s+#.*$", "", line).strip())
    return list(dict.fromkeys(out))


def skipped(cmd: str) -> str | None:
    return next((why for pattern, why in SKIP.items() if re.search(pattern, cmd)), None)


def test_every_skip_matches_a_line_and_most_lines_run():
    cmds = commands()
    for pattern in SKIP:
        assert any(re.search(pattern, c) for c in cmds), f"no README line matches {pattern!r}: drop it"
    assert sum(skipped(c) is None for c in cmds) >= 15


@pytest.mark.parametrize("cmd", [c for c in commands() if skipped(c) is None])
def test_readme_command_runs(cmd, tmp_path):
    (tmp_path / "my_net.py").write_text(MY_NET)
    args = shlex.split(cmd)
    p = subprocess.run([ARCHSCOPE, *args[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    # diff exits 1 when the two builds differ (as diff(1) does): the README's diff compares two that do
    want = (0, 1) if args[1] == "diff" else (0,)
    assert p.returncode in want, f"{cmd}\n{p.stderr[-2000:]}"
    assert "Traceback" not in p.stderr and p.stdout.strip(), cmd
