"""Scale-mixture prior of Blundell et al. (2015), eq. 7."""

from __future__ import annotations

import math

import torch

from bayescnn import defaults
from bayescnn.priors.base import Prior, check_number, check_positive


class ScaleMixturePrior(Prior):
    """p(w) = pi N(0, sigma1^2) + (1 - pi) N(0, sigma2^2) for every weight.

    Blundell et al. (2015), "Weight Uncertainty in Neural Networks", eq. 7: a wide
    component (sigma1) and a narrow one (sigma2 << 1). The KL has no closed form and
    is estimated by Monte Carlo (see :meth:`Prior.kl`); the log density is computed
    with ``logsumexp`` so that tiny sigmas neither underflow nor give ``-inf``.

    Args:
        pi: weight of the first component, in (0, 1].
        sigma1: standard deviation of the first component, > 0.
        sigma2: standard deviation of the second component, > 0.
    """

    pi: torch.Tensor
    sigma1: torch.Tensor
    sigma2: torch.Tensor
    defined_by_buffers = True

    def __init__(
        self,
        pi: float = defaults.MIXTURE_PI,
        sigma1: float = defaults.MIXTURE_SIGMA1,
        sigma2: float = defaults.MIXTURE_SIGMA2,
    ) -> None:
        super().__init__()
        pi = check_number("pi", pi, "lie in (0, 1]", lambda v: 0.0 < v <= 1.0)
        self.register_buffer("pi", torch.tensor(pi))
        self.register_buffer("sigma1", torch.tensor(check_positive("sigma1", sigma1)))
        self.register_buffer("sigma2", torch.tensor(check_positive("sigma2", sigma2)))

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        """log(pi N(w; 0, s1^2) + (1 - pi) N(w; 0, s2^2)), computed in log space."""
        log_weights = torch.stack([torch.log(self.pi), torch.log1p(-self.pi)]).to(value.dtype)
        sigmas = torch.stack([self.sigma1, self.sigma2]).to(value.dtype)
        shape = (2,) + (1,) * value.dim()
        log_normal = (
            -0.5 * (value.unsqueeze(0) / sigmas.view(shape)).square()
            - torch.log(sigmas).view(shape)
            - 0.5 * math.log(2.0 * math.pi)
        )
        return torch.logsumexp(log_weights.view(shape) + log_normal, dim=0)

    def extra_repr(self) -> str:
        return (
            f"pi={self.pi.item():g}, sigma1={self.sigma1.item():g}, sigma2={self.sigma2.item():g}"
        )
