"""The test report (``test.json``): one function for ``bayescnn train`` and ``bayescnn evaluate``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from bayescnn import defaults
from bayescnn.nn import is_stochastic
from bayescnn.runtime.progress import with_progress
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
    network). For a plain network, ``predictive`` of its one pass alone. The caller seeds
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

    if not is_stochastic(model):
        return {"predictive": evaluate(model, shown("test"), samples=1, dist=dist)}
    return {
        "samples": samples,
        "predictive": evaluate(
            model, shown(f"test ({samples} samples)"), samples=samples, dist=dist
        ),
        "posterior_mean": evaluate(
            model, shown("test (posterior mean)"), posterior_mean=True, dist=dist
        ),
    }


def summarize_report(report: dict[str, Any]) -> str:
    """'accuracy 88.17%, NLL 0.3304, ECE 0.0073 (25 samples)': the test report in one line."""
    metrics = report["predictive"]
    samples = f" ({report['samples']} samples)" if "samples" in report else ""
    return (
        f"accuracy {100 * metrics['accuracy']:.2f}%, NLL {metrics['nll']:.4g}, "
        f"ECE {metrics['ece']:.3g}{samples}"
    )
