"""The one way archscope draws a chart: matplotlib (Agg), saved as an SVG and a PNG beside it.

The files are deterministic: the SVG's element ids come from a fixed salt (``svg.hashsalt``), text is kept
as text (``svg.fonttype: none``), and neither file records a date or the software's version, so redrawing
unchanged data leaves both byte for byte (the committed reports are compared with fresh ones by the tests).
Every file is written atomically (``archscope.outputs.write_atomic``).
"""

from __future__ import annotations

import io
from pathlib import Path

DPI = 110  # the PNGs' resolution: sharp on a screen, a few hundred KB at most


def plt():
    """matplotlib.pyplot on the Agg backend (no display needed), imported when first drawn."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as pyplot

    return pyplot


def style() -> dict:
    """The rc settings every chart is drawn and saved under."""
    return {"svg.hashsalt": "archscope", "svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
            "axes.spines.right": False}


def encode(fig, ext: str) -> bytes:
    """The figure as ``ext`` ("svg" or "png") bytes, without a date or the software's name."""
    meta = {"svg": {"Date": None, "Creator": None}, "png": {"Software": None}}[ext]
    buf = io.BytesIO()
    with plt().rc_context(style()):
        fig.savefig(buf, format=ext, metadata=meta, dpi=DPI)
    return buf.getvalue()


def save(fig, stem: Path | str) -> list[Path]:
    """``stem``.svg and ``stem``.png, deterministic, written atomically; the figure is closed."""
    from archscope.outputs import write_atomic

    out = []
    try:
        for ext in ("svg", "png"):
            path = Path(f"{stem}.{ext}")
            write_atomic(path, encode(fig, ext))
            out.append(path)
    finally:
        plt().close(fig)
    return out


def files(stem: Path | str) -> list[Path]:
    """The files ``save(fig, stem)`` writes, in its order."""
    return [Path(f"{stem}.svg"), Path(f"{stem}.png")]


__all__ = ["DPI", "encode", "files", "plt", "save", "style"]
