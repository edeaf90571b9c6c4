"""The spread comes with the model (issue #23): a user's plain ``torch.optim.Adam`` loop on
``models.create(..., rho_scale=c)`` trains as ``default_optimizer(rho_lr_scale=c)`` does."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import bayescnn
from bayescnn import nn as bnn

STEPS = 30
NUM_TRAIN = 1000


def _sigmas_after_training(rho_scale: float, optimizer_of) -> torch.Tensor:
    """Every Bayesian layer's sigmas after ``STEPS`` Adam steps on fixed batches, with
    the same initial posterior and the same estimator draws whatever ``rho_scale``."""
    torch.manual_seed(0)
    model = bayescnn.models.create("lenet", rho_scale=rho_scale)
    optimizer = optimizer_of(model)
    data = torch.Generator().manual_seed(1)
    for step in range(STEPS):
        x = torch.randn(16, 1, 32, 32, generator=data)
        y = torch.randint(0, 10, (16,), generator=data)
        with torch.random.fork_rng():
            torch.manual_seed(100 + step)
            loss = F.cross_entropy(model(x), y) + bayescnn.kl_divergence(model) / NUM_TRAIN
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return torch.cat(
        [layer.weight_sigma.detach().flatten() for layer in bnn.bayesian_layers(model)]
    )


def _plain_adam(model: nn.Module) -> torch.optim.Optimizer:
    return torch.optim.Adam(model.parameters(), 1e-3)


def _relative_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(((a - b).abs() / b).max())


@pytest.mark.parametrize("c", [2.0, 3.0])
def test_plain_adam_on_a_model_of_rho_scale_c_follows_rho_lr_scale_c(c):
    scaled_model = _sigmas_after_training(c, _plain_adam)
    scaled_lr = _sigmas_after_training(
        1.0, lambda model: bayescnn.train.default_optimizer(model, 1e-3, rho_lr_scale=c)
    )
    unscaled = _sigmas_after_training(1.0, _plain_adam)
    assert _relative_difference(scaled_model, scaled_lr) < 1e-3
    assert _relative_difference(unscaled, scaled_lr) > 1e-2
    assert _relative_difference(unscaled, scaled_model) > 1e-2
