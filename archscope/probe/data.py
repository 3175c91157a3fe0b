"""Data for the probe: a built-in synthetic data set, and MNIST, Fashion-MNIST
and CIFAR-10 read from disk in their standard formats.

Synthetic: each class is a shape (disk, square, ring, cross, triangle) with a
texture (stripes at one of two orientations), drawn at a random position and
size, with random contrast and Gaussian noise. It is generated on the device
at any C x H x W, needs no download, and a CNN can learn it in a few hundred
steps, so every zoo model can be probed offline at its own default input.
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

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


# ---- IDX (MNIST, Fashion-MNIST) -----------------------------------------------

IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _open(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (LeCun's format): magic (0, 0, type 0x08 = ubyte, ndim),
    big-endian dimension sizes, then the data."""
    data = _open(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08 or not 1 <= data[3] <= 4:
        raise ArchscopeError(f"{path} is not an IDX ubyte file (bad magic number)")
    ndim = data[3]
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ArchscopeError(f"{path} is truncated or corrupt: header says {dims}, found {body.size} bytes of data")
    return body.reshape(dims)


def _find(data_dir: Path, name: str) -> Path | None:
    for cand in (name, name + ".gz", name.replace("-idx", ".idx"), name.replace("-idx", ".idx") + ".gz"):
        for base in (data_dir, data_dir / "raw"):
            if (base / cand).is_file():
                return base / cand
    return None


def load_idx_dataset(data_dir, kind: str) -> tuple[Split, Split]:
    data_dir = Path(data_dir)
    expected = [n for pair in IDX_FILES.values() for n in pair]
    found = {n: _find(data_dir, n) for n in expected}
    missing = [n for n, p in found.items() if p is None]
    if missing:
        raise ArchscopeError(f"{kind} not found in {data_dir}: expected {', '.join(expected)} (optionally .gz); "
                             f"missing {', '.join(missing)}")
    splits = []
    for split, (imgs, labels) in IDX_FILES.items():
        x, y = read_idx(found[imgs]), read_idx(found[labels])
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise ArchscopeError(f"{kind} {split}: images {x.shape} and labels {y.shape} do not match")
        splits.append(Split(torch.from_numpy(x.copy()).float().div(255).unsqueeze(1),
                            torch.from_numpy(y.astype(np.int64))))
    return splits[0], splits[1]


# ---- CIFAR-10 python batches --------------------------------------------------

class _SafeUnpickler(pickle.Unpickler):
    """CIFAR-10's batches are pickles of dicts of numpy arrays: allow exactly
    the numpy reconstructors those need and nothing else, so a crafted file
    cannot run code."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar"), ("builtins", "bytes"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise ArchscopeError(f"refusing to unpickle {module}.{name}: a CIFAR batch holds only numpy arrays")


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        d = _SafeUnpickler(io.BytesIO(path.read_bytes()), encoding="bytes").load()
    except ArchscopeError:
        raise
    except Exception as e:
        raise ArchscopeError(f"{path} is not a CIFAR-10 batch: {type(e).__name__}: {e}") from None
    if not isinstance(d, dict):
        raise ArchscopeError(f"{path} is not a CIFAR-10 batch (not a dict)")
    x = d.get(b"data", d.get("data"))
    y = d.get(b"labels", d.get("labels"))
    if x is None or y is None or len(x) != len(y) or np.asarray(x).shape[1:] != (3072,):
        raise ArchscopeError(f"{path} is not a CIFAR-10 batch (needs 'data' N x 3072 and 'labels')")
    return np.asarray(x, dtype=np.uint8), np.asarray(y, dtype=np.int64)


def load_cifar10(data_dir) -> tuple[Split, Split]:
    data_dir = Path(data_dir)
    base = data_dir / "cifar-10-batches-py" if (data_dir / "cifar-10-batches-py").is_dir() else data_dir
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    missing = [n for n in names if not (base / n).is_file()]
    if missing:
        raise ArchscopeError(f"CIFAR-10 not found in {data_dir}: expected cifar-10-batches-py/{{{', '.join(names)}}}; "
                             f"missing {', '.join(missing)}")
    parts = [_read_batch(base / n) for n in names]

    def to_split(ps):
        x = np.concatenate([p[0] for p in ps]).reshape(-1, 3, 32, 32)
        return Split(torch.from_numpy(x).float().div(255), torch.from_numpy(np.concatenate([p[1] for p in ps])))

    return to_split(parts[:5]), to_split(parts[5:])


# ---- adapting real data to a model's input ------------------------------------

def adapt(split: Split, shape: tuple[int, int, int], stats: tuple[float, float] | None = None) -> Split:
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
    mean, std = stats if stats is not None else (float(x.mean()), float(x.std()))
    x = (x - mean) / (std + 1e-6)
    return Split(x.contiguous(), split.y)


def load(dataset: str, shape, *, data_dir=None, n_train: int = 2048, n_test: int = 512, seed: int = 0,
         device="cpu", classes: int = SYNTHETIC_CLASSES) -> tuple[Split, Split, int]:
    """(train, test, number of classes) for ``dataset`` at the model's input."""
    if dataset == "synthetic":
        return (synthetic(n_train, shape, classes, seed=seed, device=device),
                synthetic(n_test, shape, classes, seed=seed + 1, device=device), classes)
    if data_dir is None:
        raise ArchscopeError(f"--dataset {dataset} needs --data-dir (the folder holding its files)")
    if dataset in ("mnist", "fashion-mnist"):
        train, test = load_idx_dataset(data_dir, dataset)
    elif dataset == "cifar10":
        train, test = load_cifar10(data_dir)
    else:
        raise ArchscopeError(f"unknown dataset {dataset!r}; choose synthetic, mnist, fashion-mnist or cifar10")
    resized = adapt(train, shape, stats=(0.0, 1.0))
    stats = (float(resized.x.mean()), float(resized.x.std()))
    train, test = adapt(train, shape, stats), adapt(test, shape, stats)
    return Split(train.x.to(device), train.y.to(device)), Split(test.x.to(device), test.y.to(device)), 10
