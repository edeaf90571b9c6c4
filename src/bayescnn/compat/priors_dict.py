"""The original code's ``priors`` dictionary, translated to the new core's arguments."""

from __future__ import annotations

from typing import Any

from bayescnn.errors import UnknownNameError
from bayescnn.nn.estimators import Estimator
from bayescnn.nn.spec import PosteriorSpec
from bayescnn.priors import GaussianPrior

DEFAULT_PRIORS: dict[str, Any] = {
    "prior_mu": 0,
    "prior_sigma": 0.1,
    "posterior_mu_initial": (0, 0.1),
    "posterior_rho_initial": (-3, 0.1),
}
"""The original layers' defaults (its training config used ``posterior_rho_initial (-5, 0.1)``)."""


def posterior_spec(priors: dict[str, Any] | None, estimator: Estimator) -> PosteriorSpec:
    """The :class:`bayescnn.PosteriorSpec` of an original ``priors`` dict.

    Missing keys take the original defaults; an unknown key is an error rather than
    being silently ignored.
    """
    merged = dict(DEFAULT_PRIORS)
    if priors is not None:
        unknown = sorted(set(priors) - set(DEFAULT_PRIORS))
        if unknown:
            raise UnknownNameError(
                f"unknown priors key(s) {unknown}; the keys are {sorted(DEFAULT_PRIORS)}"
            )
        merged.update(priors)
    return PosteriorSpec(
        estimator,
        GaussianPrior(merged["prior_mu"], merged["prior_sigma"]),
        mu_init=tuple(merged["posterior_mu_initial"]),
        rho_init=tuple(merged["posterior_rho_initial"]),
        rho_scale=1.0,  # the original's sigma = softplus(rho), whatever the library's default
    )
