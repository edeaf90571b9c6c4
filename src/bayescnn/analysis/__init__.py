"""What a trained posterior looks like, and what it can do without: per-layer statistics
(KL, sigma, signal-to-noise ratio) and pruning by signal-to-noise ratio or magnitude.

These read and edit the Bayesian layers of :mod:`bayescnn.nn`; the layers themselves know
nothing of them.
"""

from bayescnn.analysis.posterior_stats import LayerStatistics, layer_statistics, signal_to_noise
from bayescnn.analysis.pruning import prune_by_magnitude, prune_by_snr

__all__ = [
    "LayerStatistics",
    "layer_statistics",
    "prune_by_magnitude",
    "prune_by_snr",
    "signal_to_noise",
]
