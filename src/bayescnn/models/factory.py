"""Layer factories: one architecture definition builds the Bayesian and the frequentist model."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from torch import nn

from bayescnn import defaults
from bayescnn import nn as bnn
from bayescnn.errors import InvalidArgumentError
from bayescnn.nn.spec import InitPair, PosteriorSpec
from bayescnn.priors import Prior
from bayescnn.registry import Registry

ACTIVATIONS: Registry[type[nn.Module]] = Registry("activation")
"""Activation modules of the zoo's architectures, by name."""
ACTIVATIONS.add("relu", nn.ReLU)
ACTIVATIONS.add("softplus", nn.Softplus)


def activation_class(name: str) -> type[nn.Module]:
    """The activation called ``name`` (see :data:`ACTIVATIONS`)."""
    return ACTIVATIONS.get(name)


@dataclass(frozen=True)
class LayerFactory:
    """Makes an architecture's weight layers: ``conv2d(in, out, k, ...)``, ``linear(in, out)``.

    ``members`` (K) and ``width`` describe a packed ensemble (:mod:`bayescnn.nn.packed`):
    the layers made are K members' packed layers, and an architecture scales its hidden
    widths by :meth:`hidden` (never its input channels or classes).
    """

    conv2d: Callable[..., nn.Module]
    linear: Callable[..., nn.Module]
    activation: type[nn.Module] = nn.ReLU
    members: int = 1
    width: float = 1.0

    def hidden(self, features: int) -> int:
        """A hidden width scaled by :attr:`width`: ``max(1, round(width * features))``."""
        return max(1, round(self.width * features))

    def with_dropout(self, p: float) -> LayerFactory:
        """The same layers with MC dropout of rate ``p`` before every fully connected one
        (kept at prediction: :class:`bayescnn.nn.MCDropout`); ``p = 0`` changes nothing."""
        if p == 0:
            return self
        bnn.MCDropout(p)  # checks the rate
        return dataclasses.replace(self, linear=_dropout_before(self.linear, p))

    @classmethod
    def frequentist(
        cls, activation: str = defaults.ACTIVATION, *, members: int = 1, width: float = 1.0
    ) -> LayerFactory:
        """Plain ``nn.Conv2d`` / ``nn.Linear`` (K > 1 members: their packed forms)."""
        if members == 1:
            return cls(nn.Conv2d, nn.Linear, activation_class(activation), 1, _width(width))
        return cls(
            partial(bnn.packed_conv2d, members),
            partial(bnn.PlainPackedLinear, members),
            activation_class(activation),
            members,
            _width(width),
        )

    @classmethod
    def bayesian(
        cls,
        posterior: PosteriorSpec | None = None,
        activation: str = defaults.ACTIVATION,
        *,
        members: int = 1,
        width: float = 1.0,
    ) -> LayerFactory:
        """Bayesian layers sharing one posterior spec (default ``PosteriorSpec()``); K > 1
        members: :class:`~bayescnn.nn.PackedConv2d` / :class:`~bayescnn.nn.PackedLinear`."""
        posterior = PosteriorSpec.merge(posterior)
        conv2d: Callable[..., nn.Module]
        linear: Callable[..., nn.Module]
        if members == 1:
            conv2d, linear = bnn.Conv2d, bnn.Linear
        else:
            conv2d, linear = partial(bnn.PackedConv2d, members), partial(bnn.PackedLinear, members)
        return cls(
            partial(conv2d, posterior=posterior),
            partial(linear, posterior=posterior),
            activation_class(activation),
            members,
            _width(width),
        )

    @classmethod
    def rank1(
        cls,
        members: int = defaults.RANK1_MEMBERS,
        *,
        prior: Prior | None = None,
        factor_init: InitPair = defaults.RANK1_FACTOR_INIT,
        rho_init: InitPair = defaults.POSTERIOR_RHO_INIT,
        activation: str = defaults.ACTIVATION,
    ) -> LayerFactory:
        """Rank-1 layers of ``members`` components (:mod:`bayescnn.nn.rank1`); the network
        they make runs inside a :class:`bayescnn.nn.Rank1Network` of as many members."""
        options: dict[str, Any] = {
            "members": members,
            "prior": prior,
            "factor_init": factor_init,
            "rho_init": rho_init,
        }
        return cls(
            partial(bnn.Rank1Conv2d, **options),
            partial(bnn.Rank1Linear, **options),
            activation_class(activation),
        )


def _width(width: float) -> float:
    if isinstance(width, bool) or not isinstance(width, int | float) or not 0 < width <= 64:
        raise InvalidArgumentError(
            f"member_width must be a number in (0, 64], a factor of the hidden widths; got "
            f"{width!r}"
        )
    return float(width)


def _dropout_before(linear: Callable[..., nn.Module], p: float) -> Callable[..., nn.Module]:
    def make(*args: object, **kwargs: object) -> nn.Module:
        return nn.Sequential(OrderedDict(dropout=bnn.MCDropout(p), linear=linear(*args, **kwargs)))

    return make


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Spatial size after a convolution or pooling: floor((size + 2p - k) / s) + 1."""
    out = (size + 2 * padding - kernel) // stride + 1
    if out < 1:
        raise InvalidArgumentError(
            f"input of size {size} is too small for a kernel of {kernel} (stride {stride}, "
            f"padding {padding}); use larger images (e.g. --image-size 32)"
        )
    return out
