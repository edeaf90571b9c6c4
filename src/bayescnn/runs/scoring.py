"""The test report (``test.json``): one function for ``bayescnn train`` and ``bayescnn evaluate``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from bayescnn import defaults
from bayescnn.nn import is_stochastic, members_of, module_device, temperature_of
from bayescnn.nn.temperature import temperature_form
from bayescnn.runtime.progress import with_progress
from bayescnn.seeding import forked_rng
from bayescnn.train.distributed import Distributed
from bayescnn.train.evaluate import evaluate

__all__ = ["build_test_report", "summarize_report"]


def build_test_report(
    model: nn.Module,
    loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
    *,
    samples: int = defaults.SAMPLES,
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

    Args:
        model: The trained classifier (in place: its training flags come back).
        loader: ``(inputs, labels)`` batches of the test set (under ``dist``, this
            process's share), iterated once per pass.
        samples: Monte-Carlo samples ``S`` of the predictive.
        dist: This process's place under torchrun; the shares are gathered and scored.
        progress: Show each pass's progress (:func:`bayescnn.train.with_progress`).
    """

    def shown(desc: str) -> Iterable[tuple[torch.Tensor, torch.Tensor]]:
        return with_progress(loader, desc, enabled=progress)

    samples = samples if is_stochastic(model) else 1
    temperature = temperature_of(model)
    report: dict[str, Any] = {"samples": samples} if samples > 1 else {}
    if members_of(model) > 1:  # each of the S draws gives one sample per member
        report["members"] = members_of(model)
    if temperature is not None:
        report["temperature"] = temperature
        report["temperature_form"] = str(temperature_form(model))
        # the raw predictive on the very draws of the calibrated one: the RNG is forked
        with forked_rng(module_device(model) or "cpu"):
            report["predictive_raw"] = evaluate(
                model, shown("test (raw)"), samples=samples, dist=dist, calibrated=False
            )
    report["predictive"] = evaluate(
        model,
        shown(f"test ({samples} samples)" if samples > 1 else "test"),
        samples=samples,
        dist=dist,
    )
    if samples > 1:
        report["posterior_mean"] = evaluate(
            model, shown("test (posterior mean)"), posterior_mean=True, dist=dist
        )
    return report


def summarize_report(report: dict[str, Any]) -> str:
    """'accuracy 88.17%, NLL 0.3304, ECE 0.0073 (25 samples)': the test report in one line."""
    metrics = report["predictive"]
    drawn = [f"{report[key]} {key}" for key in ("samples", "members") if key in report]
    samples = f" ({' x '.join(drawn)})" if drawn else ""
    return (
        f"accuracy {100 * metrics['accuracy']:.2f}%, NLL {metrics['nll']:.4g}, "
        f"ECE {metrics['ece']:.3g}{samples}"
    )
