"""Figures of a trained posterior: SNR and sigma per layer, and pruning curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from torch import nn

from bayescnn.analysis import signal_to_noise
from bayescnn.nn import BayesianLayer
from bayescnn.reports._figure import new_figure, save_figure

__all__ = ["plot_posterior_histograms", "plot_pruning_curves"]


def plot_posterior_histograms(model: nn.Module, out_png: str | Path) -> Path:
    """Per Bayesian layer, histograms of log10 SNR = log10(|mu| / sigma) and of sigma."""
    layers = [(n, m) for n, m in model.named_modules() if isinstance(m, BayesianLayer)]
    figure = new_figure(8.0, 2.0 * max(len(layers), 1))
    axes = figure.subplots(max(len(layers), 1), 2, squeeze=False)
    for row, (name, layer) in enumerate(layers):
        snr = signal_to_noise(layer).flatten()
        snr = snr.clamp_min(1e-4).log10().cpu()  # a mean of exactly 0 shows at -4
        sigma = layer.weight_sigma.detach().flatten().cpu()
        axes[row][0].hist(snr.numpy(), bins=60, color="tab:blue")
        axes[row][0].axvline(0.0, color="black", linewidth=0.8)
        axes[row][0].set_ylabel(name)
        axes[row][1].hist(sigma.numpy(), bins=60, color="tab:red")
    axes[0][0].set_title("log10 |mu|/sigma (SNR < 1 left of 0)")
    axes[0][1].set_title("sigma = softplus(rho)")
    return save_figure(figure, out_png)


def plot_pruning_curves(
    curves: Mapping[str, Sequence[tuple[float, float]]], out_png: str | Path, *, title: str
) -> Path:
    """Test accuracy against the fraction of weights removed, one curve per criterion."""
    figure = new_figure(5.5, 3.6)
    axis = figure.subplots()
    for label, points in curves.items():
        fractions = torch.tensor([p[0] for p in points])
        axis.plot(fractions.numpy(), [100 * p[1] for p in points], "o-", label=label)
    axis.set_xlabel("fraction of weights removed")
    axis.set_ylabel("test accuracy (%)")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend(loc="lower left")
    return save_figure(figure, out_png)
