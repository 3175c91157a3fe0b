"""``archscope report``: gather what the report pages show, and write them.

For each model: its analysis, stages, block diagram, the claims about it and,
for a variant, its diff against the paper's network; then the zoo index, the
families and their evolution chart, every claim's verdict and the training
experiments' pages. The text is made by ``render.report`` (and the diagrams by
``render.diagram``, which strips Graphviz's version comment) from this plain
data, so regenerating gives byte-identical files; every file is written
atomically (a temporary file renamed into place), so an interrupted run leaves
no half page. Every page's path is checked before any work (``check_targets``):
a file where a folder must go, a folder where a page goes, or a symlink that
leads out of the output folder fails at once, in one line, with nothing
written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from archscope.outputs import check_output_dir, check_output_file, write_atomic
from archscope.render import charts

# The networks of the families page and its evolution chart, in its order: LeNet-5 (1998) and AlexNet (the
# ratios' base), NiN (2013: the articles' 1x1 convolutions and global average pooling), then the lines the
# source articles tell and those that measured themselves against them.
FAMILY_MODELS = ["lenet5", "alexnet", "nin",
                 "vgg11", "vgg13", "vgg16", "vgg19", "inception_v1", "inception_v2", "inception_v3",
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

    if info.source in ("paper", "user") or info.arch not in list_models() or info.arch == name:
        return None
    return render_diff(diff(info.arch, name), "markdown")


def planned_files(names: Iterable[str], out: Path, index: bool = True) -> list[Path]:
    """Every file ``generate`` writes, in its order."""
    from archscope.render.report import page_name

    out, names = Path(out), list(names)
    files = [out / "models" / f"{page_name(n)}{suffix}" for n in names for suffix in (".svg", ".md")]
    if index:
        files += [out / f for f in ("index.md", "index-params.md", "index-macs.md")]
        if any(n in FAMILY_MODELS for n in names):
            files += [*charts.files(out / "evolution"), out / "families.md"]
        files.append(out / "claims.md")
        files += _training_files(out / "training")
    return files


def check_targets(names: Iterable[str], out: Path, index: bool = True) -> list[Path]:
    """Raise ``ArchscopeError`` (one line) unless every file of the report
    can be written inside ``out`` (``outputs.check_output_file`` with
    ``within=out``); creates nothing. Returns the planned files."""
    out = check_output_dir(out, what="-o")
    files = planned_files(names, out, index)
    for f in files:
        check_output_file(f, what="report page", within=out)
    return files


def generate(names: Iterable[str], out: Path, *, progress: Callable[[str], None] | None = None,
             index: bool = True) -> list[Path]:
    """Write the reports for ``names`` into ``out`` (with ``index``: the index, families, claims and
    training pages too); return the files written. Every path is checked first (``check_targets``)."""
    from archscope.analysis import analyze
    from archscope.analysis.compare import feature_rf
    from archscope.analysis.graph import build_graph
    from archscope.analysis.stages import stages
    from archscope.claims import CLAIMS, evaluate
    from archscope.render import report
    from archscope.render.diagram import render
    from archscope.zoo import model_info

    names = list(names)
    out = Path(out)
    check_targets(names, out, index)
    written: list[Path] = []
    all_evals = [e for c in CLAIMS for e in evaluate(c)]
    entries = []
    for name in names:
        if progress:
            progress(name)
        info = model_info(name)
        a = analyze(name, info.input_shape)  # a zoo model's own input, or the one a user's model was given
        page = report.page_name(name)
        svg = out / "models" / f"{page}.svg"
        render(build_graph(a, "block"), svg, "svg")
        written.append(svg)
        evals = [e for e in all_evals if name in e.involves()]  # judged on it, or measured on it beside the verdict
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
        written += charts.save(report.evolution_figure(fam), out / "evolution")
        write_atomic(out / "families.md", report.families_page(fam).encode())
        written.append(out / "families.md")

    write_atomic(out / "claims.md", report.claims_page(all_evals, len(CLAIMS)).encode())
    written.append(out / "claims.md")
    written += training_pages(out / "training", all_evals)
    return written


def _training_files(out: Path) -> list[Path]:
    """The files ``training_pages`` writes (a chart only for an experiment with measured runs)."""
    from archscope.claims.training import load_measured
    from archscope.probe.experiments import EXPERIMENTS

    files = []
    for exp in EXPERIMENTS.values():
        m = load_measured(exp.id)
        files.append(out / f"{exp.id}.md")
        if m and m.runs:
            files.append(out / f"{exp.id}.svg")
    return files + [out / "README.md"]


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
