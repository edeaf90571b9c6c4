"""Predictive uncertainty of Bayesian classifiers: decompositions, OOD scores, prediction.

The per-example OOD scores live in a registry that users extend with
:func:`register_ood_score`; :func:`predict` computes the decompositions and scores asked
for, sharing the work between them.
"""

from bayescnn.uncertainty.decomposition import (
    Decomposition,
    EntropyDecomposition,
    covariance_decomposition,
    entropy_decomposition,
    normalized_decomposition,
    predictive_probs,
    softmax_decomposition,
)
from bayescnn.uncertainty.predict import predict, predict_loader
from bayescnn.uncertainty.prediction import METHODS, Prediction
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
    "METHODS",
    "OOD_SCORES",
    "Decomposition",
    "EntropyDecomposition",
    "MonteCarloSamples",
    "OODScore",
    "Prediction",
    "ScoreInput",
    "covariance_decomposition",
    "entropy_decomposition",
    "list_ood_scores",
    "normalized_decomposition",
    "ood_scores",
    "predict",
    "predict_loader",
    "predictive_probs",
    "register_ood_score",
    "softmax_decomposition",
]


_MOVED_TO_DATA = frozenset({"OOD_SET_NAMES", "load_ood_set"})


def __getattr__(name: str) -> object:
    """``load_ood_set`` and ``OOD_SET_NAMES`` moved to :mod:`bayescnn.data` (they load data)."""
    if name in _MOVED_TO_DATA:
        import warnings

        import bayescnn.data

        warnings.warn(
            f"bayescnn.uncertainty.{name} moved to bayescnn.data.{name}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(bayescnn.data, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
