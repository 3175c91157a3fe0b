"""examples/notebook.ipynb runs, top to bottom, in a Jupyter kernel (nbclient), so it cannot rot; its
committed printed outputs are what it prints today.

SmallNet(16)'s figures by hand: conv3x3 3->16 has 3*16*9 + 16 = 448 parameters, conv3x3 16->32 has
16*32*9 + 32 = 4,640, linear 32->10 has 330: 5,418 in all. MACs at 3x32x32: 32*32*16*27 = 442,368 (conv1, padding
1 keeps 32x32), 16*16*32*144 = 1,179,648 (conv2, after the 2x2 pool), 32*10 = 320: 1,622,336."""

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).parents[1] / "examples" / "notebook.ipynb"


def _outputs(nb, kind):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == kind]


def test_the_notebook_runs_and_shows_what_it_says():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    committed = [o.text for o in _outputs(nb, "stream")]
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    assert not _outputs(nb, "error")
    printed = [o.text for o in _outputs(nb, "stream")]
    assert printed == committed  # the outputs kept in the file are today's
    assert "parameters: 5,418 " in printed[0] and "MACs: 1,622,336 " in printed[0]
    shown = _outputs(nb, "execute_result")
    assert len(shown) == 3 and all("<table" in o.data["text/html"] for o in shown)
    # article 000 line 561: GoogLeNet "did not deepen the network like VGG or AlexNet"; it has 22 weight layers
    # (Szegedy et al. 2014, Sec. 5) against VGG-16's 16 (Simonyan & Zisserman 2015, Table 1, column D), so the claim
    # is among those that do not hold
    assert "000-googlenet-not-deeper" in shown[-1].data["text/plain"]
