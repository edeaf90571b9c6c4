"""The posterior's options in one object: :class:`PosteriorSpec`.

A Bayesian layer's posterior is set by five options: the gradient estimator, the prior,
the initialisation of q's means and of its rho, and the scale c of rho's parametrisation
(sigma = softplus(rho), rho = c * the stored parameter). They travel
together as one frozen, validated :class:`PosteriorSpec` from ``models.create`` and
``to_bayesian`` to every layer; the public entry points still take them as keywords and
merge those into a spec with :meth:`PosteriorSpec.merge`.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from bayescnn import defaults
from bayescnn.errors import InvalidArgumentError, InvalidTypeError
from bayescnn.nn.estimators import Estimator
from bayescnn.priors import Prior, default_prior
from bayescnn.registry import Choice

__all__ = [
    "UNSET",
    "InitPair",
    "PosteriorFamily",
    "PosteriorSpec",
    "check_init_pair",
    "check_rho_init",
    "check_rho_scale",
]


class PosteriorFamily(Choice):
    """The shape of a network's posterior (``models.create``'s ``posterior_family``).

    ``mean-field``: a Gaussian per weight (:class:`bayescnn.nn.BayesianLayer`);
    ``rank1``: a mixture of K rank-1 perturbations of shared weights
    (:mod:`bayescnn.nn.rank1`, Dusenberry et al. 2020).
    """

    MEAN_FIELD = "mean-field"
    RANK1 = "rank1"


InitPair = tuple[float, float]
"""``(mean, std)`` of a normal initialisation."""


class Unset(enum.Enum):
    """The type of :data:`UNSET`."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset.UNSET
"""The default of a posterior keyword that was not given (``None`` is a value of some)."""

_KEYWORDS = {
    "estimator": "estimator",
    "prior": "prior",
    "posterior_mu_init": "mu_init",
    "posterior_rho_init": "rho_init",
    "rho_scale": "rho_scale",
}
"""The entry points' keywords and the spec's fields they set."""


def check_init_pair(name: str, pair: InitPair) -> InitPair:
    """Validate a ``(mean, std)`` initialisation pair: two finite numbers, std >= 0."""
    try:
        mean, std = (float(v) for v in pair)
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"{name} must be a (mean, std) pair of numbers, got {pair!r}"
        ) from None
    if not (math.isfinite(mean) and math.isfinite(std)) or std < 0:
        raise InvalidArgumentError(f"{name} must be finite with std >= 0, got {pair!r}")
    return mean, std


def check_rho_init(pair: InitPair, dtype: torch.dtype) -> InitPair:
    """A rho init is valid if sigma = softplus(rho) stays finite and > 0 in ``dtype``."""
    mean, std = check_init_pair("posterior_rho_init", pair)
    lowest = torch.tensor(mean - 4.0 * std, dtype=dtype)
    if not F.softplus(lowest) > 0:
        raise InvalidArgumentError(
            f"posterior_rho_init={pair!r} gives sigma = softplus(rho) = 0 in {dtype}, so "
            "log(sigma) and the KL are not finite; use a larger rho mean (e.g. -5)"
        )
    return mean, std


def check_rho_scale(scale: float) -> float:
    """Validate the scale c of sigma = softplus(c * rho'): a finite number > 0."""
    if isinstance(scale, bool) or not isinstance(scale, int | float):
        raise InvalidArgumentError(f"rho_scale must be a number, got {scale!r}")
    if not (math.isfinite(scale) and scale > 0):
        raise InvalidArgumentError(f"rho_scale must be a finite number > 0, got {scale!r}")
    return float(scale)


@dataclass(frozen=True, eq=False)
class PosteriorSpec:
    """The options of a mean-field Gaussian posterior q(W) = N(mu, softplus(rho)^2).

    Validated once, when made; layers built from one spec each take a copy of its prior.
    Defaults: :mod:`bayescnn.defaults`. Two specs are equal when their estimators,
    inits and priors' distributions (type and hyperparameters) are.

    Example:
        >>> spec = bayescnn.PosteriorSpec("lrt", bayescnn.GaussianPrior(0, 0.1))
        >>> layer = bayescnn.nn.Linear(400, 120, posterior=spec)
        >>> model = bayescnn.models.create("lenet", posterior=spec)

    Args:
        estimator: ``"bbb"``, ``"lrt"`` or ``"flipout"`` (:class:`Estimator`).
        prior: prior over weights and biases; None: N(0, 1)
            (:func:`bayescnn.priors.default_prior`).
        mu_init: ``(mean, std)`` of a normal init of the means, or None for PyTorch's own
            init of the matching plain layer (Kaiming-uniform).
        rho_init: ``(mean, std)`` of a normal init of rho (whatever ``rho_scale``).
        rho_scale: c > 0: each layer stores rho' = rho / c and computes
            sigma = softplus(c * rho'), so that Adam, whose step does not depend on the
            gradient's scale, moves rho c times faster than the means: the spread comes
            with the model, in any optimiser loop (what
            ``default_optimizer(model, lr, rho_lr_scale=c)`` does for c = 1). None: the
            default of what builds the layers, ``POSTERIOR_RHO_SCALE`` (1) for a layer
            or ``to_bayesian``, the model's for ``models.create`` (3 for one network, 1
            for packed members), so a spec given to ``create`` keeps the model's spread.

    Raises:
        UnknownNameError: for an unknown estimator.
        InvalidTypeError: for a prior that is not a :class:`bayescnn.Prior`.
        InvalidArgumentError: for an init that is not two finite numbers with std >= 0,
            or a ``rho_scale`` that is not a finite number > 0.
    """

    estimator: Estimator | str = defaults.ESTIMATOR
    prior: Prior | None = None
    mu_init: InitPair | None = defaults.POSTERIOR_MU_INIT
    rho_init: InitPair = defaults.POSTERIOR_RHO_INIT
    rho_scale: float | None = None

    def __post_init__(self) -> None:
        prior = default_prior() if self.prior is None else self.prior
        if not isinstance(prior, Prior):
            raise InvalidTypeError(
                f"prior must be a bayescnn.priors.Prior, got {type(prior).__name__}"
            )
        mu_init = self.mu_init
        if mu_init is not None:
            mu_init = check_init_pair("posterior_mu_init", mu_init)
        object.__setattr__(self, "estimator", Estimator.parse(self.estimator))
        object.__setattr__(self, "prior", prior)
        object.__setattr__(self, "mu_init", mu_init)
        object.__setattr__(self, "rho_init", check_init_pair("posterior_rho_init", self.rho_init))
        if self.rho_scale is not None:
            object.__setattr__(self, "rho_scale", check_rho_scale(self.rho_scale))

    @classmethod
    def merge(
        cls,
        posterior: PosteriorSpec | None = None,
        *,
        estimator: Estimator | str | Unset = UNSET,
        prior: Prior | Unset | None = UNSET,
        posterior_mu_init: InitPair | Unset | None = UNSET,
        posterior_rho_init: InitPair | Unset = UNSET,
        rho_scale: float | Unset = UNSET,
    ) -> PosteriorSpec:
        """The spec of an entry point that takes a ``posterior`` and the five keywords.

        Without ``posterior``: a spec of the given keywords (defaults for the rest). With
        it: ``posterior`` itself; a keyword given as well must agree with it, or fill its
        unset ``rho_scale``.

        Raises:
            InvalidTypeError: if ``posterior`` is not a PosteriorSpec.
            InvalidArgumentError: naming the keyword and the spec's field it contradicts.
        """
        keywords = {
            "estimator": estimator,
            "prior": prior,
            "posterior_mu_init": posterior_mu_init,
            "posterior_rho_init": posterior_rho_init,
            "rho_scale": rho_scale,
        }
        given = {key: value for key, value in keywords.items() if value is not UNSET}
        # the fields have different types; __post_init__ checks the values
        fields: dict[str, Any] = {_KEYWORDS[key]: value for key, value in given.items()}
        if posterior is None:
            return cls(**fields)
        if not isinstance(posterior, PosteriorSpec):
            raise InvalidTypeError(
                f"posterior must be a bayescnn.PosteriorSpec, got {type(posterior).__name__}"
            )
        merged = dataclasses.replace(posterior, **fields)
        for key, value in given.items():
            field = _KEYWORDS[key]
            if field == "rho_scale" and posterior.rho_scale is None:
                continue  # unset in the spec: the keyword sets it
            if merged._value_key(field) != posterior._value_key(field):
                held = getattr(posterior, field)
                held = held.value if isinstance(held, Estimator) else held
                raise InvalidArgumentError(
                    f"{key}={value!r} contradicts posterior={posterior!r}, whose {field} is "
                    f"{held!r}; give it once: in the spec "
                    f"(dataclasses.replace(posterior, {field}=...)) or as the keyword alone"
                )
        return merged

    def _value_key(self, field: str) -> Hashable:
        value = getattr(self, field)
        return value.distribution_key() if isinstance(value, Prior) else value

    def _key(self) -> tuple[Hashable, ...]:
        return tuple(self._value_key(f.name) for f in dataclasses.fields(self))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PosteriorSpec):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        estimator: Any = self.estimator
        return (
            f"PosteriorSpec(estimator={estimator.value!r}, prior={self.prior!r}, "
            f"mu_init={self.mu_init!r}, rho_init={self.rho_init!r}, "
            f"rho_scale={self.rho_scale!r})"
        )
