"""A tiny trained run shared by the command-line tests that only read it."""

import pytest

from bayescnn.cli.main import main


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, tiny_mnist_dir):
    """A Bayesian LeNet trained for one epoch on the tiny MNIST (2 test samples)."""
    folder = tmp_path_factory.mktemp("tiny-run") / "run"
    argv = ["train", "--dataset", "mnist", "--data-dir", str(tiny_mnist_dir), "--image-size",
            "28", "--batch-size", "100", "--epochs", "1", "--valid-samples", "1",
            "--test-samples", "2", "--device", "cpu", "--run-dir", str(folder)]  # fmt: skip
    assert main(argv) == 0
    return folder
