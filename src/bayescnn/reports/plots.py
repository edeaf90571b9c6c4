"""Training curves and posterior weight distributions of Bayesian networks."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from torch import nn

from bayescnn.errors import InvalidArgumentError
from bayescnn.nn import BayesianLayer, bayesian_layers
from bayescnn.reports._figure import new_figure, save_figure

__all__ = ["plot_training_curves", "plot_weight_distributions", "training_curves_figure"]

_PANELS = (
    ("Loss and negative log-likelihood", "nats per example", ("loss", "nll")),
    ("Accuracy", "accuracy", ("acc", "accuracy")),
    ("KL divergence KL(q || p)", "nats", ("kl",)),
    ("Learning rate", "learning rate", ("lr",)),
)
"""Panels of the training curves: title, y label, and the key suffixes they collect."""


def _panel_of(key: str) -> int | None:
    suffix = key.rsplit("_", 1)[-1].lower()
    for index, (_, _, suffixes) in enumerate(_PANELS):
        if suffix in suffixes:
            return index
    return None


def _series(rows: Sequence[Mapping[str, object]], key: str) -> tuple[list[float], list[float]]:
    """``(epochs, values)`` of the rows where ``key`` holds a finite number."""
    epochs, values = [], []
    for position, row in enumerate(rows, start=1):
        value = row.get(key)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and math.isfinite(value):  # type: ignore[arg-type]
            epochs.append(float(row.get("epoch", position)))  # type: ignore[arg-type]
            values.append(float(value))  # type: ignore[arg-type]
    return epochs, values


def plot_training_curves(metrics_rows: Sequence[Mapping[str, object]], out_png: str | Path) -> Path:
    """Plot the per-epoch metrics present in ``metrics_rows`` (see
    :func:`training_curves_figure`) and write the PNG ``out_png``; returns its path."""
    return save_figure(training_curves_figure(metrics_rows), out_png)


def training_curves_figure(metrics_rows: Sequence[Mapping[str, object]]) -> Figure:
    """The per-epoch metrics present in ``metrics_rows``, one panel per kind.

    Keys are grouped by suffix: ``*_loss``/``*_nll`` (the ELBO loss and its NLL part),
    ``*_acc``, ``*_kl`` and ``lr`` (log scale); other keys and missing or non-finite
    values are skipped. The x axis is ``epoch`` (or the row number). Each panel's legend
    stands to the right of its axes, so it never covers a curve.

    Args:
        metrics_rows: Rows like ``{"epoch": 1, "train_loss": ..., "valid_acc": ...}``.

    Raises:
        InvalidArgumentError: If no row holds a plottable metric.
    """
    keys: dict[int, list[str]] = {}
    for row in metrics_rows:
        for key in row:
            panel = _panel_of(key)
            if (
                key != "epoch"
                and panel is not None
                and key not in keys.get(panel, [])
                and _series(metrics_rows, key)[1]
            ):
                keys.setdefault(panel, []).append(key)
    if not keys:
        raise InvalidArgumentError(
            "no metrics to plot: rows need keys ending in _loss, _nll, _acc, _kl or lr"
        )
    panels = sorted(keys)
    columns = 1 if len(panels) == 1 else 2
    rows = math.ceil(len(panels) / columns)
    figure = new_figure(7.0 * columns, 3.8 * rows + 0.4)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for axis in axes[len(panels) :]:
        axis.set_visible(False)
    for axis, panel in zip(axes, panels, strict=False):
        title, ylabel, _ = _PANELS[panel]
        for key in keys[panel]:
            epochs, values = _series(metrics_rows, key)
            style = "--" if key.startswith(("valid", "val_", "test")) else "-"
            axis.plot(epochs, values, style, marker="o", markersize=3, label=key)
        values = [value for key in keys[panel] for value in _series(metrics_rows, key)[1]]
        if min(values) > 0 and max(values) / min(values) > 20:
            axis.set_yscale("log")
        axis.set_title(title)
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_ylabel(ylabel)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    figure.suptitle("Training curves")
    return figure


def _find_layer(model: nn.Module, layer: str | None) -> tuple[str, BayesianLayer]:
    """The Bayesian layer called ``layer``, else the first Bayesian convolution (or layer)."""
    names = {module: name for name, module in model.named_modules()}
    if layer is not None:
        module = dict(model.named_modules()).get(layer)
        if not isinstance(module, BayesianLayer):
            choices = ", ".join(names[m] for m in bayesian_layers(model)) or "none"
            raise InvalidArgumentError(
                f"{layer!r} is not a Bayesian layer of the model; choose: {choices}"
            )
        return layer, module
    candidates = bayesian_layers(model)
    if not candidates:
        raise InvalidArgumentError("the model has no Bayesian layers to plot")
    convolutions = [m for m in candidates if m.weight_mu.ndim > 2]
    chosen = (convolutions or candidates)[0]
    return names[chosen], chosen


def _point_weights(model: nn.Module, name: str, shape: torch.Size) -> torch.Tensor:
    """The weight of ``model``'s layer ``name`` (else its first layer of that weight shape)."""
    modules = dict(model.named_modules())
    candidates = [modules[name]] if name in modules else []
    candidates += [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    for module in candidates:
        weight = getattr(module, "weight", None)
        if isinstance(weight, torch.Tensor) and weight.shape == shape:
            return weight.detach()
    raise InvalidArgumentError(
        f"the frequentist model has no layer {name!r} (or any layer) with weights of shape "
        f"{tuple(shape)}"
    )


def plot_weight_distributions(
    bayesian_model: nn.Module,
    frequentist_model: nn.Module | None = None,
    *,
    out_png: str | Path,
    layer: str | None = None,
    num_weights: int = 6,
) -> Path:
    """Posterior Gaussians ``N(mu, sigma²)`` of a few weights of one layer.

    ``sigma = softplus(rho)`` (Blundell et al., 2015). The weights are spread evenly over
    the flattened weight tensor of the first Bayesian convolution (or of ``layer``); the
    frequentist model's point estimates of the same positions are drawn as vertical
    dashed lines in the same colours.

    Args:
        bayesian_model: A model with Bayesian layers.
        frequentist_model: Optional plain model of the same architecture.
        out_png: The PNG file to write.
        layer: Name of the layer (as in ``named_modules``), default the first convolution.
        num_weights: Number of weights shown.

    Returns:
        The path written.
    """
    name, module = _find_layer(bayesian_model, layer)
    mu = module.weight_mu.detach().double().cpu()
    sigma = module.weight_sigma.detach().double().cpu()
    count = max(1, min(num_weights, mu.numel()))
    flat_positions = np.unique(np.linspace(0, mu.numel() - 1, count).round().astype(int))
    positions = [tuple(int(i) for i in np.unravel_index(p, mu.shape)) for p in flat_positions]
    point = None
    if frequentist_model is not None:
        point = _point_weights(frequentist_model, name, module.weight_mu.shape).double().cpu()

    mus = np.array([mu[p].item() for p in positions])
    sigmas = np.array([sigma[p].item() for p in positions])
    low, high = (mus - 4 * sigmas).min(), (mus + 4 * sigmas).max()
    if point is not None:
        values = [point[p].item() for p in positions]
        low, high = min(low, *values), max(high, *values)
    margin = 0.05 * (high - low)
    grid = np.linspace(low - margin, high + margin, 600)

    figure = new_figure(8.5, 5.0)
    axis = figure.subplots()
    colors = [f"C{i % 10}" for i in range(len(positions))]
    for position, m, s, color in zip(positions, mus, sigmas, colors, strict=True):
        density = np.exp(-0.5 * ((grid - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))
        index = ",".join(map(str, position))
        axis.plot(grid, density, color=color, label=rf"w[{index}]: $\mu$={m:.3f}, $\sigma$={s:.3f}")
        if point is not None:
            axis.axvline(point[position].item(), color=color, linestyle="--", linewidth=1.2)
    if point is not None:
        axis.plot([], [], color="gray", linestyle="--", label="frequentist point estimate")
    axis.set_title(rf"Posterior $N(\mu, \sigma^2)$ of weights of layer '{name}'")
    axis.set_xlabel("weight value")
    axis.set_ylabel("posterior density")
    axis.legend(fontsize=8, loc="upper right")
    axis.grid(alpha=0.3)
    return save_figure(figure, out_png)
