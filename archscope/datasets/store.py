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
or interrupted download (Ctrl-C or SIGTERM) leaves nothing a later run would
trust, and no temporary file; the decompressed content is then checked too,
and a file that fails is deleted. pooch's downloader is archscope's own
(``_Download``), which holds a download to what the publisher serves: never
more bytes than the published size, a Content-Length that is not that size
refused at once, and curl's two time limits (``DownloadLimits``). A mirror
is checked to be an http(s) URL before anything is fetched.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tarfile
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from archscope.datasets.catalog import DataFile, DataSpec, spec
from archscope.datasets.readers import check_content, decompressed, md5_of
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


# ---- downloads -------------------------------------------------------------------------------

def _env_seconds(name: str, default):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        v = float(raw)
    except ValueError:
        v = math.nan
    if not math.isfinite(v) or v <= 0:
        raise ArchscopeError(f"{name} must be a positive number of seconds, got {raw!r}")
    return v


@dataclass(frozen=True)
class DownloadLimits:
    """How long a download may take, as curl's options put it: a download
    that brings fewer than ``min_rate`` bytes/s over the last ``stall_s``
    seconds is too slow (``--speed-limit 1024 --speed-time 30``), and none
    may take longer than ``deadline_s`` (``--max-time``; default 60 s plus
    the published size at 32 KiB/s: 6 minutes for MNIST's largest file, 90
    for CIFAR-10's archive). ``ARCHSCOPE_DOWNLOAD_STALL`` and
    ``ARCHSCOPE_DOWNLOAD_DEADLINE`` (seconds) change the defaults."""

    stall_s: float = 30.0
    min_rate: float = 1024.0
    deadline_s: float | None = None
    connect_s: float = 30.0

    @classmethod
    def from_env(cls) -> DownloadLimits:
        return cls(stall_s=_env_seconds("ARCHSCOPE_DOWNLOAD_STALL", 30.0),
                   deadline_s=_env_seconds("ARCHSCOPE_DOWNLOAD_DEADLINE", None))

    def deadline_for(self, size: int | None) -> float:
        if self.deadline_s is not None:
            return self.deadline_s
        return 60.0 + (size / 32768 if size else 3540.0)


def mirror_base(url) -> str:
    """``--mirror``: the base URL of a folder holding the files, checked
    before anything is fetched (an http:// or https:// URL with a host;
    no query or fragment, which a file name cannot follow)."""
    def bad(why: str) -> ArchscopeError:
        return ArchscopeError(f"invalid mirror URL {url!r}: {why}")

    if not isinstance(url, str) or not url.strip():
        raise bad("it is empty; give the http:// or https:// address of a folder holding the files")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise bad("it holds spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number in 0..65535)
    except ValueError as e:
        raise bad(str(e)) from None
    if parts.scheme.lower() not in ("http", "https") or "://" not in url:
        raise bad("it must start with http:// or https://")
    if not parts.hostname:
        raise bad("it names no host")
    if parts.query or parts.fragment:
        raise bad("a folder's address takes no ?query or #fragment")
    return url.rstrip("/") + "/"


def _reason(e: BaseException) -> str:
    """A short reason from requests'/urllib3's long exception texts."""
    text = str(e)
    for pattern, said in ((r"Connection refused", "connection refused"),
                          (r"Failed to resolve|Name or service not known|nodename nor servname", "unknown host"),
                          (r"Network is unreachable", "network unreachable"),
                          (r"Connection reset", "connection reset"),
                          (r"Connection aborted|RemoteDisconnected", "the server closed the connection"),
                          (r"CERTIFICATE_VERIFY_FAILED|SSLError|SSL", "TLS failed"),
                          (r"timed out", "timed out")):
        if re.search(pattern, text):
            return said
    first = text.strip().splitlines()[0] if text.strip() else type(e).__name__
    return f"{type(e).__name__}: {first[:160]}"


class _Download:
    """A pooch downloader (``downloader(url, output_file, pooch)``) that
    streams with requests and holds the download to the published file: its
    size (a Content-Length that differs is refused at once; the stream is
    stopped past it), and ``DownloadLimits``. ``progress(name, done, total)``
    is told as the bytes come."""

    def __init__(self, name: str, size: int | None, limits: DownloadLimits, progress=None):
        self.name, self.size, self.limits, self.progress = name, size, limits, progress

    def __call__(self, url, output_file, pooch=None, check_only=False):
        import requests

        lim = self.limits
        start = time.monotonic()
        deadline = start + lim.deadline_for(self.size)
        try:
            r = requests.get(url, stream=True, timeout=(lim.connect_s, lim.stall_s))
        except requests.exceptions.ConnectTimeout:
            raise ArchscopeError(f"connection failed: {url} (no answer in {lim.connect_s:g} s)") from None
        except requests.exceptions.ReadTimeout:
            raise ArchscopeError(f"download stalled: {url} sent nothing for {lim.stall_s:g} s") from None
        except (requests.exceptions.ConnectionError, requests.exceptions.InvalidURL,
                requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema) as e:
            raise ArchscopeError(f"connection failed: {url} ({_reason(e)})") from None
        with r:
            if r.status_code >= 400:
                raise ArchscopeError(f"{url}: HTTP {r.status_code} {r.reason or ''}".rstrip())
            announced = r.headers.get("Content-Length", "")
            if self.size and announced.isdigit() and not r.headers.get("Content-Encoding") \
                    and int(announced) != self.size:
                raise ArchscopeError(f"{url}: the mirror announces {int(announced):,} bytes; the published file has "
                                     f"{self.size:,}; nothing fetched")
            total = self.size or (int(announced) if announced.isdigit() else None)
            read = getattr(r.raw, "read1", None)  # urllib3 2: whatever has come, so the limits are checked in time
            done, window = 0, deque([(start, 0)])
            with open(output_file, "wb") as out:
                while True:
                    try:
                        chunk = read(65536, decode_content=True) if read else r.raw.read(8192, decode_content=True)
                    except Exception as e:  # urllib3's read errors, wrapped in several ways by version
                        if "timed out" in str(e) or "Read timed out" in repr(e):
                            raise ArchscopeError(f"download stalled: {url} sent nothing for {lim.stall_s:g} s after "
                                                 f"{done:,} bytes; nothing kept") from None
                        of = f" of {int(announced):,}" if announced.isdigit() else ""
                        raise ArchscopeError(f"{url}: the mirror closed the connection after {done:,}{of} bytes "
                                             f"({_reason(e)}); nothing kept") from None
                    if not chunk:
                        break
                    done += len(chunk)
                    if self.size and done > self.size:
                        raise ArchscopeError(f"{url}: more than the published {self.size:,} bytes; stopped there, "
                                             "nothing kept")
                    out.write(chunk)
                    now = time.monotonic()
                    if self.progress:
                        self.progress(self.name, done, total)
                    if now > deadline:
                        raise ArchscopeError(f"download not done after {deadline - start:g} s (the overall deadline): "
                                             f"{url} sent {done:,}" + (f" of {total:,}" if total else "")
                                             + " bytes; nothing kept")
                    window.append((now, done))
                    while len(window) > 1 and window[1][0] <= now - lim.stall_s:
                        window.popleft()
                    since, before = window[0]
                    if now - start >= lim.stall_s and done - before < lim.min_rate * (now - since):
                        raise ArchscopeError(f"download too slow: {url} sent {done - before:,} bytes in "
                                             f"{now - since:.1f} s, under the floor of {lim.min_rate:,.0f} bytes/s "
                                             f"over {lim.stall_s:g} s; nothing kept")
        if self.size and done != self.size:
            raise ArchscopeError(f"{url}: the mirror sent {done:,} bytes; the published file has {self.size:,}; "
                                 "nothing kept")


def _pooch_get(url: str, f: DataFile, folder: Path, limits: DownloadLimits, progress=None) -> Path:
    import pooch

    try:
        return Path(pooch.retrieve(url, known_hash=f"md5:{f.md5}", fname=f.name, path=folder, progressbar=False,
                                   downloader=_Download(f.name, f.download_size, limits, progress)))
    except ValueError:  # pooch: hash mismatch (its temporary file is already gone)
        raise ArchscopeError(f"{url}: checksum mismatch (md5 expected {f.md5}), nothing kept") from None
    except OSError as e:
        raise ArchscopeError(f"{url}: cannot write {folder / f.name}: {e.strerror or e}") from None


def fetch(name: str, mirror: str | None = None, *, progress=None, limits: DownloadLimits | None = None) -> Path:
    """Download ``name`` into the cache with every checksum verified; return
    the folder. ``mirror``: a base URL to use instead of the official ones
    (checked first: an empty or non-http(s) one is refused).
    ``progress(file, done_bytes, total_bytes)`` is told as bytes come;
    ``limits``: ``DownloadLimits`` (default: from the environment)."""
    import pooch

    from archscope.outputs import sigterm_unwinds

    pooch.get_logger().setLevel("ERROR")  # archscope says what goes wrong itself, once
    s = spec(name)
    if not s.downloadable:
        raise ArchscopeError(f"{name} cannot be downloaded: {s.note}")
    bases = [mirror_base(mirror)] if mirror is not None else list(s.mirrors)
    limits = limits or DownloadLimits.from_env()
    folder = data_home() / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ArchscopeError(f"cannot create the cache folder {folder}: {e.strerror or e}") from None
    with sigterm_unwinds():  # SIGTERM unwinds like Ctrl-C: pooch's temporary file is removed
        if s.archive is not None:
            _fetch_archive(s, s.archive, folder, bases, limits, progress)
            return folder
        for f in s.files:
            target = folder / f.name
            if target.is_file():  # already cached: kept only if it still verifies
                try:
                    check_content(target, decompressed(target, f.size), f)
                    continue
                except ArchscopeError:
                    target.unlink(missing_ok=True)
            path = _from_first_mirror(f, bases, folder, limits, progress)
            try:
                check_content(path, decompressed(path, f.size), f)
            except ArchscopeError:
                path.unlink(missing_ok=True)
                raise
    return folder


def _from_first_mirror(f: DataFile, bases: list[str], folder: Path, limits: DownloadLimits, progress=None) -> Path:
    """``f`` downloaded from the first of ``bases`` that serves it; the last mirror's error when none does."""
    err: ArchscopeError | None = None
    for base in bases:
        try:
            return _pooch_get(base + f.name, f, folder, limits, progress)
        except ArchscopeError as e:
            err = e
    assert err is not None  # bases is never empty: a data set without mirrors is refused before any fetch
    raise err


def _fetch_archive(s: DataSpec, archive_file: DataFile, folder: Path, bases: list[str], limits: DownloadLimits,
                   progress=None) -> None:
    """Fetch ``s``'s ``archive_file`` (its ``archive``) and extract its files into ``folder``."""
    if all(p is not None for p in find_files(s, folder).values()):
        return
    archive = _from_first_mirror(archive_file, bases, folder, limits, progress)
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
            if not p.is_file() or (f.md5 and md5_of(p, f.size) != f.md5):
                raise ArchscopeError(f"{archive_file.name}: {f.name} missing or with a wrong checksum; nothing kept")
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
            in_folder = find_files(s, folder)
            if all(in_folder.values()):
                found = (where, folder, {k: p for k, p in in_folder.items() if p is not None})  # every one found
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
                        hows.add(check_content(p, decompressed(p, f.size), f))
                    elif f.md5:
                        if md5_of(p, f.size) != f.md5:
                            raise ArchscopeError(f"{p}: checksum mismatch (md5)" if f.size is None or
                                                 p.stat().st_size == f.size else
                                                 f"{p}: {p.stat().st_size:,} bytes, the published file has "
                                                 f"{f.size:,}")
                        hows.add("md5 of each file")
                how = "verified (" + "; ".join(sorted(hows)) + ")"
            except ArchscopeError as e:
                how = f"FAILED: {e}"
        out.append(Status(name, s.title, where, str(folder), size, how, s.downloadable))
    return out
