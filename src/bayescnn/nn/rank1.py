"""Rank-1 Bayesian layers (Dusenberry et al. 2020, "Efficient and Scalable Bayesian Neural
Nets with Rank-1 Factors") and the network wrapper that runs their K members.

A rank-1 layer keeps one deterministic weight W, shared by K mixture components. Component
k has two vectors, r_k over the input features (channels) and s_k over the output ones,
each with a factorised Gaussian posterior N(mu, softplus(rho)^2); its weight is

    W_k = W ∘ (s_k r_k^T),  so  y = ((x ∘ r_k) W^T) ∘ s_k + b_k

(a convolution multiplies the input channels by r_k and the output channels by s_k). The
biases b_k are deterministic, one per component. The prior is N(1, sigma_p^2) on every
entry of r and s. The posterior is the mixture q = (1/K) Σ_k q_k; its KL has no closed
form and is replaced by the mean of the components' KLs,

    KL(q || p) <= (1/K) Σ_k KL(q_k || p)

(the KL is convex in q), so the ELBO with it is still a lower bound: the paper's choice.

Inside the network the members travel in the batch dimension, member-major (the
convention of BatchEnsemble, Wen et al. 2020): of N rows, rows [k N/K, (k+1) N/K) belong
to member k, so pooling, activations and flattening work unchanged. Every row draws its
own r and s (cheap: they are vectors), so examples are independent samples; in
posterior-mean mode (:func:`bayescnn.posterior_mean`) the means are used.
:class:`Rank1Network` tiles the input K times and returns the logits as ``(K, B, C)``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from bayescnn import defaults
from bayescnn.calibration.temperature import register_temperature_state
from bayescnn.errors import InvalidArgumentError, InvalidTypeError
from bayescnn.nn.layer import InitPair, Variational, check_init_pair, check_rho_init
from bayescnn.nn.linear import check_features
from bayescnn.nn.noise import standard_normal
from bayescnn.nn.sampling import Stochastic, monte_carlo
from bayescnn.priors import GaussianPrior, Prior

__all__ = [
    "Rank1Conv1d",
    "Rank1Conv2d",
    "Rank1Conv3d",
    "Rank1Layer",
    "Rank1Linear",
    "Rank1Network",
    "default_rank1_prior",
]


def default_rank1_prior() -> Prior:
    """A new N(``RANK1_PRIOR_MU``, ``RANK1_PRIOR_SIGMA``^2) (:mod:`bayescnn.defaults`)."""
    return GaussianPrior(defaults.RANK1_PRIOR_MU, defaults.RANK1_PRIOR_SIGMA)


def _check_members(members: int) -> int:
    if isinstance(members, bool) or not isinstance(members, int) or members < 1:
        raise InvalidArgumentError(f"members must be an integer >= 1, got {members!r}")
    return members


class Rank1Layer(Variational):
    """A plain layer ``shared`` (without bias) made a rank-1 mixture of K components.

    Subclasses build ``shared`` (:class:`Rank1Linear`, :class:`Rank1Conv2d`, ...); the
    sampling lives here once. ``forward`` takes K member-major blocks of rows (see the
    module's docstring) and returns the same number of rows.

    Args:
        shared: the deterministic op with the shared weight W (PyTorch's own init), no bias.
        in_features, out_features: the lengths of r and s (channels for a convolution).
        bias: a deterministic bias per component.
        members: the number K of mixture components.
        prior: prior over every entry of r and s (copied; default N(1, 0.1^2),
            :func:`default_rank1_prior`).
        factor_init: ``(mean, std)`` of the normal init of the factors' means.
        rho_init: ``(mean, std)`` of the normal init of their rho, sigma = softplus(rho).
    """

    channel_dim: int = 1
    bias: nn.Parameter | None

    def __init__(
        self,
        shared: nn.Linear | nn.modules.conv._ConvNd,
        in_features: int,
        out_features: int,
        bias: bool,
        *,
        members: int,
        prior: Prior | None,
        factor_init: InitPair,
        rho_init: InitPair,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        factory: dict[str, Any] = {"device": device, "dtype": dtype}
        self.members = _check_members(members)
        if prior is not None and not isinstance(prior, Prior):
            raise InvalidTypeError(
                f"prior must be a bayescnn.priors.Prior, got {type(prior).__name__}"
            )
        self.prior = default_rank1_prior() if prior is None else copy.deepcopy(prior)
        self.prior.to(device=device)
        self.factor_init = check_init_pair("factor_init", factor_init)
        self.rho_init = check_rho_init(rho_init, dtype or torch.get_default_dtype())
        self.shared = shared
        self.r_mu = nn.Parameter(torch.empty(members, in_features, **factory))
        self.r_rho = nn.Parameter(torch.empty(members, in_features, **factory))
        self.s_mu = nn.Parameter(torch.empty(members, out_features, **factory))
        self.s_rho = nn.Parameter(torch.empty(members, out_features, **factory))
        if bias:
            self.bias = nn.Parameter(torch.empty(members, out_features, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_factors()

    def reset_factors(self) -> None:
        """Factors' means ~ N(factor_init), rho ~ N(rho_init); each component's bias
        uniform in +-1/sqrt(fan_in) (PyTorch's bias init). ``shared`` keeps its own init."""
        nn.init.normal_(self.r_mu, *self.factor_init)
        nn.init.normal_(self.s_mu, *self.factor_init)
        nn.init.normal_(self.r_rho, *self.rho_init)
        nn.init.normal_(self.s_rho, *self.rho_init)
        if self.bias is not None:
            fan_in = self.shared.weight[0].numel()
            bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            nn.init.uniform_(self.bias, -bound, bound)

    def reset_parameters(self) -> None:
        """Re-initialise W (PyTorch's init) and the factors."""
        self.shared.reset_parameters()
        self.reset_factors()

    @property
    def weight(self) -> torch.Tensor:
        """The shared deterministic weight W."""
        return self.shared.weight

    def rho_parameters(self) -> list[nn.Parameter]:
        return [self.r_rho, self.s_rho]

    def kl(self) -> torch.Tensor:
        """(1/K) Σ_k [KL(q(r_k) || p) + KL(q(s_k) || p)]: the mean of the components' KLs,
        an upper bound of the mixture's KL (module docstring)."""
        kl_r = self.prior.kl(self.r_mu, F.softplus(self.r_rho))
        kl_s = self.prior.kl(self.s_mu, F.softplus(self.s_rho))
        return (kl_r + kl_s) / self.members

    def _per_row(self, value: torch.Tensor, rows: int, ndim: int) -> torch.Tensor:
        """``(K, C)`` values as ``(rows, C)`` (member-major blocks), viewed to broadcast
        over an input of ``ndim`` dimensions along :attr:`channel_dim`."""
        per_member = rows // self.members
        out = value.unsqueeze(1).expand(self.members, per_member, value.shape[1])
        out = out.reshape(rows, value.shape[1])
        shape = [1] * ndim
        shape[0], shape[self.channel_dim % ndim] = rows, value.shape[1]
        return out.view(shape)

    def _factor(self, mu: torch.Tensor, rho: torch.Tensor, rows: int, ndim: int) -> torch.Tensor:
        """The member's mean, or a fresh draw mu + sigma * eps for every row."""
        mean = self._per_row(mu, rows, ndim)
        if not self.sample:
            return mean
        sigma = self._per_row(F.softplus(rho), rows, ndim)
        return torch.addcmul(
            mean, sigma, standard_normal(mean.shape, device=mu.device, dtype=mu.dtype)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.shape[0]
        if rows % self.members:
            raise InvalidArgumentError(
                f"a rank-1 layer of {self.members} members got {rows} rows; it takes "
                f"{self.members} member-major blocks of rows: run it inside a Rank1Network "
                "(bayescnn.models.create(..., posterior_family='rank1')), which tiles the input"
            )
        r = self._factor(self.r_mu, self.r_rho, rows, x.dim())
        # one input channel (a grayscale image): r is a number per row and the shared op is
        # linear without bias, so op(x r) = op(x) r, which spares the backward pass the
        # gradient of the op's input (3x a plain convolution's backward on the CPU)
        out: torch.Tensor = self.shared(x) * r if r.shape[1] == 1 else self.shared(x * r)
        s = self._factor(self.s_mu, self.s_rho, rows, out.dim())
        if self.bias is None:
            return out * s
        return torch.addcmul(self._per_row(self.bias, rows, out.dim()), out, s)

    def extra_repr(self) -> str:
        return f"members={self.members}, bias={self.bias is not None}"


class Rank1Linear(Rank1Layer):
    """Rank-1 ``nn.Linear``: y = ((x ∘ r_k) W^T) ∘ s_k + b_k for the rows of member k.

    Example:
        >>> layer = bayescnn.nn.Rank1Linear(400, 120, members=4)
        >>> y = layer(torch.randn(4 * 8, 400))   # 4 member-major blocks of 8 rows
    """

    channel_dim = -1

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        members: int = defaults.RANK1_MEMBERS,
        prior: Prior | None = None,
        factor_init: InitPair = defaults.RANK1_FACTOR_INIT,
        rho_init: InitPair = defaults.POSTERIOR_RHO_INIT,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_features(in_features, out_features)
        self.in_features = in_features
        self.out_features = out_features
        super().__init__(
            nn.Linear(in_features, out_features, bias=False, device=device, dtype=dtype),
            in_features,
            out_features,
            bias,
            members=members,
            prior=prior,
            factor_init=factor_init,
            rho_init=rho_init,
            device=device,
            dtype=dtype,
        )

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, " + (
            super().extra_repr()
        )


class _Rank1ConvNd(Rank1Layer):
    """Rank-1 ``nn.ConvNd`` with torch's signature; r scales the input channels, s the
    output channels. Subclasses choose the plain convolution."""

    # nn.Conv1d, 2d or 3d: called with torch's ConvNd arguments (the stubs type
    # kernel_size and the rest per dimension, _size_2_t, ...; ours are any-dimensional)
    conv_class: Callable[..., nn.modules.conv._ConvNd]

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: str | int | tuple[int, ...] = 0,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        members: int = defaults.RANK1_MEMBERS,
        prior: Prior | None = None,
        factor_init: InitPair = defaults.RANK1_FACTOR_INIT,
        rho_init: InitPair = defaults.POSTERIOR_RHO_INIT,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        try:
            shared = type(self).conv_class(
                in_channels,
                out_channels,
                kernel_size,
                stride=stride,
                padding=padding,
                dilation=dilation,
                groups=groups,
                bias=False,
                padding_mode=padding_mode,
                device=device,
                dtype=dtype,
            )
        except ValueError as error:
            raise InvalidArgumentError(str(error)) from None
        self.in_channels = in_channels
        self.out_channels = out_channels
        super().__init__(
            shared,
            in_channels,
            out_channels,
            bias,
            members=members,
            prior=prior,
            factor_init=factor_init,
            rho_init=rho_init,
            device=device,
            dtype=dtype,
        )

    def extra_repr(self) -> str:
        conv = self.shared.extra_repr().replace(", bias=False", "")
        return f"{conv}, {super().extra_repr()}"


class Rank1Conv1d(_Rank1ConvNd):
    """Rank-1 ``nn.Conv1d``."""

    conv_class = nn.Conv1d


class Rank1Conv2d(_Rank1ConvNd):
    """Rank-1 ``nn.Conv2d``.

    Example:
        >>> conv = bayescnn.nn.Rank1Conv2d(3, 16, 5, padding=2, members=4)
    """

    conv_class = nn.Conv2d


class Rank1Conv3d(_Rank1ConvNd):
    """Rank-1 ``nn.Conv3d``."""

    conv_class = nn.Conv3d


class Rank1Network(Stochastic):
    """Runs a network of rank-1 layers as K members: logits ``(K, B, C)`` for B inputs.

    The input is tiled K times, member-major (``x.repeat(K, ...)``), through
    ``network``; row block k of its output is member k's. Inside a vectorised
    Monte-Carlo pass of S samples (:func:`bayescnn.nn.monte_carlo`) it is tiled S * K
    times and returns ``(K, S * B, C)``, sample-major on the second axis (row
    ``s * B + b``): every row draws its own factors, so the S samples are independent.

    Attributes:
        members: K, the number of mixture components.
    """

    def __init__(self, network: nn.Module, members: int) -> None:
        super().__init__()
        self.members = _check_members(members)
        layers = [m for m in network.modules() if isinstance(m, Rank1Layer)]
        if not layers:
            raise InvalidArgumentError("a Rank1Network needs a network with rank-1 layers")
        if any(m.members != members for m in layers):
            raise InvalidArgumentError(
                f"every rank-1 layer of a Rank1Network of {members} members must have "
                f"{members}; got {sorted({m.members for m in layers})}"
            )
        self.network = network
        register_temperature_state(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        plan = self.monte_carlo
        samples = 1 if plan is None else plan.num_samples
        tiled = x.repeat(self.members * samples, *([1] * (x.dim() - 1)))
        with monte_carlo(self.network, 1, tiled.shape[0]):  # the rows already hold the samples
            out: torch.Tensor = self.network(tiled)
        return out.reshape(self.members, samples * x.shape[0], *out.shape[1:])

    def extra_repr(self) -> str:
        return f"members={self.members}"
