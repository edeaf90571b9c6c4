"""Pruning a Bayesian network by signal-to-noise ratio (Blundell et al. 2015, section 5.1).

The weights with the lowest |mu| / sigma carry the least information the data gave them:
setting them to zero removed 95% of a Bayes-by-Backprop network's weights with no loss
in test error there. A pruned weight is exactly zero in sampled and mean passes alike:
mu = 0 and rho = -inf, so sigma = softplus(rho) = 0 (a point mass at 0; the KL of a
pruned network is therefore infinite and it is meant for prediction, not more training).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from bayescnn.analysis.posterior_stats import signal_to_noise
from bayescnn.errors import InvalidArgumentError
from bayescnn.nn.layer import BayesianLayer

__all__ = ["prune_by_magnitude", "prune_by_snr"]


def _prune(
    model: nn.Module, fraction: float, score: Callable[[BayesianLayer], torch.Tensor]
) -> dict[str, int]:
    if not 0.0 <= fraction <= 1.0:
        raise InvalidArgumentError(f"fraction must be in [0, 1], got {fraction!r}")
    layers = {n: m for n, m in model.named_modules() if isinstance(m, BayesianLayer)}
    if not layers:
        raise InvalidArgumentError("the model has no Bayesian layers to prune")
    scores = {name: score(layer) for name, layer in layers.items()}
    flat = torch.cat([s.flatten().float().cpu() for s in scores.values()])
    count = round(fraction * flat.numel())
    removed: dict[str, int] = {}
    if count == 0:
        return {name: 0 for name in layers}
    ranks = flat.argsort(stable=True)[:count]  # the lowest scores, ties broken by position
    chosen = torch.zeros_like(flat, dtype=torch.bool)
    chosen[ranks] = True  # exactly `count` weights, ties broken by position
    start = 0
    with torch.no_grad():
        for name, layer in layers.items():
            size = scores[name].numel()
            mask = chosen[start : start + size].view_as(scores[name]).to(layer.weight_mu.device)
            start += size
            layer.weight_mu[mask] = 0.0
            layer.weight_rho[mask] = float("-inf")  # rho = c * -inf = -inf for any c > 0
            removed[name] = int(mask.sum())
    return removed


def prune_by_snr(model: nn.Module, fraction: float) -> dict[str, int]:
    """Remove (in place) the ``fraction`` of all Bayesian layers' weights with the lowest
    signal-to-noise ratio |mu| / sigma; returns the number removed per layer."""
    return _prune(model, fraction, signal_to_noise)


def prune_by_magnitude(model: nn.Module, fraction: float) -> dict[str, int]:
    """The baseline: remove the ``fraction`` of weights with the lowest |mu|."""
    return _prune(model, fraction, lambda layer: layer.weight_mu.detach().abs())
