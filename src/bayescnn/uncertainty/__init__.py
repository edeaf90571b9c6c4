"""Predictive uncertainty of Bayesian classifiers: decompositions, prediction, OOD sets."""

from bayescnn.uncertainty.decomposition import (
    Decomposition,
    EntropyDecomposition,
    covariance_decomposition,
    entropy_decomposition,
    normalized_decomposition,
    predictive_probs,
    softmax_decomposition,
)
from bayescnn.uncertainty.ood_sets import OOD_SET_NAMES, load_ood_set
from bayescnn.uncertainty.predict import METHODS, Prediction, predict, predict_loader

__all__ = [
    "METHODS",
    "OOD_SET_NAMES",
    "Decomposition",
    "EntropyDecomposition",
    "Prediction",
    "covariance_decomposition",
    "entropy_decomposition",
    "load_ood_set",
    "normalized_decomposition",
    "predict",
    "predict_loader",
    "predictive_probs",
    "softmax_decomposition",
]
