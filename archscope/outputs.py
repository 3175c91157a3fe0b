"""Writing the files a user names: the one place archscope writes a file.

- A regular file (or a new one) is replaced atomically: the data goes to a
  hidden temporary file beside it, which is renamed into place only once it
  is complete. The file keeps its permission bits; a new one gets the umask's
  (``0o666 & ~umask``), like any file a shell redirection creates.
- A symlink is followed: its target is replaced, the link stays a link.
- A character device or a FIFO (``-o /dev/null``, ``-o /dev/stdout``, a named
  pipe) is written through, never replaced; so is a path through
  ``/dev/fd`` or ``/proc/*/fd`` (the file a shell redirection opened).
- An interrupt (Ctrl-C, or SIGTERM while the write is under way) removes the
  temporary file; the path keeps what it held before.

``check_output_file`` and ``check_output_dir`` are for commands to call
before doing any work, so that a path that cannot be written fails in a
second, not after a training run. ``check_output_file(..., within=FOLDER)``
also refuses a path that leads out of ``FOLDER`` through a symlink (a
report never writes outside the folder it was given). ``default_file_name``
makes the name of a file the user did not name: visible and safe.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import tempfile
import threading
from pathlib import Path

from archscope.errors import ArchscopeError

__all__ = ["atomic_target", "write_atomic", "check_output_file", "check_output_dir", "sigterm_unwinds",
           "default_file_name"]


def check_output_file(path, *, what: str = "output", within=None) -> Path:
    """Raise ``ArchscopeError`` (one line) unless a file can be written at
    ``path``: it is not a folder, no parent is a file, and the folder it goes
    in (or the nearest existing one above, which the write creates folders
    under) accepts new files; with ``within``, it must not lead out of that
    folder through a symlink (of the file or of a folder on the way).
    Creates nothing; returns ``Path(path)``."""
    p = Path(path)
    if str(path) == "":
        raise ArchscopeError(f"{what}: empty path")
    if within is not None:
        _check_inside(p, Path(within), what)
    try:
        st = os.stat(p)  # follows symlinks
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise ArchscopeError(f"cannot write {what} {p}: {_file_parent(p)} is a file, not a folder") from None
    except OSError as e:
        raise ArchscopeError(f"cannot write {what} {p}: {_reason(e)}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise ArchscopeError(f"{what} {p} is a folder; give a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):  # a device, a FIFO: written through
        if not os.access(p, os.W_OK):
            raise ArchscopeError(f"cannot write {what} {p}: permission denied")
        return p
    if _through_fd(p):
        return p
    real = Path(os.path.realpath(p))
    if st is not None and not os.access(real, os.W_OK):
        raise ArchscopeError(f"cannot write {what} {p}: the file is read-only")
    _check_folder(real.parent, f"{what} {p}")
    return p


def check_output_dir(path, *, what: str = "output folder") -> Path:
    """Raise ``ArchscopeError`` (one line) unless files can be written in the
    folder ``path`` (created if missing, with its parents): it is not a
    file, no parent is a file, and it (or the nearest existing folder above)
    accepts new files. Creates nothing; returns ``Path(path)``."""
    p = Path(path)
    if str(path) == "":
        raise ArchscopeError(f"{what}: empty path")
    try:
        st = os.stat(p)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise ArchscopeError(f"cannot write {what} {p}: {_file_parent(p)} is a file, not a folder") from None
    except OSError as e:
        raise ArchscopeError(f"cannot write {what} {p}: {_reason(e)}") from None
    if st is not None and not stat.S_ISDIR(st.st_mode):
        raise ArchscopeError(f"{what} {p} is a file, not a folder")
    _check_folder(Path(os.path.realpath(p)), f"{what} {p}")
    return p


def _check_inside(p: Path, root: Path, what: str) -> None:
    """``p`` (created or replaced by the write) must resolve inside ``root``:
    symlinks are followed as the write would follow them."""
    real, top = Path(os.path.realpath(p)), Path(os.path.realpath(root))
    if real != top and top not in real.parents:
        links = [q for q in (p, *p.parents) if q != root and root in q.parents and os.path.islink(q)]
        how = f" (the symlink {links[0]} points to {os.readlink(links[0])})" if links else ""
        raise ArchscopeError(f"{what} {p} leads out of {root}{how}; not writing through it")


def default_file_name(model: str, tail: str) -> str:
    """A visible, safe file name for ``model`` (a zoo name, ``module:callable``
    or ``path/to/file.py:callable``) followed by ``tail`` (``-block.svg``):
    a file's own stem, not its folders (``../models/x.py:net`` -> ``x_net``);
    ASCII letters, digits, '.', '_' and '-' only; never hidden or starting
    with '-' (an option to the next command); at most 100 characters."""
    import re

    name = str(model)
    if ":" in name:
        module, _, attr = name.rpartition(":")
        if module.endswith(".py") or "/" in module or os.sep in module:
            module = Path(module).stem if module.endswith(".py") else Path(module).name
        name = f"{module}_{attr}"
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    name = re.sub(r"_{2,}", "_", name).lstrip("._-").rstrip("._")[:100].rstrip("._") or "model"
    return name + tail


def _check_folder(folder: Path, label: str) -> None:
    """The nearest existing folder at or above ``folder`` must accept a new
    file: tried for real (a nameless temporary file where the OS has them),
    since permission bits do not tell for root, read-only mounts or /proc."""
    probe = folder
    while not os.path.lexists(probe):
        probe = probe.parent
    if not probe.is_dir():
        raise ArchscopeError(f"cannot write {label}: {probe} is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as e:
        raise ArchscopeError(f"cannot write {label}: {probe} does not accept new files ({_reason(e)})") from None


def _file_parent(p: Path) -> Path:
    for parent in reversed(p.parents):  # outermost first
        if parent != Path(".") and os.path.exists(parent) and not os.path.isdir(parent):
            return parent
    return p.parent


def _reason(e: OSError) -> str:
    return e.strerror or type(e).__name__


_STD = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


def _link_chain(p: Path):
    """``p`` and each path its symlinks lead through (at most 40 hops)."""
    cur = os.path.abspath(p)
    for _ in range(41):
        yield cur, Path(cur).parts
        if not os.path.islink(cur):
            return
        cur = os.path.join(os.path.dirname(cur), os.readlink(cur))


def _own_fd(p: Path) -> int | None:
    """The file descriptor of this process that ``p`` is, or links through
    (/dev/stdout, /dev/fd/N, /proc/self/fd/N), else None."""
    for cur, parts in _link_chain(p):
        if cur in _STD:
            return _STD[cur]
        if len(parts) == 4 and parts[1:3] == ("dev", "fd") and parts[3].isdigit():
            return int(parts[3])
        if len(parts) == 5 and parts[1] == "proc" and parts[2] in ("self", str(os.getpid())) and parts[3] == "fd" \
                and parts[4].isdigit():
            return int(parts[4])
    return None


def _through_fd(p: Path) -> bool:
    """Whether ``p`` is, or links through, /dev/fd/N, /dev/stdout or
    /proc/PID/fd/N: a file a process already has open (a shell redirection),
    which must be written through, not replaced behind its back."""
    return _own_fd(p) is not None or any(len(parts) >= 4 and parts[1] == "proc" and parts[3] == "fd"
                                         for _, parts in _link_chain(p))


def _write_through(p: Path) -> bool:
    try:
        st = os.stat(p)
    except OSError:
        return False
    return (not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode)) or _through_fd(p)


class _Terminated(SystemExit):
    """SIGTERM during a write: unwinds like an exception, so the temporary
    file is removed, then ends the process with 143 (128 + SIGTERM)."""


def _on_sigterm(signum, frame):
    raise _Terminated(128 + signal.SIGTERM)


@contextlib.contextmanager
def sigterm_unwinds():
    """While a write (or a download) is under way, make SIGTERM raise (when
    nobody else handles it), so the temporary file is cleaned up; the default
    action would end the process at once and leave it behind."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def atomic_target(path):
    """Yield a temporary path for a writer to fill; when the block ends, put
    its content at ``path`` as the module docstring says (renamed over a
    regular file or a symlink's target, copied into a device or FIFO). If the
    block raises, or is interrupted, the temporary file is deleted and
    ``path`` is left as it was."""
    path = Path(path)
    check_output_file(path)
    through = _write_through(path)
    target = path if through else Path(os.path.realpath(path))
    with sigterm_unwinds():
        tmp = None
        try:
            if not through:
                target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=None if through else target.parent, prefix=f".{target.name}.",
                                       suffix=".tmp")
            os.close(fd)
            yield tmp
            if through:
                _copy_into(tmp, path)
            else:
                os.chmod(tmp, _mode_for(target))  # mkstemp makes 0600
                os.replace(tmp, target)
                tmp = None
        except OSError as e:
            raise ArchscopeError(f"cannot write {path}: {_reason(e)}") from None
        finally:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)


def write_atomic(path, data: bytes) -> None:
    """Write ``data`` to ``path`` (see ``atomic_target``)."""
    with atomic_target(path) as tmp, open(tmp, "wb") as f:
        f.write(data)


def _copy_into(src: str, dst: Path) -> None:
    import sys

    for stream in (sys.stdout, sys.stderr):  # what was printed before comes first
        with contextlib.suppress(Exception):
            stream.flush()
    fd = _own_fd(dst)
    if fd is not None:  # our own descriptor (-o /dev/stdout): write at its offset, as a print() would
        with open(src, "rb") as f, os.fdopen(os.dup(fd), "wb") as out:
            shutil.copyfileobj(f, out)
        return
    with open(src, "rb") as f, open(dst, "ab") as out:  # append: never truncate what is being written through
        shutil.copyfileobj(f, out)


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(target).st_mode)  # a replaced file keeps its permission bits
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask
