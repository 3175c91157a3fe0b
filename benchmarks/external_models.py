"""archscope on the models people bring (torchvision's and timm's) against
FlopCounterMode, fvcore, torchinfo and the libraries' published figures.

    .venv/bin/python benchmarks/external_models.py [-o reports/external-models.md] [--only NAME ...]
                                                   [--timm-results CSV] [--fallback]

For each model: archscope's parameters and MACs beside the library's published
ones (torchvision: the weights' ``meta["num_params"]`` and ``meta["_ops"]``,
GFLOPS in its multiply-add convention; timm: a results CSV of timm's repository
given with --timm-results, columns ``model``, ``param_count`` (millions) and
``infer_gmacs`` or ``gmacs``) and beside FlopCounterMode on the meta device
with grad on (half its FLOPs: its 2-per-MAC convention); what torchinfo, fvcore
and FlopCounterMode on the CPU report and how much of each difference
``--crosscheck`` leaves unexplained; archscope's uncounted ops; and the seconds
each tool takes on the model in this process (the model built once; fresh
processes are benchmarks/bench_summary.py's job).

torchvision and timm are imported only here. Where they do not import (PyPI's
torchvision wheels are linked against CUDA torch and do not load beside the CPU
torch wheel, and timm needs torchvision), the script says so in the report and
runs a fallback list instead: the zoo's torchvision-architecture variants (with
torchvision's published figures from the zoo's metadata) and the torch.nn
models of tests/data/nn_models.py; --fallback forces that list.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import platform
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archscope.analysis import analyze  # noqa: E402
from archscope.analysis.crosscheck import crosscheck  # noqa: E402

# The families issue 15 names, as torchvision 0.28 and timm 1.0 call them; the
# input is each model's evaluation size (timm's: its pretrained cfg).
TORCHVISION = {
    "resnet18": 224, "resnet50": 224, "resnext50_32x4d": 224, "wide_resnet50_2": 224, "densenet121": 224,
    "efficientnet_b0": 224, "efficientnet_v2_s": 384, "mobilenet_v2": 224, "mobilenet_v3_large": 224,
    "mnasnet1_0": 224, "regnet_y_400mf": 224, "regnet_x_1_6gf": 224, "shufflenet_v2_x1_0": 224,
    "squeezenet1_1": 224, "convnext_tiny": 224, "vit_b_16": 224, "swin_t": 224, "swin_v2_t": 256,
    "maxvit_t": 224, "alexnet": 224, "vgg16": 224, "googlenet": 224, "inception_v3": 299,
}
TIMM = [
    "resnet50", "resnext50_32x4d", "densenet121", "efficientnet_b0", "tf_efficientnetv2_s", "mobilenetv2_100",
    "mobilenetv3_large_100", "regnety_016", "convnext_tiny", "vit_base_patch16_224", "deit_tiny_patch16_224",
    "swin_tiny_patch4_window7_224", "maxvit_tiny_tf_224", "eva02_tiny_patch14_224", "cait_xxs24_224",
    "levit_128", "mixer_b16_224", "poolformer_s12", "mobilevit_s", "fastvit_t8", "repvgg_a2", "dm_nfnet_f0",
    "nfnet_l0", "ghostnet_100", "inception_v3",
]
# Where torchvision and timm do not import: the zoo's builds of torchvision's
# architectures and the torch.nn test models (each with its input).
FALLBACK_ZOO = {"resnet50.torchvision": {}, "mobilenet_v2.torchvision": {}, "densenet121.torchvision": {},
                "squeezenet1_0.torchvision": {}, "googlenet.torchvision": {},
                # torchvision's 27,161,264 parameters include the auxiliary head (its builder's default)
                "inception_v3.torchvision": {"aux_logits": True}}
FALLBACK_NN = {"TinyViT": (3, 32, 32), "SelfAttention": (16, 4, 4), "SDPAttention": (16, 4, 4),
               "SmallCNN": (3, 16, 16), "ConvNeXtBlock": (16, 8, 8), "LSTMNet": (1, 5, 8)}


@dataclass
class Case:
    source: str  # torchvision, timm, zoo, torch.nn
    name: str
    input: tuple[int, int, int]
    build: Callable[[bool], nn.Module]  # meta: bool -> the model
    published: dict = field(default_factory=dict)  # params (int), gmacs (float), source (str)


def libraries() -> tuple[dict[str, str | None], dict[str, str]]:
    """Each library's version, or None and why it did not import."""
    out, why = {}, {}
    for name in ("torchvision", "timm"):
        try:
            mod = __import__(name)
            out[name] = mod.__version__
        except Exception as e:  # an import that fails half-way (torchvision's C ops) is not importable
            out[name] = None
            why[name] = f"{type(e).__name__}: {str(e).strip().splitlines()[-1] if str(e).strip() else ''}"
    return out, why


def _on(meta: bool):
    return torch.device("meta") if meta else torch.device("cpu")


def torchvision_cases(only) -> list[Case]:
    import torchvision.models as tvm

    cases = []
    for name, size in TORCHVISION.items():
        if only and name not in only:
            continue
        meta = tvm.get_model_weights(name).DEFAULT.meta
        pub = {"params": meta["num_params"], "gmacs": meta.get("_ops"),
               "source": f"torchvision {tvm.get_model_weights(name).DEFAULT} meta"}

        def build(on_meta, _name=name):
            with _on(on_meta):
                return tvm.get_model(_name)

        cases.append(Case("torchvision", name, (3, size, size), build, pub))
    return cases


def timm_cases(only, results: dict[str, dict]) -> list[Case]:
    import timm

    cases = []
    for name in TIMM:
        if only and name not in only:
            continue
        size = tuple(timm.get_pretrained_cfg(name).input_size)

        def build(on_meta, _name=name):
            with _on(on_meta):
                return timm.create_model(_name, pretrained=False)

        cases.append(Case("timm", name, size, build, results.get(name, {})))
    return cases


def read_timm_results(path: str | None) -> dict[str, dict]:
    """timm's results CSVs (github.com/huggingface/pytorch-image-models, results/): param_count in
    millions and GMACs, as printed there."""
    if not path:
        return {}
    out = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            gmacs = row.get("infer_gmacs") or row.get("gmacs")
            params = row.get("param_count") or row.get("infer_param_count")
            name = row["model"].split(".")[0]
            out[name] = {"params_m": float(params) if params else None, "gmacs": float(gmacs) if gmacs else None,
                         "source": f"timm {Path(path).name}"}
    return out


def fallback_cases(only) -> list[Case]:
    from archscope.analysis.engine import load_model
    from archscope.zoo import get_model, model_info

    cases = []
    for name, knobs in FALLBACK_ZOO.items():
        if only and name not in only:
            continue
        info = model_info(name)
        pub = {p.quantity: p.value for p in info.published}
        pub = {"params": int(pub["params"]), "gmacs": pub.get("gflops"), "source": "torchvision, from the zoo's "
               "metadata"}
        cases.append(Case("zoo", name, tuple(info.input_shape),
                          lambda on_meta, _n=name, _k=knobs: get_model(_n, device="meta" if on_meta else "cpu", **_k),
                          pub))
    for name, shape in FALLBACK_NN.items():
        if only and name not in only:
            continue
        spec = f"{ROOT / 'tests/data/nn_models.py'}:{name}"
        cases.append(Case("torch.nn", name, shape, lambda on_meta, _s=spec: load_model(_s, meta=on_meta)))
    return cases


# ---- one model ---------------------------------------------------------------------


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0] if text else ''}"[:160]


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def flop_counter_macs(model: nn.Module, shape) -> int:
    """FlopCounterMode's total / 2 on the meta device, eval mode, grad on: the
    math paths of attention, which it has formulas for."""
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.empty(1, *shape, device="meta")
    model.eval()
    with FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops() // 2


def standalone_times(meta_model, cpu_model, shape) -> dict[str, float | str]:
    """Each tool on its own, as its documentation shows it."""
    import torchinfo
    from fvcore.nn import FlopCountAnalysis

    out = {}
    try:
        _, out["torchinfo"] = _timed(lambda: torchinfo.summary(meta_model, input_size=(1, *shape), device="meta",
                                                               verbose=0))
    except Exception as e:
        out["torchinfo"] = _first_line(e)
    try:
        def fv():
            f = FlopCountAnalysis(cpu_model.eval(), torch.zeros(1, *shape))
            f.unsupported_ops_warnings(False)
            f.uncalled_modules_warnings(False)
            return f.total()

        _, out["fvcore"] = _timed(fv)
    except Exception as e:
        out["fvcore"] = _first_line(e)
    try:
        _, out["FlopCounterMode"] = _timed(lambda: flop_counter_macs(meta_model, shape))
    except Exception as e:
        out["FlopCounterMode"] = _first_line(e)
    return out


def measure(case: Case) -> dict:
    row = {"case": case, "notes": []}
    try:
        try:
            meta_model = case.build(True)
            row["built"] = "meta"
        except Exception as e:
            meta_model = case.build(False)
            row["built"] = "CPU"
            row["notes"].append(f"built on the CPU: on meta {_first_line(e)}")
        row["analysis"], row["t_archscope"] = _timed(lambda: analyze(meta_model, case.input))
        a = row["analysis"]
        row["notes"] += a.notes
        try:
            row["fcm_meta_macs"] = flop_counter_macs(meta_model, case.input)
        except Exception as e:
            row["fcm_meta_macs"] = _first_line(e)
        cpu_model = case.build(False)
        row["checks"] = {(c.tool, c.quantity): c for c in crosscheck(cpu_model, a)}
        row["times"] = standalone_times(meta_model, cpu_model, case.input)
    except Exception as e:
        row["error"] = _first_line(e)
        traceback.print_exc()
    return row


# ---- the report ----------------------------------------------------------------------


def _int(v) -> str:
    return f"{v:,}" if isinstance(v, int) else ("-" if v is None else str(v))


def _vs(ours: int, theirs) -> str:
    if not isinstance(theirs, int):
        return _int(theirs)
    return f"{theirs:,} (=)" if theirs == ours else f"{theirs:,} ({theirs - ours:+,})"


def _published_params(pub: dict, ours: int) -> str:
    if pub.get("params") is not None:
        return _vs(ours, pub["params"])
    if pub.get("params_m") is not None:  # timm prints millions to 2 decimals
        ok = round(ours / 1e6, 2) == round(pub["params_m"], 2)
        return f"{pub['params_m']:.2f} M ({'rounds to' if ok else 'differs from'} ours)"
    return "-"


def _published_gmacs(pub: dict, ours: int) -> str:
    g = pub.get("gmacs")
    if g is None:
        return "-"
    digits = len(repr(float(g)).split(".")[1])
    ok = round(ours / 1e9, digits) == g
    return f"{g} ({'=' if ok else f'ours {ours / 1e9:.{digits}f}'})"


def _tool(row, key) -> str:
    c = row.get("checks", {}).get(key)
    if c is None:
        return "-"
    if c.error:
        return f"failed: {c.error}"
    return f"{c.reported:,} (unexplained {c.unexplained:,})"


def _secs(v) -> str:
    return f"{v:.2f}" if isinstance(v, float) else ("-" if v is None else f"failed: {v}")


def machine() -> str:
    """bench_summary's machine line, with the GPU (this benchmark is meant to run where one is)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script or imported by a test
    from bench_summary import machine as cpu_machine

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    head, _, tail = cpu_machine().partition(" cores, ")
    return f"{head} cores, {gpu}, {tail}"


def report(rows: list[dict], libs: dict, why: dict, fallback: bool) -> str:
    lib_text = "; ".join(f"{k} {v}" if v else f"{k} not importable ({why.get(k, 'not installed')})"
                         for k, v in libs.items())
    lines = [
        "# External models: archscope against FlopCounterMode, fvcore, torchinfo and the published figures",
        "",
        f"Ran {datetime.date.today().isoformat()} on {machine()}; {lib_text}. Regenerate with "
        "`.venv/bin/python benchmarks/external_models.py` (`--help` for the options).",
        "",
    ]
    if fallback:
        lines += [
            "**The torchvision and timm models have not been run yet.** On this machine torchvision and timm do "
            "not import. PyPI's torchvision wheel for torch 2.13 (0.28.0, checked with `pip download "
            "torchvision==0.28.0 --no-deps` and `ldd` on its `_C.so`) is linked against CUDA torch "
            "(`libtorch_cuda.so`, `libc10_cuda.so`) and does not load beside the CPU torch wheel (`operator "
            "torchvision::nms does not exist`), and timm needs torchvision. The full run needs a machine where "
            "torch 2.13, torchvision 0.28 and timm install together (a CUDA machine with torch's CUDA wheel): "
            f"run the script there and it measures the {len(TORCHVISION)} torchvision and {len(TIMM)} timm "
            "models it lists. Below is the fallback list, run here: the zoo's builds of torchvision's "
            "architectures (published figures: torchvision's, from the zoo's metadata) and the torch.nn models "
            "of `tests/data/nn_models.py`.",
            "",
        ]
    lines += [
        "## Parameters and MACs",
        "",
        "Published figures with (=) where they agree to their printed digits, else the difference or ours; "
        "FlopCounterMode on the meta device with grad on (math attention), its FLOPs / 2.",
        "",
        "| model | source | input | built on | params | published params | MACs | published GMACs | "
        "FlopCounterMode MACs |",
        "|---|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        c = r["case"]
        if "error" in r:
            lines.append(f"| {c.name} | {c.source} | {'x'.join(map(str, c.input))} | failed: {r['error']} "
                         "| | | | | |")
            continue
        a = r["analysis"]
        lines.append(f"| {c.name} | {c.source} | {'x'.join(map(str, c.input))} | {r['built']} | "
                     f"{a.totals.params:,} | {_published_params(c.published, a.totals.params)} | "
                     f"{a.totals.macs:,} | {_published_gmacs(c.published, a.totals.macs)} | "
                     f"{_vs(a.totals.macs, r['fcm_meta_macs'])} |")
    lines += [
        "",
        "## What the other tools report, and what `--crosscheck` leaves unexplained",
        "",
        "torchinfo: mult-adds on meta; FlopCounterMode: FLOPs on the CPU, eval, no grad (torch's fused inference "
        "paths); fvcore: flops on the CPU, eval, no grad. Each with the part of its difference from archscope "
        "that `summary --crosscheck` does not attribute to a cause (0: every unit explained).",
        "",
        "| model | torchinfo | FlopCounterMode (CPU) | fvcore | archscope's uncounted ops | notes |",
        "|---|---:|---:|---:|---|---|",
    ]
    for r in rows:
        if "error" in r:
            continue
        a = r["analysis"]
        unc = ", ".join(f"{k.removeprefix('aten.')} x{v}" for k, v in sorted(a.uncounted_ops.items())) or "none"
        lines.append(f"| {r['case'].name} | {_tool(r, ('torchinfo', 'mult-adds'))} | "
                     f"{_tool(r, ('FlopCounterMode', 'FLOPs (2 per MAC)'))} | "
                     f"{_tool(r, ('fvcore', 'flops (1 per MAC)'))} | {unc} | {'; '.join(r['notes']) or '-'} |")
    lines += [
        "",
        "## Seconds in this process",
        "",
        "Each tool on the model already built (archscope: `analyze` on meta with training memory; torchinfo: "
        "`summary` on meta; fvcore: `FlopCountAnalysis(...).total()` on the CPU; FlopCounterMode: one meta "
        "forward). The whole-process comparison is `benchmarks/bench_summary.py`'s.",
        "",
        "| model | archscope | torchinfo | fvcore | FlopCounterMode |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "error" in r:
            continue
        t = r["times"]
        lines.append(f"| {r['case'].name} | {_secs(r['t_archscope'])} | {_secs(t.get('torchinfo'))} | "
                     f"{_secs(t.get('fvcore'))} | {_secs(t.get('FlopCounterMode'))} |")
    ok = [r for r in rows if "error" not in r]
    fcm_equal = sum(r["fcm_meta_macs"] == r["analysis"].totals.macs for r in ok)
    explained = sum(all(c.error is None and c.unexplained == 0 for c in r["checks"].values()) for r in ok)
    no_unc = sum(not r["analysis"].uncounted_ops for r in ok)
    lines += [
        "",
        f"Of {len(rows)} models: {len(ok)} analysed; MACs equal FlopCounterMode's (meta, grad on) on {fcm_equal}; "
        f"every tool's difference fully explained on {explained}; no uncounted ops on {no_unc}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--output", default=str(ROOT / "reports/external-models.md"))
    ap.add_argument("--only", nargs="*", help="Only these model names.")
    ap.add_argument("--timm-results", help="A timm results CSV with published param_count and GMACs.")
    ap.add_argument("--fallback", action="store_true", help="Run the fallback list even where the libraries import.")
    args = ap.parse_args()

    from archscope.outputs import check_output_file, write_atomic

    out = check_output_file(args.output)
    libs, why = libraries()
    fallback = args.fallback or not all(libs.values())
    if fallback and not args.fallback:
        print("torchvision/timm not importable (" + "; ".join(f"{k}: {v}" for k, v in why.items()) +
              "): running the fallback list; the report says so", file=sys.stderr)
    only = set(args.only or ())
    if fallback:
        cases = fallback_cases(only)
    else:
        cases = torchvision_cases(only) + timm_cases(only, read_timm_results(args.timm_results))
    # every tool's first call in a process pays for imports and warm-up: spend it on a tiny model
    measure(Case("warm-up", "warm-up", (3, 8, 8), lambda on_meta: nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())))
    rows = []
    for case in cases:
        row, secs = _timed(lambda: measure(case))
        rows.append(row)
        print(f"{case.source:12s} {case.name:32s} {secs:6.1f} s {row.get('error', '')}", file=sys.stderr, flush=True)
    write_atomic(out, report(rows, libs, why, fallback).encode())
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
