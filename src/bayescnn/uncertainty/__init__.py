"""Predictive uncertainty of Bayesian classifiers: decompositions, OOD scores, prediction.

The per-example OOD scores live in a registry that users extend with
:func:`register_ood_score`; :func:`predict` computes the decompositions and scores asked
for, sharing the work between them; :func:`evaluate_ood` scores calibration and OOD
detection on an in-distribution and an OOD set.
"""

from bayescnn.uncertainty._renamed import module_getattr
from bayescnn.uncertainty.calibrate import (
    CalibrationDeclinedWarning,
    TemperatureFit,
    calibrate,
    calibrate_logits,
)
from bayescnn.uncertainty.decomposition import (
    Decomposition,
    EntropyDecomposition,
    covariance_decomposition,
    entropy_decomposition,
    normalized_decomposition,
    predictive_probs,
    softmax_decomposition,
)
from bayescnn.uncertainty.ood_evaluation import OODEvaluation, evaluate_ood
from bayescnn.uncertainty.predict import (
    UncalibratedWarning,
    predict,
    predict_from_logits,
    predict_loader,
    sampled_batches,
)
from bayescnn.uncertainty.prediction import DECOMPOSITIONS, Prediction
from bayescnn.uncertainty.scores import (
    OOD_SCORES,
    MonteCarloSamples,
    OODScore,
    ScoreInput,
    list_ood_scores,
    ood_scores,
    register_ood_score,
)
from bayescnn.uncertainty.temperature_evidence import (
    TemperatureEvidence,
    weigh_temperature_evidence,
)

__all__ = [
    "DECOMPOSITIONS",
    "OOD_SCORES",
    "CalibrationDeclinedWarning",
    "Decomposition",
    "EntropyDecomposition",
    "MonteCarloSamples",
    "OODEvaluation",
    "OODScore",
    "Prediction",
    "ScoreInput",
    "TemperatureEvidence",
    "TemperatureFit",
    "UncalibratedWarning",
    "calibrate",
    "calibrate_logits",
    "covariance_decomposition",
    "entropy_decomposition",
    "evaluate_ood",
    "list_ood_scores",
    "normalized_decomposition",
    "ood_scores",
    "predict",
    "predict_from_logits",
    "predict_loader",
    "predictive_probs",
    "register_ood_score",
    "sampled_batches",
    "softmax_decomposition",
    "weigh_temperature_evidence",
]


_MOVED_TO_DATA = frozenset({"OOD_SET_NAMES", "load_ood_set"})
_renamed = module_getattr(__name__, {"METHODS": ("DECOMPOSITIONS", DECOMPOSITIONS)})


def __getattr__(name: str) -> object:
    """``load_ood_set`` and ``OOD_SET_NAMES`` moved to :mod:`bayescnn.data` (they load data);
    ``METHODS`` is now ``DECOMPOSITIONS``."""
    if name in _MOVED_TO_DATA:
        import warnings

        import bayescnn.data

        warnings.warn(
            f"bayescnn.uncertainty.{name} moved to bayescnn.data.{name}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(bayescnn.data, name)
    return _renamed(name)
