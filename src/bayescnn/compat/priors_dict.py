"""The original code's ``priors`` dictionary, translated to the new core's arguments."""

from __future__ import annotations

from typing import Any

from bayescnn.errors import UnknownNameError
from bayescnn.priors import GaussianPrior

DEFAULT_PRIORS: dict[str, Any] = {
    "prior_mu": 0,
    "prior_sigma": 0.1,
    "posterior_mu_initial": (0, 0.1),
    "posterior_rho_initial": (-3, 0.1),
}
"""The original layers' defaults (its training config used ``posterior_rho_initial (-5, 0.1)``)."""


def layer_kwargs(priors: dict[str, Any] | None) -> dict[str, Any]:
    """Keyword arguments of a :class:`bayescnn.nn.BayesianLayer` for an original ``priors`` dict.

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
    return {
        "prior": GaussianPrior(merged["prior_mu"], merged["prior_sigma"]),
        "posterior_mu_init": tuple(merged["posterior_mu_initial"]),
        "posterior_rho_init": tuple(merged["posterior_rho_initial"]),
    }
