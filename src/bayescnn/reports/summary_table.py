"""Plain-text and Markdown tables of an uncertainty report's summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bayescnn import defaults
from bayescnn.reports.tables import markdown_table, text_table

__all__ = ["format_summary_table"]

_OOD_COLUMNS = (
    ("auroc", "AUROC"),
    ("aupr_in", "AUPR-in"),
    ("aupr_out", "AUPR-out"),
    ("fpr_at_95_tpr", "FPR@95TPR"),
)


def format_summary_table(summary: Mapping[str, Any], *, markdown: bool = False) -> str:
    """Format the summary of :func:`~bayescnn.reports.uncertainty_report` as three tables.

    The tables give the in-distribution metrics, the mean aleatoric/epistemic
    uncertainty per decomposition in and out of distribution, and the OOD detection metrics
    per score.

    Args:
        summary: The dict returned by (or read back from the JSON of) the report.
        markdown: Markdown (GitHub) tables for a README instead of aligned plain text.

    Returns:
        The tables, separated by blank lines, without a trailing newline.
    """
    table = markdown_table if markdown else text_table
    in_name, ood_name = summary.get("in_name", "in"), summary["ood_name"]
    metrics = summary["in_distribution"]
    title = f"{in_name} ({summary['num_in']} examples, {summary['samples']} samples)"
    in_table = table(
        ["metric", "value"],
        [
            [name, f"{metrics[key]:.4f}"]
            for key, name in (
                ("accuracy", "accuracy"),
                ("nll", "NLL"),
                ("brier", "Brier"),
                ("ece", f"ECE ({defaults.ECE_BINS} bins)"),
                ("mce", f"MCE ({defaults.ECE_BINS} bins)"),
            )
        ],
    )
    uncertainty_rows = []
    for decomposition, parts in summary["uncertainty"].items():
        uncertainty_rows.append(
            [
                decomposition,
                f"{parts['in']['aleatoric']:.4g}",
                f"{parts['out']['aleatoric']:.4g}",
                f"{parts['in']['epistemic']:.4g}",
                f"{parts['out']['epistemic']:.4g}",
            ]
        )
    uncertainty_table = table(
        ["decomposition", "aleatoric in", "aleatoric out", "epistemic in", "epistemic out"],
        uncertainty_rows,
    )
    ood_table = table(
        ["OOD score", *(name for _, name in _OOD_COLUMNS)],
        [
            [score, *(f"{values[key]:.4f}" for key, _ in _OOD_COLUMNS)]
            for score, values in summary["ood_detection"].items()
        ],
    )
    headings: tuple[str, ...] = (
        f"In-distribution: {title}",
        f"Mean uncertainty, in = {in_name}, out = {ood_name} ({summary['num_out']} examples)",
        f"OOD detection: {in_name} vs {ood_name}",
    )
    if markdown:
        headings = tuple(f"**{heading}**" for heading in headings)
    blocks = zip(headings, (in_table, uncertainty_table, ood_table), strict=True)
    separator = "\n\n" if markdown else "\n"
    return "\n\n".join(f"{heading}{separator}{body}" for heading, body in blocks)


def format_comparison_table(
    summaries: Sequence[Mapping[str, Any]], *, markdown: bool = False
) -> str:
    """One row per model (a run or an ensemble) of ``bayescnn uncertainty --compare``:
    accuracy, NLL, ECE, the OOD AUROC of every score, and what training and scoring cost
    (seconds)."""
    table = markdown_table if markdown else text_table
    scores = list(summaries[0]["ood_detection"])
    header = ["model", "samples", "accuracy", "NLL", "ECE", *(f"AUROC {s}" for s in scores)]
    header += ["train s", "report s"]
    rows = []
    for summary in summaries:
        metrics = summary["in_distribution"]
        rows.append(
            [
                str(summary.get("model", summary.get("method", "?"))),  # older files: "method"
                str(summary["samples"]),
                f"{metrics['accuracy']:.4f}",
                f"{metrics['nll']:.4f}",
                f"{metrics['ece']:.4f}",
                *(f"{summary['ood_detection'][s]['auroc']:.4f}" for s in scores),
                f"{summary.get('train_seconds', float('nan')):.0f}",
                f"{summary.get('report_seconds', float('nan')):.1f}",
            ]
        )
    first = summaries[0]
    heading = (
        f"{first.get('in_name', 'in')} vs {first['ood_name']}: "
        f"{first['num_in']} in-distribution and {first['num_out']} OOD examples"
    )
    return f"{'**' + heading + '**' if markdown else heading}\n\n{table(header, rows)}"
