"""In- and out-of-distribution uncertainty report of a trained classifier: the files.

The numbers come from :func:`bayescnn.uncertainty.evaluate_ood` (calibration, the
decompositions' means and OOD detection); this module writes them as JSON, CSV and
figures.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from bayescnn.data import ImageData
from bayescnn.data.loader import EVALUATION_BATCH_SIZE
from bayescnn.errors import InvalidArgumentError
from bayescnn.reports.uncertainty_figures import (
    UncertaintyExample,
    plot_reliability_diagram,
    plot_score_histograms,
    plot_uncertainty_examples,
)
from bayescnn.uncertainty.ood_evaluation import check_ood_sets, evaluate_ood
from bayescnn.uncertainty.prediction import Prediction

__all__ = ["REPORT_FILES", "uncertainty_report"]

REPORT_FILES = {
    "summary": "uncertainty.json",
    "scores": "uncertainty_scores.csv",
    "histograms": "uncertainty_histograms.png",
    "reliability": "reliability_diagram.png",
    "examples": "uncertainty_examples.png",
}
"""The files :func:`uncertainty_report` writes into its ``out_dir``, by role."""


def _per_example_columns(prediction: Prediction) -> dict[str, torch.Tensor]:
    """Per-example values written to the CSV, by column name."""
    columns = {
        "predicted": prediction.predicted,
        "confidence": prediction.probs.max(dim=-1).values,
    }
    columns.update({f"score_{name}": score for name, score in prediction.scores.items()})
    for name in ("softmax", "normalized"):
        decomposition = getattr(prediction, name)
        columns[f"{name}_aleatoric"] = decomposition.aleatoric_trace
        columns[f"{name}_epistemic"] = decomposition.epistemic_trace
    entropy = prediction.entropy
    assert entropy is not None  # evaluate_ood predicts every decomposition
    columns["entropy_total"] = entropy.total
    columns["entropy_aleatoric"] = entropy.aleatoric
    columns["entropy_epistemic"] = entropy.epistemic
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
            given = prediction.labels if name == "in" else None  # the in-distribution set's
            labels = None if given is None else given.tolist()
            for index in range(len(prediction)):
                label = "" if labels is None else labels[index]
                row = [value[index] for value in values]
                writer.writerow([name, index, label, *(_format_cell(value) for value in row)])


def _format_cell(value: float | int) -> str:
    return str(value) if isinstance(value, int) else f"{value:.6g}"


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
    samples: int | None = None,
    batch_size: int = EVALUATION_BATCH_SIZE,
    device: str | torch.device = "cpu",
    out_dir: str | Path,
    ood_name: str,
    in_name: str = "in-distribution",
    example_indices: Mapping[str, Sequence[int]] | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Evaluate uncertainty on in- and out-of-distribution images and write a report.

    The model is moved to ``device``; inputs are ``(x / 255 - mean) / std``. Writes into
    ``out_dir`` the files of :data:`REPORT_FILES`: the summary (JSON), per-example scores
    of both sets (CSV with a ``set`` column), histograms of every OOD score in vs out, a
    reliability diagram (:data:`bayescnn.defaults.ECE_BINS` bins) and the per-class
    aleatoric/epistemic bar charts of the chosen examples.

    Args:
        model: Trained classifier returning logits (Bayesian or plain).
        in_data: In-distribution test images with their labels.
        ood_data: OOD images of the same channels and size.
        mean, std: Per-channel normalisation of pixels scaled to [0, 1].
        samples: Posterior samples per example; None: the model's default
            (:func:`bayescnn.nn.default_samples`: 25, or 8 of each member of a network of members).
        batch_size: Examples per forward pass.
        device: Where the model and the images are evaluated.
        out_dir: Folder written to (created).
        ood_name: Name of the OOD set, for titles and the summary.
        in_name: Name of the in-distribution set, for titles and the summary.
        example_indices: ``{"in": [...], "out": [...]}`` indices of the examples shown
            in the bar charts (default: the first of each set).
        chunk_size: Samples per vectorised forward pass (default: all at once).
        progress: show each pass's progress (:func:`bayescnn.train.with_progress`).

    Returns:
        The summary written to ``uncertainty.json``: ``in_name``, ``ood_name``,
        ``samples``, ``num_in``, ``num_out``, ``in_distribution`` (accuracy, nll, brier,
        ece, mce, calibration_bins), ``mean_confidence`` (in/out), ``uncertainty``
        (per decomposition, in/out means of aleatoric and epistemic, plus total for
        entropy), ``ood_detection`` (per score: auroc, aupr_in, aupr_out, fpr_at_95_tpr)
        (:meth:`bayescnn.uncertainty.OODEvaluation.summary`) and ``files``.
    """
    check_ood_sets(in_data, ood_data)
    chosen = _chosen_examples(example_indices, len(in_data), len(ood_data))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    evaluation = evaluate_ood(
        model,
        in_data,
        ood_data,
        mean=mean,
        std=std,
        samples=samples,
        batch_size=batch_size,
        device=device,
        chunk_size=chunk_size,
        progress=progress,
    )
    pred_in, pred_out = evaluation.in_prediction, evaluation.ood_prediction
    summary: dict[str, Any] = {
        "in_name": in_name,
        "ood_name": ood_name,
        **evaluation.summary(),
        "files": dict(REPORT_FILES),
    }

    _write_scores_csv(out_dir / REPORT_FILES["scores"], pred_in, pred_out)
    plot_score_histograms(
        pred_in.scores,
        pred_out.scores,
        out_dir / REPORT_FILES["histograms"],
        in_name=in_name,
        ood_name=ood_name,
        results=evaluation.detection,
    )
    plot_reliability_diagram(
        evaluation.calibration_error,
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
