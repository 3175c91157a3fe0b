"""``archscope cam``: load trained weights, compute CAM / Grad-CAM on images,
score them with the pointing game where the objects' positions are known."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from archscope.errors import ArchscopeError
from archscope.explain.cam import Maps, cam, gradcam, normalise, pointing_game
from archscope.probe.step import logits_of as _logits

METHODS = ("cam", "gradcam")


@dataclass
class MethodResult:
    method: str
    layer: str
    map_size: tuple = ()  # the layer's resolution
    upsample: str = ""  # "aligned" (receptive-field centres) or "bilinear"
    pointing_accuracy: float | None = None  # None without object positions
    pointing_hits: int | None = None
    chance: float | None = None
    centre_baseline: float | None = None
    maps: Maps | None = field(default=None, repr=False)
    hits: torch.Tensor | None = field(default=None, repr=False)


@dataclass
class CamReport:
    model: str
    weights: str
    input: list
    dataset: str
    images: int
    classifier_accuracy: float | None  # on these images, where labels are known
    methods: list = field(default_factory=list)
    skipped: dict = field(default_factory=dict)  # method -> why it does not apply
    x: torch.Tensor | None = field(default=None, repr=False)
    y: torch.Tensor | None = field(default=None, repr=False)
    masks: torch.Tensor | None = field(default=None, repr=False)
    class_names: tuple | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        return {"model": self.model, "weights": self.weights, "input": self.input, "dataset": self.dataset,
                "images": self.images, "classifier_accuracy": self.classifier_accuracy, "skipped": self.skipped,
                "methods": [{"method": m.method, "layer": m.layer, "map_size": list(m.map_size),
                             "upsample": m.upsample,
                             "pointing_accuracy": m.pointing_accuracy,
                             "pointing_hits": m.pointing_hits, "chance": m.chance,
                             "centre_baseline": m.centre_baseline,
                             "pointing_tolerance_px": 0} for m in self.methods]}


def load_images(paths, shape) -> torch.Tensor:
    """Image files -> (N, C, H, W) at the model's input, standardised like
    the probe's real data (per-set mean and std)."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    c, h, w = shape
    out = []
    for p in paths:
        try:
            with warnings.catch_warnings():
                # past Pillow's pixel limit (about 89 M) it only warns, up to twice that: refuse both
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(p) as f:
                    im = f.convert("L" if c == 1 else "RGB").resize((w, h), Image.Resampling.BILINEAR)
                    arr = torch.from_numpy(np.asarray(im, dtype=np.float32).reshape(h, w, -1)).permute(2, 0, 1) / 255
        except FileNotFoundError:
            raise ArchscopeError(f"image not found: {p}") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise ArchscopeError(f"{p} is too large to decode safely (a decompression bomb?): {e}") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
            raise ArchscopeError(f"{p} is not an image Pillow can read: {e}") from None
        out.append(arr if arr.shape[0] == c else arr.mean(0, keepdim=True).expand(c, -1, -1))
    x = torch.stack(out)
    return (x - x.mean()) / (x.std() + 1e-6)


def run_cam(name: str, weights, *, method: str = "both", layer: str | None = None, dataset: str = "synthetic",
            data_dir=None, images=None, count: int = 256, seed: int = 1000, input_shape=None,
            device: str = "cpu", upsample: str = "aligned", spread: float = 0.7) -> CamReport:
    """``spread``: the synthetic objects' centres lie anywhere within this
    distance of the image centre (image -1..1). The probe trains with 0.3;
    0.7 moves most objects off the centre, so that pointing at the middle
    (the centre baseline) does not score."""
    from archscope.probe import data as datasets
    from archscope.probe.weights import check_match, read_weights
    from archscope.zoo import get_model, model_info, resolve

    if method not in (*METHODS, "both"):
        raise ArchscopeError(f"`method` must be cam, gradcam or both, got {method!r}")
    if not isinstance(count, int) or count < 1:
        raise ArchscopeError(f"`count` must be a positive integer, got {count!r}")
    from archscope.analysis import analyze

    info = model_info(name)
    sd, meta = read_weights(weights) if weights is not None else (None, {})  # None: the built module's own
    if meta.get("model") and resolve(meta["model"]) != info.name:
        raise ArchscopeError(f"{weights} holds weights for {meta['model']}, not {info.name}")
    overrides = dict(meta.get("overrides") or {})
    shape = tuple(input_shape or meta.get("input") or info.input_shape)
    try:
        model = get_model(info.name, **overrides)
    except (TypeError, ValueError) as e:
        raise ArchscopeError(f"{weights}: its knob overrides {overrides!r} do not build {info.name}: {e}") from None
    if sd is not None:
        check_match(model, sd, info.name)
    sd = sd if sd is not None else model.state_dict()
    bad = next((k for k, v in sd.items() if v.is_floating_point() and not torch.isfinite(v).all()), None)
    if bad is not None:  # maps of such a model are NaN: every score would be meaningless
        raise ArchscopeError(f"{weights or info.name}: {bad} holds NaN or infinite values (did the training diverge?)")
    model.load_state_dict(sd)
    try:  # a shape the model cannot take is refused here, in one line
        analyze(model, shape, training_memory=False)
    except ArchscopeError as e:
        msg, own = str(e), type(model).__name__
        raise ArchscopeError(info.name + msg[len(own):] if msg.startswith(own) else msg) from None
    dev = torch.device(device)
    model = model.to(dev).eval()

    masks, y, names = None, None, None
    if images:
        x, src = load_images(images, shape), "images"
    elif dataset == "synthetic":
        if not 0 <= spread <= 1:
            raise ArchscopeError(f"`spread` must be between 0 and 1, got {spread}")
        s = datasets.synthetic(count, shape, seed=seed, with_mask=True, spread=spread)
        x, y, masks, src, names = s.x, s.y, s.mask, "synthetic", datasets.SYNTHETIC_NAMES
    else:
        _, test, _ = datasets.load(dataset, shape, data_dir=data_dir)
        x, y, src = test.x[:count], test.y[:count], dataset
    x = x.to(dev)
    with torch.no_grad():
        logits = _logits(model(x))
    acc = float((logits.argmax(-1).cpu() == y).float().mean()) if y is not None else None
    report = CamReport(info.name, str(weights) if weights is not None else "(the module's own)", list(shape), src,
                       len(x), acc, x=x.cpu(), y=y, masks=masks, class_names=names)
    target = y.to(dev) if y is not None else None  # the true class, as the pointing game scores it
    todo = METHODS if method == "both" else (method,)
    for mth in todo:
        try:
            m = cam(model, x, target, upsample) if mth == "cam" else gradcam(model, x, layer, target, upsample)
        except ArchscopeError as e:
            if method == "both" and mth == "cam":
                report.skipped["cam"] = str(e)
                continue
            raise
        m = Maps(m.method, m.layer, normalise(m.maps).cpu(), m.target.cpu(), m.predicted.cpu(), m.map_size,
                 m.upsample)
        r = MethodResult(m.method, m.layer, m.map_size, m.upsample, maps=m)
        if masks is not None:
            pg, hits = pointing_game(m, masks)
            r.pointing_accuracy, r.pointing_hits, r.chance, r.hits = pg.accuracy, pg.hits, pg.chance, hits
            r.centre_baseline = pg.centre_baseline
        report.methods.append(r)
    return report


HEADERS = ["method", "layer", "map", "upsampling", "pointing game", "centre baseline", "chance", "vs chance"]
COARSE = 3  # a map with this few positions per side or fewer cannot place a small object


def summary_rows(report: CamReport) -> list[list[str]]:
    return [[r.method, r.layer, "x".join(map(str, r.map_size)), r.upsample,
             "-" if r.pointing_accuracy is None else f"{r.pointing_accuracy:.3f}",
             "-" if r.centre_baseline is None else f"{r.centre_baseline:.3f}",
             "-" if r.chance is None else f"{r.chance:.3f}",
             "-" if r.pointing_accuracy is None else f"{r.pointing_accuracy / r.chance:.1f}x"]
            for r in report.methods]


def summary_text(report: CamReport, fmt: str = "simple") -> str:
    from tabulate import tabulate

    from archscope.render.table import md_escape

    esc = md_escape if fmt == "github" else str  # markdown: the user's layer names and messages escaped
    acc = "" if report.classifier_accuracy is None else f"; classifier accuracy {report.classifier_accuracy:.3f}"
    if fmt == "github":  # markdown: every cell escaped
        from archscope.render.table import md_table

        table = md_table(summary_rows(report), HEADERS)
    else:
        table = tabulate(summary_rows(report), headers=HEADERS, tablefmt=fmt, disable_numparse=True)
    lines = [table, "",
             f"{report.images} {report.dataset} images at {'x'.join(map(str, report.input))}{acc}. Maps are for "
             "the true class where it is known (else the predicted one); a hit is the map's maximum on the object "
             "(no tolerance); chance is the object's share of the image; the centre baseline points at the "
             "image's centre."]
    lines += [f"{m} skipped: {esc(why)}" for m, why in report.skipped.items()]
    for r in report.methods:
        if r.map_size and min(r.map_size) <= COARSE:
            finer = ("Grad-CAM at an earlier layer (--layer) is finer" if r.method == "cam"
                     else "an earlier layer (--layer) is finer")
            lines.append(f"{r.method} at {esc(r.layer)}: its map has only {'x'.join(map(str, r.map_size))} positions, "
                         f"too coarse to point at an object much smaller than the image; {finer}.")
    return "\n".join(lines)


def write_outputs(report: CamReport, out: Path, show: int = 16) -> list[Path]:
    """One PNG grid per method, a JSON and a markdown summary, each written
    atomically."""
    import json

    from archscope.outputs import write_atomic
    from archscope.render.heatmap import overlay_grid

    out = Path(out)
    written = []
    n = min(show, report.images)
    for r in report.methods:
        if report.x is None:
            raise ValueError("write_outputs draws the report's images: give a CamReport with x (diagnose keeps them)")
        def name(k: int) -> str:
            return report.class_names[k] if report.class_names else f"class {k}"

        caps = [f"pred {name(int(r.maps.predicted[i]))}"
                + (f"\ntrue {name(int(report.y[i]))}" if report.y is not None else "") for i in range(n)]
        title = (f"{report.model} {r.method.upper() if r.method == 'cam' else 'Grad-CAM'} at {r.layer}"
                 + (f", {r.upsample}; pointing game {r.pointing_accuracy:.2f} (centre baseline "
                    f"{r.centre_baseline:.2f}, chance {r.chance:.2f})"
                    if r.pointing_accuracy is not None else ""))
        png = overlay_grid(report.x[:n], r.maps.maps[:n], caps,
                           masks=None if report.masks is None else report.masks[:n],
                           hits=None if r.hits is None else r.hits[:n], title=title)
        path = out / f"{r.method}.png"
        write_atomic(path, png)
        written.append(path)
    path = out / "cam.json"
    write_atomic(path, (json.dumps(report.to_dict(), indent=2) + "\n").encode())
    written.append(path)
    import re

    from archscope.render.table import md_escape

    wname = Path(report.weights).name  # in a code span when plain; a code span cannot escape, so else escaped text
    shown = f"`{wname}`" if re.fullmatch(r"[\w.+ -]+", wname, re.ASCII) else md_escape(wname)
    md = [f"# {md_escape(report.model)}: CAM / Grad-CAM", "", f"Weights: {shown}.", "",
          summary_text(report, "github"), ""]
    md += [f"![{p.stem}]({p.name})\n" for p in written if p.suffix == ".png"]
    path = out / "cam.md"
    write_atomic(path, "\n".join(md).encode())
    written.append(path)
    return written
