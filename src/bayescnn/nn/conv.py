"""Bayesian convolutions: one N-d base; Conv1d/2d/3d only choose the functional op."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch.nn.modules.utils import _ntuple

from bayescnn.errors import InvalidArgumentError
from bayescnn.nn.estimators import Estimator
from bayescnn.nn.layer import BayesianLayer
from bayescnn.nn.spec import UNSET, InitPair, PosteriorSpec, Unset
from bayescnn.priors import Prior

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
PLAIN_CONVS_ON_CPU = True
"""Run S tiled weight sets as S plain convolutions on the CPU, where they beat one grouped
convolution; accelerators use the grouped form."""


class _BayesConvNd(BayesianLayer):
    """Bayesian ``nn.ConvNd`` with torch's signature and semantics.

    Supports stride, integer/tuple/``"same"``/``"valid"`` padding, dilation, groups,
    non-square kernels and every ``padding_mode``. The posterior's options come as one
    ``posterior=`` :class:`PosteriorSpec` or as the keywords ``estimator``, ``prior``,
    ``posterior_mu_init``, ``posterior_rho_init``, ``rho_scale`` (unset: the spec's, else
    :mod:`bayescnn.defaults`).
    """

    num_spatial_dims: int
    conv_fn: Callable[..., torch.Tensor]

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
        posterior: PosteriorSpec | None = None,
        estimator: str | Estimator | Unset = UNSET,
        prior: Prior | Unset | None = UNSET,
        posterior_mu_init: InitPair | Unset | None = UNSET,
        posterior_rho_init: InitPair | Unset = UNSET,
        rho_scale: float | Unset = UNSET,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        ntuple = _ntuple(self.num_spatial_dims)
        if groups <= 0 or in_channels % groups or out_channels % groups:
            raise InvalidArgumentError(
                f"groups={groups} must be > 0 and divide in_channels={in_channels} and "
                f"out_channels={out_channels}"
            )
        if padding_mode not in _PADDING_MODES:
            raise InvalidArgumentError(
                f"padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = ntuple(kernel_size)
        self.stride = ntuple(stride)
        self.dilation = ntuple(dilation)
        self.groups = groups
        self.padding_mode = padding_mode
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise InvalidArgumentError(
                    f"padding must be 'same', 'valid' or numbers, got {padding!r}"
                )
            if padding == "same" and any(s != 1 for s in self.stride):
                raise InvalidArgumentError(
                    "padding='same' is not supported for strided convolutions"
                )
            self.padding: str | tuple[int, ...] = padding
        else:
            self.padding = ntuple(padding)
        self._padding_for_pad = self._explicit_padding()
        super().__init__(
            (out_channels, in_channels // groups, *self.kernel_size),
            out_channels if bias else None,
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

    def _explicit_padding(self) -> list[int]:
        """Padding as ``F.pad`` wants it (last dim first, left then right), for non-zero modes."""
        pads: list[int] = []
        for dim in reversed(range(self.num_spatial_dims)):
            if isinstance(self.padding, tuple):
                left = right = self.padding[dim]
            elif self.padding == "same":
                total = self.dilation[dim] * (self.kernel_size[dim] - 1)
                left, right = total // 2, total - total // 2
            else:  # "valid"
                left = right = 0
            pads += [left, right]
        return pads

    def _conv(
        self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, groups: int
    ) -> torch.Tensor:
        padding: str | int | tuple[int, ...] = self.padding
        if self.padding_mode != "zeros":
            x = F.pad(x, self._padding_for_pad, mode=self.padding_mode)
            padding = 0
        return type(self).conv_fn(x, weight, bias, self.stride, padding, self.dilation, groups)

    def functional_op(
        self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
    ) -> torch.Tensor:
        return self._conv(x, weight, bias, self.groups)

    def functional_op_many(
        self, x: torch.Tensor, weights: torch.Tensor, biases: torch.Tensor | None, tiled: bool
    ) -> torch.Tensor:
        """S weight sets as one grouped convolution.

        Untiled input (B rows): the S weight sets are stacked along the output channels,
        ordered (group, sample, out-per-group) so each input group still meets its own
        filters. Tiled input (S*B rows): the samples move into the channel axis and the
        convolution gets S * groups groups (on the CPU, S plain convolutions instead).
        """
        num_samples = weights.shape[0]
        groups, out_per_group = self.groups, self.out_channels // self.groups
        spatial = weights.shape[3:]
        if tiled and x.device.type == "cpu" and PLAIN_CONVS_ON_CPU:
            # CPU backends run S plain convolutions faster than one grouped one (measured
            # on LeNet with S = 25, at batches 64 and 256)
            blocks = x.reshape(num_samples, -1, *x.shape[1:]).unbind(0)
            return torch.cat(
                [
                    self._conv(block, weights[s], None if biases is None else biases[s], groups)
                    for s, block in enumerate(blocks)
                ]
            )
        if tiled:
            rows = x.shape[0] // num_samples
            x = x.reshape(num_samples, rows, *x.shape[1:]).transpose(0, 1)
            x = x.reshape(rows, num_samples * self.in_channels, *x.shape[3:])
            stacked_w = weights.reshape(num_samples * self.out_channels, *weights.shape[2:])
            stacked_b = None if biases is None else biases.reshape(-1)
            out = self._conv(x, stacked_w, stacked_b, num_samples * groups)
            out = out.reshape(rows, num_samples, self.out_channels, *out.shape[2:])
        else:
            rows = x.shape[0]
            stacked_w = (
                weights.reshape(num_samples, groups, out_per_group, *weights.shape[2:])
                .transpose(0, 1)
                .reshape(groups * num_samples * out_per_group, weights.shape[2], *spatial)
            )
            stacked_b = None
            if biases is not None:
                stacked_b = (
                    biases.reshape(num_samples, groups, out_per_group).transpose(0, 1).reshape(-1)
                )
            out = self._conv(x, stacked_w, stacked_b, groups)
            out = out.reshape(rows, groups, num_samples, out_per_group, *out.shape[2:])
            out = out.transpose(1, 2).reshape(rows, num_samples, self.out_channels, *out.shape[4:])
        return out.transpose(0, 1).reshape(num_samples * rows, self.out_channels, *out.shape[3:])

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}"
        )
        if any(d != 1 for d in self.dilation):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode!r}"
        return text + ", " + super().extra_repr()


class Conv1d(_BayesConvNd):
    """Bayesian ``nn.Conv1d``."""

    num_spatial_dims = 1
    conv_fn = staticmethod(F.conv1d)


class Conv2d(_BayesConvNd):
    """Bayesian ``nn.Conv2d``.

    Example:
        >>> conv = bayescnn.nn.Conv2d(3, 16, (3, 5), padding="same", estimator="bbb")
    """

    num_spatial_dims = 2
    conv_fn = staticmethod(F.conv2d)


class Conv3d(_BayesConvNd):
    """Bayesian ``nn.Conv3d``."""

    num_spatial_dims = 3
    conv_fn = staticmethod(F.conv3d)
