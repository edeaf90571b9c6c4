"""The base of every Bayesian layer: a mean-field Gaussian posterior over its weights."""

from __future__ import annotations

import copy
import math
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn

from bayescnn import defaults
from bayescnn.nn.estimators import (
    Estimator,
    GaussianPosterior,
    bbb_forward,
    flipout_forward,
    lrt_forward,
    mean_forward,
)
from bayescnn.nn.sampling import Stochastic
from bayescnn.nn.spec import InitPair, PosteriorSpec, check_init_pair, check_rho_init

__all__ = [
    "DEFAULT_RHO_INIT",
    "BayesianLayer",
    "InitPair",
    "Variational",
    "check_init_pair",
    "check_rho_init",
    "inverse_softplus",
]

DEFAULT_RHO_INIT: InitPair = defaults.POSTERIOR_RHO_INIT
"""Initial rho ~ N(-5, 0.1) (:mod:`bayescnn.defaults`): sigma = softplus(-5) ~ 0.0067."""


def inverse_softplus(sigma: torch.Tensor) -> torch.Tensor:
    """rho such that softplus(rho) = sigma: rho = log(expm1(sigma)), stable for all sigma > 0."""
    return sigma + torch.log(-torch.expm1(-sigma))


class Variational(Stochastic):
    """Base of every module with a variational posterior: it has a KL term and rhos.

    :func:`bayescnn.kl_divergence` sums :meth:`kl` over every such module of a network,
    and the optimiser's parameter groups put :meth:`rho_parameters` at the rho learning
    rate. :class:`BayesianLayer` (mean-field) and the rank-1 layers
    (:mod:`bayescnn.nn.rank1`) are the two kinds.
    """

    def kl(self) -> torch.Tensor:
        """KL(q || p) of this module's posterior (nats)."""
        raise NotImplementedError(f"{type(self).__name__} must implement kl")

    def rho_parameters(self) -> list[nn.Parameter]:
        """The parameters rho of the posterior's scales sigma = softplus(rho)."""
        raise NotImplementedError(f"{type(self).__name__} must implement rho_parameters")


class BayesianLayer(Variational):
    """A layer with a factorised Gaussian posterior q(W) = N(mu, softplus(rho)^2).

    Subclasses choose the functional op (:meth:`functional_op`, :meth:`functional_op_many`);
    the sampling logic lives in :mod:`bayescnn.nn.estimators`. ``forward`` returns a plain tensor;
    the KL term is asked for separately with :meth:`kl`.

    Args:
        weight_shape: shape of the weight tensor.
        bias_features: length of the bias, or None for no bias.
        posterior: the estimator, prior (copied into the layer) and initialisation
            (default ``PosteriorSpec()``: :mod:`bayescnn.defaults`). The layer types take
            them as keywords too (:meth:`PosteriorSpec.merge`).
    """

    channel_dim: int = 1

    def __init__(
        self,
        weight_shape: tuple[int, ...],
        bias_features: int | None,
        *,
        posterior: PosteriorSpec | None = None,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        factory: dict[str, Any] = {"device": device, "dtype": dtype}
        spec = PosteriorSpec.merge(posterior)
        self.estimator = cast(Estimator, spec.estimator)
        self.prior = copy.deepcopy(spec.prior)
        self.posterior_mu_init = spec.mu_init
        self.posterior_rho_init = check_rho_init(spec.rho_init, dtype or torch.get_default_dtype())
        self.weight_mu = nn.Parameter(torch.empty(weight_shape, **factory))
        self.weight_rho = nn.Parameter(torch.empty(weight_shape, **factory))
        if bias_features is not None:
            self.bias_mu = nn.Parameter(torch.empty(bias_features, **factory))
            self.bias_rho = nn.Parameter(torch.empty(bias_features, **factory))
        else:
            self.register_parameter("bias_mu", None)
            self.register_parameter("bias_rho", None)
        self.prior.to(device=device)
        self.reset_parameters()

    @property
    def posterior_spec(self) -> PosteriorSpec:
        """This layer's options as a spec (its prior itself, not a copy): a twin is
        ``type(layer)(..., posterior=layer.posterior_spec)``."""
        return PosteriorSpec(
            self.estimator, self.prior, self.posterior_mu_init, self.posterior_rho_init
        )

    def reset_parameters(self) -> None:
        """Initialise mu (PyTorch's default or a normal) and rho (a normal)."""
        if self.posterior_mu_init is None:
            nn.init.kaiming_uniform_(self.weight_mu, a=math.sqrt(5))
            if self.bias_mu is not None:
                fan_in = self.weight_mu[0].numel()
                bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
                nn.init.uniform_(self.bias_mu, -bound, bound)
        else:
            nn.init.normal_(self.weight_mu, *self.posterior_mu_init)
            if self.bias_mu is not None:
                nn.init.normal_(self.bias_mu, *self.posterior_mu_init)
        nn.init.normal_(self.weight_rho, *self.posterior_rho_init)
        if self.bias_rho is not None:
            nn.init.normal_(self.bias_rho, *self.posterior_rho_init)

    @property
    def weight_sigma(self) -> torch.Tensor:
        """sigma = softplus(rho) = log(1 + exp(rho)) > 0."""
        return F.softplus(self.weight_rho)

    @property
    def bias_sigma(self) -> torch.Tensor | None:
        return None if self.bias_rho is None else F.softplus(self.bias_rho)

    def posterior(self) -> GaussianPosterior:
        """The posterior's tensors, sigma computed once for this forward."""
        return GaussianPosterior(self.weight_mu, self.weight_sigma, self.bias_mu, self.bias_sigma)

    def kl(self) -> torch.Tensor:
        """KL(q || p) summed over every weight and bias of the layer (nats)."""
        kl = self.prior.kl(self.weight_mu, self.weight_sigma)
        if self.bias_mu is not None:
            kl = kl + self.prior.kl(self.bias_mu, self.bias_sigma)
        return kl

    def rho_parameters(self) -> list[nn.Parameter]:
        return [p for p in (self.weight_rho, self.bias_rho) if p is not None]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q = self.posterior()
        if not self.sample:
            return mean_forward(self.functional_op, x, q, self.monte_carlo)
        if self.estimator is Estimator.BBB:
            return bbb_forward(self.functional_op, self.functional_op_many, x, q, self.monte_carlo)
        if self.estimator is Estimator.LRT:
            return lrt_forward(self.functional_op, x, q, self.monte_carlo)
        return flipout_forward(
            self.functional_op, self.functional_op_many, x, q, self.monte_carlo, self.channel_dim
        )

    def functional_op(
        self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
    ) -> torch.Tensor:
        """``op(x, W, b)``: the layer's deterministic op with the given weights.

        The hook every Bayesian layer type provides (``F.linear``, ``F.conv2d`` with the
        layer's stride, padding, ...); the estimators call it with the mean ``mu``, a draw
        ``W = mu + sigma * eps``, or, for the LRT variance, with ``(x^2, sigma^2, sigma_b^2)``.

        Args:
            x: Input batch ``(B, ...)``.
            weight: One weight tensor, of the shape of ``weight_mu``.
            bias: One bias of the shape of ``bias_mu``, or ``None``.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement functional_op")

    def functional_op_many(
        self, x: torch.Tensor, weights: torch.Tensor, biases: torch.Tensor | None, tiled: bool
    ) -> torch.Tensor:
        """The op with ``S`` stacked weight sets, in one vectorised call.

        Equal to ``torch.cat([functional_op(x_s, weights[s], biases[s]) for s in range(S)])``,
        where ``x_s`` is block ``s`` of ``x`` if ``tiled`` and ``x`` itself otherwise.

        Args:
            x: ``S * B`` rows, one block per sample, if ``tiled``; else ``B`` rows shared
                by every sample.
            weights: ``(S, *weight_mu.shape)``.
            biases: ``(S, *bias_mu.shape)``, or ``None``.
            tiled: Whether ``x`` already holds one block of rows per sample.

        Returns:
            ``S * B`` rows, sample-major.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement functional_op_many")

    def extra_repr(self) -> str:
        return f"estimator={self.estimator.value}, bias={self.bias_mu is not None}"
