"""MC dropout (Gal & Ghahramani 2016): dropout kept on at prediction, as a baseline.

Dropout with rate p, followed by a plain layer, is variational inference with a
Bernoulli approximate posterior over the layer's input units; averaging the softmax of S
passes, each with its own mask, approximates the posterior predictive. Here it is a
sampling module like the Bayesian layers: it drops in train and eval mode, every sample
of a vectorised pass gets its own mask, and :func:`bayescnn.posterior_mean` turns it
into the identity (the inverted-dropout network's mean).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from bayescnn.errors import InvalidArgumentError
from bayescnn.nn.sampling import Stochastic

__all__ = ["MCDropout"]


class MCDropout(Stochastic):
    """Inverted dropout with rate ``p`` that keeps sampling at prediction."""

    def __init__(self, p: float = 0.25) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise InvalidArgumentError(f"dropout rate p must be in [0, 1), got {p!r}")
        self.p = p

    def extra_repr(self) -> str:
        return f"p={self.p}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.sample or self.p == 0.0:
            return x
        plan = self.monte_carlo
        if plan is not None and not plan.is_tiled(x.shape[0]):
            x = x.repeat(plan.num_samples, *([1] * (x.ndim - 1)))  # one mask per sample
        return F.dropout(x, self.p, training=True)
