"""The prior registry: ``register_prior`` and ``create_prior``.

A prior is registered as a function (or class) returning a :class:`Prior`; it is
called with the hyperparameters it accepts among ``mu``, ``sigma``, ``pi``,
``sigma1`` and ``sigma2`` (``bayescnn train``'s ``--prior-*`` options). A
hyperparameter it does not take is an error, never silently dropped.

Example:
    >>> @bayescnn.priors.register_prior("laplace")
    ... class LaplacePrior(bayescnn.Prior):
    ...     def __init__(self, mu: float = 0.0, sigma: float = 1.0): ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bayescnn import defaults
from bayescnn.priors.base import Prior
from bayescnn.priors.gaussian import GaussianPrior
from bayescnn.priors.scale_mixture import ScaleMixturePrior
from bayescnn.registry import Registry, call_with_accepted

__all__ = ["PRIORS", "create_prior", "default_prior", "list_priors", "register_prior"]

PriorBuilder = Callable[..., Prior]
PRIORS: Registry[PriorBuilder] = Registry("prior")


def register_prior(name: str, *, replace: bool = False) -> Callable[[PriorBuilder], PriorBuilder]:
    """Decorator: make ``create_prior(name, ...)`` (and ``--prior name``) build it."""
    return PRIORS.register(name, replace=replace)


def list_priors() -> list[str]:
    """The registered prior names."""
    return PRIORS.names()


@register_prior("gaussian")
def gaussian(mu: float, sigma: float) -> Prior:
    """N(mu, sigma^2) for every weight: closed-form KL."""
    return GaussianPrior(mu, sigma)


@register_prior("mixture")
def scale_mixture(pi: float, sigma1: float, sigma2: float) -> Prior:
    """Blundell et al.'s scale mixture pi N(0, sigma1^2) + (1 - pi) N(0, sigma2^2)."""
    return ScaleMixturePrior(pi, sigma1, sigma2)


def create_prior(name: str, **hyperparameters: Any) -> Prior:
    """The prior ``name`` with ``hyperparameters``.

    Raises:
        UnknownNameError: for an unregistered name.
        InvalidArgumentError: for a hyperparameter the prior does not take (naming those
            it does).
    """
    return call_with_accepted(PRIORS.get(name), hyperparameters, what=f"prior {name!r}")


def default_prior() -> Prior:
    """A new N(``PRIOR_MU``, ``PRIOR_SIGMA``^2) (:mod:`bayescnn.defaults`): the prior of a
    Bayesian layer that is given none."""
    return GaussianPrior(defaults.PRIOR_MU, defaults.PRIOR_SIGMA)
