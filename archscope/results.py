"""What the application layer (``archscope.api``) returns: the plain-data results
of the analysis, the claims, the probe and the rest, each with its displays
attached (the torchinfo / Jupyter display protocol):

- ``repr(result)``: one line under 200 characters, what it is and its headline numbers;
- ``str(result)``: the terminal table, the text ``archscope CMD`` prints;
- ``result.render(fmt)``: that text in another of the command's ``--format`` choices;
- ``_repr_html_()`` (a ``<table>``) and ``_repr_markdown_()`` for notebooks;
- ``to_dict()``: exactly the JSON ``archscope CMD --format json`` prints (parsed);
- ``records()`` and ``to_dataframe()``: the result's table as rows of exact values
  (pandas is an optional extra: ``pip install 'archscope[pandas]'``).

The wrappers only read the data (``.analysis``, ``.comparison``, ...); the text
comes from the renderers in ``archscope.render``. Nothing here imports torch.
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from archscope.errors import ArchscopeError, MissingDependency

if TYPE_CHECKING:
    import pandas

    from archscope.analysis.compare import Comparison as CompareData
    from archscope.analysis.crosscheck import ToolCheck
    from archscope.analysis.diff import Diff
    from archscope.analysis.result import Analysis
    from archscope.claims.schema import Evaluation
    from archscope.claims.training import Job, RunPlan
    from archscope.datasets.store import Status
    from archscope.explain.diagnose import CamReport
    from archscope.probe.sweep import SweepResult
    from archscope.probe.train import ProbeResult
    from archscope.zoo._registry import ModelInfo

REPR_LIMIT = 200  # characters of a one-line repr


def _value(fmt: object) -> str:
    return str(fmt.value) if isinstance(fmt, Enum) else str(fmt)


def _choices(values: tuple[str, ...]) -> str:
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


def _human(n: float | int | None) -> str:
    from archscope.render.table import human

    return str(human(n))


def html_table(headers: list[str], rows: list[list[Any]]) -> str:
    """An HTML ``<table>``, every cell escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('-' if c is None else str(c))}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>{body}</tbody>\n</table>"


class Result:
    """The display protocol every api result follows (see the module docstring)."""

    formats: ClassVar[tuple[str, ...]] = ("table", "markdown", "json")
    kind: ClassVar[str] = "Result"

    # ---- what each result provides -----------------------------------------------------
    def _render(self, fmt: str) -> str:
        raise NotImplementedError

    def _json(self) -> Any:
        """The data ``--format json`` prints (before ``json.dumps``)."""
        raise NotImplementedError

    def headline(self) -> str:
        raise NotImplementedError

    def records(self) -> list[dict[str, Any]]:
        """The result's table, one dict of exact values per row."""
        raise NotImplementedError

    # ---- the displays ------------------------------------------------------------------
    def render(self, fmt: object = "table") -> str:
        """The text ``archscope CMD --format FMT`` prints."""
        value = _value(fmt)
        if value not in self.formats:
            raise ArchscopeError(f"`format` must be {_choices(self.formats)}, got {value!r}")
        if value == "json":
            return json.dumps(self._json(), indent=2, default=str)
        return self._render(value)

    def to_dict(self) -> Any:
        """Exactly the JSON ``--format json`` prints, as Python data."""
        return json.loads(self.render("json"))

    def to_dataframe(self) -> pandas.DataFrame:
        """``records()`` as a pandas DataFrame."""
        try:
            import pandas
        except ImportError:
            raise MissingDependency("to_dataframe() needs pandas: pip install 'archscope[pandas]'") from None
        return pandas.DataFrame.from_records(self.records())

    def _table(self) -> tuple[list[str], list[list[Any]]]:
        """The HTML table's headers and rows (default: the records)."""
        rows = self.records()
        headers = list(rows[0]) if rows else []
        return headers, [[r.get(h) for h in headers] for r in rows]

    def _notes(self) -> list[str]:
        """Lines shown under the HTML table."""
        return []

    def __str__(self) -> str:
        return self._render("table")

    def __repr__(self) -> str:
        text = " ".join(f"<{self.kind} {self.headline()}>".split())
        return text if len(text) < REPR_LIMIT else text[:REPR_LIMIT - 3] + "…>"

    def _repr_markdown_(self) -> str:
        if "markdown" in self.formats:
            return self._render("markdown")
        return "```\n" + self._render("table") + "\n```"

    def _repr_html_(self) -> str:
        headers, rows = self._table()
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self._notes())
        return f"<div>\n<p><b>{html.escape(repr(self))}</b></p>\n{html_table(headers, rows)}\n{notes}</div>"


# ---- the analysis ---------------------------------------------------------------------------

@dataclass(repr=False)
class Summary(Result):
    """``archscope.summary``: per-layer shapes and costs (``analysis``), with the cross-check's findings."""

    analysis: Analysis
    depth: int = 2
    crosscheck: list[ToolCheck] | None = None
    order: str = "call"  # the table's rows: "call" or "definition"
    formats: ClassVar[tuple[str, ...]] = ("table", "markdown", "json", "csv")
    kind: ClassVar[str] = "Summary"

    def _render(self, fmt: str) -> str:
        from archscope.render.summary import render_summary

        text = render_summary(self.analysis, fmt, self.depth, self.order)
        if self.crosscheck is None:
            return text
        if fmt == "csv":
            raise ArchscopeError("`crosscheck` has no CSV form: use `format` table, markdown or json")
        from archscope.render.crosscheck import render_crosscheck

        return text + "\n\n" + render_crosscheck(self.crosscheck, fmt)

    def render(self, fmt: object = "table") -> str:
        if self.crosscheck is not None and _value(fmt) == "json":
            from archscope.render.crosscheck import summary_json_with_crosscheck

            return summary_json_with_crosscheck(self.analysis, self.crosscheck)
        if _value(fmt) == "json":  # the renderer's own JSON, byte for byte
            from archscope.render.summary import render_summary

            return render_summary(self.analysis, "json", self.depth)
        return super().render(fmt)

    def _json(self) -> Any:
        return self.analysis.to_dict()

    def headline(self) -> str:
        a, t = self.analysis, self.analysis.totals
        shape = "x".join(map(str, a.input_shape)) if a.input_shape and isinstance(a.input_shape[0], int) \
            else f"{len(a.inputs)} inputs"
        return (f"{a.model}: input {shape} {a.dtype}, {t.params:,} params, {_human(t.macs)} MACs, "
                f"{_human(t.flops)} FLOPs")

    def records(self) -> list[dict[str, Any]]:
        from archscope.render.summary import LAYER_COLUMNS, _csv_cell

        return [{c: _csv_cell(layer, c) for c in LAYER_COLUMNS} for layer in self.analysis.layers]

    def _table(self) -> tuple[list[str], list[list[Any]]]:
        from archscope.render.summary import visible_layers
        from archscope.render.table import rf_text

        rows = []
        for layer in visible_layers(self.analysis, self.depth):
            k = "" if not layer.kernel else f"{'x'.join(map(str, layer.kernel))}/{(layer.stride or ['-'])[0]}"
            rows.append(["\u00a0\u00a0" * (layer.depth - 1) + layer.name, layer.type, k,
                         "x".join(map(str, layer.output_shape or [])) or "-", _human(layer.params) if layer.params
                         else "-", _human(layer.macs) if layer.macs else "-",
                         _human(layer.flops) if layer.flops else "-", rf_text(layer.receptive_field)])
        return ["layer", "type", "kernel/stride", "output", "params", "MACs", "FLOPs", "RF"], rows

    def _notes(self) -> list[str]:
        from archscope.render.summary import totals_lines

        return list(totals_lines(self.analysis))


@dataclass(repr=False)
class Catalog(Result):
    """``archscope list``: the zoo's entries as rows."""

    rows: list[dict[str, Any]]
    formats: ClassVar[tuple[str, ...]] = ("table", "markdown", "json", "csv")
    kind: ClassVar[str] = "Catalog"
    COLUMNS: ClassVar[list[str]] = ["name", "family", "year", "source", "input_shape", "num_classes", "params"]
    HEADERS: ClassVar[list[str]] = ["name", "family", "year", "source", "input", "classes", "params"]

    def _render(self, fmt: str) -> str:
        from archscope.render.table import render_rows

        return render_rows(self.rows, self.COLUMNS, fmt, headers=self.HEADERS,
                           formatters={"params": lambda v: f"{v:,}"})

    def render(self, fmt: object = "table") -> str:
        if _value(fmt) == "json":  # render_rows' JSON: the columns in order
            return self._render("json")
        return super().render(fmt)

    def _json(self) -> Any:
        return [{c: r.get(c) for c in self.COLUMNS} for r in self.rows]

    def headline(self) -> str:
        from collections import Counter

        by = Counter(r["source"] for r in self.rows)
        return f"{len(self.rows)} models ({', '.join(f'{s} {n}' for s, n in by.most_common())})"

    def records(self) -> list[dict[str, Any]]:
        return [{c: r.get(c) for c in self.COLUMNS} for r in self.rows]

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(repr=False)
class Info(Result):
    """``archscope info``: one zoo entry's metadata and its documented deviations."""

    info: ModelInfo
    against_paper: bool
    formats: ClassVar[tuple[str, ...]] = ("table",)
    kind: ClassVar[str] = "Info"

    def _render(self, fmt: str) -> str:
        from archscope.render.info import render_info

        return render_info(self.info, self.against_paper)

    def headline(self) -> str:
        i = self.info
        return f"{i.name}: {i.family} ({i.year}), source {i.source}, input {'x'.join(map(str, i.input_shape))}"

    def records(self) -> list[dict[str, Any]]:
        i = self.info
        return [{"field": k, "value": v} for k, v in (
            ("name", i.name), ("family", i.family), ("year", i.year), ("paper", i.paper), ("source", i.source),
            ("input", "x".join(map(str, i.input_shape))), ("classes", i.num_classes),
            ("deviations", len(i.deviations)))]

    def _notes(self) -> list[str]:
        return self._render("table").splitlines()


@dataclass(repr=False)
class Comparison(Result):
    """``archscope.compare``: totals side by side with ratios to a baseline, stages, and the claims about
    exactly these models."""

    comparison: CompareData
    claims: list[Evaluation] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)  # "A and B are builds of one architecture: ..."
    kind: ClassVar[str] = "Comparison"

    def _render(self, fmt: str) -> str:
        from archscope.render.claims import render_evaluations
        from archscope.render.compare import render_compare

        parts = [render_compare(self.comparison, fmt)] + [f"\n{h}" for h in self.hints]
        if self.claims:
            parts += ["\nClaims about these models:\n", render_evaluations(self.claims, fmt)]
        return "\n".join(parts)

    def _json(self) -> Any:
        return {**self.comparison.to_dict(), "claims": [e.to_dict() for e in self.claims]}

    def headline(self) -> str:
        rows = self.comparison.models
        parts = [f"{m.model} {_human(m.params)}" for m in rows[:4]] + (["…"] if len(rows) > 4 else [])
        return f"{len(rows)} models, baseline {self.comparison.baseline}; params: {', '.join(parts)}"

    def records(self) -> list[dict[str, Any]]:
        from archscope.render.table import rf_text

        out = []
        for m in self.comparison.models:
            row: dict[str, Any] = {"model": m.model, "input": "x".join(map(str, m.input_shape[1:])),
                                   "params": m.params, "macs": m.macs, "flops": m.flops,
                                   "train_memory_bytes": m.train_memory_bytes, "depth": m.depth,
                                   "receptive_field": rf_text(m.receptive_field)}
            row.update({f"{k}_ratio": v for k, v in m.ratios.items()})
            out.append(row)
        return out


@dataclass(repr=False)
class Difference(Result):
    """``archscope.diff``: where two builds of one architecture differ, layer by layer."""

    diff: Diff
    kind: ClassVar[str] = "Difference"

    def _render(self, fmt: str) -> str:
        from archscope.render.diff import render_diff

        return render_diff(self.diff, fmt)

    def _json(self) -> Any:
        return self.diff.to_dict()

    @property
    def same(self) -> bool:
        return bool(self.diff.same)

    def headline(self) -> str:
        d = self.diff
        if d.same:
            return f"{d.a} vs {d.b}: the same network"
        return (f"{d.a} vs {d.b}: {len(d.changes)} differences, params {d.delta('params'):+,}, "
                f"MACs {d.delta('macs'):+,}")

    def records(self) -> list[dict[str, Any]]:
        return [{"kind": c.kind, "a": c.a, "b": c.b, "type_a": c.type_a, "type_b": c.type_b,
                 "settings": json.dumps(c.fields, default=str), **{f"{q}_delta": v for q, v in c.cost.items()}}
                for c in self.diff.changes]


@dataclass(repr=False)
class Diagram(Result):
    """``archscope.diagram``: the file written, with its node and edge counts."""

    path: Path
    nodes: int
    edges: int
    level: str
    formats: ClassVar[tuple[str, ...]] = ("table",)
    kind: ClassVar[str] = "Diagram"

    def _render(self, fmt: str) -> str:
        return f"wrote {self.path} ({self.nodes} nodes, {self.edges} edges)"

    def headline(self) -> str:
        return f"{self.path}: {self.level} level, {self.nodes} nodes, {self.edges} edges"

    def records(self) -> list[dict[str, Any]]:
        return [{"path": str(self.path), "level": self.level, "nodes": self.nodes, "edges": self.edges}]

    def _repr_html_(self) -> str:
        table = super()._repr_html_()
        if self.path.suffix.lower() == ".svg" and self.path.is_file():
            return table + "\n" + self.path.read_text()
        return table


# ---- claims ---------------------------------------------------------------------------------

@dataclass(repr=False)
class TrainingPlan(Result):
    """The runs ``claims(train=True)`` makes: each experiment's settings, the claims they serve, and the
    time estimate (from a short timing run)."""

    jobs: list[Job]
    repeats: int
    estimates: dict[str, float] = field(default_factory=dict)  # experiment -> seconds a seed (0: not estimated)
    needs: dict[str, str] = field(default_factory=dict)  # experiment -> what it needs (a data set, a GPU)
    side_by_side: int = 1  # runs at a time
    left: RunPlan | None = None  # what is left to run now (saved runs resumed, shorter runs read off longer ones)
    wall_seconds: float | None = None  # predicted wall time of ``left``, side_by_side at a time
    # experiment -> what is missing for its runs here (a dry run downloads nothing): a data set, and whether a
    # run would download it
    missing: dict[str, str] = field(default_factory=dict)
    formats: ClassVar[tuple[str, ...]] = ("table",)
    kind: ClassVar[str] = "TrainingPlan"

    @property
    def runs(self) -> int:
        return sum(len(j.settings) for j in self.jobs) * self.repeats

    @property
    def ready(self) -> int:
        """The runs whose data is here."""
        return sum(len(j.settings) for j in self.jobs if j.experiment not in self.missing) * self.repeats

    @property
    def seconds(self) -> float:
        return sum(self.estimates.values()) * self.repeats

    def _render(self, fmt: str) -> str:
        from archscope.probe.experiments import setting_label

        lines = [f"{self.runs} run(s): {self.repeats} seed(s) of"]
        for j in self.jobs:
            est = self.estimates.get(j.experiment, 0.0)
            more = f" and {len(j.claims) - 3} more" if len(j.claims) > 3 else ""
            needs = self.needs.get(j.experiment)
            lines.append(f"  {j.experiment}: {'; '.join(setting_label(s) for s in j.settings)}"
                         + (f" (about {est / 60:,.1f} min a seed)" if est else "")
                         + f"; for {', '.join(j.claims[:3])}" + more + (f" [{needs}]" if needs else "")
                         + (f" -- cannot go yet: {self.missing[j.experiment]}" if j.experiment in self.missing
                            else ""))
        if self.missing:
            lines.append(f"{self.ready} of the {self.runs} run(s) can go with the data here; the others wait for "
                         "the data named above")
        if self.seconds:
            left, wall = self.left, self.wall_seconds
            lines.append(f"estimated time: about {self.seconds / 60:,.0f} min of runs on this machine (from a short "
                         "timing run)" + (f"; to run now ({len(left.configs)} run(s); {left.saved} already saved, "
                                          f"{len(left.now)} read off other runs): about {wall / 60:,.0f} min, "
                                          f"{self.side_by_side} at a time" if left is not None and wall is not None
                                          else ""))
        return "\n".join(lines)

    def headline(self) -> str:
        est = f", about {self.seconds / 60:,.0f} min" if self.seconds else ""
        ready = f" ({self.ready} can go with the data here)" if self.missing else ""
        return f"{self.runs} runs of {len(self.jobs)} experiments, {self.repeats} seeds{est}{ready}"

    def records(self) -> list[dict[str, Any]]:
        return [{"experiment": j.experiment, "settings": len(j.settings), "claims": ", ".join(j.claims),
                 "seconds_a_seed": self.estimates.get(j.experiment) or None,
                 "missing": self.missing.get(j.experiment)} for j in self.jobs]


@dataclass(repr=False)
class ClaimsReport(Result):
    """``archscope.claims``: every evaluation with its verdict; with ``train=True`` also the plan, where the
    measurements went and whether the runs were interrupted."""

    evaluations: list[Evaluation]
    plan: TrainingPlan | None = None
    results_dir: Path | None = None  # where claims(train=True) saved the measurements
    interrupted: bool = False
    full: bool = False  # chosen by id: every field of each evaluation, not the table
    failures: list[str] = field(default_factory=list)  # claims(train=True): this call's failed runs, each with why
    kind: ClassVar[str] = "Claims"

    def _render(self, fmt: str) -> str:
        from archscope.render.claims import render_evaluations, render_full

        return "\n".join([(render_full if self.full else render_evaluations)(self.evaluations, fmt), *self._footer()])

    def _footer(self) -> list[str]:
        from archscope.render.claims import rules_footer, verdict_counts

        evals = self.evaluations
        failed = [f"{len(self.failures)} run(s) of this call failed (saved with their errors): "
                  + "; ".join(self.failures[:3]) + ("; ..." if len(self.failures) > 3 else "")] if self.failures else []
        return [f"\n{len(evals)} evaluations of {len({e.claim.id for e in evals})} claims: {verdict_counts(evals)}",
                *failed, rules_footer(evals)]

    def render(self, fmt: object = "table") -> str:
        if _value(fmt) == "json":  # the renderer's JSON, byte for byte
            from archscope.render.claims import render_evaluations, render_full

            return (render_full if self.full else render_evaluations)(self.evaluations, "json")
        return super().render(fmt)

    def _json(self) -> Any:
        return [e.to_dict() for e in self.evaluations]

    @property
    def errors(self) -> bool:
        """Whether a claim could not be evaluated because of an error."""
        from archscope.claims.schema import Verdict

        return any(e.verdict is Verdict.ERROR for e in self.evaluations)

    def headline(self) -> str:
        from archscope.render.claims import verdict_counts

        n = len({e.claim.id for e in self.evaluations})
        return f"{len(self.evaluations)} evaluations of {n} claims: {verdict_counts(self.evaluations)}"

    def records(self) -> list[dict[str, Any]]:
        return [e.to_dict() for e in self.evaluations]

    def _notes(self) -> list[str]:
        return [line.strip() for line in self._footer()]


# ---- training ---------------------------------------------------------------------------------

@dataclass(repr=False)
class ProbeRuns(Result):
    """``archscope.probe``: each model's run, its checks and measurements."""

    results: list[ProbeResult]
    detail: bool = False
    interrupted: bool = False
    lead: bool = True  # False on a torchrun rank other than 0: rank 0 reports
    kind: ClassVar[str] = "Probe"

    def _render(self, fmt: str) -> str:
        from archscope.render.probe import render_probe

        return render_probe(self.results, self.detail, fmt)

    def _json(self) -> Any:
        return [r.to_dict() for r in self.results]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def headline(self) -> str:
        parts = [f"{r.model} {r.status}"
                 + ("" if r.test_accuracy is None else f" test acc {r.test_accuracy:.3f}") for r in self.results[:3]]
        more = f" and {len(self.results) - 3} more" if len(self.results) > 3 else ""
        return ", ".join(parts) + more + (" (interrupted)" if self.interrupted else "")

    def records(self) -> list[dict[str, Any]]:
        keys = ("model", "device", "steps", "final_loss", "train_accuracy", "test_accuracy", "images_per_s",
                "peak_memory_bytes", "estimated_train_memory_bytes", "memory_ratio", "achieved_flops_per_s",
                "mfu_known", "mfu_measured", "stopped")
        return [{"status": r.status, "passed": r.passed, **{k: getattr(r, k) for k in keys}} for r in self.results]


@dataclass(repr=False)
class Sweep(Result):
    """``archscope.sweep``: mean ± std per setting over the repeats, the best marked."""

    sweep: SweepResult
    written: list[Path] = field(default_factory=list)  # with an output folder: sweep.json, sweep.md, the charts
    kind: ClassVar[str] = "Sweep"

    def _render(self, fmt: str) -> str:
        from archscope.render.sweep import render_markdown, render_table

        return render_markdown(self.sweep) if fmt == "markdown" else render_table(self.sweep)

    def _json(self) -> Any:
        return self.sweep.to_dict()

    @property
    def interrupted(self) -> bool:
        return bool(self.sweep.interrupted)

    @property
    def scored(self) -> bool:
        """Whether any setting has a test accuracy (else every run failed)."""
        return any(r.mean.get("test_accuracy") is not None for r in self.sweep.rows)

    def headline(self) -> str:
        from archscope.probe.sweep import label

        s = self.sweep
        best = next((r for r in s.rows if r.best), None)
        acc = best.mean.get("test_accuracy") if best else None
        top = f"; best {label(best.setting)} (test acc {acc:.3f})" if best and acc is not None else ""
        return f"{s.model}: {len(s.rows)} settings x {s.repeats} repeats{top}"

    def records(self) -> list[dict[str, Any]]:
        out = []
        for r in self.sweep.rows:
            row: dict[str, Any] = dict(r.setting)
            row.update(runs=r.runs, failed=r.failed, best=r.best)
            for m in self.sweep.metrics:
                row[f"{m}_mean"], row[f"{m}_std"] = r.mean.get(m), r.std.get(m)
            out.append(row)
        return out


@dataclass(repr=False)
class CamMaps(Result):
    """``archscope.cam``: CAM / Grad-CAM of a trained model, scored with the pointing game."""

    report: CamReport
    written: list[Path] = field(default_factory=list)
    kind: ClassVar[str] = "Cam"

    def _render(self, fmt: str) -> str:
        import archscope.render  # noqa: F401  (its tables' layout rule: summary_text uses tabulate directly)
        from archscope.explain.diagnose import summary_text

        return summary_text(self.report, "github" if fmt == "markdown" else "simple")

    def _json(self) -> Any:
        return self.report.to_dict()

    def headline(self) -> str:
        r = self.report
        scores = ", ".join(f"{m.method} at {m.layer}" + ("" if m.pointing_accuracy is None else
                                                           f" {m.pointing_accuracy:.3f}") for m in r.methods)
        return f"{r.model} on {r.images} {r.dataset} images: {scores}"

    def records(self) -> list[dict[str, Any]]:
        return [{"method": m.method, "layer": m.layer, "map_size": "x".join(map(str, m.map_size)),
                 "upsample": m.upsample, "pointing_accuracy": m.pointing_accuracy,
                 "pointing_hits": m.pointing_hits, "centre_baseline": m.centre_baseline, "chance": m.chance}
                for m in self.report.methods]


# ---- files ------------------------------------------------------------------------------------

@dataclass(repr=False)
class Report(Result):
    """``archscope.report``: the pages and diagrams written."""

    out_dir: Path
    files: list[Path]
    formats: ClassVar[tuple[str, ...]] = ("table",)
    kind: ClassVar[str] = "Report"

    def _render(self, fmt: str) -> str:
        return f"wrote {len(self.files)} files under {self.out_dir}/"

    def headline(self) -> str:
        pages = sum(1 for f in self.files if f.suffix == ".md")
        return f"{len(self.files)} files under {self.out_dir}/ ({pages} pages)"

    def records(self) -> list[dict[str, Any]]:
        return [{"file": str(f)} for f in self.files]


@dataclass(repr=False)
class DataSets(Result):
    """``archscope data list``: where each real data set is found and whether it verified."""

    status: list[Status]
    kind: ClassVar[str] = "DataSets"
    HEADERS: ClassVar[list[str]] = ["data set", "found in", "folder (or where a download goes)", "size", "checksums"]

    def _render(self, fmt: str) -> str:
        from tabulate import tabulate

        from archscope.render.table import md_table  # markdown: every cell escaped (a folder's name is the user's)

        if fmt == "markdown":
            return str(md_table(self._table()[1], self.HEADERS))
        return str(tabulate(self._table()[1], headers=self.HEADERS, tablefmt="simple", disable_numparse=True))

    def _json(self) -> Any:
        return self.records()

    def _table(self) -> tuple[list[str], list[list[Any]]]:
        return self.HEADERS, [[r.name, r.where or "-", r.folder, "-" if r.size_bytes is None else
                               f"{r.size_bytes / 2**20:,.1f} MiB", r.verified] for r in self.status]

    def headline(self) -> str:
        found = [r.name for r in self.status if r.where]
        return f"{len(self.status)} data sets, found: {', '.join(found) or 'none'}"

    def records(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.status]


__all__ = ["CamMaps", "Catalog", "ClaimsReport", "Comparison", "DataSets", "Diagram", "Difference", "Info",
           "ProbeRuns", "Report", "Result", "Summary", "Sweep", "TrainingPlan", "html_table"]
