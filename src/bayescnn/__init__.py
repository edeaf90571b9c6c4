"""bayescnn: Bayesian convolutional networks trained by variational inference.

The core is a plain ``torch.nn`` library: :mod:`bayescnn.nn` (layers, estimators,
sampling modes), :mod:`bayescnn.priors`, and :func:`to_bayesian`. :func:`fit` trains any
model on any batches by the :class:`ELBO`, :func:`predict` predicts with uncertainty and
:func:`calibrate` fits the predictive's temperature (:mod:`bayescnn.calibration`);
:mod:`bayescnn.runs` and the ``bayescnn`` command build runs from configs.
"""

from bayescnn import defaults, models
from bayescnn.analysis import prune_by_snr
from bayescnn.calibration import TemperatureFit, calibrate, calibrate_logits
from bayescnn.deploy import to_deterministic
from bayescnn.errors import BayesCNNError
from bayescnn.nn import (
    Ensemble,
    Estimator,
    PosteriorSpec,
    kl_divergence,
    monte_carlo,
    posterior_mean,
    sample_forward,
    set_posterior_mean,
)
from bayescnn.nn.convert import to_bayesian
from bayescnn.nn.description import describe
from bayescnn.priors import GaussianPrior, Prior, ScaleMixturePrior
from bayescnn.runs import load_trained_model as load_run
from bayescnn.train import ELBO, Callback, fit
from bayescnn.uncertainty import (
    Prediction,
    list_ood_scores,
    ood_scores,
    predict,
    predict_loader,
    register_ood_score,
)

__version__ = "0.2.0"

__all__ = [
    "ELBO",
    "BayesCNNError",
    "Callback",
    "Ensemble",
    "Estimator",
    "GaussianPrior",
    "PosteriorSpec",
    "Prediction",
    "Prior",
    "ScaleMixturePrior",
    "TemperatureFit",
    "__version__",
    "calibrate",
    "calibrate_logits",
    "defaults",
    "describe",
    "fit",
    "kl_divergence",
    "list_ood_scores",
    "load_run",
    "models",
    "monte_carlo",
    "ood_scores",
    "posterior_mean",
    "predict",
    "predict_loader",
    "prune_by_snr",
    "register_ood_score",
    "sample_forward",
    "set_posterior_mean",
    "to_bayesian",
    "to_deterministic",
]
