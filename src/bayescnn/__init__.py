"""bayescnn: Bayesian convolutional networks trained by variational inference.

The core is a plain ``torch.nn`` library: :mod:`bayescnn.nn` (layers, estimators,
sampling modes), :mod:`bayescnn.priors`, and :func:`to_bayesian`.
"""

from bayescnn.convert import to_bayesian
from bayescnn.nn import (
    Estimator,
    kl_divergence,
    monte_carlo,
    posterior_mean,
    sample_forward,
    set_posterior_mean,
)
from bayescnn.priors import GaussianPrior, Prior, ScaleMixturePrior

__version__ = "0.1.0"

__all__ = [
    "Estimator",
    "GaussianPrior",
    "Prior",
    "ScaleMixturePrior",
    "__version__",
    "kl_divergence",
    "monte_carlo",
    "posterior_mean",
    "sample_forward",
    "set_posterior_mean",
    "to_bayesian",
]
