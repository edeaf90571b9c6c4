"""The prior interface shared by every weight prior."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from typing import ClassVar

import torch
from torch import nn

from bayescnn.errors import InvalidArgumentError

_HALF_LOG_2PI_E = 0.5 * math.log(2.0 * math.pi * math.e)


class Prior(nn.Module):
    """A fully factorised prior p(w) over the weights of a Bayesian layer.

    Hyperparameters live in scalar buffers, so they travel with ``state_dict``
    and ``.to(device)`` without ever being weight-sized.
    """

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        """Elementwise log density log p(w)."""
        raise NotImplementedError

    defined_by_buffers: ClassVar[bool] = False
    """True when the type and the buffers' values define the distribution completely
    (the built-in priors). Only such priors are fused across layers by
    :func:`bayescnn.kl_divergence`; a subclass that keeps hyperparameters elsewhere
    must leave this False (or keep them in buffers)."""

    def distribution_key(self) -> Hashable:
        """Equal for two priors that define the same distribution: type and hyperparameters.

        :func:`bayescnn.kl_divergence` evaluates the layers whose priors share a key in
        one pass. Unless :attr:`defined_by_buffers`, the key is the prior itself (equal
        only to itself). The values are read from the buffers only when a buffer changed
        (its version counter or identity), so a training step costs no device sync.
        """
        if not self.defined_by_buffers:
            return self
        buffers = tuple(self.buffers(recurse=False))
        versions = tuple(b._version for b in buffers)
        cached = self.__dict__.get("_distribution_key")
        if (
            cached is None
            or cached[1] != versions
            or any(old is not new for old, new in zip(cached[0], buffers, strict=True))
        ):
            key = (type(self), tuple(b.detach().cpu().tolist() for b in buffers))
            self.__dict__["_distribution_key"] = cached = (buffers, versions, key)
        return cached[2]

    def kl(self, mu: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """KL(q || p) summed over all elements, for q = N(mu, sigma^2) elementwise.

        The default is a one-sample Monte-Carlo estimate with the entropy of q in
        closed form (lower variance than sampling both terms):

            KL(q || p) = -H[q] - E_q[log p(w)],   H[q] = sum(0.5 log(2 pi e) + log sigma),

        with w = mu + sigma * eps reparameterised so that gradients reach mu and sigma.
        """
        weight = mu + sigma * torch.randn_like(mu)
        entropy = (_HALF_LOG_2PI_E + torch.log(sigma)).sum()
        return -entropy - self.log_prob(weight).sum()


def check_number(
    name: str, value: float, requirement: str, valid: Callable[[float], bool]
) -> float:
    """Return ``value`` as a float if it is a number that is ``valid``.

    Raises:
        InvalidArgumentError: "<name> must <requirement>, got <value>" otherwise.
    """
    message = f"{name} must {requirement}, got {value!r}"
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(message) from None
    if not valid(number):
        raise InvalidArgumentError(message)
    return number


def check_positive(name: str, value: float) -> float:
    """Return ``value`` as a float if it is finite and > 0, else raise InvalidArgumentError."""
    return check_number(name, value, "be a finite number > 0", lambda v: math.isfinite(v) and v > 0)
