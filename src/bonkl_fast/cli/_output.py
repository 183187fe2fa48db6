"""Output files of the ``bonkl`` subcommands: nothing a user owns is ever lost.

Rules (issue 14, item 2):

* A file named by the user (``--csv``, ``--plot``) is never replaced unless
  ``--force`` is given, even one bonkl wrote earlier: no marker file is kept
  in the user's folders.
* Only a folder bonkl owns (``bonkl reproduce --out``) keeps a marker,
  ``.bonkl-output``, listing the files bonkl wrote there, one name per line;
  those may be rewritten without ``--force``. The marker is updated under an
  ``flock`` on the folder and replaced atomically, so concurrent runs keep
  every entry.
* Nothing is written through a symbolic link: a link (dangling or not) at an
  output path is refused.
* Every file is written to a temporary file in the same folder and moved into
  place with :func:`os.replace` (or :func:`os.link`, which never replaces,
  without ``--force``), so an interrupted run leaves no partial file.
* :func:`check_writable` runs before any computation and names the path that
  cannot be written.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

try:  # POSIX; elsewhere the marker is updated without a lock
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

MARKER_NAME = ".bonkl-output"


class CliError(Exception):
    """An error the user can fix; printed as one line, exit status 2."""


def check_writable(path, force: bool, owned: Iterable[str] = ()) -> None:
    """Refuse, with one line naming ``path``, an output that cannot or may not be written.

    Refused: a symbolic link (even dangling) or a folder at ``path``; an
    existing file unless ``force`` or its name is in ``owned``; a folder that
    does not exist and cannot be made, or exists and cannot be written.
    """
    path = Path(path)
    if path.is_symlink():
        raise CliError(f"{path} is a symbolic link; bonkl never writes through one: remove it")
    if path.is_dir():
        raise CliError(f"{path} is a folder; give a file name")
    if path.exists() and not force and path.name not in set(owned):
        raise CliError(f"{path} exists; pass --force to overwrite it")
    _check_folder(path.parent, path)


def _check_folder(folder: Path, path: Path) -> None:
    """Make ``folder`` if missing, write a probe file in it, then undo what was made.

    A real probe catches read-only mounts, ACLs and pseudo file systems that
    :func:`os.access` misses (and that root passes).
    """
    existing = folder
    while not existing.exists() and not existing.is_symlink():
        existing = existing.parent
    if not existing.is_dir():
        raise CliError(f"cannot write {path}: {existing} is not a folder")
    made = [p for p in (folder, *folder.parents) if p != existing and existing in p.parents]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".bonkl-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        for created in made:  # deepest first; leaves folders others filled meanwhile
            with contextlib.suppress(OSError):
                created.rmdir()


def write_atomic(path, write: Callable, force: bool) -> None:
    """Write ``path`` by calling ``write(handle)`` on a temporary binary file in the same folder.

    The temporary file is moved into place only once ``write`` returned; if
    anything raises (including Ctrl-C) it is removed and ``path`` is untouched.
    Without ``force`` an existing ``path`` (created meanwhile by someone else)
    is refused, never replaced.
    """
    path = Path(path)
    check_writable(path, force)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if hasattr(os, "fchmod"):  # mkstemp makes 0600; give the usual permissions
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        _move_into_place(tmp, path, force)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _move_into_place(tmp: str, path: Path, force: bool) -> None:
    if path.is_symlink():
        raise CliError(f"{path} is a symbolic link; bonkl never writes through one: remove it")
    if force:
        os.replace(tmp, path)  # replaces a link itself, never its target
        return
    try:
        os.link(tmp, path)  # atomic and never replaces an existing file
    except FileExistsError:
        raise CliError(f"{path} exists; pass --force to overwrite it") from None
    except OSError:  # no hard links on this file system
        if path.exists():
            raise CliError(f"{path} exists; pass --force to overwrite it") from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path, text: str, force: bool) -> None:
    """Write ``text`` to ``path`` (UTF-8) atomically; refuse an existing file unless ``force``."""
    data = text.encode("utf-8")
    write_atomic(path, lambda handle: handle.write(data), force)


def save_figure(fig, path, force: bool, dpi: int = 120) -> None:
    """Save a matplotlib ``Figure`` as PNG at ``path`` atomically (see :func:`write_atomic`)."""
    write_atomic(path, lambda handle: fig.savefig(handle, format="png", dpi=dpi), force)


class OwnedFolder:
    """A folder bonkl owns (``reproduce --out``): files listed in its marker may be rewritten.

    Use :meth:`check` before computing, then :meth:`claim` and the writers.
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self.marker = self.folder / MARKER_NAME

    def names(self) -> set[str]:
        """Names bonkl wrote here, one per line in the marker (spaces allowed)."""
        if self.marker.is_symlink() or not self.marker.is_file():
            return set()
        text = self.marker.read_text(encoding="utf-8", errors="replace")
        return {line for line in text.splitlines() if line}

    def check(self, names: Iterable[str], force: bool) -> None:
        """:func:`check_writable` for every name, and for the marker itself."""
        if self.folder.is_symlink() and not self.folder.is_dir():
            raise CliError(f"{self.folder} is a dangling symbolic link; remove it")
        if self.folder.exists() and not self.folder.is_dir():
            raise CliError(f"{self.folder} exists and is not a folder; choose another path")
        if self.marker.is_symlink():
            raise CliError(f"{self.marker} is a symbolic link; bonkl never writes through one")
        if self.marker.exists() and not self.marker.is_file():
            raise CliError(f"{self.marker} is not a file; remove it")
        owned = self.names()
        for name in names:
            check_writable(self.folder / name, force, owned)

    def claim(self, names: Iterable[str]) -> None:
        """Add ``names`` to the marker (before writing them, so a parallel run accepts them)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._locked():
            current = self.names()
            new = current | set(names)
            if new != current:
                write_text(self.marker, "".join(f"{name}\n" for name in sorted(new)), force=True)

    @contextlib.contextmanager
    def _locked(self):
        if fcntl is None:  # pragma: no cover
            yield
            return
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def write_text(self, name: str, text: str) -> None:
        self.claim([name])
        write_text(self.folder / name, text, force=True)

    def save_figure(self, name: str, fig, dpi: int = 120) -> None:
        self.claim([name])
        save_figure(fig, self.folder / name, force=True, dpi=dpi)
