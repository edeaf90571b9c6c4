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
        layer.weight_rho.uniform_(-3, 0)
        layer.bias_mu.normal_(0, 0.5)
        layer.bias_rho.uniform_(-3, 0)


@pytest.fixture
def varied_posterior() -> Callable[[bnn.BayesianLayer], None]:
    """Gives a layer a varied, fixed posterior (for moment checks)."""
    return _give_varied_posterior
