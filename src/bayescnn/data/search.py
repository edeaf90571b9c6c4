"""Where datasets are looked for on disk, and in which order."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

LOCAL_DATA_DIR = Path("data")
"""Folder searched after ``data_dir``, relative to the current working directory."""

SYSTEM_DATA_DIRS: tuple[Path, ...] = (
    Path("/usr/share/datasets"),
    Path("/usr/local/share/datasets"),
)
"""System-wide folders searched last; Debian's ``dataset-fashion-mnist`` installs into the first."""


def search_roots(data_dir: str | Path | None) -> list[Path]:
    """Returns the folders searched in order: ``data_dir`` (if given), ``./data``, system ones."""
    roots = [Path(data_dir)] if data_dir is not None else []
    return [*roots, LOCAL_DATA_DIR.absolute(), *SYSTEM_DATA_DIRS]


def has_files(folder: Path, required_files: Sequence[Sequence[str]]) -> bool:
    """Whether ``folder`` holds, for each group of alternative names, at least one file."""
    return all(
        any((folder / name).is_file() for name in alternatives) for alternatives in required_files
    )


def find_data_folder(
    data_dir: str | Path | None,
    subdirs: Sequence[str],
    required_files: Sequence[Sequence[str]],
) -> Path | None:
    """Returns the first folder holding ``required_files``, or ``None``.

    Each root of :func:`search_roots` is tried in order, checking its ``subdirs``; the
    explicit ``data_dir`` is itself checked first as well, so files may sit directly in it.
    """
    for root in search_roots(data_dir):
        candidates = [root / subdir for subdir in subdirs]
        if data_dir is not None and root == Path(data_dir):
            candidates.insert(0, root)
        for folder in candidates:
            if has_files(folder, required_files):
                return folder
    return None
