"""What a trained posterior looks like, layer by layer: the health checks users ask for.

For each Bayesian layer with weight posterior N(mu, sigma^2): its KL(q || p) in nats
(weights and bias), the mean sigma, and the fraction of weights whose signal-to-noise
ratio |mu| / sigma is below 1 (Blundell et al. 2015, section 5.1). A posterior that has
collapsed to its prior has near-zero KL and most SNRs well below 1; a posterior whose
sigma has collapsed to 0 is a point estimate the KL no longer regularises.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from bayescnn.nn.layer import BayesianLayer

__all__ = ["LayerStatistics", "layer_statistics", "signal_to_noise"]


@dataclass(frozen=True)
class LayerStatistics:
    """One Bayesian layer's posterior summary (see the module docstring)."""

    weights: int
    kl: float
    kl_per_weight: float
    mean_sigma: float
    snr_below_1: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def signal_to_noise(layer: BayesianLayer) -> torch.Tensor:
    """|mu| / sigma of every weight of ``layer`` (biases excluded)."""
    return layer.weight_mu.detach().abs() / layer.weight_sigma.detach()


@torch.no_grad()
def layer_statistics(model: nn.Module) -> dict[str, LayerStatistics]:
    """:class:`LayerStatistics` of every Bayesian layer of ``model``, by qualified name."""
    found = {}
    for name, module in model.named_modules():
        if not isinstance(module, BayesianLayer):
            continue
        kl = float(module.kl().detach())
        weights = module.weight_mu.numel() + (
            0 if module.bias_mu is None else module.bias_mu.numel()
        )
        found[name] = LayerStatistics(
            weights=weights,
            kl=kl,
            kl_per_weight=kl / weights,
            mean_sigma=float(module.weight_sigma.detach().mean()),
            snr_below_1=float((signal_to_noise(module) < 1).float().mean()),
        )
    return found
