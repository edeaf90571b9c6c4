"""The test report (``test.json``): one function for ``bayescnn train`` and ``bayescnn evaluate``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from bayescnn.calibration.temperature import temperature_form, temperature_of
from bayescnn.nn import default_samples, is_stochastic, members_of
from bayescnn.runtime.progress import with_progress
from bayescnn.train.distributed import Distributed
from bayescnn.train.evaluation import evaluate, prediction_metrics
from bayescnn.uncertainty.logit_samples import sampled_batches
from bayescnn.uncertainty.prediction import predict_from_logits

__all__ = ["build_test_report", "summarize_report"]


def build_test_report(
    model: nn.Module,
    loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
    *,
    samples: int | None = None,
    dist: Distributed | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """The metrics of ``test.json``: what ``bayescnn train`` writes and ``bayescnn evaluate``
    prints for the same model.

    For a model that samples: ``samples`` (``S``), ``predictive`` (accuracy, NLL, Brier
    and ECE of the Monte-Carlo predictive ``p̄ = (1/S) Σ_t softmax(f_t(x))``, see
    :func:`bayescnn.train.evaluate`) and ``posterior_mean`` (those of the posterior-mean
    network). For a plain network, ``predictive`` of its one pass alone. A network of
    ``K`` members (:func:`bayescnn.nn.members_of`) adds ``members``: its predictive
    averages ``S x K`` samples (``K`` for plain members), its posterior-mean network
    the members' mean networks. A calibrated
    model (:func:`bayescnn.calibrate`) adds its ``temperature`` and ``predictive_raw``,
    the uncalibrated predictive on the same draws; ``predictive`` is then the calibrated
    one (the posterior-mean network's logits are tempered too). The caller seeds
    the draws and adds what it knows of the run (epoch, checkpoint, ...).

    The test set is sampled once: one Monte-Carlo pass
    (:func:`~bayescnn.uncertainty.sampled_batches`, raw logits) gives both predictives
    through :func:`~bayescnn.uncertainty.predict_from_logits`, so ``predictive`` is exactly
    what :func:`~bayescnn.train.evaluate` of the calibrated model gives on those draws. A
    calibrated model's raw logits are kept for the two readings: ``S x N x K`` float32 on
    the model's device (under ``dist``, of this process's share), 10 MB for 25 samples of
    MNIST's 10,000 test images, 100 MB for CIFAR-100's; the posterior-mean network then
    takes one more, deterministic, pass.

    Args:
        model: The trained classifier (in place: its training flags come back).
        loader: ``(inputs, labels)`` batches of the test set (under ``dist``, this
            process's share), iterated once per pass.
        samples: Monte-Carlo samples ``S`` of the predictive; None: the model's default
            (:func:`bayescnn.nn.default_samples`: 25, or 8 of each member of a network of members).
        dist: This process's place under torchrun; the shares are gathered and scored.
        progress: Show each pass's progress (:func:`bayescnn.train.with_progress`).
    """

    def shown(desc: str) -> Iterable[tuple[torch.Tensor, torch.Tensor]]:
        return with_progress(loader, desc, enabled=progress)

    samples = default_samples(model, samples) if is_stochastic(model) else 1
    temperature = temperature_of(model)
    report: dict[str, Any] = {"samples": samples} if samples > 1 else {}
    if members_of(model) > 1:  # each of the S draws gives one sample per member
        report["members"] = members_of(model)
    drawn = sampled_batches(
        model,
        shown(f"test ({samples} samples)" if samples > 1 else "test"),
        samples=samples,
        calibrated=False,
    )
    if temperature is None:
        report["predictive"] = _metrics(model, drawn, dist=dist)
    else:
        report["temperature"] = temperature
        report["temperature_form"] = str(temperature_form(model))
        kept = list(drawn)  # read twice: raw, then calibrated
        report["predictive_raw"] = _metrics(model, kept, dist=dist, calibrated=False)
        report["predictive"] = _metrics(model, kept, dist=dist)
    if samples > 1:
        report["posterior_mean"] = evaluate(
            model, shown("test (posterior mean)"), posterior_mean=True, dist=dist
        )
    return report


def _metrics(
    model: nn.Module,
    drawn: Iterable[tuple[torch.Tensor, torch.Tensor | None]],
    *,
    dist: Distributed | None,
    calibrated: bool = True,
) -> dict[str, float]:
    """The metrics of the predictive of raw logit batches, tempered by ``model`` unless not
    ``calibrated`` (the prediction path's own reading of them)."""
    prediction = predict_from_logits(
        model, drawn, decomposition="none", scores="none", calibrated=calibrated
    )
    return prediction_metrics(prediction, dist=dist)


def summarize_report(report: dict[str, Any]) -> str:
    """'accuracy 88.17%, NLL 0.3304, ECE 0.0073 (25 samples)': the test report in one line."""
    metrics = report["predictive"]
    drawn = [f"{report[key]} {key}" for key in ("samples", "members") if key in report]
    samples = f" ({' x '.join(drawn)})" if drawn else ""
    return (
        f"accuracy {100 * metrics['accuracy']:.2f}%, NLL {metrics['nll']:.4g}, "
        f"ECE {metrics['ece']:.3g}{samples}"
    )
