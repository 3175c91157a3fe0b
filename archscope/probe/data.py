"""Data for the probe: a built-in synthetic data set, and MNIST, Fashion-MNIST
and CIFAR-10 read from disk in their standard formats.

Synthetic: each class is a shape (disk, square, ring, cross, triangle) with a
texture (stripes at one of two orientations), drawn at a random position and
size, with random contrast and Gaussian noise. It is generated on the device
at any C x H x W, needs no download, and a CNN can learn it in a few hundred
steps, so every zoo model can be probed offline at its own default input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from archscope.datasets.readers import read_idx  # noqa: F401  (re-exported: the probe's readers live there)
from archscope.errors import ArchscopeError

SYNTHETIC_CLASSES = 10
SHAPES = ("disk", "square", "ring", "cross", "triangle")
TEXTURES = ("horizontal stripes", "vertical stripes")
# class k is shape k % 5 with texture (k // 5) % 2
SYNTHETIC_NAMES = tuple(f"{SHAPES[k % 5]}, {TEXTURES[(k // 5) % 2]}" for k in range(SYNTHETIC_CLASSES))


@dataclass
class Split:
    x: torch.Tensor  # (N, C, H, W), float, normalised
    y: torch.Tensor  # (N,), int64
    mask: torch.Tensor | None = None  # (N, H, W) bool: where the object is (synthetic data only)


# ---- synthetic ----------------------------------------------------------------

def synthetic(n: int, shape: tuple[int, int, int], classes: int = SYNTHETIC_CLASSES, *, seed: int = 0,
              device="cpu", with_mask: bool = False, spread: float = 0.3) -> Split:
    """``n`` images at ``shape`` (C, H, W). ``with_mask`` also returns each
    object's pixels: every class cue (shape and texture) lies inside them,
    which is what makes the pointing game of ``archscope cam`` measurable.
    Object centres are uniform within ``spread`` of the image centre (the
    image spans -1..1)."""
    c, h, w = shape
    g = torch.Generator(device="cpu").manual_seed(seed)
    y = torch.arange(n) % classes
    y = y[torch.randperm(n, generator=g)]
    cy = (torch.rand(n, generator=g) - 0.5) * 2 * spread
    cx = (torch.rand(n, generator=g) - 0.5) * 2 * spread
    r = 0.35 + 0.25 * torch.rand(n, generator=g)
    contrast = 0.6 + 0.4 * torch.rand(n, generator=g)
    x = torch.empty(n, c, h, w)
    masks = torch.empty(n, h, w, dtype=torch.bool) if with_mask else None
    # in chunks of about 16 M pixels, so that a 2,048-image set at 224x224 does not hold 5 GB of
    # temporaries (the probe's peak-memory figure on the CPU would measure them, not the training)
    step = max(1, (1 << 24) // (h * w))
    for i in range(0, n, step):
        j = min(n, i + step)
        mask = _objects(y[i:j], cy[i:j], cx[i:j], r[i:j], h, w)
        img = mask * (0.6 + 0.4 * _stripes(y[i:j], h, w)) * contrast[i:j].view(-1, 1, 1)
        x[i:j] = img.unsqueeze(1) + 0.15 * torch.randn(j - i, c, h, w, generator=g)
        if masks is not None:
            masks[i:j] = mask.bool()
    x.sub_(0.25).div_(0.35)
    return Split(x.to(device), y.to(device), masks.to(device) if masks is not None else None)


def _objects(y, cy, cx, r, h, w) -> torch.Tensor:
    """(k, h, w) float masks: shape y % 5 at centre (cy, cx), size r."""
    k = len(y)
    yy = torch.linspace(-1, 1, h).view(1, h, 1)
    xx = torch.linspace(-1, 1, w).view(1, 1, w)
    dy, dx, r = yy - cy.view(k, 1, 1), xx - cx.view(k, 1, 1), r.view(k, 1, 1)
    dist = torch.sqrt(dy ** 2 + dx ** 2)
    kinds = (
        lambda: dist < r,  # disk
        lambda: (dy.abs() < r) & (dx.abs() < r),  # square
        lambda: (dist < r) & (dist > 0.6 * r),  # ring
        lambda: ((dy.abs() < 0.3 * r) & (dx.abs() < r)) | ((dx.abs() < 0.3 * r) & (dy.abs() < r)),  # cross
        lambda: (dy > -r) & (dy < r) & (dx.abs() < (r - dy) / 2),  # triangle
    )
    out = torch.zeros(k, h, w)
    shape_id = y % 5
    for s, make in enumerate(kinds):
        sel = shape_id == s
        if sel.any():
            out[sel] = make()[sel].float()
    return out


def _stripes(y, h, w) -> torch.Tensor:
    """(k, h, w): horizontal stripes for texture 0 ((y // 5) % 2), vertical for 1."""
    yy = torch.linspace(-1, 1, h).view(1, h, 1)
    xx = torch.linspace(-1, 1, w).view(1, 1, w)
    freq = 6.0
    horizontal = torch.sin(freq * torch.pi * yy).expand(1, h, w)
    vertical = torch.sin(freq * torch.pi * xx).expand(1, h, w)
    return torch.where(((y // 5) % 2 == 0).view(-1, 1, 1), horizontal, vertical)


# ---- real data sets (archscope.datasets finds, verifies and reads them) ----------

def load_real(dataset: str, data_dir=None, *, download: bool = True, notice=None):
    """(train, test, located) at the files' own resolution, pixels in [0, 1]."""
    from archscope.datasets import catalog, locate
    from archscope.datasets.readers import check_content, check_labels, decompressed, parse_idx, read_cifar_batch

    s = catalog.spec(dataset)
    loc = locate(dataset, data_dir, download=download, notice=notice)
    if s.format == "idx":
        arrays = {}
        for f in s.files:
            path = loc.files[f.name]
            content = decompressed(path)
            # the cache and the system's copy must be the real thing; a folder the user names may hold
            # their own IDX files (a subset, say): read them, and say that they are not the published ones
            loc.verified[f.name] = _verify_or_note(path, content, f) if loc.where == "--data-dir" else \
                check_content(path, content, f)
            arrays[f.name] = parse_idx(content, path)
        splits = []
        for split in ("train", "t10k"):
            img, lab = f"{split}-images-idx3-ubyte.gz", f"{split}-labels-idx1-ubyte.gz"
            x, y = arrays[img], arrays[lab]
            if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
                raise ArchscopeError(f"{dataset} {split}: images {x.shape} and labels {y.shape} do not match "
                                     f"({loc.files[img]}, {loc.files[lab]})")
            if len(x) == 0:
                raise ArchscopeError(f"{loc.files[img]} holds no images")
            check_labels(y, s.classes, loc.files[lab])
            splits.append(Split(torch.from_numpy(x.copy()).float().div_(255).unsqueeze(1),
                                torch.from_numpy(y.astype(np.int64))))
        return splits[0], splits[1], loc
    if loc.where != "--data-dir":  # the cache's and the system's copies must be the published batches
        import hashlib

        for f in s.files:
            if f.md5 and hashlib.md5(loc.files[f.name].read_bytes()).hexdigest() != f.md5:
                raise ArchscopeError(f"{loc.files[f.name]}: checksum mismatch (md5); remove it and fetch again")
            loc.verified[f.name] = "md5 of each batch"
    parts = {f.name: read_cifar_batch(loc.files[f.name]) for f in s.files}
    for f in s.files:
        check_labels(parts[f.name][1], s.classes, loc.files[f.name])

    def to_split(names):
        x = np.concatenate([parts[n][0] for n in names]).reshape(-1, 3, 32, 32)
        y = np.concatenate([parts[n][1] for n in names])
        if len(x) == 0:
            raise ArchscopeError(f"{dataset}: the batches hold no images")
        return Split(torch.from_numpy(x).float().div_(255), torch.from_numpy(y))

    return to_split([f"data_batch_{i}" for i in range(1, 6)]), to_split(["test_batch"]), loc


def _verify_or_note(path, content, f) -> str:
    """Files in --data-dir: verified when they are the real thing; a folder
    of other IDX files (a user's own subset) is allowed, and said."""
    from archscope.datasets.readers import check_content

    try:
        return check_content(path, content, f)
    except ArchscopeError:
        return "not the published files (read as given)"


# ---- adapting real data to a model's input ------------------------------------

def adapt(split: Split, shape: tuple[int, int, int], stats: tuple[float, float] | None = (0.0, 1.0)) -> Split:
    """Resize to the model's H x W (bilinear, as the articles resize
    Fashion-MNIST to 96 or 224) and match its channels (grey repeated to RGB,
    RGB averaged to grey); then standardise with ``stats`` (mean, std) — the
    training split's, for the test split."""
    c, h, w = shape
    x = split.x
    if x.shape[-2:] != (h, w):
        x = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
    if x.shape[1] != c:
        x = x.mean(dim=1, keepdim=True).expand(-1, c, -1, -1) if c != 1 else x.mean(dim=1, keepdim=True)
    if stats is not None and stats != (0.0, 1.0):
        mean, std = stats
        x = (x - mean) / (std + 1e-6)
    return Split(x.contiguous(), split.y)


def load(dataset: str, shape, *, data_dir=None, n_train: int = 2048, n_test: int = 512, seed: int = 0,
         device="cpu", classes: int = SYNTHETIC_CLASSES, scaling: str = "standardize", download: bool = True,
         notice=None, provenance: dict | None = None) -> tuple[Split, Split, int]:
    """(train, test, number of classes) for ``dataset`` at the model's input.
    ``scaling``: ``unit`` keeps pixels in [0, 1] (``ToTensor``);
    ``standardize`` also subtracts the training split's mean and divides by
    its std. ``provenance``, when given, is filled with where the files were
    found and how they were verified."""
    if dataset == "synthetic":
        return (synthetic(n_train, shape, classes, seed=seed, device=device),
                synthetic(n_test, shape, classes, seed=seed + 1, device=device), classes)
    if dataset not in ("mnist", "fashion-mnist", "cifar10"):
        raise ArchscopeError(f"unknown dataset {dataset!r}; choose synthetic, mnist, fashion-mnist or cifar10")
    train, test, loc = load_real(dataset, data_dir, download=download, notice=notice)
    if provenance is not None:
        provenance.update(dataset=dataset, where=loc.where, folder=str(loc.folder),
                          verified=sorted(set(loc.verified.values())) or ["read, not verified"])
    train = adapt(train, shape)
    test = adapt(test, shape)
    if scaling == "standardize":
        stats = (float(train.x.mean()), float(train.x.std()))
        train, test = adapt(train, shape, stats), adapt(test, shape, stats)
    return Split(train.x.to(device), train.y.to(device)), Split(test.x.to(device), test.y.to(device)), 10
