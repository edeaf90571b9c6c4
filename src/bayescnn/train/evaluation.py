"""Evaluation of a (Bayesian or frequentist) classifier: accuracy, NLL, Brier, ECE
(:func:`evaluate`).

The predictions come from :func:`bayescnn.uncertainty.predict_loader`, the one
Monte-Carlo loop; only the metrics and the gathering of every process's share are here.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from bayescnn import defaults, metrics
from bayescnn.deprecation import renamed_function
from bayescnn.errors import InvalidArgumentError
from bayescnn.train.distributed import Distributed
from bayescnn.uncertainty.prediction import Prediction, predict_loader


def _predict(
    model: nn.Module,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    *,
    samples: int | None,
    posterior_mean: bool,
    calibrated: bool = True,
) -> Prediction:
    """The predictive probabilities alone (no decomposition, no OOD score), with labels."""
    prediction = predict_loader(
        model,
        batches,
        samples=samples,
        decomposition="none",
        scores="none",
        posterior_mean=posterior_mean,
        calibrated=calibrated,
    )
    if prediction.labels is None:
        raise InvalidArgumentError("evaluation needs (inputs, labels) batches; got inputs only")
    return prediction


def classification_metrics(
    probs: torch.Tensor, labels: torch.Tensor, n_bins: int = defaults.ECE_BINS
) -> dict[str, float]:
    """Accuracy, NLL, Brier score and ECE (``n_bins`` equal-width bins) of predictive probs."""
    probs, labels = probs.cpu(), labels.cpu()
    return {
        "accuracy": metrics.accuracy(probs, labels),
        "nll": metrics.nll(probs, labels),
        "brier": metrics.brier_score(probs, labels),
        "ece": metrics.calibration_error(probs, labels, n_bins=n_bins).ece,
    }


def evaluate(
    model: nn.Module,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    *,
    samples: int | None = None,
    posterior_mean: bool = False,
    dist: Distributed | None = None,
    calibrated: bool = True,
) -> dict[str, float]:
    """Metrics of the Monte-Carlo predictive with ``samples`` draws (or of the mean network),
    with the model's temperature applied if it has one (``calibrated=False``: raw).

    Under ``dist`` each process predicts its share; the shares are gathered and scored.
    """
    prediction = _predict(
        model, batches, samples=samples, posterior_mean=posterior_mean, calibrated=calibrated
    )
    return prediction_metrics(prediction, dist=dist)


def prediction_metrics(
    prediction: Prediction, *, dist: Distributed | None = None
) -> dict[str, float]:
    """:func:`classification_metrics` of a labelled :class:`~bayescnn.uncertainty.Prediction`
    (what :func:`evaluate` returns for the prediction it makes; e.g. of
    :func:`bayescnn.uncertainty.predict_from_logits`).

    Under ``dist`` it is this process's share: the shares are gathered and scored.
    """
    if prediction.labels is None:
        raise InvalidArgumentError("evaluation needs (inputs, labels) batches; got inputs only")
    probs, labels = prediction.probs, prediction.labels
    if dist is not None and dist.enabled:  # the collective runs on the process's device
        probs = dist.gather_rows(probs.to(dist.device))
        labels = dist.gather_rows(labels.to(dist.device))
    return classification_metrics(probs, labels)


def _labelled_probs(
    model: nn.Module,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    *,
    samples: int,
    posterior_mean: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The predictive probabilities and the labels of :func:`bayescnn.predict_loader`."""
    prediction = _predict(model, batches, samples=samples, posterior_mean=posterior_mean)
    assert prediction.labels is not None  # the batches are (inputs, labels) pairs
    return prediction.probs, prediction.labels


predictive_probs = renamed_function(
    "bayescnn.train.predictive_probs",
    "bayescnn.predict_loader",
    _labelled_probs,
    note="its .probs and .labels; bayescnn.uncertainty.predictive_probs averages sampled "
    "probabilities",
)
