"""Tests for atomic writes and run-directory checks."""

from __future__ import annotations

import os
from collections import namedtuple
from pathlib import Path

import pytest

from bayescnn.io import RunDirError, atomic_path, atomic_write_bytes, check_writable_dir


def test_atomic_write_bytes_creates_file_with_data(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    atomic_write_bytes(target, b"hello")
    assert target.read_bytes() == b"hello"


def test_atomic_write_bytes_replaces_existing_file_completely(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    target.write_bytes(b"x" * 1000)
    atomic_write_bytes(target, b"short")
    assert target.read_bytes() == b"short"
    assert os.listdir(tmp_path) == ["a.bin"]


def test_new_file_gets_readable_mode(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    atomic_write_bytes(target, b"x")
    assert target.stat().st_mode & 0o777 == 0o644


def test_atomic_path_yields_temp_file_in_same_directory(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent
        assert tmp != target
        assert not target.exists()
        tmp.write_bytes(b"data")
    assert target.read_bytes() == b"data"


def test_exception_in_block_keeps_old_file_and_removes_temp(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"), atomic_path(target) as tmp:
        tmp.write_bytes(b"new, partial")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["a.bin"]


def test_failed_replace_keeps_old_file_and_removes_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")

    def failing_replace(src: str, dst: str) -> None:
        raise OSError("disk vanished")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk vanished"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["a.bin"]


def test_check_writable_dir_creates_missing_nested_folder(tmp_path: Path) -> None:
    run_dir = tmp_path / "runs" / "exp1"
    assert check_writable_dir(run_dir, min_free_bytes=0) == run_dir
    assert run_dir.is_dir()
    assert os.listdir(run_dir) == []


def test_folder_below_a_regular_file_raises_run_dir_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    with pytest.raises(RunDirError, match="cannot create run directory") as info:
        check_writable_dir(blocker / "run", min_free_bytes=0)
    assert str(blocker / "run") in str(info.value)
    assert "\n" not in str(info.value)


def test_path_that_is_a_file_raises_run_dir_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    with pytest.raises(RunDirError, match="not a folder"):
        check_writable_dir(blocker, min_free_bytes=0)


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root ignores permission bits, so chmod 0o500 does not make a folder read-only",
)
def test_read_only_folder_raises_run_dir_error(tmp_path: Path) -> None:
    run_dir = tmp_path / "ro"
    run_dir.mkdir()
    run_dir.chmod(0o500)
    try:
        with pytest.raises(RunDirError, match="not writable"):
            check_writable_dir(run_dir, min_free_bytes=0)
    finally:
        run_dir.chmod(0o700)


def test_too_little_free_space_raises_run_dir_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr("shutil.disk_usage", lambda _: usage(10**9, 10**9 - 1024, 1024))
    with pytest.raises(RunDirError, match="free up disk space") as info:
        check_writable_dir(tmp_path, min_free_bytes=10 * 1024**2)
    assert str(tmp_path) in str(info.value)


def test_run_dir_error_is_an_os_error() -> None:
    assert issubclass(RunDirError, OSError)
