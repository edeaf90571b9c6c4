"""Figures of an evaluation under dataset shift: metric box plots and risk–coverage curves.

The box plots follow Ovadia et al. (2019, "Can You Trust Your Model's Uncertainty?",
fig. 2): at each severity, one box per model summarising a metric over the corruptions
(the clean test set is one value); models side by side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.patches import Patch

from bayescnn import defaults
from bayescnn.errors import InvalidArgumentError
from bayescnn.reports._figure import new_figure, save_figure
from bayescnn.shift import COVERAGE_GRID, SELECTIVE_SCORES, ShiftRecord

__all__ = ["plot_risk_coverage", "plot_shift_boxplots"]

METRIC_LABELS = {
    "accuracy": "accuracy",
    "ece": f"ECE ({defaults.ECE_BINS} bins)",
    "nll": "NLL (nats)",
    "aleatoric": "mean aleatoric entropy (nats)",
    "epistemic": "mean mutual information (nats)",
    "mean_confidence": "mean confidence",
}
"""Axis labels of the metrics of a shift record (others are labelled with their key)."""

MODEL_COLORS = {"bayesian": "tab:blue", "frequentist": "tab:orange"}
"""Colours of the usual models; others take the next colours of the cycle."""

_OTHER_COLORS = ("tab:green", "tab:red", "tab:purple", "tab:brown", "tab:gray")


def _value(row: ShiftRecord | Mapping[str, Any], key: str) -> Any:
    return row[key] if isinstance(row, Mapping) else getattr(row, key)


def _colors(models: Sequence[str]) -> dict[str, str]:
    others = iter(_OTHER_COLORS * (len(models) // len(_OTHER_COLORS) + 1))
    return {model: MODEL_COLORS.get(model) or next(others) for model in models}


def _severities(rows_by_model: Mapping[str, Sequence[Any]]) -> list[int]:
    severities = sorted(
        {int(_value(row, "severity")) for rows in rows_by_model.values() for row in rows}
    )
    if not severities:
        raise InvalidArgumentError("no shift records to plot")
    return severities


def _severity_label(severity: int) -> str:
    return "clean" if severity == 0 else str(severity)


def plot_shift_boxplots(
    rows_by_model: Mapping[str, Sequence[ShiftRecord | Mapping[str, Any]]],
    out_png: str | Path,
    *,
    metrics: Sequence[str] = ("accuracy", "ece"),
) -> Path:
    """Box plots of each metric per severity over the corruptions, one box per model.

    Args:
        rows_by_model: Per model name (e.g. ``"bayesian"``, ``"frequentist"``), its
            records: :class:`bayescnn.shift.ShiftRecord` or their ``to_dict()`` rows (as
            read back from ``shift.json``). Severity 0 is the clean test set.
        out_png: The PNG written.
        metrics: Record keys, one panel each.

    Returns:
        The path written.
    """
    if not rows_by_model or not metrics:
        raise InvalidArgumentError("give at least one model and one metric to plot")
    models = list(rows_by_model)
    severities = _severities(rows_by_model)
    colors = _colors(models)
    width = 0.8 / len(models)
    figure = new_figure(4.6 * len(metrics), 3.8)
    axes = np.atleast_1d(figure.subplots(1, len(metrics)))
    for axis, metric in zip(axes, metrics, strict=True):
        for index, model in enumerate(models):
            offset = (index - (len(models) - 1) / 2) * width
            for position, severity in enumerate(severities):
                values = [
                    float(_value(row, metric))
                    for row in rows_by_model[model]
                    if int(_value(row, "severity")) == severity
                ]
                if not values:
                    continue
                boxes = axis.boxplot(
                    [values],
                    positions=[position + offset],
                    widths=width * 0.85,
                    patch_artist=True,
                    manage_ticks=False,
                    flierprops={"markersize": 3},
                    medianprops={"color": "black"},
                )
                for box in boxes["boxes"]:
                    box.set_facecolor(colors[model])
                    box.set_alpha(0.8)
        axis.set_xticks(range(len(severities)), [_severity_label(s) for s in severities])
        axis.set_xlim(-0.6, len(severities) - 0.4)
        axis.set_xlabel("shift severity")
        axis.set_ylabel(METRIC_LABELS.get(metric, metric))
        axis.grid(axis="y", alpha=0.3)
    handles = [Patch(facecolor=colors[model], alpha=0.8, label=model) for model in models]
    axes[0].legend(handles=handles, fontsize=8)
    figure.suptitle("Under dataset shift: boxes over corruptions per severity")
    return save_figure(figure, out_png)


def plot_risk_coverage(
    records_by_model: Mapping[str, Sequence[ShiftRecord]],
    out_png: str | Path,
    *,
    scores: Sequence[str] = SELECTIVE_SCORES,
) -> Path:
    """Risk–coverage curves: one panel per model and score, one curve per severity.

    The selective risk (error rate of the kept examples, keeping the lowest scores first)
    at each coverage of :data:`bayescnn.shift.COVERAGE_GRID`, averaged over the
    corruptions of a severity; the clean test set is drawn in black. The legend gives
    each curve's mean AURC.

    Args:
        records_by_model: Per model name, its :class:`bayescnn.shift.ShiftRecord`s (which
            keep their curves; rows read back from ``shift.json`` do not).
        out_png: The PNG written.
        scores: Selective-prediction scores, one column each.

    Returns:
        The path written.
    """
    if not records_by_model or not scores:
        raise InvalidArgumentError("give at least one model and one score to plot")
    models = list(records_by_model)
    severities = _severities(records_by_model)
    shades = colormaps["viridis"]
    coverage = COVERAGE_GRID.numpy()
    figure = new_figure(4.0 * len(scores), 3.4 * len(models) + 0.4)
    axes = np.atleast_2d(figure.subplots(len(models), len(scores), squeeze=False))
    for row, model in enumerate(models):
        for column, score in enumerate(scores):
            axis = axes[row, column]
            for severity in severities:
                chosen = [r for r in records_by_model[model] if r.severity == severity]
                if not chosen:
                    continue
                if any(score not in r.risk_coverage for r in chosen):
                    raise InvalidArgumentError(
                        f"the {model} records hold no {score!r} risk-coverage curve; plot "
                        "the records evaluate_shift returns"
                    )
                risk = np.mean([r.risk_coverage[score].double().numpy() for r in chosen], axis=0)
                area = np.mean([r.selective[score]["aurc"] for r in chosen])
                color = "black" if severity == 0 else shades(0.85 * (severity - 1) / 4)
                label = f"{_severity_label(severity)} (AURC {area:.3f})"
                axis.plot(coverage, risk, color=color, linewidth=1.4, label=label)
            axis.set_xlim(0, 1)
            axis.set_ylim(bottom=0)
            axis.set_title(f"{model}: {score}", fontsize=10)
            axis.set_xlabel("coverage")
            axis.set_ylabel("selective risk (error rate)")
            axis.grid(alpha=0.3)
            axis.legend(fontsize=7, title="severity", title_fontsize=7)
    figure.suptitle("Risk-coverage under shift: keep the least uncertain first")
    return save_figure(figure, out_png)
