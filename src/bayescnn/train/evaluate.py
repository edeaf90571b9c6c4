"""Evaluation of a (Bayesian or frequentist) classifier: accuracy, NLL, Brier, ECE."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext

import torch
from torch import nn

from bayescnn import defaults, metrics
from bayescnn.nn import Ensemble, frozen_eval_mode, is_stochastic, module_device, sample_forward
from bayescnn.nn import posterior_mean as posterior_mean_mode
from bayescnn.train.distributed import Distributed


class LogitsOnly(nn.Module):
    """A network's logits when it returns ``(logits, kl)``, as the original code's do."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.model(x)
        return out[0] if isinstance(out, tuple) else out


@torch.no_grad()
def predictive_probs(
    model: nn.Module,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    *,
    samples: int,
    posterior_mean: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Monte-Carlo predictive p(y | x) = (1/S) sum_s softmax(f(x; w_s)) for every example.

    With ``posterior_mean`` the mean network's softmax instead (one pass).
    """
    all_probs, all_labels = [], []
    if posterior_mean or not is_stochastic(model):
        samples = 1  # a deterministic network gives the same answer every time
    context = posterior_mean_mode(model) if posterior_mean else nullcontext()
    device = module_device(model)
    forward = model if isinstance(model, Ensemble) else LogitsOnly(model)
    with frozen_eval_mode(model), context:
        for inputs, labels in batches:
            logits = sample_forward(forward, inputs.to(device), samples)
            labels = labels.to(device)
            all_probs.append(logits.float().softmax(-1).mean(0))
            all_labels.append(labels)
    return torch.cat(all_probs), torch.cat(all_labels)


def classification_metrics(
    probs: torch.Tensor, labels: torch.Tensor, n_bins: int = defaults.ECE_BINS
) -> dict[str, float]:
    """Accuracy, NLL, Brier score and ECE (``n_bins`` equal-width bins) of predictive probs."""
    probs, labels = probs.cpu(), labels.cpu()
    return {
        "accuracy": metrics.accuracy(probs, labels),
        "nll": metrics.nll(probs, labels),
        "brier": metrics.brier_score(probs, labels),
        "ece": metrics.calibration(probs, labels, n_bins=n_bins).ece,
    }


def evaluate(
    model: nn.Module,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    *,
    samples: int = defaults.SAMPLES,
    posterior_mean: bool = False,
    dist: Distributed | None = None,
) -> dict[str, float]:
    """Metrics of the Monte-Carlo predictive with ``samples`` draws (or of the mean network).

    Under ``dist`` each process predicts its share; the shares are gathered and scored.
    """
    probs, labels = predictive_probs(model, batches, samples=samples, posterior_mean=posterior_mean)
    if dist is not None:
        probs, labels = dist.gather_rows(probs), dist.gather_rows(labels)
    return classification_metrics(probs, labels)
