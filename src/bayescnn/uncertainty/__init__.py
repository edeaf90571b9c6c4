"""Predictive uncertainty of Bayesian classifiers: decompositions, OOD scores, prediction.

The per-example OOD scores live in a registry that users extend with
:func:`register_ood_score`; :func:`predict` computes the decompositions and scores asked
for, sharing the work between them; :func:`evaluate_ood` scores calibration and OOD
detection on an in-distribution and an OOD set.
"""

from bayescnn.uncertainty._renamed import module_getattr
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
from bayescnn.uncertainty.ood_sets import OOD_SET_NAMES, load_ood_set
from bayescnn.uncertainty.predict import predict, predict_loader
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

__all__ = [
    "DECOMPOSITIONS",
    "OOD_SCORES",
    "OOD_SET_NAMES",
    "Decomposition",
    "EntropyDecomposition",
    "MonteCarloSamples",
    "OODEvaluation",
    "OODScore",
    "Prediction",
    "ScoreInput",
    "covariance_decomposition",
    "entropy_decomposition",
    "evaluate_ood",
    "list_ood_scores",
    "load_ood_set",
    "normalized_decomposition",
    "ood_scores",
    "predict",
    "predict_loader",
    "predictive_probs",
    "register_ood_score",
    "softmax_decomposition",
]

__getattr__ = module_getattr(__name__, {"METHODS": ("DECOMPOSITIONS", DECOMPOSITIONS)})
