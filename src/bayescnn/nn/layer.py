"""The base of every Bayesian layer: a mean-field Gaussian posterior over its weights."""

from __future__ import annotations

import copy
import math
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn

from bayescnn import defaults
from bayescnn.errors import InvalidArgumentError
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
from bayescnn.priors import Prior

__all__ = [
    "DEFAULT_RHO_INIT",
    "RHO_SCALE_BUFFER",
    "BayesianLayer",
    "InitPair",
    "Variational",
    "check_init_pair",
    "check_rho_init",
    "inverse_softplus",
    "rho_scale_keys",
]

DEFAULT_RHO_INIT: InitPair = defaults.POSTERIOR_RHO_INIT
"""Initial rho ~ N(-5, 0.1) (:mod:`bayescnn.defaults`): sigma = softplus(-5) ~ 0.0067."""


RHO_SCALE_BUFFER = "rho_scale"
"""Name of each Bayesian layer's 0-d buffer holding the scale c of its rho; a state dict
without it (saved before c existed) is read with c = 1, as it was trained. The layer reads
c from it when a state dict is loaded (and computes with a Python copy, so that c = 1
costs no operation): change c by loading a state dict, not by writing the buffer."""


def inverse_softplus(sigma: torch.Tensor) -> torch.Tensor:
    """rho such that softplus(rho) = sigma: rho = log(expm1(sigma)), stable for all sigma > 0."""
    return sigma + torch.log(-torch.expm1(-sigma))


def rho_scale_keys(model: nn.Module) -> set[str]:
    """The state-dict keys of ``model``'s rho scales: keys a checkpoint may lack (c = 1)."""
    return {
        f"{name}.{RHO_SCALE_BUFFER}" if name else RHO_SCALE_BUFFER
        for name, module in model.named_modules()
        if isinstance(module, BayesianLayer)
    }


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

    rho is parametrised as rho = c * ``weight_rho`` (and ``bias_rho``), c the spec's
    ``rho_scale``: the parameters an optimiser sees are rho / c, so Adam (whose step does
    not depend on the gradient's scale) moves rho c times faster than mu. c is kept in
    the 0-d buffer :data:`RHO_SCALE_BUFFER` and saved with the state dict; the true rho
    is :attr:`weight_rho_value` / :attr:`bias_rho_value`.

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
    bias_mu: nn.Parameter | None
    bias_rho: nn.Parameter | None

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
        # PosteriorSpec.__post_init__ has replaced a None prior by the default
        self.prior = cast(Prior, copy.deepcopy(spec.prior))
        self.posterior_mu_init = spec.mu_init
        self.posterior_rho_init = check_rho_init(spec.rho_init, dtype or torch.get_default_dtype())
        scale = defaults.POSTERIOR_RHO_SCALE if spec.rho_scale is None else spec.rho_scale
        self._rho_scale = scale  # computes; the buffer below is what is saved
        self.register_buffer(RHO_SCALE_BUFFER, torch.tensor(scale, **factory))
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
            self.estimator,
            self.prior,
            self.posterior_mu_init,
            self.posterior_rho_init,
            self.posterior_rho_scale,
        )

    @property
    def posterior_rho_scale(self) -> float:
        """c of rho = c * ``weight_rho``: the spec's, or the loaded state dict's (1 if it
        had none)."""
        return self._rho_scale

    def rho_of(self, stored: torch.Tensor) -> torch.Tensor:
        """rho = c * ``stored`` for a tensor of this layer's stored rho (``stored`` itself
        when c = 1)."""
        return stored if self._rho_scale == 1.0 else stored * self._rho_scale

    @property
    def weight_rho_value(self) -> torch.Tensor:
        """The weights' rho = c * ``weight_rho`` (sigma = softplus(rho)); differentiable."""
        return self.rho_of(self.weight_rho)

    @property
    def bias_rho_value(self) -> torch.Tensor | None:
        """The biases' rho = c * ``bias_rho``, or None without a bias."""
        return None if self.bias_rho is None else self.rho_of(self.bias_rho)

    @torch.no_grad()
    def set_rho(self, weight_rho: torch.Tensor, bias_rho: torch.Tensor | None = None) -> None:
        """Set the posterior's rho in place (stored as rho / c); ``bias_rho`` None keeps
        the biases' rho."""
        self.weight_rho.copy_(weight_rho / self._rho_scale)
        if bias_rho is not None:
            if self.bias_rho is None:
                raise InvalidArgumentError(f"{type(self).__name__} has no bias to set rho of")
            self.bias_rho.copy_(bias_rho / self._rho_scale)

    def reset_parameters(self) -> None:
        """Initialise mu (PyTorch's default or a normal) and rho (a normal; rho itself, so
        the stored rho / c is a normal divided by c)."""
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
        with torch.no_grad():
            getattr(self, RHO_SCALE_BUFFER).fill_(self._rho_scale)  # e.g. after to_empty()
            for stored in (self.weight_rho, self.bias_rho):
                if stored is not None:
                    nn.init.normal_(stored, *self.posterior_rho_init)
                    if self._rho_scale != 1.0:
                        stored.div_(self._rho_scale)

    @property
    def weight_sigma(self) -> torch.Tensor:
        """sigma = softplus(rho) = log(1 + exp(rho)) > 0, rho = c * ``weight_rho``."""
        return F.softplus(self.weight_rho_value)

    @property
    def bias_sigma(self) -> torch.Tensor | None:
        rho = self.bias_rho_value
        return None if rho is None else F.softplus(rho)

    def _load_from_state_dict(
        self,
        state_dict: dict[str, Any],
        prefix: str,
        local_metadata: dict[str, Any],
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        """Load as ``nn.Module`` does, taking the state dict's c; one saved before c
        existed (no :data:`RHO_SCALE_BUFFER`) was trained with c = 1 and loads with it."""
        key = prefix + RHO_SCALE_BUFFER
        saved = state_dict.get(key)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )
        if saved is None:
            if key in missing_keys:
                missing_keys.remove(key)
            getattr(self, RHO_SCALE_BUFFER).fill_(1.0)
            self._rho_scale = 1.0
            return
        if not isinstance(saved, torch.Tensor) or saved.numel() != 1:
            return  # nn.Module has reported it
        value = float(saved)
        if not (math.isfinite(value) and value > 0):
            error_msgs.append(f"{key} must be a finite number > 0, got {value}")
            return
        self._rho_scale = value

    def posterior(self) -> GaussianPosterior:
        """The posterior's tensors, sigma computed once for this forward."""
        return GaussianPosterior(self.weight_mu, self.weight_sigma, self.bias_mu, self.bias_sigma)

    def kl(self) -> torch.Tensor:
        """KL(q || p) summed over every weight and bias of the layer (nats)."""
        kl = self.prior.kl(self.weight_mu, self.weight_sigma)
        bias_sigma = self.bias_sigma
        if self.bias_mu is not None and bias_sigma is not None:
            kl = kl + self.prior.kl(self.bias_mu, bias_sigma)
        return kl

    def rho_parameters(self) -> list[nn.Parameter]:
        """The stored ``weight_rho`` and ``bias_rho`` (rho / c)."""
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
        text = f"estimator={self.estimator.value}, bias={self.bias_mu is not None}"
        return text if self._rho_scale == 1.0 else f"{text}, rho_scale={self._rho_scale:g}"
