"""Weight priors: Gaussian (closed-form KL) and Blundell's scale mixture (Monte-Carlo KL),
and a registry that users extend with their own."""

from bayescnn.priors.base import Prior
from bayescnn.priors.gaussian import GaussianPrior
from bayescnn.priors.registry import (
    PRIORS,
    create_prior,
    default_prior,
    list_priors,
    register_prior,
)
from bayescnn.priors.scale_mixture import ScaleMixturePrior

__all__ = [
    "PRIORS",
    "GaussianPrior",
    "Prior",
    "ScaleMixturePrior",
    "create_prior",
    "default_prior",
    "list_priors",
    "register_prior",
]
