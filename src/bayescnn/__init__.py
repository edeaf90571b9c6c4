"""bayescnn: Bayesian convolutional networks trained by variational inference.

The core is a plain ``torch.nn`` library: :mod:`bayescnn.nn` (layers, estimators,
sampling modes), :mod:`bayescnn.priors`, and :func:`to_bayesian`.
"""

from bayescnn import models
from bayescnn.convert import to_bayesian
from bayescnn.cpu_allocator import tune_cpu_allocator
from bayescnn.nn import (
    Estimator,
    kl_divergence,
    monte_carlo,
    posterior_mean,
    sample_forward,
    set_posterior_mean,
)
from bayescnn.priors import GaussianPrior, Prior, ScaleMixturePrior
from bayescnn.uncertainty import Prediction, predict, predict_loader

__version__ = "0.1.0"

__all__ = [
    "Estimator",
    "GaussianPrior",
    "Prediction",
    "Prior",
    "ScaleMixturePrior",
    "__version__",
    "kl_divergence",
    "models",
    "monte_carlo",
    "posterior_mean",
    "predict",
    "predict_loader",
    "sample_forward",
    "set_posterior_mean",
    "to_bayesian",
    "tune_cpu_allocator",
]
