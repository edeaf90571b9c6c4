"""Weight priors: Gaussian (closed-form KL) and Blundell's scale mixture (Monte-Carlo KL)."""

from bayescnn.priors.base import Prior
from bayescnn.priors.gaussian import GaussianPrior
from bayescnn.priors.scale_mixture import ScaleMixturePrior

__all__ = ["GaussianPrior", "Prior", "ScaleMixturePrior"]
