"""Fixtures shared by the test folders."""

from collections.abc import Callable

import pytest
import torch

from bayescnn import nn as bnn


def _give_varied_posterior(layer: bnn.BayesianLayer) -> None:
    """A fixed, varied posterior: mu ~ N(0, 0.5), rho ~ U(-3, 0) for weight and bias."""
    torch.manual_seed(1)
    with torch.no_grad():
        layer.weight_mu.normal_(0, 0.5)
        weight_rho = torch.empty_like(layer.weight_rho).uniform_(-3, 0)
        layer.bias_mu.normal_(0, 0.5)
        layer.set_rho(weight_rho, torch.empty_like(layer.bias_rho).uniform_(-3, 0))


@pytest.fixture
def varied_posterior() -> Callable[[bnn.BayesianLayer], None]:
    """Gives a layer a varied, fixed posterior (for moment checks)."""
    return _give_varied_posterior


def write_learnable_mnist(folder, *, num_train: int = 1000, num_test: int = 300, seed: int = 0):
    """Writes a tiny, learnable MNIST in the real on-disk layout (``folder/mnist/*.gz``).

    Class ``c`` is a bright bar on rows ``2c + 4`` and ``2c + 5`` of a noisy 28x28 image,
    so a LeNet separates the classes within an epoch or two.
    """
    import gzip
    import struct

    import numpy as np

    rng = np.random.default_rng(seed)

    def images_and_labels(count: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.integers(0, 10, count).astype(np.uint8)
        images = rng.integers(0, 80, (count, 28, 28)).astype(np.uint8)
        for row in (4, 5):
            images[np.arange(count), 2 * labels.astype(int) + row, 4:24] = 255
        return images, labels

    target = folder / "mnist"
    target.mkdir(parents=True, exist_ok=True)
    for prefix, count in (("train", num_train), ("t10k", num_test)):
        images, labels = images_and_labels(count)
        for kind, array, magic in (("images-idx3", images, 2051), ("labels-idx1", labels, 2049)):
            header = struct.pack(f">I{array.ndim}I", magic, *array.shape)
            (target / f"{prefix}-{kind}-ubyte.gz").write_bytes(
                gzip.compress(header + array.tobytes())
            )
    return folder


@pytest.fixture(scope="session")
def tiny_mnist_dir(tmp_path_factory) -> object:
    """A data folder holding a tiny learnable MNIST: use ``--dataset mnist --data-dir`` it."""
    return write_learnable_mnist(tmp_path_factory.mktemp("data"))
