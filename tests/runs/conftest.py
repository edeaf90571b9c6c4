"""The run configs the tests of runs share."""

from collections.abc import Callable

import pytest

from bayescnn.runs import TrainConfig

SHORT_RUN = dict(
    dataset="mnist", model="lenet", image_size=28, lr=3e-3, batch_size=50, epochs=1,
    valid_samples=1, test_samples=2, device="cpu",
)  # fmt: skip
"""A one-epoch LeNet-5 on 28x28 MNIST, on the CPU, with few samples."""


@pytest.fixture(scope="session")
def short_run_config(tiny_mnist_dir) -> Callable[..., TrainConfig]:
    """Makes the config of a short run (:data:`SHORT_RUN`) on the tiny MNIST; keywords
    override any of its values (``data_dir`` included)."""

    def make(**overrides: object) -> TrainConfig:
        return TrainConfig(**(SHORT_RUN | {"data_dir": str(tiny_mnist_dir)} | overrides))

    return make
