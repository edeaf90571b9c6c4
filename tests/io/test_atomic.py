"""Tests for atomic writes and run-directory checks."""

from __future__ import annotations

import os
from collections import namedtuple
from pathlib import Path

import pytest

from bayescnn.errors import BayesCNNError
from bayescnn.io import (
    OutputPathError,
    RunDirError,
    atomic_path,
    atomic_write_bytes,
    check_writable_dir,
    check_writable_file,
)


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
    with pytest.raises(RunDirError, match="is a file, not a folder; choose another path") as info:
        check_writable_dir(blocker / "deeper" / "run", min_free_bytes=0)
    assert str(blocker / "deeper" / "run") in str(info.value)
    assert f"'{blocker}' is a file" in str(info.value)
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


def test_check_writable_file_creates_the_missing_folder_but_not_the_file(tmp_path: Path) -> None:
    out = tmp_path / "new" / "predictions.csv"
    assert check_writable_file(out) == out
    assert out.parent.is_dir()
    assert not out.exists()


def test_a_file_path_that_is_a_folder_is_refused_with_an_example(tmp_path: Path) -> None:
    with pytest.raises(OutputPathError, match="is a folder, not a file") as info:
        check_writable_file(tmp_path, what="--out", example="predictions.csv")
    assert f"'{tmp_path / 'predictions.csv'}'" in str(info.value)
    assert str(info.value).startswith("--out ")


def test_a_file_path_under_a_file_names_the_file_in_the_way(tmp_path: Path) -> None:
    blocker = tmp_path / "file.csv"
    blocker.write_text("a,b\n")
    with pytest.raises(OutputPathError, match=f"'{blocker}' is a file, not a folder"):
        check_writable_file(blocker / "x.csv", what="--out")
    assert blocker.read_text() == "a,b\n"


def test_output_path_errors_are_bayescnn_errors_and_os_errors() -> None:
    assert issubclass(OutputPathError, BayesCNNError)
    assert issubclass(OutputPathError, OSError)
    assert issubclass(RunDirError, OutputPathError)
