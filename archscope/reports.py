"""``archscope report``: gather what the report pages show, and write them.

For each model: its analysis, stages, block diagram, the claims about it and,
for a variant, its diff against the paper's network; then the zoo index, the
families and their evolution chart, every claim's verdict and the training
experiments' pages. The text is made by ``render.report`` (and the diagrams by
``render.diagram``, which strips Graphviz's version comment) from this plain
data, so regenerating gives byte-identical files; every file is written
atomically (a temporary file renamed into place), so an interrupted run leaves
no half page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from archscope.outputs import write_atomic

# The networks of the families page and its evolution chart, in its order: AlexNet first (the ratios'
# base), then the lines the source articles tell and those that measured themselves against them.
FAMILY_MODELS = ["alexnet", "vgg11", "vgg13", "vgg16", "vgg19", "inception_v1", "inception_v2", "inception_v3",
                 "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "squeezenet1_0", "inception_v4",
                 "inception_resnet_v2", "densenet121", "densenet201", "mobilenet_v1", "mobilenet_v2"]


@dataclass(frozen=True)
class ZooEntry:
    """One model's row of the index and the families page."""

    name: str
    family: str
    year: int
    source: str
    input_shape: tuple  # (C, H, W), the model's default input
    params: int
    macs: int
    depth: int | None
    feature_rf: object  # analysis.receptive.RF of the final features, or None


def against_paper(name: str, info) -> str | None:
    """A variant's diff against its paper-faithful model, as markdown (None for a paper model)."""
    from archscope.analysis.diff import diff
    from archscope.render.diff import render_diff
    from archscope.zoo import list_models

    if info.source == "paper" or info.arch not in list_models() or info.arch == name:
        return None
    return render_diff(diff(info.arch, name), "markdown")


def generate(names: Iterable[str], out: Path, *, progress: Callable[[str], None] | None = None,
             index: bool = True) -> list[Path]:
    """Write the reports for ``names`` into ``out`` (with ``index``: the index, families, claims and
    training pages too); return the files written."""
    from archscope.analysis import analyze
    from archscope.analysis.compare import feature_rf
    from archscope.analysis.graph import build_graph
    from archscope.analysis.stages import stages
    from archscope.claims import CLAIMS, evaluate
    from archscope.render import report
    from archscope.render.diagram import render
    from archscope.zoo import model_info

    out = Path(out)
    written: list[Path] = []
    all_evals = [e for c in CLAIMS for e in evaluate(c)]
    entries = []
    for name in names:
        if progress:
            progress(name)
        info = model_info(name)
        a = analyze(name)
        page = report.page_name(name)
        svg = out / "models" / f"{page}.svg"
        render(build_graph(a, "block"), svg, "svg")
        written.append(svg)
        evals = [e for e in all_evals if name in e.models]
        md = out / "models" / f"{page}.md"
        write_atomic(md, report.model_page(name, a, info, stages(a), evals, f"{page}.svg",
                                           against_paper(name, info)).encode())
        written.append(md)
        entries.append(ZooEntry(name, info.family, info.year, info.source, tuple(info.input_shape), a.totals.params,
                                a.totals.macs, a.totals.depth, feature_rf(a)))
    if not index:
        return written

    for order, fname in (("name", "index.md"), ("params", "index-params.md"), ("macs", "index-macs.md")):
        write_atomic(out / fname, report.index_page(entries, order).encode())
        written.append(out / fname)

    fam = sorted((e for e in entries if e.name in FAMILY_MODELS), key=lambda e: FAMILY_MODELS.index(e.name))
    if fam:
        write_atomic(out / "evolution.svg", report.evolution_svg(fam).encode())
        write_atomic(out / "families.md", report.families_page(fam).encode())
        written += [out / "evolution.svg", out / "families.md"]

    write_atomic(out / "claims.md", report.claims_page(all_evals, len(CLAIMS)).encode())
    written.append(out / "claims.md")
    written += training_pages(out / "training", all_evals)
    return written


def training_pages(out: Path, all_evals) -> list[Path]:
    """reports/training/: a page and a chart per experiment, and an index."""
    from archscope.claims.training import experiment_of, load_measured
    from archscope.probe.experiments import EXPERIMENTS
    from archscope.render import report
    from archscope.render.training_charts import write_charts

    written, items = [], []
    for exp in EXPERIMENTS.values():
        m = load_measured(exp.id)
        evals = [e for e in all_evals if e.claim.kind == "training" and experiment_of(e.claim) == exp.id]
        items.append((exp, m, evals))
        write_atomic(out / f"{exp.id}.md", report.training_page(exp, m, evals).encode())
        written.append(out / f"{exp.id}.md")
        if m and m.runs:  # ID.svg/png: the verdicts' chart; ID-curves.svg/png: the per-epoch curves
            written += write_charts(out, exp, m, evals)
    write_atomic(out / "README.md", report.training_index(items).encode())
    written.append(out / "README.md")
    return written
