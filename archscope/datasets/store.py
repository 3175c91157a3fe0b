"""Where a data set is, in one lookup used by every command:

1. ``--data-dir`` when given (and then it must hold the data set: an
   explicit folder that lacks it is an error, never silently replaced);
2. archscope's cache, ``$ARCHSCOPE_HOME/data/NAME`` (default
   ``~/.cache/archscope``);
3. the system's packages (Debian's ``dataset-fashion-mnist``);
4. a download from the official location into the cache, unless
   ``download=False`` (``--no-download``, or ``ARCHSCOPE_OFFLINE=1``).

Downloads go through pooch (download, hash check, cache): a file is moved
into the cache only after its published MD5 matched, so a failed, truncated
or interrupted download leaves nothing a later run would trust; the
decompressed content is then checked too, and a file that fails is deleted.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from archscope.datasets.catalog import DataSpec, spec
from archscope.datasets.readers import check_content, decompressed
from archscope.errors import ArchscopeError


def data_home() -> Path:
    """``$ARCHSCOPE_HOME/data``; ``ARCHSCOPE_HOME`` defaults to ``~/.cache/archscope``."""
    from archscope.home import archscope_home

    return archscope_home() / "data"


def offline() -> bool:
    return os.environ.get("ARCHSCOPE_OFFLINE", "") not in ("", "0")


def _candidates(d: Path, name: str) -> list[Path]:
    stem = name[:-3] if name.endswith(".gz") else name
    names = [stem + ".gz", stem, stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"]
    return [base / n for base in (d, d / "raw", d / "cifar-10-batches-py") for n in names]


def find_files(s: DataSpec, d: Path) -> dict[str, Path | None]:
    """The catalog's files in folder ``d`` (plain or .gz, also under raw/)."""
    out = {}
    for f in s.files:
        out[f.name] = next((p for p in _candidates(d, f.name) if p.is_file()), None)
    return out


@dataclass
class Located:
    name: str
    where: str  # --data-dir | cache | system | download
    folder: Path
    files: dict = field(default_factory=dict)  # catalog name -> path
    verified: dict = field(default_factory=dict)  # catalog name -> how ("sha256 of the content", ...)


def _folders(s: DataSpec, data_dir) -> list[tuple[str, Path]]:
    out = []
    if data_dir is not None:
        out.append(("--data-dir", Path(data_dir)))
    out.append(("cache", data_home() / s.name))
    out.extend(("system", Path(d)) for d in s.system_dirs)
    return out


def _missing_message(s: DataSpec, searched: list[Path], download: bool) -> str:
    where = ", ".join(str(p) for p in searched)
    ways = [f"`archscope data fetch {s.name}`" if s.downloadable else None,
            "`data_dir` FOLDER holding " + ", ".join(f.name for f in s.files) if s.files else None]
    hint = " or ".join(w for w in ways if w)
    why = "" if download or not s.downloadable else " (downloads are off)"
    return f"{s.name} not found in {where}{why}; get it with {hint}" if hint else \
        f"{s.name} cannot be had here: {s.note}"


def locate(name: str, data_dir=None, *, download: bool = True, notice=None) -> Located:
    """Find ``name`` (see the module docstring); download it when missing and
    allowed. ``notice(text)`` is told about a download before it starts."""
    s = spec(name)
    if not s.files:
        raise ArchscopeError(f"{name} cannot be had here: {s.note}")
    searched = []
    for where, folder in _folders(s, data_dir):
        found = find_files(s, folder)
        searched.append(folder)
        if all(found.values()):
            return Located(name, where, folder, found)
        if where == "--data-dir":
            missing = [n for n, p in found.items() if p is None]
            raise ArchscopeError(f"{name} not found in {folder}: expected {', '.join(f.name for f in s.files)} "
                                 f"(plain or .gz); missing {', '.join(missing)}")
    if not download or offline() or not s.downloadable:
        raise ArchscopeError(_missing_message(s, searched, download and not offline()))
    if notice:
        notice(f"{name} not found locally; downloading it into {data_home() / name} (checksums verified)")
    folder = fetch(name)
    return Located(name, "download", folder, find_files(s, folder))


def _pooch_get(url: str, md5: str, folder: Path, fname: str) -> Path:
    import pooch
    import requests

    try:
        return Path(pooch.retrieve(url, known_hash=f"md5:{md5}", fname=fname, path=folder, progressbar=False))
    except ValueError:  # pooch: hash mismatch (its temporary file is already gone)
        raise ArchscopeError(f"{url}: checksum mismatch (md5 expected {md5}), nothing kept") from None
    except requests.exceptions.RequestException as e:
        raise ArchscopeError(f"{url}: download failed ({type(e).__name__}: {str(e).splitlines()[0][:200]})") from None
    except OSError as e:
        raise ArchscopeError(f"{url}: cannot write {folder / fname}: {e.strerror or e}") from None


def fetch(name: str, mirror: str | None = None) -> Path:
    """Download ``name`` into the cache with every checksum verified; return
    the folder. ``mirror``: a base URL to use instead of the official ones."""
    import pooch

    pooch.get_logger().setLevel("ERROR")  # archscope says what it downloads itself, once
    s = spec(name)
    if not s.downloadable:
        raise ArchscopeError(f"{name} cannot be downloaded: {s.note}")
    folder = data_home() / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ArchscopeError(f"cannot create the cache folder {folder}: {e.strerror or e}") from None
    bases = [mirror.rstrip("/") + "/"] if mirror else list(s.mirrors)
    if s.archive is not None:
        _fetch_archive(s, folder, bases)
        return folder
    for f in s.files:
        target = folder / f.name
        if target.is_file():  # already cached: kept only if it still verifies
            try:
                check_content(target, decompressed(target), f)
                continue
            except ArchscopeError:
                target.unlink(missing_ok=True)
        err = None
        for base in bases:
            try:
                path = _pooch_get(base + f.name, f.md5, folder, f.name)
                break
            except ArchscopeError as e:
                err = e
        else:
            raise err
        try:
            check_content(path, decompressed(path), f)
        except ArchscopeError:
            path.unlink(missing_ok=True)
            raise
    return folder


def _fetch_archive(s: DataSpec, folder: Path, bases: list[str]) -> None:
    import hashlib

    if all(p is not None for p in find_files(s, folder).values()):
        return
    err = None
    for base in bases:
        try:
            archive = _pooch_get(base + s.archive.name, s.archive.md5, folder, s.archive.name)
            break
        except ArchscopeError as e:
            err = e
    else:
        raise err
    # extract into a temporary folder beside the cache, verify, then move in place
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        try:
            with tarfile.open(archive) as tf:
                tf.extractall(tmp, filter="data")
        except (tarfile.TarError, OSError, EOFError) as e:
            archive.unlink(missing_ok=True)
            raise ArchscopeError(f"{archive} is not a readable archive ({e}); removed") from None
        src = Path(tmp) / s.folder
        for f in s.files:
            p = src / f.name
            if not p.is_file() or (f.md5 and hashlib.md5(p.read_bytes()).hexdigest() != f.md5):
                raise ArchscopeError(f"{s.archive.name}: {f.name} missing or with a wrong checksum; nothing kept")
        dest = folder / s.folder
        if dest.exists():
            shutil.rmtree(dest)
        shutil.move(str(src), dest)


@dataclass
class Status:
    name: str
    title: str
    where: str | None  # --data-dir | cache | system, or None when not found
    folder: str  # where it was found, or where a download would go
    size_bytes: int | None
    verified: str  # "verified (sha256 of the content)", "FAILED: ...", "not found", ...
    downloadable: bool


def status(data_dir=None, verify: bool = True) -> list[Status]:
    """``archscope data list``: each data set, where it is, its size, and
    whether its checksums verified."""
    out = []
    for name in ("mnist", "fashion-mnist", "cifar10", "oxflower17"):
        s = spec(name)
        if not s.files:
            out.append(Status(name, s.title, None, "-", None, "cannot be had here (no published checksum, no reader)",
                              False))
            continue
        found = None
        for where, folder in _folders(s, data_dir):
            files = find_files(s, folder)
            if all(files.values()):
                found = (where, folder, files)
                break
        if not found:
            out.append(Status(name, s.title, None, str(data_home() / name), None, "not found", s.downloadable))
            continue
        where, folder, files = found
        size = sum(p.stat().st_size for p in files.values())
        how = "not checked"
        if verify:
            try:
                hows = set()
                for f in s.files:
                    p = files[f.name]
                    if s.format == "idx":
                        hows.add(check_content(p, decompressed(p), f))
                    elif f.md5:
                        if hashlib_md5(p) != f.md5:
                            raise ArchscopeError(f"{p}: checksum mismatch (md5)")
                        hows.add("md5 of each file")
                how = "verified (" + "; ".join(sorted(hows)) + ")"
            except ArchscopeError as e:
                how = f"FAILED: {e}"
        out.append(Status(name, s.title, where, str(folder), size, how, s.downloadable))
    return out


def hashlib_md5(p: Path) -> str:
    import hashlib

    return hashlib.md5(p.read_bytes()).hexdigest()
