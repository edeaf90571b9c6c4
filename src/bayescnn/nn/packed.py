"""Packed ensembles: K members as one network (Laurent et al. 2023, "Packed-Ensembles
for Efficient Uncertainty Estimation").

Member ``k`` owns channel block ``k`` of every layer: a convolution ``(in, out)`` of K
members is one convolution ``(K * in, K * out)`` with ``K * groups`` groups, a fully
connected layer ``(in, out)`` is K independent blocks ``W_k`` of shape ``(out, in)``
applied to contiguous feature chunks, and :class:`PackedEnsemble` repeats the input K
times along the channels and returns the last layer's ``(B, K * C)`` as ``(K, B, C)``
(the member axis of :mod:`bayescnn.nn.members`). Members share no parameter, so each has
its own mean-field posterior and they train independently in one ``fit``. The layers
keep K as ``num_members``: only a network that returns the member axis has ``members``.

KL: the packed Bayesian layers' :meth:`kl` is the **mean** over members of each
member's KL, ``(1/K) sum_k KL(q_k || p)``. With the mean over members of the NLL (the
ELBO's, :class:`bayescnn.ELBO`) the loss ``NLL + KL / N`` is then the mean of the K
members' negative ELBOs, in :func:`bayescnn.fit` and in a plain loop alike.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from bayescnn.calibration.temperature import register_temperature_state
from bayescnn.errors import InvalidArgumentError
from bayescnn.nn.conv import Conv2d
from bayescnn.nn.estimators import Estimator
from bayescnn.nn.layer import BayesianLayer
from bayescnn.nn.linear import check_features
from bayescnn.nn.spec import UNSET, InitPair, PosteriorSpec, Unset
from bayescnn.priors import Prior

__all__ = [
    "PackedConv2d",
    "PackedEnsemble",
    "PackedLinear",
    "PlainPackedLinear",
    "packed_conv2d",
    "packed_memory_format",
]


def _check_members(members: int) -> int:
    if isinstance(members, bool) or not isinstance(members, int) or members < 1:
        raise InvalidArgumentError(f"members must be an integer >= 1, got {members!r}")
    return members


def grouped_linear(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
) -> torch.Tensor:
    """``y_k = x_k W_k^T + b_k`` for K contiguous feature chunks ``x_k`` of ``x``.

    Args:
        x: ``(..., K * in)``.
        weight: ``(K, out, in)``.
        bias: ``(K * out,)`` or ``None``.

    Returns:
        ``(..., K * out)``, member ``k``'s outputs in chunk ``k``.
    """
    members, _, in_features = weight.shape
    chunks = x.reshape(*x.shape[:-1], members, in_features)
    out = torch.einsum("...ki,koi->...ko", chunks, weight).reshape(*x.shape[:-1], -1)
    return out if bias is None else out + bias


def _reset_member_blocks(weight: torch.Tensor, bias: torch.Tensor | None) -> None:
    """``nn.Linear``'s initialisation for each member's block (fan-in ``in``, not ``out * in``)."""
    for block in weight:
        nn.init.kaiming_uniform_(block, a=math.sqrt(5))
    if bias is not None:
        bound = 1.0 / math.sqrt(weight.shape[-1]) if weight.shape[-1] > 0 else 0.0
        nn.init.uniform_(bias, -bound, bound)


class _MemberMeanKL(BayesianLayer):
    """A Bayesian layer holding ``members`` disjoint posteriors: its KL is their mean."""

    num_members: int

    def kl(self) -> torch.Tensor:
        """(1/K) sum_k KL(q_k || p): the mean over members of each member's KL (nats)."""
        return super().kl() / self.num_members


class PackedLinear(_MemberMeanKL):
    """K Bayesian ``Linear(in_features, out_features)`` members as one layer.

    ``y_k = x_k W_k^T + b_k`` on the K contiguous chunks of ``(..., K * in_features)``,
    with ``W ~ q`` of shape ``(K, out_features, in_features)`` and a bias of
    ``K * out_features``. All three estimators run unchanged (:mod:`~bayescnn.nn.estimators`);
    the KL is the mean over members (see :mod:`bayescnn.nn.packed`). Its posterior-mean
    forward equals that of K separate :class:`~bayescnn.nn.Linear` layers.

    Example:
        >>> layer = bayescnn.nn.PackedLinear(4, 400, 120)   # 4 members
        >>> layer(torch.randn(8, 4 * 400)).shape
        torch.Size([8, 480])
    """

    channel_dim = -1

    def __init__(
        self,
        members: int,
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
        self.num_members = _check_members(members)
        self.in_features = in_features
        self.out_features = out_features
        super().__init__(
            (members, out_features, in_features),
            members * out_features if bias else None,
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

    def reset_parameters(self) -> None:
        """As :class:`~bayescnn.nn.Linear`, each member's block with its own fan-in."""
        super().reset_parameters()
        if self.posterior_mu_init is None:
            with torch.no_grad():
                _reset_member_blocks(self.weight_mu, self.bias_mu)

    def functional_op(
        self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
    ) -> torch.Tensor:
        return grouped_linear(x, weight, bias)

    def functional_op_many(
        self, x: torch.Tensor, weights: torch.Tensor, biases: torch.Tensor | None, tiled: bool
    ) -> torch.Tensor:
        """S weight sets (S, K, out, in) in one einsum over (S or 1, rows, K, in)."""
        num_samples = weights.shape[0]
        batch_shape = x.shape[1:-1]
        rows = x.reshape(num_samples if tiled else 1, -1, self.num_members, self.in_features)
        out = torch.einsum("srki,skoi->srko", rows, weights).flatten(2)
        if biases is not None:
            out = out + biases.unsqueeze(1)
        return out.reshape(-1, *batch_shape, self.num_members * self.out_features)

    def extra_repr(self) -> str:
        return (
            f"members={self.num_members}, in_features={self.in_features}, "
            f"out_features={self.out_features}, " + super().extra_repr()
        )


class PlainPackedLinear(nn.Module):
    """K plain ``nn.Linear(in_features, out_features)`` members as one layer (a packed deep
    ensemble's): weight ``(K, out_features, in_features)``, bias ``K * out_features``."""

    def __init__(
        self,
        members: int,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        factory: dict[str, Any] = {"device": device, "dtype": dtype}
        self.num_members = _check_members(members)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(members, out_features, in_features, **factory))
        if bias:
            self.bias = nn.Parameter(torch.empty(members * out_features, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``nn.Linear``'s initialisation, member by member."""
        with torch.no_grad():
            _reset_member_blocks(self.weight, self.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return grouped_linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"members={self.num_members}, in_features={self.in_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


class PackedConv2d(_MemberMeanKL, Conv2d):
    """K Bayesian ``Conv2d(in_channels, out_channels, ...)`` members as one grouped
    convolution ``(K * in_channels, K * out_channels)`` with ``K * groups`` groups.

    Member ``k`` reads input channel block ``k`` and writes output block ``k``; the KL is
    the mean over members (see :mod:`bayescnn.nn.packed`). ``in_channels`` and
    ``out_channels`` (the attributes) are the packed totals, as the grouped op sees them.
    """

    def __init__(
        self,
        members: int,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: str | int | tuple[int, ...] = 0,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        self.num_members = _check_members(members)
        super().__init__(
            members * in_channels,
            members * out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            members * groups,
            *args,
            **kwargs,
        )

    def extra_repr(self) -> str:
        return f"members={self.num_members}, " + super().extra_repr()


def packed_conv2d(
    members: int,
    in_channels: int,
    out_channels: int,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: str | int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
    *args: Any,
    **kwargs: Any,
) -> nn.Conv2d:
    """K plain ``nn.Conv2d(in_channels, out_channels, ...)`` members as one grouped
    ``nn.Conv2d(K * in_channels, K * out_channels, groups=K * groups)``."""
    return nn.Conv2d(
        _check_members(members) * in_channels,
        members * out_channels,
        kernel_size,
        stride,
        padding,
        dilation,
        members * groups,
        *args,
        **kwargs,
    )


def packed_memory_format(x: torch.Tensor) -> torch.memory_format:
    """The memory layout a packed network runs its input in: channels-last for images on
    the CPU, where oneDNN's grouped convolutions in that layout were 2.2-2.4x faster than in
    the contiguous one (LeNet-5's two packed convolutions, 4 members, batch 256, forward
    and backward; ``benchmarks/packed_step.py``); the contiguous layout elsewhere. Every
    layer after keeps the layout it is given, and the values do not depend on it."""
    if x.ndim == 4 and x.device.type == "cpu":
        return torch.channels_last
    return torch.contiguous_format


class PackedEnsemble(nn.Module):
    """K members packed in one network ``body``, returning ``(K, B, C)`` logits.

    The input ``(B, C_in, ...)`` is repeated K times along the channels (member ``k``
    reads block ``k``); ``body`` is built from packed layers and returns ``(B, K * C)``,
    member-major, which becomes ``(K, B, C)``: the member axis of
    :func:`bayescnn.nn.members_of` (every prediction gives ``S x K`` samples).
    """

    memory_format: torch.memory_format | None = None
    """The layout the body runs in; None: :func:`packed_memory_format` chooses by device."""

    def __init__(self, body: nn.Module, members: int) -> None:
        super().__init__()
        self.members = _check_members(members)
        self.body = body
        register_temperature_state(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        packed = x.repeat(1, self.members, *([1] * (x.ndim - 2)))
        layout = packed_memory_format(packed) if self.memory_format is None else self.memory_format
        out: torch.Tensor = self.body(packed.contiguous(memory_format=layout))
        return out.reshape(out.shape[0], self.members, -1).transpose(0, 1)

    def extra_repr(self) -> str:
        return f"members={self.members}"
