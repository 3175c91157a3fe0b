"""Readers for the data sets' own file formats, with every way a file can
be wrong turned into one line naming the file and the problem."""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import struct
import zlib
from pathlib import Path

import numpy as np

from archscope.errors import ArchscopeError


def decompressed(path: Path) -> bytes:
    """The file's content, gunzipped when it is a gzip file."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ArchscopeError(f"cannot read {path}: {e.strerror or e}") from None
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as e:
        raise ArchscopeError(f"{path} is a corrupt or truncated gzip file ({e})") from None


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
        got = hashlib.md5(path.read_bytes()).hexdigest()
        if got == expected.md5:
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


def read_idx(path: Path) -> np.ndarray:
    return parse_idx(decompressed(Path(path)), Path(path))


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


def read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        d = _SafeUnpickler(io.BytesIO(Path(path).read_bytes()), encoding="bytes").load()
    except ArchscopeError:
        raise
    except Exception as e:
        raise ArchscopeError(f"{path} is not a CIFAR-10 batch: {type(e).__name__}: {e}") from None
    if not isinstance(d, dict):
        raise ArchscopeError(f"{path} is not a CIFAR-10 batch (not a dict)")
    x = d.get(b"data", d.get("data"))
    y = d.get(b"labels", d.get("labels"))
    try:
        x = np.asarray(x)
        y = np.asarray(y)
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
