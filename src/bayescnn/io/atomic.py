"""Crash-safe file writes and run-directory checks.

A file is written to a temporary sibling, flushed and fsynced, then renamed
over the destination with :func:`os.replace` (atomic on POSIX and Windows
when both paths are on the same filesystem), and finally the directory is
fsynced so the rename itself survives a power loss. Readers therefore see
either the complete old file or the complete new one, never a mix.

A hard kill (SIGKILL, power loss) between creating and renaming the temporary
file can leave a hidden ``.<name>.*.tmp`` file beside the destination; the
destination itself is never damaged.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bayescnn.errors import BayesCNNError

__all__ = [
    "DEFAULT_MIN_FREE_BYTES",
    "OutputPathError",
    "RunDirError",
    "atomic_path",
    "atomic_write_bytes",
    "check_writable_dir",
    "check_writable_file",
]

DEFAULT_MIN_FREE_BYTES = 64 * 1024**2
"""Free space required by :func:`check_writable_dir` unless told otherwise (64 MiB)."""

_NEW_FILE_MODE = 0o644


class OutputPathError(BayesCNNError, OSError):
    """An output file or folder cannot be written: it is under a file, is a folder where
    a file is expected (or the reverse), is not writable, or its disk is too full.

    It is a :class:`~bayescnn.errors.BayesCNNError` and an :class:`OSError`, because
    every cause is a property of the filesystem, not of the caller's arguments.
    """


class RunDirError(OutputPathError):
    """A run directory (or another output folder) cannot be used: not creatable, not
    writable, or too full."""


def _fsync_path(path: Path) -> None:
    """Flush a file's data to stable storage."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    """Flush a directory entry change (rename) to stable storage, where supported."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse fsync on directories
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path that replaces ``path`` atomically on success.

    The temporary file lives in the same directory as ``path``. When the block
    exits normally it is fsynced, renamed over ``path`` and the directory is
    fsynced. When the block (or any of those steps) raises, the temporary file
    is removed and an existing file at ``path`` is left untouched.

    Args:
        path: Final destination. Its directory must already exist.

    Yields:
        The temporary path (an empty file already exists there) to write to.
    """
    dest = Path(path)
    directory = dest.parent
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{dest.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        try:
            mode = dest.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = _NEW_FILE_MODE
        os.chmod(tmp, mode)
        _fsync_path(tmp)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(directory)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`).

    Args:
        path: Destination file; replaced completely if it exists.
        data: Full new contents.
    """
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)


def _mib(n: int) -> str:
    return f"{n / 1024**2:.1f} MiB"


def _file_above(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` that is a file, not a folder (if any)."""
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def check_writable_dir(
    path: str | os.PathLike[str],
    min_free_bytes: int = DEFAULT_MIN_FREE_BYTES,
    *,
    what: str = "run directory",
) -> Path:
    """Create ``path`` if needed and check it can hold new files.

    Args:
        path: Directory that outputs (checkpoints, logs, reports) will be written to.
        min_free_bytes: Free space the filesystem must have, in bytes.
        what: How messages name the folder (e.g. ``"--out-dir"``).

    Returns:
        The directory as a :class:`~pathlib.Path`.

    Raises:
        RunDirError: With a one-line message naming the folder and the fix.
    """
    directory = Path(path)
    if directory.exists() and not directory.is_dir():
        raise RunDirError(f"{what} '{directory}' exists but is not a folder; choose another path")
    blocker = _file_above(directory)
    if blocker is not None:
        raise RunDirError(
            f"{what} '{directory}' cannot be created: '{blocker}' is a file, not a folder; "
            "choose another path"
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunDirError(
            f"cannot create {what} '{directory}' ({exc.strerror or exc}); "
            "choose another folder or fix the path's parents and permissions"
        ) from exc
    try:
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".write-test.")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise RunDirError(
            f"{what} '{directory}' is not writable ({exc.strerror or exc}); "
            "fix its permissions or choose another folder"
        ) from exc
    free = shutil.disk_usage(directory).free
    if free < min_free_bytes:
        raise RunDirError(
            f"{what} '{directory}' has only {_mib(free)} free, at least "
            f"{_mib(min_free_bytes)} needed; free up disk space or choose another folder"
        )
    return directory


def check_writable_file(
    path: str | os.PathLike[str], *, what: str = "output file", example: str = "out.csv"
) -> Path:
    """Check, before any work, that a file can be written at ``path``; create its folder.

    Refuses a path that is an existing folder, lies under a file, or cannot be written
    (see :func:`check_writable_dir` for the folder's checks). Nothing is written at
    ``path`` itself.

    Args:
        path: The file a command will write.
        what: How messages name the file (e.g. ``"--out"``).
        example: A file name suggested inside a folder given by mistake.

    Raises:
        OutputPathError: With a one-line message naming the path and the fix (a
            :class:`RunDirError` when the folder is the problem).
    """
    file = Path(path)
    if file.is_dir():
        raise OutputPathError(
            f"{what} '{file}' is a folder, not a file; give a file path such as '{file / example}'"
        )
    blocker = _file_above(file)
    if blocker is not None:
        raise OutputPathError(
            f"{what} '{file}' cannot be written: '{blocker}' is a file, not a folder; "
            "choose another path"
        )
    check_writable_dir(file.parent, min_free_bytes=0, what=f"{what}'s folder")
    if file.exists() and not os.access(file, os.W_OK):
        raise OutputPathError(
            f"{what} '{file}' exists and is not writable; fix its permissions or choose "
            "another path"
        )
    return file
