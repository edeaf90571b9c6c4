"""In- and out-of-distribution uncertainty report of a trained classifier.

Computes, from ``S`` posterior samples per example (:func:`bayescnn.uncertainty.predict_loader`):
accuracy, NLL, Brier score and ECE/MCE (Guo et al., 2017) on the in-distribution set;
mean aleatoric/epistemic uncertainty per decomposition (softmax: Kwon et al., 2018,
eq. 4; normalized: Shridhar et al., 2018, eq. 15; entropy: Depeweg et al., 2018) for both
sets; and OOD detection metrics (Hendrycks & Gimpel, 2017) for every OOD score.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from bayescnn.data import ImageData, InMemoryLoader
from bayescnn.errors import InvalidArgumentError
from bayescnn.metrics import accuracy, brier_score, calibration, nll, ood_detection
from bayescnn.reports.uncertainty_figures import (
    UncertaintyExample,
    plot_reliability_diagram,
    plot_score_histograms,
    plot_uncertainty_examples,
)
from bayescnn.uncertainty.predict import METHODS, Prediction, predict_loader

__all__ = ["REPORT_FILES", "uncertainty_report"]

CALIBRATION_BINS = 15

REPORT_FILES = {
    "summary": "uncertainty.json",
    "scores": "uncertainty_scores.csv",
    "histograms": "uncertainty_histograms.png",
    "reliability": "reliability_diagram.png",
    "examples": "uncertainty_examples.png",
}
"""The files :func:`uncertainty_report` writes into its ``out_dir``, by role."""


def _mean(values: torch.Tensor) -> float:
    return values.double().mean().item()


def _uncertainty_means(prediction: Prediction) -> dict[str, dict[str, float]]:
    """Mean aleatoric/epistemic parts (traces for the covariance decompositions)."""
    means: dict[str, dict[str, float]] = {}
    for method in ("softmax", "normalized"):
        decomposition = getattr(prediction, method)
        means[method] = {
            "aleatoric": _mean(decomposition.aleatoric_trace),
            "epistemic": _mean(decomposition.epistemic_trace),
        }
    means["entropy"] = {
        "aleatoric": _mean(prediction.entropy.aleatoric),
        "epistemic": _mean(prediction.entropy.epistemic),
        "total": _mean(prediction.entropy.total),
    }
    return means


def _per_example_columns(prediction: Prediction) -> dict[str, torch.Tensor]:
    """Per-example values written to the CSV, by column name."""
    columns = {
        "predicted": prediction.predicted,
        "confidence": prediction.probs.max(dim=-1).values,
    }
    columns.update({f"score_{name}": score for name, score in prediction.scores.items()})
    for method in ("softmax", "normalized"):
        decomposition = getattr(prediction, method)
        columns[f"{method}_aleatoric"] = decomposition.aleatoric_trace
        columns[f"{method}_epistemic"] = decomposition.epistemic_trace
    columns["entropy_total"] = prediction.entropy.total
    columns["entropy_aleatoric"] = prediction.entropy.aleatoric
    columns["entropy_epistemic"] = prediction.entropy.epistemic
    return columns


def _write_scores_csv(path: Path, pred_in: Prediction, pred_out: Prediction) -> None:
    """One row per example: ``set`` (in/out), ``index``, ``label`` (in only), the values."""
    columns_in, columns_out = _per_example_columns(pred_in), _per_example_columns(pred_out)
    header = ["set", "index", "label", *columns_in]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for name, prediction, columns in (
            ("in", pred_in, columns_in),
            ("out", pred_out, columns_out),
        ):
            values = [column.tolist() for column in columns.values()]
            labels = prediction.labels.tolist() if name == "in" else None
            for index in range(len(prediction)):
                label = "" if labels is None else labels[index]
                row = [value[index] for value in values]
                writer.writerow([name, index, label, *(_format_cell(value) for value in row)])


def _format_cell(value: float | int) -> str:
    return str(value) if isinstance(value, int) else f"{value:.6g}"


def _finite_or_none(values: torch.Tensor) -> list[float | None]:
    return [value if math.isfinite(value) else None for value in values.double().tolist()]


def _loader(
    data: ImageData,
    batch_size: int,
    mean: Sequence[float],
    std: Sequence[float],
    device: str | torch.device,
) -> InMemoryLoader:
    return InMemoryLoader(data, batch_size, shuffle=False, mean=mean, std=std, device=device)


def _chosen_examples(
    example_indices: Mapping[str, Sequence[int]] | None, num_in: int, num_out: int
) -> dict[str, list[int]]:
    """Validated ``{"in": [...], "out": [...]}`` (default: the first example of each)."""
    chosen = {"in": [0], "out": [0]} if example_indices is None else example_indices
    unknown = set(chosen) - {"in", "out"}
    if unknown:
        raise InvalidArgumentError(
            f"example_indices keys must be 'in' and 'out', got {sorted(unknown)}"
        )
    sizes = {"in": num_in, "out": num_out}
    for key, indices in chosen.items():
        for index in indices:
            if not 0 <= index < sizes[key]:
                raise InvalidArgumentError(
                    f"example index {index} is outside the {key} set of {sizes[key]} examples"
                )
    return {key: [int(index) for index in chosen.get(key, [])] for key in ("in", "out")}


def _examples(
    chosen: Mapping[str, Sequence[int]],
    sets: Mapping[str, tuple[ImageData, Prediction, str]],
) -> list[UncertaintyExample]:
    examples = []
    for key, (data, prediction, set_name) in sets.items():
        for index in chosen[key]:
            label = data.classes[int(data.labels[index])]
            caption = f"{key}: {set_name} #{index}\n(its label: {label})"
            examples.append(UncertaintyExample(data.images[index], prediction, index, caption))
    return examples


def uncertainty_report(
    model: nn.Module,
    in_data: ImageData,
    ood_data: ImageData,
    *,
    mean: Sequence[float],
    std: Sequence[float],
    samples: int = 25,
    batch_size: int = 500,
    device: str | torch.device = "cpu",
    out_dir: str | Path,
    ood_name: str,
    in_name: str = "in-distribution",
    example_indices: Mapping[str, Sequence[int]] | None = None,
    chunk_size: int | None = None,
) -> dict[str, Any]:
    """Evaluate uncertainty on in- and out-of-distribution images and write a report.

    The model is moved to ``device``; inputs are ``(x / 255 - mean) / std``. Writes into
    ``out_dir`` the files of :data:`REPORT_FILES`: the summary (JSON), per-example scores
    of both sets (CSV with a ``set`` column), histograms of every OOD score in vs out, a
    reliability diagram (15 bins) and the per-class aleatoric/epistemic bar charts of
    the chosen examples.

    Args:
        model: Trained classifier returning logits (Bayesian or plain).
        in_data: In-distribution test images with their labels.
        ood_data: OOD images of the same channels and size.
        mean, std: Per-channel normalisation of pixels scaled to [0, 1].
        samples: Posterior samples per example.
        batch_size: Examples per forward pass.
        device: Where the model and the images are evaluated.
        out_dir: Folder written to (created).
        ood_name: Name of the OOD set, for titles and the summary.
        in_name: Name of the in-distribution set, for titles and the summary.
        example_indices: ``{"in": [...], "out": [...]}`` indices of the examples shown
            in the bar charts (default: the first of each set).
        chunk_size: Samples per vectorised forward pass (default: all at once).

    Returns:
        The summary written to ``uncertainty.json``: ``in_name``, ``ood_name``,
        ``samples``, ``num_in``, ``num_out``, ``in_distribution`` (accuracy, nll, brier,
        ece, mce, calibration_bins), ``mean_confidence`` (in/out), ``uncertainty``
        (per method, in/out means of aleatoric and epistemic, plus total for entropy),
        ``ood_detection`` (per score: auroc, aupr_in, aupr_out, fpr_at_95_tpr) and
        ``files``.
    """
    if in_data.image_shape != ood_data.image_shape:
        raise InvalidArgumentError(
            f"OOD images {ood_data.image_shape} must match the in-distribution images "
            f"{in_data.image_shape} (C, H, W); build them with bayescnn.data.load_ood_set"
        )
    if len(in_data) == 0 or len(ood_data) == 0:
        raise InvalidArgumentError(
            "both the in-distribution and the OOD set need at least one example"
        )
    chosen = _chosen_examples(example_indices, len(in_data), len(ood_data))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.to(device)
    options = {"samples": samples, "chunk_size": chunk_size, "method": "all"}
    pred_in = predict_loader(model, _loader(in_data, batch_size, mean, std, device), **options)
    pred_out = predict_loader(model, _loader(ood_data, batch_size, mean, std, device), **options)
    assert pred_in.labels is not None

    calib = calibration(pred_in.probs, pred_in.labels, n_bins=CALIBRATION_BINS)
    in_means, out_means = _uncertainty_means(pred_in), _uncertainty_means(pred_out)
    results = {
        name: ood_detection(pred_in.scores[name], pred_out.scores[name]) for name in pred_in.scores
    }
    summary: dict[str, Any] = {
        "in_name": in_name,
        "ood_name": ood_name,
        "samples": pred_in.samples,
        "num_in": len(pred_in),
        "num_out": len(pred_out),
        "in_distribution": {
            "accuracy": accuracy(pred_in.probs, pred_in.labels),
            "nll": nll(pred_in.probs, pred_in.labels),
            "brier": brier_score(pred_in.probs, pred_in.labels),
            "ece": calib.ece,
            "mce": calib.mce,
            "calibration_bins": {
                "edges": calib.bin_edges.tolist(),
                "confidence": _finite_or_none(calib.confidence),
                "accuracy": _finite_or_none(calib.accuracy),
                "count": calib.count.tolist(),
            },
        },
        "mean_confidence": {
            "in": _mean(pred_in.probs.max(dim=-1).values),
            "out": _mean(pred_out.probs.max(dim=-1).values),
        },
        "uncertainty": {
            method: {"in": in_means[method], "out": out_means[method]} for method in METHODS
        },
        "ood_detection": {
            name: {
                "auroc": result.auroc,
                "aupr_in": result.aupr_in,
                "aupr_out": result.aupr_out,
                "fpr_at_95_tpr": result.fpr_at_95_tpr,
            }
            for name, result in results.items()
        },
        "files": dict(REPORT_FILES),
    }

    _write_scores_csv(out_dir / REPORT_FILES["scores"], pred_in, pred_out)
    plot_score_histograms(
        pred_in.scores,
        pred_out.scores,
        out_dir / REPORT_FILES["histograms"],
        in_name=in_name,
        ood_name=ood_name,
        results=results,
    )
    plot_reliability_diagram(
        calib,
        out_dir / REPORT_FILES["reliability"],
        title=f"Reliability diagram: {in_name} ({pred_in.samples} samples)",
    )
    examples = _examples(
        chosen, {"in": (in_data, pred_in, in_name), "out": (ood_data, pred_out, ood_name)}
    )
    if examples:
        plot_uncertainty_examples(examples, in_data.classes, out_dir / REPORT_FILES["examples"])
    else:
        del summary["files"]["examples"]
    with (out_dir / REPORT_FILES["summary"]).open("w") as handle:
        json.dump(summary, handle, indent=2, allow_nan=False)
        handle.write("\n")
    return summary
