"""Gaussian prior with the closed-form KL divergence."""

from __future__ import annotations

import math

import torch

from bayescnn import defaults
from bayescnn.priors.base import Prior, check_number, check_positive


class GaussianPrior(Prior):
    """p(w) = N(mu, sigma^2) for every weight.

    Args:
        mu: prior mean.
        sigma: prior standard deviation (not the variance), > 0.
    """

    mu: torch.Tensor
    sigma: torch.Tensor
    defined_by_buffers = True

    def __init__(self, mu: float = defaults.PRIOR_MU, sigma: float = defaults.PRIOR_SIGMA) -> None:
        super().__init__()
        mu = check_number("mu", mu, "be a finite number", math.isfinite)
        self.register_buffer("mu", torch.tensor(mu))
        self.register_buffer("sigma", torch.tensor(check_positive("sigma", sigma)))

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        """log N(value; mu, sigma^2)."""
        sigma = self.sigma.to(value.dtype)
        z = (value - self.mu.to(value.dtype)) / sigma
        return -0.5 * z.square() - torch.log(sigma) - 0.5 * math.log(2.0 * math.pi)

    def kl(self, mu: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """Closed form KL(N(mu, sigma^2) || N(m, s^2)) summed over elements:

            log(s / sigma) + (sigma^2 + (mu - m)^2) / (2 s^2) - 1/2.

        This is the posterior-to-prior direction (Blundell et al. 2015); the original
        research code computed KL(p || q) by mistake.
        """
        prior_mu = self.mu.to(mu.dtype)
        prior_sigma = self.sigma.to(mu.dtype)
        # summed term by term: n (log s - 1/2) - sum log sigma + (|sigma|^2 + |mu - m|^2) / 2s^2,
        # the squared norms as dot products (fewer passes over weight-sized tensors)
        flat_sigma = sigma.reshape(-1)
        offset = (mu - prior_mu).reshape(-1)
        squares = torch.dot(flat_sigma, flat_sigma) + torch.dot(offset, offset)
        return (
            mu.numel() * (torch.log(prior_sigma) - 0.5)
            - torch.log(sigma).sum()
            + squares / (2.0 * prior_sigma.square())
        )

    def extra_repr(self) -> str:
        return f"mu={self.mu.item():g}, sigma={self.sigma.item():g}"
