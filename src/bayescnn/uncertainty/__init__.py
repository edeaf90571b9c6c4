"""Predictive uncertainty of Bayesian classifiers: decompositions, OOD scores, prediction.

The per-example OOD scores live in a registry that users extend with
:func:`register_ood_score`; :func:`predict` computes the decompositions and scores asked
for, sharing the work between them; :func:`evaluate_ood` scores calibration and OOD
detection on an in-distribution and an OOD set.
"""

from bayescnn.deprecation import module_getattr
from bayescnn.uncertainty import temperature_evidence as temperature_evidence  # deprecated
from bayescnn.uncertainty.decomposition import (
    Decomposition,
    EntropyDecomposition,
    covariance_decomposition,
    entropy_decomposition,
    normalized_decomposition,
    predictive_probs,
    softmax_decomposition,
)
from bayescnn.uncertainty.logit_samples import sampled_batches
from bayescnn.uncertainty.ood_evaluation import OODEvaluation, evaluate_ood
from bayescnn.uncertainty.prediction import (
    Prediction,
    UncalibratedWarning,
    predict,
    predict_from_logits,
    predict_loader,
)
from bayescnn.uncertainty.scores import (
    OOD_SCORES,
    MonteCarloSamples,
    OODScore,
    ScoreInput,
    list_ood_scores,
    ood_scores,
    register_ood_score,
)
from bayescnn.uncertainty.summaries import DECOMPOSITIONS

__all__ = [
    "DECOMPOSITIONS",
    "OOD_SCORES",
    "Decomposition",
    "EntropyDecomposition",
    "MonteCarloSamples",
    "OODEvaluation",
    "OODScore",
    "Prediction",
    "ScoreInput",
    "UncalibratedWarning",
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
]


__getattr__ = module_getattr(
    __name__,
    {
        "METHODS": "bayescnn.uncertainty.DECOMPOSITIONS",
        "load_ood_set": "bayescnn.data.load_ood_set",
        "OOD_SET_NAMES": "bayescnn.data.OOD_SET_NAMES",
        **{
            name: f"bayescnn.calibration.{name}"
            for name in (
                "CalibrationDeclinedWarning",
                "TemperatureEvidence",
                "TemperatureFit",
                "calibrate",
                "calibrate_logits",
                "weigh_temperature_evidence",
            )
        },
    },
)
