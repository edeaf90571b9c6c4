"""Training: the ELBO, KL-weight schedules, the engine (:func:`fit`) and its callbacks.

Nothing here reads configs, names or run folders: see :mod:`bayescnn.runs` for that.
"""

from bayescnn.deprecation import module_getattr
from bayescnn.runtime.progress import with_progress
from bayescnn.train.beta import KLWeight
from bayescnn.train.callbacks import DivergenceGuard, MetricsFile, ProgressBar, read_metrics
from bayescnn.train.checkpoints import Checkpoints
from bayescnn.train.diagnostics import PosteriorDiagnostics
from bayescnn.train.engine import Callback, FitState, fit
from bayescnn.train.errors import DivergenceError
from bayescnn.train.evaluation import (
    classification_metrics,
    evaluate,
    prediction_metrics,
)
from bayescnn.train.evaluation import predictive_probs as predictive_probs  # deprecated
from bayescnn.train.objective import (
    ELBO,
    LIKELIHOODS,
    ELBOTerms,
    Progress,
    expected_nll,
    predictive_nll,
)
from bayescnn.train.step import TrainStep, default_optimizer, parameter_groups
from bayescnn.train.tensorboard import TensorBoardLogger, TensorBoardMissingError

__all__ = [
    "ELBO",
    "LIKELIHOODS",
    "Callback",
    "Checkpoints",
    "DivergenceError",
    "DivergenceGuard",
    "ELBOTerms",
    "FitState",
    "KLWeight",
    "MetricsFile",
    "PosteriorDiagnostics",
    "Progress",
    "ProgressBar",
    "TensorBoardLogger",
    "TensorBoardMissingError",
    "TrainStep",
    "classification_metrics",
    "default_optimizer",
    "evaluate",
    "expected_nll",
    "fit",
    "parameter_groups",
    "prediction_metrics",
    "predictive_nll",
    "read_metrics",
    "with_progress",
]


__getattr__ = module_getattr(
    __name__,
    {"OBJECTIVES": "bayescnn.train.LIKELIHOODS"},
    note="the objective is the ELBO; these are its likelihood terms",
)
