"""Readers for the data sets' own file formats, with every way a file can
be wrong turned into one line naming the file and the problem."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import struct
import zlib
from pathlib import Path

import numpy as np

from archscope.errors import ArchscopeError


def _catalog_name(name: str) -> str:
    """A file's name as the catalog writes it, without .gz (``train-images.idx3-ubyte`` too)."""
    stem = name[:-3] if name.endswith(".gz") else name
    return stem.replace(".idx", "-idx")


def known_size(path) -> int:
    """The most bytes a data file named like ``path`` holds decompressed: the
    largest published size of a catalog file of that name (MNIST's and
    Fashion-MNIST's share names and sizes), else the largest of any catalog
    file. Every read of a data file stops there."""
    from archscope.datasets.catalog import CATALOG

    sizes = [(f.name, f.size) for s in CATALOG.values() for f in s.files if f.size]
    mine = [size for name, size in sizes if _catalog_name(name) == _catalog_name(Path(path).name)]
    return max(mine or [size for _, size in sizes])


def _open(path: Path):
    try:
        return open(path, "rb")
    except OSError as e:
        raise ArchscopeError(f"cannot read {path}: {e.strerror or e}") from None


def decompressed(path: Path, limit: int | None = None) -> bytes:
    """The file's content, gunzipped when it is a gzip file, and never more
    than ``limit`` bytes of it (default ``known_size``): a file larger than
    that, or a gzip that inflates past it (a decompression bomb), is refused
    naming the file, having read at most ``limit + 1`` bytes of content."""
    path = Path(path)
    limit = known_size(path) if limit is None else limit
    with _open(path) as f:
        try:
            size = os.fstat(f.fileno()).st_size
            head = f.read(2)
            f.seek(0)
        except OSError as e:
            raise ArchscopeError(f"cannot read {path}: {e.strerror or e}") from None
        if head != b"\x1f\x8b":
            if size > limit:
                raise ArchscopeError(f"{path}: {size:,} bytes, more than the {limit:,} of the published file; not "
                                     "read (not this data set's file)")
            return f.read()
        # deflate never makes data much larger (stored blocks: 5 bytes a 64 KiB block); twice is beyond any gzip
        if size > 2 * limit + 65536:
            raise ArchscopeError(f"{path}: {size:,} bytes compressed, more than any gzip of the published file "
                                 f"({limit:,} bytes) can be; not read")
        try:
            data = gzip.GzipFile(fileobj=f, mode="rb").read(limit + 1)
        except (OSError, EOFError, zlib.error) as e:
            raise ArchscopeError(f"{path} is a corrupt or truncated gzip file ({e})") from None
    if len(data) > limit:
        raise ArchscopeError(f"{path}: decompresses to more than {limit:,} bytes, the size of the published file; "
                             "stopped there (a decompression bomb, or not this data set's file)")
    return data


def md5_of(path: Path, size: int | None = None) -> str | None:
    """The file's MD5, read in blocks; None without reading when its size is
    not ``size`` (it cannot be the published file then)."""
    with _open(Path(path)) as f:
        if size is not None and os.fstat(f.fileno()).st_size != size:
            return None
        return hashlib.file_digest(f, "md5").hexdigest()


def check_content(path: Path, content: bytes, expected) -> str:
    """Compare decompressed ``content`` with the catalog's ``expected``
    (a DataFile); raise on a mismatch; return how it was verified."""
    if expected.size is not None and len(content) != expected.size:
        raise ArchscopeError(f"{path}: {len(content):,} bytes decompressed, expected {expected.size:,} "
                             "(truncated, or not this data set's file)")
    if expected.sha256:
        got = hashlib.sha256(content).hexdigest()
        if got != expected.sha256:
            raise ArchscopeError(f"{path}: checksum mismatch (sha256 of the content {got[:16]}..., expected "
                                 f"{expected.sha256[:16]}...)")
        return "sha256 of the content"
    if expected.md5 and path.suffix == ".gz":
        if md5_of(path, expected.download_size) == expected.md5:
            return "md5 of the published .gz"
    return "size only (no checksum of the content is published)"


def parse_idx(content: bytes, path: Path) -> np.ndarray:
    """An IDX file (LeCun's format): magic (0, 0, type 0x08 = ubyte, ndim),
    big-endian dimension sizes, then the data."""
    if len(content) < 4 or content[0] != 0 or content[1] != 0 or content[2] != 0x08 or not 1 <= content[3] <= 4:
        raise ArchscopeError(f"{path} is not an IDX ubyte file (bad magic number)")
    ndim = content[3]
    if len(content) < 4 + 4 * ndim:
        raise ArchscopeError(f"{path} is truncated: its header ends after {len(content)} bytes")
    dims = struct.unpack(f">{ndim}I", content[4:4 + 4 * ndim])
    body = np.frombuffer(content, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims, dtype=np.int64)):
        raise ArchscopeError(f"{path} is truncated or corrupt: header says {dims}, found {body.size} bytes of data")
    return body.reshape(dims)


def read_idx(path: Path, limit: int | None = None) -> np.ndarray:
    return parse_idx(decompressed(Path(path), limit), Path(path))


def check_labels(y: np.ndarray, classes: int, path) -> None:
    if y.size and (int(y.min()) < 0 or int(y.max()) >= classes):
        raise ArchscopeError(f"{path}: labels must lie in 0..{classes - 1}, found {int(y.min())}..{int(y.max())}")


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


def read_cifar_batch(path: Path, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 python batch; a file larger than ``limit`` (default: the
    published batch's size, ``known_size``) is refused unread."""
    path = Path(path)
    data = decompressed(path, known_size(path) if limit is None else limit)
    try:
        d = _SafeUnpickler(io.BytesIO(data), encoding="bytes").load()
    except ArchscopeError:
        raise
    except Exception as e:
        raise ArchscopeError(f"{path} is not a CIFAR-10 batch: {type(e).__name__}: {e}") from None
    if not isinstance(d, dict):
        raise ArchscopeError(f"{path} is not a CIFAR-10 batch (not a dict)")
    raw_x = d.get(b"data", d.get("data"))
    raw_y = d.get(b"labels", d.get("labels"))
    try:
        x = np.asarray(raw_x)
        y = np.asarray(raw_y)
        ok = x.ndim == 2 and x.shape[1] == 3072 and y.ndim == 1 and len(x) == len(y) and x.dtype.kind in "ui" \
            and y.dtype.kind in "ui"
    except Exception:
        ok = False
    if not ok:
        raise ArchscopeError(f"{path} is not a CIFAR-10 batch (needs 'data' an N x 3072 integer array and N integer "
                             "'labels')")
    if x.size and (int(x.min()) < 0 or int(x.max()) > 255):
        raise ArchscopeError(f"{path}: pixel values must lie in 0..255")
    return x.astype(np.uint8), y.astype(np.int64)
