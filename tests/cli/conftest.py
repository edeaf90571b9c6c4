"""Tiny trained runs for the command-line tests."""

from pathlib import Path

import pytest

from bayescnn.cli.main import main


def tiny_run_argv(folder: Path, data_dir: Path, *extra: str, epochs: int = 2) -> list[str]:
    """The arguments of :func:`train_tiny_run`."""
    return ["train", "--dataset", "mnist", "--data-dir", str(data_dir), "--image-size", "28",
            "--batch-size", "100", "--epochs", str(epochs), "--valid-samples", "1",
            "--test-samples", "2", "--device", "cpu", "--run-dir", str(folder), *extra]  # fmt: skip


def train_tiny_run(folder: Path, data_dir: Path, *extra: str, epochs: int = 2) -> Path:
    """``bayescnn train`` of a Bayesian LeNet on the tiny MNIST (2 test samples) into ``folder``."""
    assert main(tiny_run_argv(folder, data_dir, *extra, epochs=epochs)) == 0
    return folder


@pytest.fixture(scope="session")
def train_tiny():
    """:func:`train_tiny_run`, for module fixtures that need a run of their own."""
    return train_tiny_run


@pytest.fixture(scope="session")
def tiny_argv():
    """:func:`tiny_run_argv`: the command that trained a tiny run (``tiny_run``: epochs=1)."""
    return tiny_run_argv


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, tiny_mnist_dir):
    """A Bayesian LeNet trained for one epoch on the tiny MNIST, shared by tests that read it."""
    return train_tiny_run(tmp_path_factory.mktemp("tiny-run") / "run", tiny_mnist_dir, epochs=1)
