"""Figures of an uncertainty report: score histograms, reliability diagram, examples."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from torch import Tensor

if TYPE_CHECKING:
    from matplotlib.typing import ColorType  # matplotlib >= 3.8

from bayescnn.errors import InvalidArgumentError
from bayescnn.metrics import CalibrationResult, OODResult
from bayescnn.reports._figure import (
    ALEATORIC_COLOR,
    EPISTEMIC_COLOR,
    IN_COLOR,
    OUT_COLOR,
    new_figure,
    save_figure,
)
from bayescnn.uncertainty.prediction import Prediction

__all__ = [
    "UncertaintyExample",
    "plot_reliability_diagram",
    "plot_score_histograms",
    "plot_uncertainty_examples",
]

SCORE_LABELS = {
    "max_prob": "1 - max predictive probability",
    "entropy": "predictive entropy H[p̄] (nats)",
    "mutual_info": "mutual information (nats)",
    "aleatoric_trace": "aleatoric trace (softmax)",
    "epistemic_trace": "epistemic trace (softmax)",
    "energy": "free energy -log Σ exp(mean logits)",
    "max_logit": "- max mean logit",
}
"""Axis labels of the built-in scores of :data:`bayescnn.uncertainty.OOD_SCORES` (others
are labelled with their name)."""

_MAX_CLASSES_SHOWN = 10


def plot_score_histograms(
    scores_in: Mapping[str, Tensor],
    scores_out: Mapping[str, Tensor],
    out_png: str | Path,
    *,
    in_name: str = "in-distribution",
    ood_name: str = "OOD",
    results: Mapping[str, OODResult] | None = None,
    bins: int = 40,
) -> Path:
    """Histograms (densities) of each uncertainty score, in- vs out-of-distribution.

    One panel per score, with shared bins for both sets and the AUROC in the title
    when ``results`` are given.

    Returns:
        The path written.
    """
    names = list(scores_in)
    columns = min(3, len(names))
    rows = math.ceil(len(names) / columns)
    figure = new_figure(4.2 * columns, 3.2 * rows + 0.4)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for axis, name in zip(axes, names, strict=False):
        values_in = scores_in[name].double().numpy()
        values_out = scores_out[name].double().numpy()
        low = float(min(values_in.min(), values_out.min()))
        high = float(max(values_in.max(), values_out.max()))
        edges = np.linspace(low, high if high > low else low + 1e-12, bins + 1)
        for values, color, label in (
            (values_in, IN_COLOR, in_name),
            (values_out, OUT_COLOR, ood_name),
        ):
            axis.hist(values, bins=edges, density=True, alpha=0.55, color=color, label=label)
        title = name
        if results is not None and name in results:
            title += f"  (AUROC {results[name].auroc:.3f})"
        axis.set_title(title, fontsize=10)
        axis.set_xlabel(SCORE_LABELS.get(name, name))
        axis.set_ylabel("density")
        axis.legend(fontsize=8)
    for axis in axes[len(names) :]:
        axis.set_visible(False)
    figure.suptitle(f"Uncertainty scores: {in_name} vs {ood_name} (higher = more OOD)")
    return save_figure(figure, out_png)


def plot_reliability_diagram(
    result: CalibrationResult, out_png: str | Path, *, title: str = "Reliability diagram"
) -> Path:
    """Reliability diagram: accuracy vs confidence per bin, and the confidence histogram.

    Guo et al. (2017), "On Calibration of Modern Neural Networks", fig. 1.

    Returns:
        The path written.
    """
    edges = result.bin_edges.double().numpy()
    centres = (edges[:-1] + edges[1:]) / 2
    widths = np.diff(edges)
    accuracy = result.accuracy.double().numpy()
    confidence = result.confidence.double().numpy()
    counts = result.count.double().numpy()
    filled = counts > 0

    figure = new_figure(5.5, 6.5)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    top.bar(
        centres[filled],
        accuracy[filled],
        width=widths[filled],
        color=IN_COLOR,
        edgecolor="black",
        linewidth=0.5,
        label="accuracy",
        zorder=2,
    )
    top.bar(
        centres[filled],
        np.abs(confidence[filled] - accuracy[filled]),
        bottom=np.minimum(confidence[filled], accuracy[filled]),
        width=widths[filled],
        color="tab:red",
        alpha=0.3,
        edgecolor="tab:red",
        linewidth=0.8,
        label="gap |accuracy - confidence|",
        zorder=1,
    )
    top.plot(
        centres[filled],
        confidence[filled],
        linestyle="none",
        marker="D",
        markersize=4,
        color="black",
        label="mean confidence",
        zorder=3,
    )
    top.plot([0, 1], [0, 1], linestyle="--", color="gray", label="perfect calibration")
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_ylabel("accuracy")
    top.set_title(f"{title}\nECE {result.ece:.4f}, MCE {result.mce:.4f}")
    top.legend(loc="upper left", fontsize=8)

    bottom.bar(centres, counts, width=widths, color="gray", edgecolor="black", linewidth=0.5)
    bottom.set_yscale("log" if counts.max() > 0 else "linear")
    bottom.set_xlabel("confidence (max predictive probability)")
    bottom.set_ylabel("examples")
    bottom.set_title("examples per bin", fontsize=9)
    return save_figure(figure, out_png)


@dataclass(frozen=True)
class UncertaintyExample:
    """One example to show: its image and its row of a :class:`Prediction`.

    Attributes:
        image: ``uint8`` image ``C x H x W``.
        prediction: The prediction holding the example.
        index: The example's row in ``prediction``.
        caption: Where it comes from and its label, e.g. ``"mnist #3, label 7"``.
    """

    image: Tensor
    prediction: Prediction
    index: int
    caption: str


def _show_image(axis: Axes, image: Tensor) -> None:
    pixels = image.detach().cpu()
    if pixels.shape[0] == 1:
        axis.imshow(pixels[0].numpy(), cmap="gray", vmin=0, vmax=255)
    else:
        axis.imshow(pixels[:3].permute(1, 2, 0).numpy())
    axis.set_xticks([])
    axis.set_yticks([])


def _grouped_bars(
    axis: Axes, positions: np.ndarray, series: Sequence[tuple[str, np.ndarray, ColorType]]
) -> None:
    width = 0.8 / len(series)
    for offset, (label, values, color) in enumerate(series):
        shift = (offset - (len(series) - 1) / 2) * width
        axis.bar(positions + shift, values, width=width, color=color, label=label)


def plot_uncertainty_examples(
    examples: Sequence[UncertaintyExample],
    classes: Sequence[str],
    out_png: str | Path,
) -> Path:
    """Per-class predictive probability and aleatoric/epistemic variances of examples.

    The per-class bar charts of Shridhar et al. (2018), one row per example: the image,
    the predictive distribution ``p̄``, and the diagonals of the aleatoric and epistemic
    matrices of the softmax (Kwon et al., 2018, eq. 4) and softplus-normalised (Shridhar
    et al., 2018, eq. 15) decompositions. With more than 10 classes only the 10 most
    probable are shown.

    Returns:
        The path written.
    """
    if not examples:
        raise InvalidArgumentError("no examples to plot")
    figure = new_figure(16, 3.3 * len(examples) + 0.4)
    axes = figure.subplots(len(examples), 4, squeeze=False, width_ratios=(0.8, 1.2, 1.2, 1.2))
    for row, example in zip(axes, examples, strict=True):
        prediction, index = example.prediction, example.index
        probs = prediction.probs[index].double().numpy()
        shown = np.argsort(-probs, kind="stable")[:_MAX_CLASSES_SHOWN]
        if len(probs) <= _MAX_CLASSES_SHOWN:
            shown = np.sort(shown)
        names = [str(classes[k]) if k < len(classes) else str(k) for k in shown]
        positions = np.arange(len(shown))
        predicted = int(prediction.predicted[index])

        _show_image(row[0], example.image)
        row[0].set_title(example.caption, fontsize=9)
        row[0].set_xlabel(f"predicted {names[list(shown).index(predicted)]}", fontsize=9)

        row[1].bar(positions, probs[shown], color=IN_COLOR, label="p̄ (softmax mean)")
        row[1].set_ylim(0, 1.15)
        row[1].set_title("predictive distribution", fontsize=10)
        row[1].set_ylabel("probability")

        for axis, part, color in (
            (row[2], "aleatoric", ALEATORIC_COLOR),
            (row[3], "epistemic", EPISTEMIC_COLOR),
        ):
            series = []
            for name, alpha in (("softmax", 1.0), ("normalized", 0.5)):
                decomposition = getattr(prediction, name)
                if decomposition is not None:
                    values = getattr(decomposition, part)[index].double().numpy()[shown]
                    series.append((name, values, to_rgba(color, alpha)))
            if series:
                _grouped_bars(axis, positions, series)
                highest = max(float(values.max()) for _, values, _ in series)
                axis.set_ylim(0, 1.3 * highest if highest > 0 else 1e-3)
            traces = ", ".join(
                f"{name} {getattr(getattr(prediction, name), f'{part}_trace')[index]:.2g}"
                for name in ("softmax", "normalized")
                if getattr(prediction, name) is not None
            )
            axis.set_title(f"{part} variance per class\n(trace: {traces})", fontsize=10)
            axis.set_ylabel("variance")
        for axis in row[1:]:
            axis.set_xticks(positions, names, rotation=45 if max(map(len, names)) > 3 else 0)
            axis.set_xlabel("class")
            axis.legend(fontsize=8, loc="upper right", ncols=2)
    figure.suptitle(
        f"Per-class uncertainty of chosen examples ({examples[0].prediction.samples} samples)"
    )
    return save_figure(figure, out_png)
