"""Reports and figures: uncertainty in and out of distribution, training, posteriors, and
the two table writers (plain text and Markdown) every report uses."""

from bayescnn.reports.plots import plot_training_curves, plot_weight_distributions
from bayescnn.reports.shift_figures import plot_risk_coverage, plot_shift_boxplots
from bayescnn.reports.summary_table import format_comparison_table, format_summary_table
from bayescnn.reports.tables import markdown_table, text_table
from bayescnn.reports.uncertainty_figures import (
    UncertaintyExample,
    plot_reliability_diagram,
    plot_score_histograms,
    plot_uncertainty_examples,
)
from bayescnn.reports.uncertainty_files import REPORT_FILES, uncertainty_report

__all__ = [
    "REPORT_FILES",
    "UncertaintyExample",
    "format_comparison_table",
    "format_summary_table",
    "markdown_table",
    "plot_reliability_diagram",
    "plot_risk_coverage",
    "plot_score_histograms",
    "plot_shift_boxplots",
    "plot_training_curves",
    "plot_uncertainty_examples",
    "plot_weight_distributions",
    "text_table",
    "uncertainty_report",
]
