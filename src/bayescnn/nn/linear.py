"""Bayesian fully connected layer."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from bayescnn.errors import InvalidArgumentError
from bayescnn.nn.estimators import Estimator
from bayescnn.nn.layer import BayesianLayer
from bayescnn.nn.spec import UNSET, InitPair, PosteriorSpec, Unset
from bayescnn.priors import Prior


def check_features(in_features: int, out_features: int) -> None:
    """Refuse a fully connected layer's sizes unless ``in_features >= 0 < out_features``
    (what ``nn.Linear`` builds): Bayesian, packed and rank-1 linear layers alike."""
    if in_features < 0 or out_features <= 0:
        raise InvalidArgumentError(
            f"in_features must be >= 0 and out_features > 0, got {in_features}, {out_features}"
        )


class Linear(BayesianLayer):
    """Bayesian ``nn.Linear``: y = x W^T + b with W, b ~ q (see :class:`BayesianLayer`).

    The posterior's options come as one ``posterior=`` :class:`PosteriorSpec` or as the
    keywords ``estimator``, ``prior``, ``posterior_mu_init``, ``posterior_rho_init``,
    ``rho_scale`` (unset: the spec's, else :mod:`bayescnn.defaults`).

    Example:
        >>> layer = bayescnn.nn.Linear(400, 120, estimator="flipout")
        >>> y = layer(torch.randn(8, 400))   # a plain tensor
        >>> layer.kl()                       # KL(q || p), summed
    """

    channel_dim = -1

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        posterior: PosteriorSpec | None = None,
        estimator: str | Estimator | Unset = UNSET,
        prior: Prior | Unset | None = UNSET,
        posterior_mu_init: InitPair | Unset | None = UNSET,
        posterior_rho_init: InitPair | Unset = UNSET,
        rho_scale: float | Unset = UNSET,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_features(in_features, out_features)
        self.in_features = in_features
        self.out_features = out_features
        super().__init__(
            (out_features, in_features),
            out_features if bias else None,
            posterior=PosteriorSpec.merge(
                posterior,
                estimator=estimator,
                prior=prior,
                posterior_mu_init=posterior_mu_init,
                posterior_rho_init=posterior_rho_init,
                rho_scale=rho_scale,
            ),
            device=device,
            dtype=dtype,
        )

    def functional_op(
        self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
    ) -> torch.Tensor:
        return F.linear(x, weight, bias)

    def functional_op_many(
        self, x: torch.Tensor, weights: torch.Tensor, biases: torch.Tensor | None, tiled: bool
    ) -> torch.Tensor:
        """S weight sets as one batched matmul: (S or 1, rows, in) @ (S, in, out)."""
        num_samples = weights.shape[0]
        rows = x.reshape(num_samples if tiled else 1, -1, self.in_features)
        out = torch.matmul(rows, weights.transpose(-1, -2))
        if biases is not None:
            out = out + biases.unsqueeze(1)
        batch_shape = x.shape[1:-1]
        return out.reshape(-1, *batch_shape, self.out_features)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            + super().extra_repr()
        )
