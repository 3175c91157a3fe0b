"""Heat maps overlaid on their images, as a PNG grid (Pillow)."""

from __future__ import annotations

import io

import numpy as np
import torch

# MATLAB's / matplotlib's "jet": piecewise linear through these stops
_JET = np.array([[0.0, 0.0, 0.0, 0.5], [0.125, 0.0, 0.0, 1.0], [0.375, 0.0, 1.0, 1.0],
                 [0.625, 1.0, 1.0, 0.0], [0.875, 1.0, 0.0, 0.0], [1.0, 0.5, 0.0, 0.0]])


def colormap(v: np.ndarray) -> np.ndarray:
    """Values in [0, 1] -> RGB in [0, 1], shape (..., 3)."""
    v = np.clip(v, 0, 1)
    return np.stack([np.interp(v, _JET[:, 0], _JET[:, c]) for c in (1, 2, 3)], axis=-1)


def to_rgb(img: torch.Tensor) -> np.ndarray:
    """(C, H, W) standardised image -> (H, W, 3) in [0, 1], contrast stretched."""
    x = img.detach().float().cpu()
    x = x.mean(0, keepdim=True) if x.shape[0] not in (1, 3) else x
    x = (x - x.min()) / (x.max() - x.min()).clamp_min(1e-12)
    x = x.expand(3, -1, -1) if x.shape[0] == 1 else x
    return x.permute(1, 2, 0).numpy()


def _outline(mask: np.ndarray) -> np.ndarray:
    """Pixels of the mask with a 4-neighbour outside it."""
    m = np.pad(mask, 1)
    inner = m[1:-1, 1:-1] & m[:-2, 1:-1] & m[2:, 1:-1] & m[1:-1, :-2] & m[1:-1, 2:]
    return mask & ~inner


FONT_PX, LINE = 12, 14  # the captions' font size and line height, in pixels


def overlay_grid(images: torch.Tensor, maps: torch.Tensor, captions: list[str], *,
                 masks: torch.Tensor | None = None, hits: torch.Tensor | None = None, title: str = "",
                 columns: int = 4, cell: int = 128) -> bytes:
    """PNG bytes: per image, the image and the map over it side by side,
    with the map's maximum marked (a white cross), the object's outline in
    green when known, and a caption. ``maps`` are normalised to [0, 1]."""
    from PIL import Image, ImageDraw, ImageFont

    n = len(images)
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    cap_h, head_h, gap = 2 * LINE + 4, LINE + 8 if title else 4, 8
    pair_w = 2 * cell + 4
    sheet = Image.new("RGB", (columns * (pair_w + gap) + gap, head_h + rows * (cell + cap_h + gap) + gap), "white")
    draw = ImageDraw.Draw(sheet)
    # Pillow's built-in font at its default 10 px is hinted so tightly that spaces vanish ("Grad-CAM atstage3");
    # at FONT_PX they read as spaces
    font = ImageFont.load_default(size=FONT_PX)
    if title:
        draw.text((gap, 5), title, fill="black", font=font)
    for i in range(n):
        r, c = divmod(i, columns)
        x0, y0 = gap + c * (pair_w + gap), head_h + r * (cell + cap_h + gap)
        rgb = to_rgb(images[i])
        heat = maps[i].detach().float().cpu().numpy()
        mixed = 0.5 * rgb + 0.5 * colormap(heat)
        if masks is not None:
            mixed[_outline(masks[i].cpu().numpy().astype(bool))] = (0.1, 0.9, 0.1)
        for k, arr in enumerate((rgb, mixed)):
            im = Image.fromarray((arr * 255).round().astype(np.uint8)).resize((cell, cell), Image.Resampling.NEAREST)
            sheet.paste(im, (x0 + k * (cell + 4), y0))
        h, w = heat.shape
        py, px = np.unravel_index(int(np.argmax(heat)), heat.shape)
        cx, cy = x0 + cell + 4 + (px + 0.5) * cell / w, y0 + (py + 0.5) * cell / h
        for colour, width in (("black", 4), ("white", 2)):
            draw.line([(cx - 6, cy), (cx + 6, cy)], fill=colour, width=width)
            draw.line([(cx, cy - 6), (cx, cy + 6)], fill=colour, width=width)
        text = captions[i]
        if hits is not None:
            text += "  hit" if bool(hits[i]) else "  miss"
        for j, line in enumerate(text.split("\n")[:2]):
            draw.text((x0, y0 + cell + 3 + LINE * j), line, fill="black", font=font)
    return to_png(sheet)


def to_png(image) -> bytes:
    """PNG bytes, quantised to a 256-colour palette without dithering: noisy
    images compress about 3x smaller, and heat maps need no more colours."""
    from PIL import Image

    buf = io.BytesIO()
    image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        buf, format="PNG", optimize=True)
    return buf.getvalue()
